#include "herald/app/dispatcher.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "herald/app/prepared_event.hpp"
#include "herald/core/logging.hpp"
#include "herald/core/time_format.hpp"
#include "herald/redis/command.hpp"

namespace herald {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using namespace std::chrono_literals;

Outcome outcome_for(const Event& event, Channel channel, OutcomeResult result, Instant at,
                    std::string reason, int attempt = 0) {
  return Outcome{
      event.id, event.case_ref, event.status, channel, result, attempt, at, std::move(reason), {}};
}

// A finished send must be recorded even if Redis blinks: without the record the lease runs out
// and the message is sent again. Retry a few times before leaving it to the lease.
template <class Op>
auto with_retries(Op op) -> decltype(op()) {
  auto executor = co_await asio::this_coro::executor;
  std::chrono::milliseconds delay = 100ms;
  for (int i = 0;; ++i) {
    auto r = co_await op();
    if (r || i == 4) co_return r;
    asio::steady_timer timer(executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    delay *= 3;
  }
}

bool is_final(NotificationState s) {
  return s == NotificationState::sent || s == NotificationState::rejected ||
         s == NotificationState::failed || s == NotificationState::invalid;
}

}  // namespace

EventParserOptions parser_options(const Config& config) {
  EventParserOptions options;
  options.max_event_bytes = config.limits.max_event_bytes;
  options.default_timezone = config.contact.timezone;
  return options;
}

Dispatcher::Dispatcher(const Clock& clock, TimeZones& zones, NotificationStore& store,
                       Metrics& metrics, DispatchSettings settings)
    : clock_(clock),
      zones_(zones),
      store_(store),
      metrics_(metrics),
      settings_(std::move(settings)) {}

void Dispatcher::count(Channel channel, OutcomeResult result) {
  metrics_.notification(channel, result);
  switch (result) {
    case OutcomeResult::sent:
      ++counters_.sent;
      break;
    case OutcomeResult::deferred:
      ++counters_.deferred;
      break;
    case OutcomeResult::rejected:
      ++counters_.rejected;
      break;
    case OutcomeResult::failed:
      ++counters_.failed;
      break;
    case OutcomeResult::suppressed:
      ++counters_.suppressed;
      break;
    case OutcomeResult::invalid:
      ++counters_.invalid;
      break;
    case OutcomeResult::retry_scheduled:
      break;
  }
}

asio::awaitable<error_code> Dispatcher::refuse(const StreamEntry& entry, Instant now,
                                               const PreparationError& error) {
  Outcome outcome{error.event_id,
                  error.case_ref,
                  error.status,
                  std::nullopt,
                  OutcomeResult::invalid,
                  0,
                  now,
                  error.reason,
                  {}};
  auto ec = co_await store_.dead_letter(entry.id, entry.fields, error.reason, outcome);
  if (ec) co_return ec;  // not written: the entry stays pending and is read again
  ++counters_.invalid;
  metrics_.event("invalid");
  metrics_.dead_letter();
  logger("dispatch")
      ->warn("msg=\"invalid event dead-lettered\" entry={} event_id={} reason={}",
             log_value(entry.id), log_value(error.event_id), log_value(error.reason));
  co_return error_code{};
}

asio::awaitable<error_code> Dispatcher::handle_entry(const StreamEntry& entry) {
  auto log = logger("dispatch");
  const auto settings = settings_;  // a reload mid-way must not change the rules under us
  const Config& config = *settings.config;
  const Instant now = clock_.now();
  ++counters_.events;

  const std::string* json = entry.trimmed ? nullptr : entry.field("event");
  if (!json) {
    // A named local, not a temporary inside the co_await: GCC 12 frees the temporary's string
    // while the coroutine still uses it ("free(): invalid pointer" on an entry without `event`).
    PreparationError error{entry.trimmed ? "entry was deleted from the stream before it was handled"
                                         : "entry has no 'event' field"};
    co_return co_await refuse(entry, now, error);
  }

  auto prepared = prepare_event(*json, config, *settings.templates, zones_);
  if (auto* error = std::get_if<PreparationError>(&prepared))
    co_return co_await refuse(entry, now, *error);
  auto& [event, rule, messages] = std::get<PreparedEvent>(prepared);
  metrics_.event("accepted");

  for (const Message& message : messages) {
    const auto policy = contact_policy(event, message.channel, config.contact);
    const auto decision = plan_attempt(now, policy, {});
    NotificationRecord record{message.notification_id,
                              NotificationState::deferred,
                              entry.id,
                              *json,
                              message.channel,
                              1,
                              0,
                              now};
    Instant score = now;
    std::optional<Outcome> outcome;
    switch (decision.action) {
      case PlanAction::send:
        record.state = NotificationState::sending;
        score = now + config.schedule.lease;
        break;
      case PlanAction::defer:
        score = *decision.at;
        outcome = outcome_for(event, message.channel, OutcomeResult::deferred, *decision.at,
                              decision.reason, 1);
        break;
      case PlanAction::give_up:
      case PlanAction::suppress:
        // Not reachable for a first attempt (no failures yet), but an answer is recorded anyway.
        record.state = NotificationState::failed;
        score = now;
        break;
    }
    log->debug("msg=decision event_id={} notification_id={} action={} at={} reason={}",
               log_value(event.id), log_value(message.notification_id), to_string(decision.action),
               decision.at ? format_rfc3339(*decision.at) : "-", log_value(decision.reason));
    if (record.state == NotificationState::failed) {
      // Record it as given up: a leased record finished at once.
      record.state = NotificationState::sending;
      score = now + config.schedule.lease;
    }

    auto begun = co_await store_.begin(record, score, outcome);
    if (!begun) co_return begun.error();
    switch (*begun) {
      case NotificationStore::BeginResult::redelivered:
        // Already in hand from an earlier delivery of this entry (a crash before XACK): the
        // schedule owns it now, nothing to do here.
        log->info(
            "msg=\"redelivered entry, notification already recorded\" event_id={} "
            "notification_id={}",
            log_value(event.id), log_value(message.notification_id));
        continue;
      case NotificationStore::BeginResult::duplicate: {
        count(message.channel, OutcomeResult::suppressed);
        log->info("msg=\"duplicate event id, suppressed\" event_id={} notification_id={}",
                  log_value(event.id), log_value(message.notification_id));
        auto ec = co_await store_.publish(outcome_for(
            event, message.channel, OutcomeResult::suppressed, now,
            "duplicate: notification " + message.notification_id + " was already handled"));
        if (ec) co_return ec;
        continue;
      }
      case NotificationStore::BeginResult::created:
        break;
    }
    if (decision.action == PlanAction::defer) {
      count(message.channel, OutcomeResult::deferred);
      log->info("msg=deferred event_id={} notification_id={} due={}", log_value(event.id),
                log_value(message.notification_id), format_rfc3339(*decision.at));
      continue;
    }
    if (decision.action != PlanAction::send) {
      count(message.channel, OutcomeResult::failed);
      auto done = co_await store_.finish(
          record.id, score, NotificationState::failed,
          outcome_for(event, message.channel, OutcomeResult::failed, now, decision.reason));
      if (!done) co_return done.error();
      continue;
    }
    if (auto ec = co_await send_and_record(settings, message, event, record, score)) co_return ec;
  }
  co_return co_await store_.ack(redis_args(entry.id));
}

asio::awaitable<error_code> Dispatcher::deliver_due(const std::string& id, Instant lease_until) {
  auto log = logger("scheduler");
  const auto settings = settings_;
  const Config& config = *settings.config;
  const Instant now = clock_.now();

  auto loaded = co_await store_.load(id);
  if (!loaded) co_return loaded.error();
  if (!*loaded || is_final((*loaded)->state) || (*loaded)->event_json.empty()) {
    // Finished (or gone) while still in the schedule: tidy up.
    co_return co_await store_.unschedule(id, lease_until);
  }
  NotificationRecord record = std::move(**loaded);

  auto prepared = prepare_event(record.event_json, config, *settings.templates, zones_);
  const Message* message = nullptr;
  if (auto* p = std::get_if<PreparedEvent>(&prepared)) {
    for (const auto& m : p->messages)
      if (m.channel == record.channel) message = &m;
    if (!message)
      prepared = PreparationError{"channel " + std::string(to_string(record.channel)) +
                                      " is no longer allowed by the rule or the recipient",
                                  p->event.id, p->event.case_ref, p->event.status};
  }
  if (auto* error = std::get_if<PreparationError>(&prepared)) {
    // Valid when it arrived, not any more (the config or templates changed since): it cannot be
    // sent. Dead-letter it so that it is followed up, not silently dropped.
    count(record.channel, OutcomeResult::invalid);
    metrics_.dead_letter();
    log->warn("msg=\"due notification no longer valid\" notification_id={} reason={}",
              log_value(id), log_value(error->reason));
    Outcome outcome{error->event_id,
                    error->case_ref,
                    error->status,
                    record.channel,
                    OutcomeResult::invalid,
                    0,
                    now,
                    error->reason,
                    {}};
    StreamFields fields;
    fields.emplace_back("event", record.event_json);
    fields.emplace_back("notification_id", id);
    if (auto ec = co_await store_.dead_letter("", fields, error->reason, outcome)) co_return ec;
    auto done = co_await store_.finish(id, lease_until, NotificationState::invalid, outcome);
    co_return done ? error_code{} : done.error();
  }
  const Event& event = std::get<PreparedEvent>(prepared).event;

  const auto decision =
      plan_attempt(now, contact_policy(event, record.channel, config.contact), {});
  log->debug("msg=decision event_id={} notification_id={} action={} at={} reason={}",
             log_value(event.id), log_value(id), to_string(decision.action),
             decision.at ? format_rfc3339(*decision.at) : "-", log_value(decision.reason));
  if (decision.action == PlanAction::defer) {
    // Due, but the window has closed meanwhile (herald was down, or a backlog ran late): never
    // out of hours; wait for the next window.
    auto moved = co_await store_.reschedule(id, lease_until, *decision.at, record.attempt,
                                            record.retries, std::nullopt);
    co_return moved ? error_code{} : moved.error();
  }
  if (decision.action != PlanAction::send) {
    count(record.channel, OutcomeResult::failed);
    auto done = co_await store_.finish(id, lease_until, NotificationState::failed,
                                       outcome_for(event, record.channel, OutcomeResult::failed,
                                                   now, decision.reason, record.attempt));
    co_return done ? error_code{} : done.error();
  }
  co_return co_await send_and_record(settings, *message, event, std::move(record), lease_until);
}

asio::awaitable<error_code> Dispatcher::finish(std::string id, Instant lease_until,
                                               NotificationState state, Outcome outcome) {
  auto done = co_await with_retries([&] { return store_.finish(id, lease_until, state, outcome); });
  if (!done) co_return done.error();
  if (!*done)
    logger("dispatch")
        ->warn(
            "msg=\"lease lost before the outcome was recorded; another sender has it\" "
            "notification_id={}",
            log_value(id));
  co_return error_code{};
}

Instant Dispatcher::backoff(const RetryConfig& retry, int retries, const SendResult& result,
                            Instant now) {
  std::chrono::milliseconds delay;
  if (result.retry_after) {
    delay = *result.retry_after;
  } else {
    double base = static_cast<double>(retry.initial.count()) *
                  std::pow(retry.multiplier, std::max(0, retries - 1));
    base = std::min(base, static_cast<double>(retry.max.count()));
    // Full jitter between half and the whole delay: senders that failed together must not
    // come back together.
    std::uniform_real_distribution<double> spread(0.5, 1.0);
    delay = std::chrono::milliseconds{static_cast<std::int64_t>(base * spread(jitter_))};
  }
  return now + std::max(delay, std::chrono::milliseconds{1});
}

asio::awaitable<error_code> Dispatcher::send_and_record(const DispatchSettings& settings,
                                                        const Message& message, const Event& event,
                                                        NotificationRecord record,
                                                        Instant lease_until) {
  auto log = logger("dispatch");
  const Config& config = *settings.config;
  auto gateway_it = settings.gateways->find(message.channel);
  if (gateway_it == settings.gateways->end())
    co_return make_error_code(asio::error::operation_not_supported);
  Gateway& gateway = *gateway_it->second;

  const auto started = std::chrono::steady_clock::now();
  const SendResult result = co_await gateway.send(message);
  const Instant now = clock_.now();
  metrics_.gateway_request(
      gateway.type(), result.http_status > 0 ? std::to_string(result.http_status) : "error",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  auto record_final = [&](NotificationState state, OutcomeResult what, std::string reason) {
    Outcome outcome =
        outcome_for(event, message.channel, what, now, std::move(reason), record.attempt);
    outcome.gateway_message_id = result.gateway_message_id;
    return finish(record.id, lease_until, state, std::move(outcome));
  };

  switch (result.kind) {
    case SendResult::Kind::accepted:
      count(message.channel, OutcomeResult::sent);
      log->info("msg=sent event_id={} notification_id={} gateway={} status={} attempt={}",
                log_value(event.id), log_value(record.id), gateway.type(), result.http_status,
                record.attempt);
      co_return co_await record_final(NotificationState::sent, OutcomeResult::sent, "");
    case SendResult::Kind::permanent:
      count(message.channel, OutcomeResult::rejected);
      log->warn("msg=rejected event_id={} notification_id={} gateway={} reason={}",
                log_value(event.id), log_value(record.id), gateway.type(),
                log_value(result.reason));
      co_return co_await record_final(NotificationState::rejected, OutcomeResult::rejected,
                                      result.reason);
    case SendResult::Kind::transient:
      break;
  }

  ++counters_.transient_failures;
  record.retries += 1;
  // A gateway hiccup does not use up a contact attempt, but it cannot go on for ever: give up
  // after as many days as the contact rules allow attempts.
  if (now - record.first_try > std::chrono::days{config.contact.max_days}) {
    count(message.channel, OutcomeResult::failed);
    log->warn(
        "msg=\"gave up after transient failures\" event_id={} notification_id={} retries={} "
        "reason={}",
        log_value(event.id), log_value(record.id), record.retries, log_value(result.reason));
    co_return co_await record_final(NotificationState::failed, OutcomeResult::failed,
                                    "gateway kept failing for " +
                                        std::to_string(config.contact.max_days) +
                                        " days: " + result.reason);
  }
  // Retry after the backoff, but only inside the contact window.
  Instant candidate = backoff(config.retry, record.retries, result, now);
  auto decision =
      plan_attempt(candidate, contact_policy(event, message.channel, config.contact), {});
  Instant due = decision.at.value_or(candidate);
  log->warn(
      "msg=\"transient gateway failure, retrying\" event_id={} notification_id={} "
      "gateway={} retries={} retry_at={} reason={}",
      log_value(event.id), log_value(record.id), gateway.type(), record.retries,
      format_rfc3339(due), log_value(result.reason));
  auto moved = co_await with_retries([&] {
    return store_.reschedule(record.id, lease_until, due, record.attempt, record.retries,
                             std::nullopt);
  });
  co_return moved ? error_code{} : moved.error();
}

}  // namespace herald
