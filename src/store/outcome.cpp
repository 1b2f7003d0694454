#include "herald/store/outcome.hpp"

#include <boost/json.hpp>

#include "herald/core/time_format.hpp"

namespace herald {

std::string_view to_string(OutcomeResult result) {
  switch (result) {
    case OutcomeResult::sent:
      return "sent";
    case OutcomeResult::deferred:
      return "deferred";
    case OutcomeResult::retry_scheduled:
      return "retry_scheduled";
    case OutcomeResult::failed:
      return "failed";
    case OutcomeResult::rejected:
      return "rejected";
    case OutcomeResult::suppressed:
      return "suppressed";
    case OutcomeResult::invalid:
      return "invalid";
  }
  return "unknown";
}

std::string outcome_json(const Outcome& o) {
  auto text_or_null = [](const std::string& s) -> boost::json::value {
    if (s.empty()) return nullptr;
    return boost::json::string(s);
  };
  boost::json::object j;
  j.reserve(10);  // every key below: no rehash on the way
  j["event_id"] = text_or_null(o.event_id);
  j["case_ref"] = text_or_null(o.case_ref);
  j["status"] = text_or_null(o.status);
  j["channel"] = o.channel ? boost::json::value(to_string(*o.channel)) : nullptr;
  j["result"] = to_string(o.result);
  j["attempt"] = o.attempt;
  j["at"] = format_rfc3339(o.at);
  j["reason"] = text_or_null(o.reason);
  j["gateway_message_id"] = text_or_null(o.gateway_message_id);
  if (o.fragments) j["fragments"] = *o.fragments;
  return boost::json::serialize(j);
}

}  // namespace herald
