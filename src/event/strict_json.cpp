#include "strict_json.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include "herald/core/utf8.hpp"

namespace herald::event_detail {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxQuoted = 64;

std::string too_deep(std::string_view what, std::size_t max_depth) {
  return std::string(what) + " is nested deeper than " + std::to_string(max_depth) + " levels";
}

// Builds the json::value like json::parser does, and additionally refuses what json::parser lets
// through: a key repeated within one object (json::parser keeps one of them silently, so two
// readers of the same event could disagree on its recipient), NUL inside strings, and nesting
// beyond `max_depth`. Stops at the first such problem with `failure` set.
class StrictHandler {
 public:
  StrictHandler(std::size_t max_depth, std::string_view what)
      : max_depth_(max_depth), what_(what) {}

  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  std::string failure;  ///< why the handler stopped the parse; empty when it did not

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) { return open(true, ec); }
  bool on_object_end(std::size_t n, json::error_code&) {
    frames_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code& ec) { return open(false, ec); }
  bool on_array_end(std::size_t n, json::error_code&) {
    frames_.pop_back();
    stack.push_array(n);
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, nullptr, ec)) return false;
    key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, nullptr, ec)) return false;
    key_.append(s.data(), s.size());
    Frame& frame = frames_.back();
    if (!frame.keys.insert(key_).second) {
      return fail(prefix(frame.path) + "repeated key" + quoted(key_), ec);
    }
    // Keys come from outside: only plain ones are spelled out in a path.
    std::string shown = quoted(key_);
    frame.key = shown.empty() ? "<key>" : shown.substr(2, shown.size() - 3);
    key_.clear();
    stack.push_key(s);
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, "a string", ec)) return false;
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code& ec) {
    if (!no_nul(s, "a string", ec)) return false;
    scalar();
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    scalar();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    scalar();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code&) {
    scalar();
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    scalar();
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    scalar();
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool object;
    std::string path;            // "recipient", "recipient.unavailable[0]"; "" at the top
    std::set<std::string> keys;  // objects: keys seen so far
    std::string key;             // objects: the key of the value being read, as shown in paths
    std::size_t count = 0;       // arrays: elements seen so far
  };

  static std::string prefix(const std::string& path) { return path.empty() ? "" : path + ": "; }

  // Where the next value goes, as a path.
  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& parent = frames_.back();
    if (parent.object) return parent.path.empty() ? parent.key : parent.path + "." + parent.key;
    return parent.path + "[" + std::to_string(parent.count) + "]";
  }

  void scalar() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
  }

  bool open(bool object, json::error_code& ec) {
    if (frames_.size() >= max_depth_) return fail(too_deep(what_, max_depth_), ec);
    std::string path = child_path();
    scalar();
    frames_.push_back(Frame{object, std::move(path)});
    return true;
  }

  // `what` is "a string" for values; nullptr for keys, whose place is the enclosing object.
  bool no_nul(json::string_view s, const char* what, json::error_code& ec) {
    if (std::find(s.begin(), s.end(), '\0') == s.end()) return true;
    std::string where = what ? child_path() : frames_.back().path;
    return fail((where.empty() ? std::string() : where + ": ") + (what ? what : "a key") +
                    " contains a NUL character",
                ec);
  }

  bool fail(std::string reason, json::error_code& ec) {
    failure = std::move(reason);
    ec = json::error::syntax;
    return false;
  }

  std::size_t max_depth_;
  std::string_view what_;
  std::vector<Frame> frames_;
  std::string key_;
};

}  // namespace

std::string quoted(std::string_view value) {
  std::size_t digits = 0;
  for (char c : value) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '/' || c == '_' || c == '.' || c == '-';
    if (!plain) return "";
    if (c >= '0' && c <= '9') ++digits;
  }
  if (value.empty() || value.size() > kMaxQuoted || digits >= 6) return "";
  return " '" + std::string(value) + "'";
}

std::variant<json::value, std::string> parse_strict_json(std::string_view text,
                                                         std::size_t max_depth,
                                                         std::string_view what) {
  const std::string subject(what);
  if (auto bad = invalid_utf8_at(text); bad != std::string_view::npos)
    return subject + " is not valid UTF-8 (at byte " + std::to_string(bad) + ")";
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return subject + " is not valid JSON: it is empty";

  json::parse_options parse_options;
  parse_options.max_depth = max_depth;
  json::basic_parser<StrictHandler> parser(parse_options, max_depth, what);
  json::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  StrictHandler& handler = parser.handler();
  if (!handler.failure.empty()) return handler.failure;
  if (ec == json::error::too_deep) return too_deep(what, max_depth);
  if (ec)
    return subject + " is not valid JSON: " + ec.message() + " (at byte " + std::to_string(used) +
           ")";
  if (used < text.size())
    return subject + " is not valid JSON: unexpected data after the value (at byte " +
           std::to_string(used) + ")";
  return handler.stack.release();
}

}  // namespace herald::event_detail
