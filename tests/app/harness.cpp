#include "harness.hpp"

#include <stdexcept>

#include <date/date.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace herald::test {

using namespace std::chrono;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

Instant london(int hour, int minute, int day) {
  auto d = date::sys_days{date::year{2026} / 11 / day};
  return Instant{duration_cast<milliseconds>(d.time_since_epoch() + hours{hour} + minutes{minute})};
}

std::string event_json(const std::string& id, const std::string& status,
                       boost::json::object recipient, boost::json::object data) {
  boost::json::object r{{"name", "KATIE MCNALLY"},      {"title", "Ms"},
                        {"email", "katie@example.org"}, {"phone", "07700 900123"},
                        {"timezone", "Europe/London"},  {"language", "en"}};
  for (auto& [k, v] : recipient) r[k] = v;
  boost::json::object e{{"id", id},         {"case_ref", "GWF012345678"},
                        {"status", status}, {"occurred_at", "2026-11-23T08:00:00Z"},
                        {"recipient", r},   {"data", data}};
  return boost::json::serialize(e);
}

std::string in_case(std::string json, const std::string& ref) {
  return json.replace(json.find("GWF012345678"), 12, ref);
}

Harness::Harness(std::string extra_yaml, bool redis_aof, std::string gateway_options,
                 std::chrono::milliseconds lease, std::string sms_gateway,
                 std::string email_gateway)
    : redis(redis_aof) {
  std::string base_url = http.url("/");
  base_url.pop_back();
  for (std::string* gateway : {&sms_gateway, &email_gateway})
    for (auto at = gateway->find("@HTTP@"); at != std::string::npos; at = gateway->find("@HTTP@"))
      gateway->replace(at, 6, base_url);
  const std::string timeout =
      gateway_options.find("timeout_ms") == std::string::npos ? ", timeout_ms: 2000" : "";
  http.set_handler([](const HttpTestServer::Request&) {
    HttpTestServer::Response response;
    response.status = 202;
    response.body = R"({"id":"gw-1"})";
    return response;
  });
  yaml_ = "redis:\n  url: " + redis.url() +
          "\n  consumer: test-consumer\n  block_ms: 200\n"
          "templates:\n  dir: templates\n"
          "rules:\n"
          "  - { status: case_update, template: case_update, channels: [email, sms] }\n"
          "  - { status: case_closed, template: case_update, channels: [email], final: true }\n"
          "  - { status: office_visit, template: email_needs_office, channels: [email, sms] }\n"
          "gateways:\n"
          "  email: " +
          (email_gateway.empty() ? "{ type: webhook, url: \"" + http.url("/email") + "\"" +
                                       timeout + gateway_options + " }"
                                 : email_gateway) +
          "\n"
          "  sms: " +
          (sms_gateway.empty() ? "{ type: webhook, url: \"" + http.url("/sms") + "\"" + timeout +
                                     gateway_options + " }"
                               : sms_gateway) +
          "\n"
          "schedule:\n  poll_interval_ms: 50\n  lease_ms: " +
          std::to_string(lease.count()) +
          "\n"
          "retry:\n  initial_ms: 50\n  max_ms: 200\n" +
          extra_yaml;
  auto loaded = load_config_from_string(yaml_, "test.yaml", HERALD_TEST_DATA_DIR);
  if (!loaded.config) {
    std::string all;
    for (auto& p : loaded.problems) all += to_string(p) + "\n";
    throw std::runtime_error("test config invalid:\n" + all);
  }
  std::vector<ConfigProblem> problems;
  templates =
      TemplateSet::load(loaded.config->templates.dir, loaded.config->rules, kLanguages, problems);
  if (!problems.empty())
    throw std::runtime_error("test templates invalid: " + to_string(problems[0]));
  config = std::make_shared<const Config>(std::move(*loaded.config));
}

Harness::~Harness() {
  stop();
}

void Harness::start() {
  if (running()) return;
  io_ = std::make_unique<boost::asio::io_context>(1);
  daemon_ = std::make_unique<Daemon>(*io_, config, templates, clock);
  daemon_->drain_timeout = seconds(5);
  boost::asio::co_spawn(*io_, daemon_->run(), [this](std::exception_ptr e, int) {
    io_->stop();
    if (e) std::rethrow_exception(e);
  });
  thread_ = std::thread([this] { io_->run(); });
}

void Harness::stop() {
  if (!running()) return;
  boost::asio::post(*io_, [this] { daemon_->stop(); });
  thread_.join();
  daemon_.reset();
  io_.reset();
}

std::string Harness::publish(const std::string& json) {
  auto reply = redis.command({"XADD", config->redis.stream, "*", "event", json});
  if (reply.is_error()) throw std::runtime_error("XADD refused: " + reply.str);
  return reply.str;
}

std::vector<boost::json::object> Harness::outcomes() {
  std::vector<boost::json::object> out;
  auto reply = redis.command({"XRANGE", config->redis.outcomes_stream, "-", "+"});
  for (const auto& entry : reply.elements)
    for (std::size_t i = 0; i + 1 < entry.elements[1].elements.size(); i += 2)
      if (entry.elements[1].elements[i].str == "outcome")
        out.push_back(boost::json::parse(entry.elements[1].elements[i + 1].str).as_object());
  return out;
}

std::vector<std::vector<std::pair<std::string, std::string>>> Harness::dead_letters() {
  std::vector<std::vector<std::pair<std::string, std::string>>> out;
  auto reply = redis.command({"XRANGE", config->redis.dead_stream, "-", "+"});
  for (const auto& entry : reply.elements) {
    std::vector<std::pair<std::string, std::string>> fields;
    const auto& kv = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
      fields.emplace_back(kv[i].str, kv[i + 1].str);
    out.push_back(std::move(fields));
  }
  return out;
}

bool Harness::wait_for_outcomes(std::size_t n, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (redis.command({"XLEN", config->redis.outcomes_stream}).integer >= static_cast<long long>(n))
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

long long Harness::pending() {
  auto reply = redis.command({"XPENDING", config->redis.stream, config->redis.group});
  return reply.elements.empty() ? 0 : reply.elements[0].integer;
}

long long Harness::scheduled() {
  long long total = 0;
  for (const char* channel : {"email", "sms"})
    total += redis.command({"ZCARD", config->redis.key_prefix + "schedule:" + channel}).integer;
  return total;
}

}  // namespace herald::test
