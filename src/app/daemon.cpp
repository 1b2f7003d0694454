#include "herald/app/daemon.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/app/systemd_notifier.hpp"
#include "herald/core/logging.hpp"
#include "herald/core/repeated_failure.hpp"
#include "herald/redis/command.hpp"
#include "herald/redis/redis_error.hpp"
#include "herald/store/schedule_reasons.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

RedisEndpoint endpoint_of(const Config& config) {
  // check-config's rules have validated the URL already.
  return parse_redis_url(config.redis.url).value_or(RedisEndpoint{});
}

HttpClientOptions http_options(const Config& config) {
  // No connection limit in the client: each gateway bounds its own requests (max_in_flight), and
  // a request held back by a limit inside libcurl would wait there with its timeout running. The
  // idle cache keeps what the HTTP gateways may open at start; after a reload that allows more, a
  // burst's extra connections are closed when it ends.
  HttpClientOptions o;
  std::size_t most = 0;
  for (const auto& [channel, gateway] : config.gateways)
    if (gateway.type != "file") most += gateway.max_in_flight;
  o.max_idle_connections = std::max<std::size_t>(most, 1);
  return o;
}

RedisClientOptions redis_options(const Config& config, const char* name) {
  RedisClientOptions o;
  o.connect_timeout = config.redis.command_timeout;
  o.reconnect_min = config.redis.reconnect_min;
  o.reconnect_max = config.redis.reconnect_max;
  o.name = name;
  return o;
}

// herald's records carry expiries, so a maxmemory-policy that evicts (volatile-*, allkeys-*)
// drops exactly the records that stop a message going out twice. Said once at start; a Redis
// that refuses CONFIG (managed services rename it) is not asked again.
asio::awaitable<void> warn_if_redis_evicts(RedisClient& redis, std::chrono::milliseconds timeout) {
  auto reply = co_await redis.command(redis_args("CONFIG", "GET", "maxmemory-policy"), timeout);
  if (!reply || reply->is_error() || reply->elements.size() != 2) co_return;
  const std::string& policy = reply->elements[1].str;
  if (policy != "noeviction")
    logger("app")->warn(
        "msg=\"Redis may evict herald's records; set maxmemory-policy noeviction\" "
        "maxmemory_policy={}",
        log_value(policy));
}

// A coroutine that throws is a bug: let it end the process (systemd restarts it, nothing is
// acknowledged that was not finished) instead of vanishing silently.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

}  // namespace

Daemon::Daemon(asio::io_context& io, std::shared_ptr<const Config> config,
               std::shared_ptr<const TemplateSet> templates, const Clock& clock)
    : io_(io),
      config_(config),
      clock_(clock),
      reader_(io.get_executor(), endpoint_of(*config), redis_options(*config, "herald-reader")),
      receipts_reader_(io.get_executor(), endpoint_of(*config),
                       redis_options(*config, "herald-receipts")),
      writer_(io.get_executor(), endpoint_of(*config), redis_options(*config, "herald-writer")),
      http_(io.get_executor(), http_options(*config)),
      store_(writer_, config->redis, config->retention),
      source_(reader_, config->redis, config->redis.stream),
      receipts_source_(receipts_reader_, config->redis, config->redis.receipts_stream),
      in_flight_{AsyncSemaphore(io.get_executor(), config->limits.max_in_flight),
                 AsyncSemaphore(io.get_executor(), config->limits.max_in_flight)},
      wake_(io),
      systemd_(std::make_unique<SystemdNotifier>(io.get_executor())),
      stream_retention_(writer_, config->redis, config->retention) {
  auto gateways = std::make_shared<const Gateways>(make_gateways(*config, http_, &metrics_));
  dispatcher_ = std::make_unique<Dispatcher>(
      clock_, zones_, store_, metrics_,
      DispatchSettings{config, std::move(templates), std::move(gateways)});
  for (auto* client : {&reader_, &receipts_reader_, &writer_})
    client->on_reconnect([this] { metrics_.redis_reconnect(); });
  // Bound now, so that a port in use fails the start, not some later moment.
  if (!config->metrics.listen.empty())
    metrics_server_ = std::make_unique<MetricsServer>(io.get_executor(), config->metrics.listen,
                                                      metrics_, [this] { return healthy(); });
  if (!config->callbacks.listen.empty())
    receipts_ = std::make_unique<ReceiptEndpoint>(io.get_executor(), config->callbacks.listen,
                                                  config->callbacks.token, *dispatcher_, metrics_);
}

Daemon::~Daemon() = default;

void Daemon::stop() {
  if (stopping_) return;
  stopping_ = true;
  logger("app")->info("msg=\"stopping: no new work, finishing what is in flight\" in_flight={}",
                      busy_);
  systemd_->stopping();
  if (dispatcher_) dispatcher_->stop();  // sends waiting for their turn are not started
  reader_.close();                       // aborts the blocking XREADGROUPs at once
  receipts_reader_.close();
  if (metrics_server_) metrics_server_->stop();
  if (receipts_) receipts_->stop();
  wake_.expires_at(asio::steady_timer::time_point::min());  // wakes every sleeper, now and later
  for (auto& slots : in_flight_) slots.cancel_all();
}

asio::awaitable<void> Daemon::sleep(std::chrono::milliseconds d) {
  // Every sleep also waits on `wake_`, which stop() makes expire: shutdown is a cancellation,
  // not a flag polled now and then.
  asio::steady_timer timer(io_, d);
  boost::system::error_code ec;
  auto wait = timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  using namespace asio::experimental::awaitable_operators;
  co_await (std::move(wait) || wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec)));
}

asio::awaitable<bool> Daemon::connect_with_retry(RedisClient& client, const char* role) {
  auto delay = config_->redis.reconnect_min;
  bool warned = false;
  while (!stopping_) {
    auto ec = co_await client.connect();
    if (!ec) {
      if (warned) logger("redis")->info("msg=\"connected to Redis\" connection={}", role);
      co_return true;
    }
    if (!warned)
      logger("redis")->error(
          "msg=\"cannot connect to Redis, retrying\" connection={} url={} error={}", role,
          log_value(redacted(endpoint_of(*config_))), log_value(ec.message()));
    warned = true;
    co_await sleep(delay);
    delay = std::min(delay * 2, config_->redis.reconnect_max);
  }
  co_return false;
}

asio::awaitable<bool> Daemon::ensure_group(StreamSource& source) {
  for (auto delay = config_->redis.reconnect_min; !stopping_;) {
    if (!co_await source.ensure_group()) co_return true;
    co_await sleep(delay);
    delay = std::min(delay * 2, config_->redis.reconnect_max);
  }
  co_return false;
}

asio::awaitable<int> Daemon::run() {
  auto log = logger("app");
  wake_.expires_at(asio::steady_timer::time_point::max());
  if (metrics_server_) {
    asio::co_spawn(io_, metrics_server_->run(), rethrow);
    log->info("msg=\"serving metrics\" listen={} port={} max_connections={}",
              log_value(config_->metrics.listen), metrics_server_->port(),
              metrics_server_->max_connections());
  }
  systemd_->status("connecting to Redis");
  if (!co_await connect_with_retry(writer_, "writer") ||
      !co_await connect_with_retry(reader_, "reader") ||
      !co_await connect_with_retry(receipts_reader_, "receipts"))
    co_return 0;
  if (!co_await ensure_group(source_) || !co_await ensure_group(receipts_source_)) co_return 0;
  co_await warn_if_redis_evicts(writer_, config_->redis.command_timeout);
  if (!co_await split_schedule()) co_return 0;
  if (receipts_) {
    asio::co_spawn(io_, receipts_->run(), rethrow);
    log->info("msg=\"accepting delivery receipts\" listen={} port={} max_connections={}",
              log_value(config_->callbacks.listen), receipts_->port(),
              receipts_->max_connections());
  }

  log->info("msg=started stream={} group={} consumer={}", log_value(config_->redis.stream),
            log_value(config_->redis.group), log_value(config_->redis.consumer));
  systemd_->ready();
  systemd_->start_watchdog();
  notify_status();

  using namespace asio::experimental::awaitable_operators;
  co_await (consume() && schedule(Channel::email) && schedule(Channel::sms) && consume_receipts() &&
            report() && trim_streams());

  // Drain: what is in flight finishes and is recorded; what cannot finish in time stays leased
  // and is picked up again after a restart, when the lease runs out.
  auto deadline = std::chrono::steady_clock::now() + drain_timeout;
  while (busy_ > 0 && std::chrono::steady_clock::now() < deadline) {
    asio::steady_timer timer(io_, 20ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (busy_ > 0)
    log->warn("msg=\"drain timed out; unfinished work will be picked up after restart\" left={}",
              busy_);
  const auto& c = counters();
  log->info("msg=stopped events={} sent={} deferred={} invalid={} rejected={} suppressed={}",
            c.events, c.sent, c.deferred, c.invalid, c.rejected, c.suppressed);
  writer_.close();
  co_return 0;
}

asio::awaitable<void> Daemon::consume() {
  auto log = logger("source");
  auto delay = config_->redis.reconnect_min;
  while (!stopping_) {
    auto batch = co_await source_.next_batch();
    if (stopping_) break;
    std::vector<ReadyToSend> ready;
    boost::system::error_code ec;
    if (!batch) {
      ec = batch.error();
    } else if (!batch->empty()) {
      auto accepted = co_await dispatcher_->accept(std::move(*batch));
      if (accepted)
        ready = std::move(*accepted);
      else
        ec = accepted.error();
    }
    if (ec) {
      if (!reading_failing_since_) {
        log->warn("msg=\"cannot take entries from the stream, retrying\" error={}",
                  log_value(ec.message()));
        reading_failing_since_ = std::chrono::steady_clock::now();
      }
      count_redis_error(ec);
      source_.replay_pending();  // what was read but not recorded is read again
      co_await sleep(delay);
      delay = std::min(delay * 2, config_->redis.reconnect_max);
      continue;
    }
    if (std::exchange(reading_failing_since_, std::nullopt))
      log->info("msg=\"reading the stream again\"");
    delay = config_->redis.reconnect_min;
    // Each send holds a unit of its channel. When a channel's are all taken it is busy: while
    // the other channel has notifications in the batch and is not busy, the busy one's go to its
    // schedule, due at once, to be claimed in order as its units free, so that the other's are
    // not held back. Otherwise reading waits for a unit: the stream is queue enough, and a slow
    // gateway slows the reading instead of piling up work in Redis.
    std::array<std::size_t, 2> in_batch{};
    for (const auto& r : ready) ++in_batch[static_cast<std::size_t>(r.message.channel)];
    std::vector<std::pair<std::string, Instant>> unstarted;
    Queued queued;
    for (auto& r : ready) {
      const Channel channel = r.message.channel;
      if (!unstarted.empty() || stopping_) {
        unstarted.emplace_back(r.id, r.lease_until);  // stopping: not started
        continue;
      }
      const auto other =
          static_cast<std::size_t>(channel == Channel::email ? Channel::sms : Channel::email);
      const bool may_queue = in_batch[other] > 0 && !channel_busy_[other];
      if (queues(channel, may_queue)) {
        queued.leases.emplace_back(r.id, r.lease_until);
        ++queued.per_channel[static_cast<std::size_t>(channel)];
        ++queueing_[static_cast<std::size_t>(channel)];
        continue;
      }
      // What was queued goes to the schedules before any wait (for a unit, or for a busy
      // channel's claims to catch up), not after it.
      if (slots(channel).available() == 0 || channel_busy_[static_cast<std::size_t>(channel)])
        co_await queue(std::exchange(queued, {}));
      if (!co_await take_slot(channel)) {
        unstarted.emplace_back(r.id, r.lease_until);  // stopping: not started
        continue;
      }
      ++busy_;
      asio::co_spawn(io_, send(std::move(r)), rethrow);
    }
    co_await queue(std::move(queued));
    co_await release(std::move(unstarted));
  }
}

bool Daemon::queues(Channel channel, bool may_queue) {
  if (!may_queue) return false;
  const auto c = static_cast<std::size_t>(channel);
  // Busy, it queues behind what it queued before, until its claims have caught up with them.
  if (channel_busy_[c]) return true;
  if (slots(channel).available() > 0) return false;
  channel_busy_[c] = true;
  const auto now = std::chrono::steady_clock::now();
  if (!busy_logged_[c] || now - *busy_logged_[c] >= std::chrono::minutes{1}) {
    busy_logged_[c] = now;
    logger("dispatch")
        ->info("msg=\"channel busy: its new notifications wait in its schedule\" channel={}",
               to_string(channel));
  }
  return true;
}

asio::awaitable<bool> Daemon::take_slot(Channel channel) {
  // A busy channel's claims have not yet taken all it queued: wait until they have, so as not
  // to overtake them.
  while (channel_busy_[static_cast<std::size_t>(channel)] && !stopping_)
    co_await sleep(config_->schedule.poll_interval);
  if (stopping_) co_return false;
  co_return co_await slots(channel).acquire();
}

asio::awaitable<void> Daemon::queue(Queued queued) {
  // Due at once in their channel's schedule rather than when their leases run out. If Redis
  // cannot be told, the leases bring them back.
  if (queued.leases.empty()) co_return;
  const std::size_t count = queued.leases.size();
  auto done = co_await store_.release(std::move(queued.leases), "queued", clock_.now());
  for (std::size_t c = 0; c < queueing_.size(); ++c) queueing_[c] -= queued.per_channel[c];
  if (!done)
    logger("dispatch")
        ->warn(
            "msg=\"busy channel: notifications stay leased until their leases end\" count={} "
            "error={}",
            count, log_value(done.error().message()));
}

asio::awaitable<void> Daemon::release(std::vector<std::pair<std::string, Instant>> unstarted) {
  // Due again at once rather than leased until their leases run out: the next start (or another
  // instance) sends them straight away. If Redis cannot be told, the leases bring them back.
  if (unstarted.empty()) co_return;
  const std::size_t count = unstarted.size();
  auto released = co_await store_.release(std::move(unstarted), "retry", clock_.now());
  if (released)
    logger("dispatch")
        ->info("msg=\"stopping: sends not started are due again at once\" count={}", *released);
  else
    logger("dispatch")
        ->warn(
            "msg=\"stopping: sends not started stay leased until their leases end\" count={} "
            "error={}",
            count, log_value(released.error().message()));
}

asio::awaitable<void> Daemon::send(ReadyToSend ready) {
  SemaphoreUnit unit(slots(ready.message.channel));
  const std::string id = ready.id;
  if (auto ec = co_await dispatcher_->send(std::move(ready)))
    logger("dispatch")
        ->warn(
            "msg=\"send not recorded; it is due again when its lease ends\" "
            "notification_id={} error={}",
            log_value(id), log_value(ec.message()));
  --busy_;
}

asio::awaitable<void> Daemon::consume_receipts() {
  auto log = logger("receipts");
  auto delay = config_->redis.reconnect_min;
  RepeatedFailure failures(1min);
  while (!stopping_) {
    auto batch = co_await receipts_source_.next_batch();
    if (stopping_) break;
    boost::system::error_code failed;
    if (!batch) failed = batch.error();
    std::vector<std::string> done;
    if (batch) {
      for (auto& entry : *batch) {
        const std::string* json = entry.trimmed ? nullptr : entry.field("receipt");
        if (!json) {
          metrics_.receipt_refused("malformed");
          log->warn("msg=\"receipt refused: entry has no 'receipt' field\" entry={}",
                    log_value(entry.id));
          done.push_back(entry.id);
          continue;
        }
        auto parsed = parse_receipt(*json);
        if (auto* error = std::get_if<ReceiptError>(&parsed)) {
          metrics_.receipt_refused("malformed");
          log->warn("msg=\"receipt refused: malformed\" entry={} reason={}", log_value(entry.id),
                    log_value(error->reason));
          done.push_back(entry.id);
          continue;
        }
        auto result = co_await dispatcher_->receipt(std::get<Receipt>(std::move(parsed)));
        if (!result) {
          failed = result.error();  // Redis failed: this entry and the rest are read again
          break;
        }
        if (*result == ReceiptResult::unknown) metrics_.receipt_refused("unknown");
        if (*result == ReceiptResult::duplicate) metrics_.receipt_refused("duplicate");
        if (*result == ReceiptResult::early) {
          // Its send is not recorded yet: left pending, it is read again once it has been idle
          // for redis.claim_idle_ms (XAUTOCLAIM, which takes our own idle entries too, and
          // looks again every half of that, so it does not come back at once).
          metrics_.receipt_refused("early");
          log->debug("msg=\"receipt left pending, to be read again\" entry={}",
                     log_value(entry.id));
          continue;
        }
        done.push_back(entry.id);
      }
    }
    if (!done.empty())
      if (auto ec = co_await store_.ack(config_->redis.receipts_stream, std::move(done)))
        failed = ec;
    if (failed) {
      count_redis_error(failed);
      if (failures.failed(std::chrono::steady_clock::now()))
        log->warn(
            "msg=\"cannot apply receipts, retrying; they wait in the stream meanwhile\" "
            "error={} failures={}",
            log_value(failed.message()), failures.count());
      receipts_source_.replay_pending();
      co_await sleep(delay);
      delay = std::min(delay * 2, config_->redis.reconnect_max);
      continue;
    }
    if (const auto n = failures.ended())
      log->info("msg=\"applying receipts again\" failures={}", n);
    delay = config_->redis.reconnect_min;
  }
}

asio::awaitable<bool> Daemon::split_schedule() {
  // herald 0.1.0 kept one schedule for both channels; its entries move, earliest first, in chunks
  // small enough not to hold Redis up. Nothing is claimed before they have all moved.
  auto log = logger("scheduler");
  auto delay = config_->redis.reconnect_min;
  std::int64_t moved = 0, dropped = 0;
  while (!stopping_) {
    auto split = co_await store_.split_schedule(kSplitChunk, clock_.now());
    if (split) {
      moved += split->moved;
      dropped += split->dropped;
      if (split->left > 0) continue;
      if (moved > 0)
        log->info("msg=\"moved the schedule of herald 0.1.0 to one schedule per channel\" count={}",
                  moved);
      if (dropped > 0)
        log->warn(
            "msg=\"dropped entries of the schedule of herald 0.1.0 that are no notifications of "
            "its (no ':email' or ':sms' at the end)\" count={}",
            dropped);
      co_return true;
    }
    count_redis_error(split.error());
    log->warn("msg=\"cannot move the schedule of herald 0.1.0, retrying\" error={}",
              log_value(split.error().message()));
    co_await sleep(delay);
    delay = std::min(delay * 2, config_->redis.reconnect_max);
  }
  co_return false;
}

asio::awaitable<void> Daemon::schedule(Channel channel) {
  const auto& cfg = config_->schedule;
  auto log = logger("scheduler");
  AsyncSemaphore& units = slots(channel);
  while (!stopping_) {
    // Claim no more than there are free units: a claimed notification waiting for a unit would
    // use up its lease doing nothing. So first a unit, waited for in turn with the reader's new
    // notifications (not polled for: the schedule drains as fast as units free).
    if (!co_await units.acquire()) break;  // stopping
    std::size_t held = 1;
    const Instant now = clock_.now();
    const std::size_t room = std::min(cfg.batch_size, held + units.available());
    std::vector<std::string> ids;
    {
      auto claimed = co_await store_.claim_due(channel, now, now + cfg.lease, room);
      if (claimed) {
        ids = std::move(*claimed);
        // Nothing more is due: what the reader queued has been claimed (take_slot()).
        // (and none is still on its way to the schedule).
        const auto c = static_cast<std::size_t>(channel);
        if (ids.size() < room && queueing_[c] == 0) channel_busy_[c] = false;
        if (const auto n = claim_failures_.ended())
          log->info("msg=\"claiming due notifications again\" failures={}", n);
      } else {
        count_redis_error(claimed.error());
        if (claim_failures_.failed(std::chrono::steady_clock::now()))
          log->warn(
              "msg=\"cannot claim due notifications, retrying; those due wait meanwhile\" "
              "error={} failures={}",
              log_value(claimed.error().message()), claim_failures_.count());
      }
    }
    std::vector<std::pair<std::string, Instant>> unstarted;
    for (auto& id : ids) {
      if (held > 0) {
        --held;
      } else if (!unstarted.empty() || !co_await units.acquire()) {
        unstarted.emplace_back(std::move(id), now + cfg.lease);  // stopping: not started
        continue;
      }
      ++busy_;
      asio::co_spawn(io_, deliver(channel, std::move(id), now + cfg.lease), rethrow);
    }
    if (held > 0) units.release();
    co_await release(std::move(unstarted));
    if (ids.size() < room) co_await sleep(cfg.poll_interval);  // nothing more is due now
  }
}

asio::awaitable<void> Daemon::report() {
  while (!stopping_) {
    co_await publish_gauges();
    co_await sleep(std::chrono::seconds{1});
  }
}

bool Daemon::healthy() const {
  const auto now = std::chrono::steady_clock::now();
  const auto refused = [&](const auto& since) { return since && now - *since >= kUnhealthyAfter; };
  return reader_.connected() && writer_.connected() && !refused(reading_failing_since_) &&
         !refused(claim_failures_.since());
}

void Daemon::count_redis_error(const boost::system::error_code& ec) {
  if (ec.category() != redis_error_category()) return;  // not connected: reconnects count it
  const std::string text = ec.message();
  metrics_.redis_error(std::string_view(text).substr(0, text.find(' ')));
}

asio::awaitable<void> Daemon::publish_gauges() {
  if (auto by_reason = co_await store_.scheduled_by_reason()) {
    for (const char* reason : kScheduleReasons) {
      auto it = by_reason->find(reason);
      metrics_.set_scheduled(reason,
                             it == by_reason->end() ? 0.0 : static_cast<double>(it->second));
    }
  }
  metrics_.set_in_flight(static_cast<double>(busy_));
  notify_status();
}

asio::awaitable<void> Daemon::deliver(Channel channel, std::string id, Instant lease_until) {
  SemaphoreUnit unit(slots(channel));
  if (auto ec = co_await dispatcher_->deliver_due(id, lease_until))
    logger("scheduler")
        ->warn(
            "msg=\"due notification not finished; it is due again when its lease ends\" "
            "notification_id={} error={}",
            log_value(id), log_value(ec.message()));
  --busy_;
}

void Daemon::notify_status() {
  const auto& c = counters();
  std::string text =
      fmt::format("events {}, sent {}, deferred {}, invalid {}, receipts {}, in flight {}",
                  c.events, c.sent, c.deferred, c.invalid, c.receipts, busy_);
  if (!reload_refused_.empty())
    text += "; last reload refused (" + reload_refused_ + "), the previous configuration runs";
  systemd_->status(text);
}

// ---- Retention (service issue) ----

asio::awaitable<void> Daemon::trim_streams() {
  // Records, cases and timelines expire by themselves (PEXPIRE in the store's scripts); stream
  // entries cannot, so they are trimmed here. Hourly is enough: an entry outlives the retention
  // period by an hour at most.
  constexpr std::chrono::milliseconds kInterval = 1h, kAfterFailure = 1min;
  auto log = logger("retention");
  while (!stopping_) {
    auto trimmed = co_await stream_retention_.trim(clock_.now());
    if (!trimmed)
      log->warn("msg=\"cannot trim the streams, trying again later\" error={}",
                log_value(trimmed.error().message()));
    else if (trimmed->outcomes > 0 || trimmed->dead_letters > 0)
      log->info("msg=\"trimmed streams past retention\" outcomes={} dead_letters={} days={}",
                trimmed->outcomes, trimmed->dead_letters, config_->retention.days);
    const auto pause = trimmed ? kInterval : kAfterFailure;
    co_await sleep(pause);
  }
}

}  // namespace herald
