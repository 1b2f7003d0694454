#include "fault_fixture.hpp"

#include <cctype>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace herald::test {

using namespace std::chrono_literals;

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

Gateway::Gateway() {
  server_.set_handler([this](const HttpTestServer::Request& request) { return answer(request); });
}

HttpTestServer::Response Gateway::answer(const HttpTestServer::Request& request) {
  Arrival arrival;
  arrival.at = std::chrono::steady_clock::now();
  boost::system::error_code ec;
  auto body = boost::json::parse(request.body, ec);
  if (!ec && body.is_object())
    if (auto* id = body.as_object().if_contains("id"); id && id->is_string())
      arrival.id = std::string(id->as_string());
  if (auto it = request.headers.find("idempotency-key"); it != request.headers.end())
    arrival.idempotency_key = it->second;

  std::lock_guard lock(mutex_);
  bool seen = false;
  for (const auto& a : arrivals_) seen = seen || a.id == arrival.id;
  HttpTestServer::Response response;
  response.delay = delay_;
  if (refuse_first_ && !seen && refuse_first_(arrival.id)) {
    response.status = 503;
  } else if (mode_ == Mode::unavailable) {
    response.status = 503;
  } else if (mode_ == Mode::hang) {
    response.status = 504;
    response.delay = 10min;  // the test ends long before; stop() cancels the wait
  } else {
    response.status = 202;
    response.body = R"({"id":"gw-)" + std::to_string(++answered_) + R"("})";
  }
  arrival.status = mode_ == Mode::hang ? 0 : response.status;
  arrivals_.push_back(std::move(arrival));
  return response;
}

void Gateway::set_mode(Mode mode) {
  std::lock_guard lock(mutex_);
  mode_ = mode;
}

void Gateway::refuse_first_request_when(std::function<bool(const std::string&)> predicate) {
  std::lock_guard lock(mutex_);
  refuse_first_ = std::move(predicate);
}

void Gateway::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  delay_ = delay;
}

std::vector<Gateway::Arrival> Gateway::arrivals() const {
  std::lock_guard lock(mutex_);
  return arrivals_;
}

std::map<std::string, int> Gateway::counts() const {
  std::map<std::string, int> out;
  for (const auto& a : arrivals()) ++out[a.id];
  return out;
}

std::set<std::string> Gateway::accepted_ids() const {
  std::set<std::string> out;
  for (const auto& a : arrivals())
    if (a.status >= 200 && a.status < 300) out.insert(a.id);
  return out;
}

std::size_t Gateway::request_count() const {
  std::lock_guard lock(mutex_);
  return arrivals_.size();
}

namespace {

const char* kTemplate = R"(email:
  en: { subject: "Your application {{case_ref}}", body: "Dear {{salutation}}, {{status}} at {{data.office}}." }
  cy: { subject: "Eich cais {{case_ref}}", body: "Annwyl {{salutation}}, {{data.office}}." }
sms:
  en: "Application {{case_ref}}: {{status}}. {{data.office}}"
  cy: "Cais {{case_ref}}: {{data.office}}"
)";

}  // namespace

std::string herald_yaml(const RedisServer& redis, const HeraldSettings& s) {
  std::ostringstream y;
  y << "redis:\n  url: " << redis.url() << "\n  consumer: " << s.consumer
    << "\n  block_ms: 200\n  command_timeout_ms: 1000\n  reconnect_min_ms: 50\n"
       "  reconnect_max_ms: 500\n  batch_size: "
    << s.batch_size
    << "\n"
       "contact:\n  timezone: Europe/London\n"
       "templates:\n  dir: templates\n"
       "rules:\n  - { status: case_update, template: case_update, channels: [email, sms] }\n"
       "gateways:\n"
    << "  email: { type: webhook, name: email, url: \"" << s.email_url
    << "\", timeout_ms: " << s.email_timeout_ms << ", max_in_flight: " << s.max_in_flight
    << ", circuit_breaker: { cool_down_ms: " << s.breaker_cool_down_ms << " } }\n"
    << "  sms: { type: webhook, name: sms, url: \"" << s.sms_url
    << "\", timeout_ms: 2000, max_in_flight: " << s.max_in_flight
    << ", circuit_breaker: { cool_down_ms: " << s.breaker_cool_down_ms << " } }\n"
    << "schedule:\n  poll_interval_ms: 50\n  lease_ms: 2000\n"
    << "retry:\n  initial_ms: " << s.retry_initial_ms << "\n  max_ms: " << s.retry_max_ms
    << "\n  multiplier: 2\n";
  if (s.metrics_port) y << "metrics:\n  listen: 127.0.0.1:" << s.metrics_port << "\n";
  return y.str();
}

HeraldHome::HeraldHome(const RedisServer& redis, const HeraldSettings& settings) {
  dir_.write("herald.yaml", herald_yaml(redis, settings));
  dir_.write("templates/case_update.yaml", kTemplate);
}

std::vector<std::string> HeraldHome::run_args() const {
  return {"run", "--config", dir_.path("herald.yaml")};
}

std::string valid_event(const std::string& id, const std::vector<std::string>& channels) {
  std::string case_ref = "CASE-" + id.substr(0, 50);
  for (char& c : case_ref)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '-';
  boost::json::array chosen;
  for (const auto& c : channels) chosen.emplace_back(c);
  boost::json::object recipient{{"name", "Katie McNally"},     {"title", "Ms"},
                                {"email", "k@example.org"},    {"phone", "07700 900123"},
                                {"timezone", "Europe/London"}, {"contact_anytime", true},
                                {"channels", chosen}};
  // Each event of its own case: a newer event of the same case would supersede the older ones.
  boost::json::object event{{"id", id},
                            {"case_ref", case_ref},
                            {"status", "case_update"},
                            {"occurred_at", "2026-11-23T08:00:00Z"},
                            {"recipient", recipient},
                            {"data", {{"office", "London"}}}};
  return boost::json::serialize(event);
}

void publish(RedisServer& redis, const std::string& json) {
  publish_fields(redis, {{"event", json}});
}

void publish_fields(RedisServer& redis,
                    const std::vector<std::pair<std::string, std::string>>& fields) {
  std::vector<std::string> argv = {"XADD", "herald:events", "*"};
  for (const auto& [k, v] : fields) {
    argv.push_back(k);
    argv.push_back(v);
  }
  auto reply = redis.command(argv);
  if (reply.type == RedisReply::Type::error) throw std::runtime_error("XADD: " + reply.str);
}

std::vector<boost::json::object> outcomes(RedisServer& redis) {
  std::vector<boost::json::object> out;
  auto reply = redis.command({"XRANGE", "herald:outcomes", "-", "+"});
  for (const auto& entry : reply.elements) {
    const auto& kv = entry.elements[1].elements;
    for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
      if (kv[i].str == "outcome") out.push_back(boost::json::parse(kv[i + 1].str).as_object());
  }
  return out;
}

std::map<std::string, int> sent_outcomes(RedisServer& redis) {
  std::map<std::string, int> out;
  for (const auto& o : outcomes(redis))
    if (o.at("result") == "sent")
      ++out[std::string(o.at("event_id").as_string()) + ":" +
            std::string(o.at("channel").as_string())];
  return out;
}

long long pending(RedisServer& redis) {
  auto reply = redis.command({"XPENDING", "herald:events", "herald"});
  return reply.elements.empty() ? 0 : reply.elements[0].integer;
}

long long scheduled(RedisServer& redis) {
  long long total = 0;  // each channel's schedule; redis.key_prefix is the default
  for (const char* channel : {"email", "sms"})
    total += redis.command({"ZCARD", std::string("{herald}:schedule:") + channel}).integer;
  return total;
}

double metric(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

NotifySocket::NotifySocket() {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path();
  if (fd_ < 0 || p.size() >= sizeof addr.sun_path) throw std::runtime_error("notify socket");
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("cannot bind the notify socket");
  reader_ = std::thread([this] {
    char buffer[4096];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      for (;;) {
        auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        received_.emplace_back(std::chrono::steady_clock::now(),
                               std::string(buffer, static_cast<std::size_t>(n)));
      }
    }
  });
}

NotifySocket::~NotifySocket() {
  stop_ = true;
  if (reader_.joinable()) reader_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::string NotifySocket::path() const {
  return dir_.path("notify");
}

std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>>
NotifySocket::messages() {
  std::lock_guard lock(mutex_);
  return received_;
}

}  // namespace herald::test
