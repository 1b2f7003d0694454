// `herald status CASE_REF [--json]` (service issue, item 6): a case's timeline and its open
// notifications, from Redis.
#include <iostream>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "cli_common.hpp"
#include "herald/core/time_format.hpp"
#include "herald/event/event_parser.hpp"
#include "herald/store/store_inspector.hpp"

namespace herald::cli {
namespace {

namespace asio = boost::asio;

asio::awaitable<Answer<CaseStatus>> status_op(RedisClient* redis, RedisConfig config,
                                              std::string case_ref) {
  StoreInspector inspector(*redis, std::move(config));
  auto status = co_await inspector.case_status(std::move(case_ref));
  Answer<CaseStatus> answer;
  if (status)
    answer.value = std::move(*status);
  else
    answer.error = status.error().message();
  co_return answer;
}

boost::json::value time_or_null(const std::optional<Instant>& t) {
  if (!t) return nullptr;
  return boost::json::string(format_rfc3339(*t));
}

// The timeline's entries as stored; one that is not a JSON object (written by hand?) is shown
// as a note rather than dropped, so the count stays right.
boost::json::object timeline_entry(const std::string& text) {
  boost::system::error_code ec;
  auto json = boost::json::parse(text, ec);
  if (ec || !json.is_object()) return {{"unreadable", true}};
  return std::move(json.as_object());
}

std::string field(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (!v || v->is_null()) return "-";
  if (v->is_string()) return printable(std::string(v->as_string()));
  return boost::json::serialize(*v);
}

boost::json::object status_json(const std::string& case_ref, const CaseStatus& s) {
  boost::json::object out;
  out["case_ref"] = case_ref;
  if (s.latest)
    out["latest"] = boost::json::object{{"event_id", s.latest->event_id},
                                        {"status", s.latest->status},
                                        {"occurred_at", format_rfc3339(s.latest->occurred_at)},
                                        {"final", s.latest->final}};
  else
    out["latest"] = nullptr;
  boost::json::array timeline;
  for (const auto& t : s.timeline) timeline.push_back(timeline_entry(t));
  out["timeline"] = std::move(timeline);
  boost::json::array open;
  for (const auto& n : s.open)
    open.push_back(boost::json::object{
        {"notification_id", n.id},
        {"event_id", n.event_id},
        {"status", n.status},
        {"channel", n.channel},
        {"state", n.state},
        {"attempt", n.attempt},
        {"retries", n.retries},
        {"why", n.why.empty() ? boost::json::value(nullptr) : boost::json::value(n.why)},
        {"due", time_or_null(n.due)},
        {"sent_at", time_or_null(n.sent_at)}});
  out["open"] = std::move(open);
  return out;
}

void print_status(std::ostream& out, const std::string& case_ref, const CaseStatus& s) {
  out << "case " << printable(case_ref);
  if (s.latest)
    out << ": latest status " << printable(s.latest->status) << " (event "
        << printable(s.latest->event_id) << ", occurred " << format_rfc3339(s.latest->occurred_at)
        << ")" << (s.latest->final ? ", final: nothing more is sent" : "");
  out << "\n\ntimeline, oldest first (" << s.timeline.size() << "):\n";
  std::vector<std::vector<std::string>> rows{
      {"AT", "EVENT_ID", "STATUS", "CHANNEL", "ATTEMPT", "WHAT", "DETAIL"}};
  for (const auto& text : s.timeline) {
    auto o = timeline_entry(text);
    if (o.contains("receipt")) {
      // A receipt names the notification (`<event id>:<channel>`), not the event.
      rows.push_back({field(o, "at"), field(o, "notification_id"), "-", field(o, "channel"),
                      field(o, "attempt"), "receipt " + field(o, "receipt"), "-"});
      continue;
    }
    std::string detail = field(o, "reason");
    if (auto gw = field(o, "gateway_message_id"); gw != "-")
      detail = detail == "-" ? "gateway id " + gw : detail + "; gateway id " + gw;
    rows.push_back({field(o, "at"), field(o, "event_id"), field(o, "status"), field(o, "channel"),
                    field(o, "attempt"), field(o, "result"), detail});
  }
  print_table(out, rows);
  out << "\nopen notifications (" << s.open.size() << "):\n";
  rows = {{"NOTIFICATION", "STATE", "CHANNEL", "ATTEMPT", "DUE", "WHY"}};
  for (const auto& n : s.open) {
    std::string due = n.due ? format_rfc3339(*n.due) : "-";
    if (n.due && n.state == "sending") due += " (lease ends)";
    if (!n.due && n.sent_at) due = "sent " + format_rfc3339(*n.sent_at) + ", awaiting receipt";
    rows.push_back({printable(n.id), printable(n.state), printable(n.channel),
                    std::to_string(n.attempt), due, n.why.empty() ? "-" : printable(n.why)});
  }
  print_table(out, rows);
}

}  // namespace

int cmd_status(int argc, char** argv) {
  std::string config_path, case_ref;
  bool help = false, json = false;
  auto options = common_options(
      "herald status CASE_REF [--config FILE] [--json]\n\n"
      "Shows what herald holds about a case: its latest status, its timeline (decisions, sends,\n"
      "receipts and outcomes, oldest first) and its notifications not finished yet, with their\n"
      "state, channel, attempt and next due time (UTC). Prints no name, address or number.\n"
      "Exit 0 when the case is known, 2 when herald holds nothing about it (never seen, or\n"
      "past retention.days), 1 when Redis fails. A CASE_REF that starts with '-' goes after\n"
      "'--': herald status -- -ABC.\n\nOptions",
      config_path, help);
  options.add_options()("json", po::bool_switch(&json), "print a JSON document")(
      "case", po::value(&case_ref), "the case reference");
  po::positional_options_description positional;
  positional.add("case", 1);
  parse(argc, argv, options, positional);
  if (help) return std::cout << options << '\n', kOk;
  if (case_ref.empty()) throw UsageError("missing CASE_REF");
  // Only what an event may carry: the reference becomes part of Redis keys (`X:n` would read
  // another of the case's keys).
  if (!is_valid_case_ref(case_ref))
    throw UsageError("CASE_REF must be 1-64 characters of A-Z, a-z, 0-9, /, _ and -, as in events");
  auto config = load_for_redis(config_path);
  if (!config) return kBadInput;
  auto answer = with_redis<CaseStatus>(
      *config, [&](RedisClient* r) { return status_op(r, config->redis, case_ref); });
  if (!answer.value) {
    std::cerr << "herald: cannot read the case from Redis at " << answer.error << '\n';
    return kRuntimeFailure;
  }
  if (!answer.value->found()) {
    std::cerr << "herald: case not found: herald holds nothing about it (never seen, or older "
                 "than retention.days)\n";
    return kBadInput;
  }
  if (json)
    std::cout << boost::json::serialize(status_json(case_ref, *answer.value)) << '\n';
  else
    print_status(std::cout, case_ref, *answer.value);
  return kOk;
}

}  // namespace herald::cli
