#include "herald/gateway/file_gateway.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace herald {

namespace json = boost::json;

namespace {

// Room for the ".json" suffix, and for the temporary name's prefix and suffix, under NAME_MAX.
constexpr std::size_t kMaxStemBytes = 200;

// Stable across runs and builds (unlike std::hash): a rewrite must hit the same file.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void indent_json(std::string& out, const json::value& v, int depth) {
  const std::string pad(2 * (depth + 1), ' ');
  if (v.is_object() && !v.get_object().empty()) {
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : v.get_object()) {
      if (!first) out += ",\n";
      first = false;
      out += pad + json::serialize(json::string_view(key)) + ": ";
      indent_json(out, value, depth + 1);
    }
    out += "\n" + std::string(2 * depth, ' ') + "}";
  } else if (v.is_array() && !v.get_array().empty()) {
    out += "[\n";
    bool first = true;
    for (const auto& element : v.get_array()) {
      if (!first) out += ",\n";
      first = false;
      out += pad;
      indent_json(out, element, depth + 1);
    }
    out += "\n" + std::string(2 * depth, ' ') + "]";
  } else {
    out += json::serialize(v);
  }
}

// A file descriptor that is closed however we leave.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  /// Closes now, reporting the error (a deferred write error can surface here).
  int close() { return ::close(std::exchange(fd_, -1)); }

 private:
  int fd_;
};

SendResult write_failed(const char* what, int error) {
  SendResult result;
  result.kind = SendResult::Kind::transient;
  result.reason = std::string("outbox ") + what + " failed: " + std::strerror(error);
  result.code = "error";
  return result;
}

// Writes `content` to `directory/name` atomically: a reader sees the old file or the new one,
// never a part; a crash leaves at most a hidden temporary file.
SendResult write_atomically(const std::filesystem::path& directory, const std::string& name,
                            const std::string& content) {
  static std::atomic<std::uint64_t> counter{0};
  // A leading '.' cannot begin a final name (outbox_file_name encodes it), so no clash.
  const auto temporary = directory / ("." + name + "." + std::to_string(::getpid()) + "." +
                                      std::to_string(counter++) + ".tmp");
  // Personal data: the owner and its group (operators reading the outbox), whatever the umask.
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (fd.get() < 0) return write_failed("create", errno);
  auto fail = [&](const char* what) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return write_failed(what, error);
  };
  for (std::size_t done = 0; done < content.size();) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync");
  if (fd.close() != 0) return fail("close");
  if (::rename(temporary.c_str(), (directory / name).c_str()) != 0) return fail("rename");
  // Make the rename itself durable; a failure here does not undo a complete file.
  Fd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
  SendResult result;
  result.kind = SendResult::Kind::accepted;
  result.gateway_message_id = name;
  result.code = "ok";
  return result;
}

}  // namespace

std::string outbox_file_name(std::string_view notification_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string stem;
  for (std::size_t i = 0; i < notification_id.size(); ++i) {
    const auto c = static_cast<unsigned char>(notification_id[i]);
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '_' || c == '-' || (c == '.' && i > 0);
    if (plain) {
      stem += static_cast<char>(c);
    } else {
      stem += '%';
      stem += kHex[c >> 4];
      stem += kHex[c & 0xF];
    }
  }
  if (stem.empty()) stem = "%";  // still unique: '%' alone is never an encoding
  if (stem.size() > kMaxStemBytes) {
    std::size_t cut = kMaxStemBytes - 17;
    // Do not split a %XX escape.
    if (stem[cut - 1] == '%')
      cut -= 1;
    else if (stem[cut - 2] == '%')
      cut -= 2;
    static constexpr char kLower[] = "0123456789abcdef";
    std::uint64_t h = fnv1a(notification_id);
    std::string hash(16, '0');
    for (int i = 15; i >= 0; --i, h >>= 4) hash[i] = kLower[h & 0xF];
    stem = stem.substr(0, cut) + "~" + hash;
  }
  return stem + ".json";
}

FileGateway::FileGateway(std::filesystem::path directory) : directory_(std::move(directory)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // One it creates is the owner's and its group's only (an existing one keeps its mode).
  if (fs::create_directories(directory_, ec) && !ec)
    fs::permissions(directory_,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  if (ec || !std::filesystem::is_directory(directory_))
    throw std::runtime_error("cannot create outbox directory '" + directory_.string() +
                             "': " + (ec ? ec.message() : "not a directory"));
}

boost::asio::awaitable<SendResult> FileGateway::send(const Message& message,
                                                     const SendCheck& check) {
  if (check) {
    if (auto reason = co_await check()) co_return withheld(std::move(*reason));
  }
  std::string content;
  indent_json(content, json::parse(message_json(message)), 0);
  content += '\n';
  const auto start = std::chrono::steady_clock::now();
  SendResult result =
      write_atomically(directory_, outbox_file_name(message.notification_id), content);
  result.duration = std::chrono::steady_clock::now() - start;
  co_return result;
}

}  // namespace herald
