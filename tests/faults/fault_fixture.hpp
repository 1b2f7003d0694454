#pragma once
// What the fault and hostile-input tests share: herald as a child process (tests/support/process)
// with its config and templates in a temporary directory, a real redis-server, and HTTP gateways
// that record every request and answer as the test says (accept, refuse with 503, or hang).
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "support/http/http_test_client.hpp"
#include "support/http/http_test_server.hpp"
#include "support/process/herald_process.hpp"
#include "support/redis/redis_server.hpp"

namespace herald::test {

/// A TCP port on 127.0.0.1 that was free a moment ago (for herald's metrics.listen: a child
/// process cannot tell the test which port it chose).
unsigned short free_port();

/// Polls `done` every 20 ms until it is true or `timeout` passes; its last answer.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

/// A webhook gateway herald sends to. Records each request (notification id, Idempotency-Key,
/// arrival time) and answers according to its mode. Thread-safe.
class Gateway {
 public:
  enum class Mode {
    accept,       ///< 202 with {"id": "gw-<n>"}
    unavailable,  ///< 503
    hang,         ///< accepts the request and never answers (until the test ends)
  };
  struct Arrival {
    std::string id;               ///< the body's "id": the notification id
    std::string idempotency_key;  ///< the header
    std::chrono::steady_clock::time_point at;
    int status = 0;  ///< what was answered (0 while hanging)
  };

  Gateway();
  std::string url() const { return server_.url("/send"); }
  void set_mode(Mode mode);
  /// Every request answers 503 the first time its notification id is seen when `predicate`
  /// says so, then follows the mode.
  void refuse_first_request_when(std::function<bool(const std::string& id)> predicate);
  /// Each answer waits this long (other requests are served meanwhile).
  void set_delay(std::chrono::milliseconds delay);

  std::vector<Arrival> arrivals() const;
  /// Requests per notification id.
  std::map<std::string, int> counts() const;
  /// Notification ids that got a 2xx.
  std::set<std::string> accepted_ids() const;
  std::size_t request_count() const;
  /// The most requests it had at once, arrived and not yet answered.
  std::size_t max_concurrent_requests() const { return server_.max_concurrent_requests(); }

 private:
  HttpTestServer::Response answer(const HttpTestServer::Request& request);

  mutable std::mutex mutex_;
  Mode mode_ = Mode::accept;
  std::chrono::milliseconds delay_{0};
  std::function<bool(const std::string&)> refuse_first_;
  std::vector<Arrival> arrivals_;
  std::size_t answered_ = 0;
  HttpTestServer server_;  // last: stopped first, while what its handler uses still exists
};

/// What goes into the child's herald.yaml.
struct HeraldSettings {
  std::string consumer = "fault-test";
  std::string email_url;
  std::string sms_url;
  unsigned short metrics_port = 0;  ///< 0: no metrics.listen
  int batch_size = 128;             ///< redis.batch_size
  int email_timeout_ms = 2000;      ///< gateways.email.timeout_ms
  int max_in_flight = 64;           ///< gateways.*.max_in_flight
  int retry_initial_ms = 100;       ///< retry.initial_ms (doubling)
  int retry_max_ms = 1000;          ///< retry.max_ms
  int breaker_cool_down_ms =
      1000;  ///< gateways.*.circuit_breaker.cool_down_ms (5 failures open it)
};

/// herald's config (case_update rule, email and sms webhooks named `email` and `sms`, each with
/// its own circuit breaker) for `redis`, short timings.
std::string herald_yaml(const RedisServer& redis, const HeraldSettings& settings);

/// A directory holding herald.yaml and templates/case_update.yaml, and the command line to run
/// herald with it.
class HeraldHome {
 public:
  HeraldHome(const RedisServer& redis, const HeraldSettings& settings);
  std::vector<std::string> run_args() const;
  const TestDir& dir() const { return dir_; }

 private:
  TestDir dir_;
};

/// A valid event that may be sent at any hour (contact_anytime), on `channels`.
std::string valid_event(const std::string& id,
                        const std::vector<std::string>& channels = {"email", "sms"});

/// XADD event=`json` to herald:events.
void publish(RedisServer& redis, const std::string& json);
/// XADD with these fields, in order.
void publish_fields(RedisServer& redis,
                    const std::vector<std::pair<std::string, std::string>>& fields);

/// Every outcome published so far.
std::vector<boost::json::object> outcomes(RedisServer& redis);
/// Notification ids ("<event id>:<channel>") with a `sent` outcome, and how many each has.
std::map<std::string, int> sent_outcomes(RedisServer& redis);
/// Entries read by the group but not acknowledged.
long long pending(RedisServer& redis);
/// ZCARD of the schedule.
long long scheduled(RedisServer& redis);

/// The value of one series ("herald_redis_reconnects_total",
/// "herald_gateway_requests_total{code=\"503\",gateway=\"webhook\"}") in a /metrics text; 0 when
/// absent.
double metric(const std::string& text, const std::string& series);

/// A NOTIFY_SOCKET (AF_UNIX datagram) that records what herald tells "systemd". A thread reads
/// it all the time, as systemd does: sd_notify blocks when the socket's queue is full.
class NotifySocket {
 public:
  NotifySocket();
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  std::string path() const;
  /// Messages received so far, with their arrival time.
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> messages();

 private:
  TestDir dir_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> received_;
  std::thread reader_;
};

}  // namespace herald::test
