#include "herald/app/journal_sink.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

#include <spdlog/sinks/stdout_sinks.h>
#include <systemd/sd-journal.h>

namespace herald {
namespace {

// Journal fields systemd (or the journal protocol) gives a meaning of its own.
constexpr std::string_view kReserved[] = {
    "MESSAGE",       "MESSAGE_ID",         "PRIORITY",
    "CODE_FILE",     "CODE_LINE",          "CODE_FUNC",
    "ERRNO",         "SYSLOG_FACILITY",    "SYSLOG_IDENTIFIER",
    "SYSLOG_PID",    "SYSLOG_TIMESTAMP",   "SYSLOG_RAW",
    "INVOCATION_ID", "USER_INVOCATION_ID", "TID",
    "UNIT",          "USER_UNIT",          "DOCUMENTATION",
    "MODULE"};

// Where journald listens (sd-journal's own fixed path).
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

// Keys that would carry personal data; herald's code never logs them.
constexpr std::string_view kPersonal[] = {"case_ref", "name", "email", "phone", "to", "body"};

int priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return 7;  // LOG_DEBUG
    case spdlog::level::info:
      return 6;  // LOG_INFO
    case spdlog::level::warn:
      return 4;  // LOG_WARNING
    case spdlog::level::err:
      return 3;  // LOG_ERR
    case spdlog::level::critical:
      return 2;  // LOG_CRIT
    default:
      return 6;
  }
}

// One `key=value` (or bare word) of a logfmt line, with where it stands in the line.
struct Token {
  std::string_view key;
  std::string value;  // unquoted and unescaped
  bool has_value = false;
  std::size_t begin = 0, end = 0;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads log_value()'s quoting back: `\"`, `\\` and `\xHH` escapes inside double quotes.
std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    Token t;
    t.begin = i;
    while (i < line.size() && line[i] != '=' && line[i] != ' ') ++i;
    t.key = line.substr(t.begin, i - t.begin);
    if (i < line.size() && line[i] == '=') {
      t.has_value = true;
      ++i;
      if (i < line.size() && line[i] == '"') {
        ++i;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            char next = line[i + 1];
            if (next == 'x' && i + 3 < line.size() && hex_digit(line[i + 2]) >= 0 &&
                hex_digit(line[i + 3]) >= 0) {
              t.value += static_cast<char>(hex_digit(line[i + 2]) * 16 + hex_digit(line[i + 3]));
              i += 4;
              continue;
            }
            t.value += next;
            i += 2;
            continue;
          }
          t.value += line[i++];
        }
        if (i < line.size()) ++i;  // the closing quote
      } else {
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ') ++i;
        t.value = std::string(line.substr(start, i - start));
      }
    }
    t.end = i;
    tokens.push_back(std::move(t));
  }
  return tokens;
}

// `event_id` -> `EVENT_ID`; nullopt when no valid journal field name can be made of it.
std::optional<std::string> field_name(std::string_view key) {
  std::string name;
  for (char c : key) {
    if (c >= 'a' && c <= 'z')
      name += static_cast<char>(c - 'a' + 'A');
    else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
      name += c;
    else
      name += '_';
  }
  while (!name.empty() && name.front() == '_') name.erase(0, 1);  // _FIELDS are systemd's
  if (name.empty()) return std::nullopt;
  if ((name.front() >= '0' && name.front() <= '9') ||
      std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved))
    name = "HERALD_" + name;
  if (name.size() > 64) return std::nullopt;
  return name;
}

bool is_personal(std::string_view key) {
  return std::find(std::begin(kPersonal), std::end(kPersonal), key) != std::end(kPersonal);
}

}  // namespace

std::vector<std::string> journal_fields(std::string_view module, spdlog::level::level_enum level,
                                        std::string_view message) {
  const auto tokens = tokenize(message);
  std::string text = "module=" + std::string(module);
  std::vector<std::string> fields;
  for (const auto& t : tokens) {
    if (t.has_value && is_personal(t.key)) continue;
    text += ' ';
    text += message.substr(t.begin, t.end - t.begin);
    if (!t.has_value || t.key == "msg") continue;
    if (auto name = field_name(t.key)) fields.push_back(*name + "=" + t.value);
  }
  std::vector<std::string> out;
  out.reserve(fields.size() + 4);
  out.push_back("MESSAGE=" + text);
  out.push_back("PRIORITY=" + std::to_string(priority(level)));
  out.push_back("SYSLOG_IDENTIFIER=herald");
  out.push_back("MODULE=" + std::string(module));
  for (auto& f : fields) out.push_back(std::move(f));
  return out;
}

bool is_journal_stream(const char* journal_stream, int fd) {
  if (!journal_stream) return false;
  std::string_view text(journal_stream);
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long device = 0, inode = 0;
  auto d = std::from_chars(text.data(), text.data() + colon, device);
  auto n = std::from_chars(text.data() + colon + 1, text.data() + text.size(), inode);
  if (d.ec != std::errc{} || d.ptr != text.data() + colon || n.ec != std::errc{} ||
      n.ptr != text.data() + text.size())
    return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

void JournalSink::sink_it_(const spdlog::details::log_msg& msg) {
  const auto fields =
      journal_fields(std::string_view(msg.logger_name.data(), msg.logger_name.size()), msg.level,
                     std::string_view(msg.payload.data(), msg.payload.size()));
  std::vector<iovec> vectors;
  vectors.reserve(fields.size());
  for (const auto& f : fields) vectors.push_back(iovec{const_cast<char*>(f.data()), f.size()});
  if (sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size())) >= 0) return;
  // No journal to take it: the line goes to stderr, as it would without systemd.
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, formatted.data(), formatted.size());
}

std::vector<spdlog::sink_ptr> log_sinks(std::string_view target) {
  // sd_journal_sendv drops lines silently when journald does not run (it returns 0 on ENOENT),
  // so `journal` without a journal means stderr: a container or CI keeps its log.
  std::error_code ec;
  bool journal =
      (target == "journal" && std::filesystem::exists(kJournalSocket, ec)) ||
      (target == "auto" && is_journal_stream(std::getenv("JOURNAL_STREAM"), STDERR_FILENO));
  if (journal) return {std::make_shared<JournalSink>()};
  return {std::make_shared<spdlog::sinks::stderr_sink_mt>()};
}

}  // namespace herald
