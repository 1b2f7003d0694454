#pragma once
// Helpers for the service tests: herald as a child process with a config in a TestDir, a real
// redis-server, and plain HTTP GETs to its metrics port.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "support/http/http_test_client.hpp"
#include "support/process/herald_process.hpp"
#include "support/redis/redis_server.hpp"

namespace herald::test {

/// A template with email in English and Welsh (every test rule sends email only).
extern const char* const kEmailTemplate;

/// A config for `redis` with one rule (`case_update`, email) and `gateway` as the email
/// gateway (a YAML flow map), then `extra` (more sections) appended.
std::string service_config(const RedisServer& redis, const std::string& gateway,
                           const std::string& extra = "");

/// An event that may be sent at any hour (contact_anytime), with personal data in it.
std::string contact_anytime_event(const std::string& id, const std::string& status = "case_update");

/// The port herald logged for /metrics ("msg=\"serving metrics\" ... port=N"); 0 if none yet.
unsigned short metrics_port(const HeraldProcess& herald);
/// The port herald logged for /receipts ("msg=\"accepting delivery receipts\" ... port=N"); 0
/// if none yet.
unsigned short receipts_port(const HeraldProcess& herald);

/// Every outcome JSON published so far.
std::vector<boost::json::object> outcomes(RedisServer& redis);

/// Waits until `condition()` holds; false on timeout.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// Runs `herald ARGS...` to the end (60 s at most): exit code, stdout, stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_herald(std::vector<std::string> args,
                         std::map<std::string, std::string> env = {});

}  // namespace herald::test
