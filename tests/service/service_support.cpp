#include "service_support.hpp"

#include <thread>

namespace herald::test {

const char* const kEmailTemplate = R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}" }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}" }
)";

std::string service_config(const RedisServer& redis, const std::string& gateway,
                           const std::string& extra) {
  return "redis:\n  url: " + redis.url() +
         "\n  consumer: service-test\n  block_ms: 200\n"
         "contact:\n  timezone: Europe/London\n"
         "rules:\n  - { status: case_update, template: case_update, channels: [email] }\n"
         "gateways:\n  email: " +
         gateway + "\n" + extra;
}

std::string contact_anytime_event(const std::string& id, const std::string& status) {
  // Each event of its own case: a newer event of one case supersedes the older ones.
  return R"({"id":")" + id + R"(","case_ref":"GWF9-)" + id + R"(","status":")" + status +
         R"(","occurred_at":"2026-11-23T08:00:00Z",)"
         R"("recipient":{"name":"Siobhan Featherstonehaugh","email":"siobhan.f@example.org",)"
         R"("contact_anytime":true}})";
}

namespace {

// The port= of the first line with msg="`message`".
unsigned short logged_port(const HeraldProcess& herald, const std::string& message) {
  const auto log = herald.log();
  auto at = log.find("msg=\"" + message + "\"");
  if (at == std::string::npos) return 0;
  auto port = log.find(" port=", at);
  auto end = log.find('\n', at);
  if (port == std::string::npos || port > end) return 0;
  return static_cast<unsigned short>(std::stoi(log.substr(port + 6, end - port - 6)));
}

}  // namespace

unsigned short metrics_port(const HeraldProcess& herald) {
  return logged_port(herald, "serving metrics");
}

unsigned short receipts_port(const HeraldProcess& herald) {
  return logged_port(herald, "accepting delivery receipts");
}

std::vector<boost::json::object> outcomes(RedisServer& redis) {
  std::vector<boost::json::object> out;
  auto reply = redis.command({"XRANGE", "herald:outcomes", "-", "+"});
  for (const auto& entry : reply.elements) {
    const auto& fields = entry.elements.at(1).elements;
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
      if (fields[i].str == "outcome")
        out.push_back(boost::json::parse(fields[i + 1].str).as_object());
  }
  return out;
}

CommandResult run_herald(std::vector<std::string> args, std::map<std::string, std::string> env) {
  HeraldProcess process(std::move(args), std::move(env));
  CommandResult result;
  result.exit_code = process.wait_exit(std::chrono::seconds(60)).value_or(-1);
  result.out = process.output();
  result.err = process.log();
  return result;
}

}  // namespace herald::test
