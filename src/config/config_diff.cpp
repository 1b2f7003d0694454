#include "herald/config/config_diff.hpp"

namespace herald {

std::vector<std::string> restart_only_changes(const Config& running, const Config& next) {
  std::vector<std::string> keys;
  auto check = [&](bool differs, const char* key) {
    if (differs) keys.emplace_back(key);
  };
  // The connections, the stream reader and the store are built once, at start, from these.
  const RedisConfig& a = running.redis;
  const RedisConfig& b = next.redis;
  check(a.url != b.url, "redis.url");
  check(a.stream != b.stream, "redis.stream");
  check(a.group != b.group, "redis.group");
  check(a.consumer != b.consumer, "redis.consumer");
  check(a.outcomes_stream != b.outcomes_stream, "redis.outcomes_stream");
  check(a.dead_stream != b.dead_stream, "redis.dead_stream");
  check(a.key_prefix != b.key_prefix, "redis.key_prefix");
  check(a.receipts_stream != b.receipts_stream, "redis.receipts_stream");
  check(a.block != b.block, "redis.block_ms");
  check(a.command_timeout != b.command_timeout, "redis.command_timeout_ms");
  check(a.batch_size != b.batch_size, "redis.batch_size");
  check(a.claim_idle != b.claim_idle, "redis.claim_idle_ms");
  check(a.reconnect_min != b.reconnect_min, "redis.reconnect_min_ms");
  check(a.reconnect_max != b.reconnect_max, "redis.reconnect_max_ms");
  // The listener is bound at start; the semaphore and the schedule loop are sized at start.
  check(running.metrics.listen != next.metrics.listen, "metrics.listen");
  // The receipt endpoint is bound, with its token, at start.
  check(running.callbacks.listen != next.callbacks.listen, "callbacks.listen");
  check(running.callbacks.token != next.callbacks.token, "callbacks.token_env/token_file");
  check(running.limits.max_in_flight != next.limits.max_in_flight, "limits.max_in_flight");
  check(running.schedule.poll_interval != next.schedule.poll_interval, "schedule.poll_interval_ms");
  check(running.schedule.lease != next.schedule.lease, "schedule.lease_ms");
  check(running.schedule.batch_size != next.schedule.batch_size, "schedule.batch_size");
  // The store's scripts and the stream trimming take the retention period at start.
  check(running.retention.days != next.retention.days, "retention.days");
  return keys;
}

}  // namespace herald
