#include "herald/app/dispatcher.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "herald/core/logging.hpp"
#include "herald/core/time_format.hpp"

namespace herald {

/// A notification's lease while its send is in progress: queued behind a rate limit or the
/// gateway's max_in_flight, or waiting for a slow provider, a send can outlast the lease it
/// started with, and another sender would take the notification and send it again. The keeper
/// renews it every third of its length; a crashed sender's lease still runs out.
struct LeaseKeeper {
  LeaseKeeper(boost::asio::any_io_executor executor, Instant held)
      : lease(held), timer(executor), idle(executor) {}
  Instant lease;  ///< the lease held now
  /// Renewals asked for whose answer was lost: Redis may have made one, so each may be the
  /// lease in force. Cleared by the next renewal that is answered.
  std::vector<Instant> unconfirmed;
  bool stopped = false;   ///< the send is over
  bool renewing = false;  ///< a renewal is on its way to Redis
  bool held = false;      ///< the check before the request is renewing it: skip a turn
  boost::asio::steady_timer timer;
  boost::asio::steady_timer idle;  ///< cancelled when a renewal comes back
};

/// What the check right before a request (SendCheck) needs, and what it found.
struct SendGuard {
  const Event& event;
  const NotificationRecord& record;
  const ContactConfig& contact;
  Channel channel;
  std::shared_ptr<LeaseKeeper> keeper;
  std::chrono::milliseconds lease_length;
  Instant checked;  ///< when Redis last said the case had not moved on (the lease's start)
  std::optional<PlanDecision> not_now;  ///< found: contact is not permitted any more
  bool settled = false;                 ///< found: suppressed in Redis, or the lease lost
  bool stopping = false;                ///< found: herald is stopping; not sent
};

namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using boost::system::result;
using namespace std::chrono_literals;

// A send that waited this long for its turn asks Redis again whether its case moved on. Less,
// and the check made when the send was decided stands (a round trip per send costs throughput).
constexpr auto kRecheckAfter = 1s;

Outcome outcome_for(const Event& event, Channel channel, OutcomeResult result, Instant at,
                    std::string reason, int attempt = 0) {
  return Outcome{
      event.id, event.case_ref, event.status, channel, result, attempt, at, std::move(reason), {}};
}

Outcome outcome_for(const NotificationRecord& r, OutcomeResult result, Instant at,
                    std::string reason, int attempt) {
  return Outcome{r.event_id, r.case_ref, r.status,          r.channel, result,
                 attempt,    at,         std::move(reason), {}};
}

std::string days_text(int days) {
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

// When the run of transient failures that `now`'s failure belongs to began: `now` when it
// starts one. Gateway trouble is given up on after contact.max_days of it.
Instant failing_since(const NotificationRecord& record, Instant now) {
  return record.retries > 0 && record.failing_since ? *record.failing_since : now;
}
bool failing_too_long(Instant since, Instant now, const ContactConfig& contact) {
  return now - since > std::chrono::days{contact.max_days};
}

std::chrono::milliseconds time_left(const Clock& clock, Instant lease_until) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(lease_until - clock.now());
}

// A finished send must be recorded even if Redis is away for a while (a restart that loads its
// data answers LOADING for seconds; a failover): without the record the lease runs out and the
// message is sent again. So retry while the lease lasts, `lease_left` (less a margin, so that
// no other sender can have taken it by the time an answer comes), then leave it to the lease.
template <class Op>
auto with_retries(std::chrono::milliseconds lease_left, Op op) -> decltype(op()) {
  auto executor = co_await asio::this_coro::executor;
  const auto margin = std::min<std::chrono::milliseconds>(2s, lease_left / 4);
  const auto deadline = std::chrono::steady_clock::now() + lease_left - margin;
  std::chrono::milliseconds delay = 100ms;
  for (;;) {
    auto r = co_await op();
    if (r || std::chrono::steady_clock::now() + delay >= deadline) co_return r;
    asio::steady_timer timer(executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    delay = std::min<std::chrono::milliseconds>(delay * 2, 2s);
  }
}

// The id of a receipt herald cannot place, for the log. An id herald or a provider issued
// (letters, digits and `.` `_` `-` `:`, at least one letter) is logged as it is, so that the
// receipt can be traced; anything else (an address, a number or a name a relay put in the wrong
// field) is withheld.
std::string unplaced_receipt_id(std::string_view id) {
  bool letter = false;
  for (char c : id) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    letter = letter || alpha;
    if (!alpha && !(c >= '0' && c <= '9') && c != '.' && c != '_' && c != '-' && c != ':')
      return "withheld";
  }
  return letter && id.size() <= 128 ? log_value(id) : "withheld";
}

// The channel a replayed notification id (`<event id>:<channel>`) ends with.
std::optional<Channel> replayed_channel(std::string_view notification_id) {
  const auto colon = notification_id.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return channel_from_string(notification_id.substr(colon + 1));
}

// Whether `event` goes out on `channel` by the recipient's choice (not only as a fallback).
bool chosen(const Event& event, const Rule& rule, const SmsConfig& sms, Channel channel) {
  const auto selected = select_channels(event, rule, sms).channels;
  return std::find(selected.begin(), selected.end(), channel) != selected.end();
}

// finish found the lease gone: the notification is another sender's now.
void log_lease_lost(const std::string& id) {
  logger("dispatch")
      ->warn(
          "msg=\"lease lost before the outcome was recorded; another sender has it\" "
          "notification_id={}",
          log_value(id));
}

std::string decision_log(const PlanDecision& d) {
  return std::string(to_string(d.action)) + " at=" + (d.at ? format_rfc3339(*d.at) : "-") +
         " reason=" + log_value(d.reason);
}

}  // namespace

std::string schedule_reason(const PlanDecision& decision) {
  return std::string(to_string(decision.cause));
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
      ++counters_.retries_scheduled;
      break;
  }
}

asio::awaitable<error_code> Dispatcher::refuse(StreamEntry entry, Instant now,
                                               PreparationError error) {
  Outcome outcome{error.event_id,
                  error.case_ref,
                  error.status,
                  std::nullopt,
                  OutcomeResult::invalid,
                  0,
                  now,
                  error.reason,
                  {}};
  auto ec = co_await store_.dead_letter(entry.id, entry.fields, error.reason, outcome, now,
                                        settings_.config->limits.max_event_bytes);
  if (ec) co_return ec;  // not written: the entry stays pending and is read again
  ++counters_.invalid;
  metrics_.event("invalid");
  metrics_.dead_letter();
  logger("dispatch")
      ->warn("msg=\"invalid event dead-lettered\" entry={} event_id={} reason={}",
             log_value(entry.id), log_value(error.event_id), log_value(error.reason));
  co_return error_code{};
}

asio::awaitable<result<std::vector<ReadyToSend>>> Dispatcher::accept(
    std::vector<StreamEntry> entries) {
  auto log = logger("dispatch");
  const auto settings = settings_;  // a reload mid-way must not change the rules under us
  const Config& config = *settings.config;
  const Instant now = clock_.now();

  // What accept() records, and what each notification needs afterwards.
  struct Pending {
    std::shared_ptr<const PreparedEvent> prepared;
    std::vector<PlanDecision> decisions;
  };
  std::vector<NewEvent> events;
  std::vector<Pending> pending;
  for (auto& entry : entries) {
    ++counters_.events;
    const std::string* json = entry.trimmed ? nullptr : entry.field("event");
    if (!json) {
      PreparationError error{entry.trimmed
                                 ? "entry was deleted from the stream before it was handled"
                                 : "entry has no 'event' field"};
      if (auto ec = co_await refuse(entry, now, std::move(error))) co_return ec;
      continue;
    }
    // CONTRACT.md section 3: the limit is on the entry, every field of it, not on `event` alone
    // (a producer's 30 MiB `trace` field beside a small event would be read again and again).
    std::size_t entry_bytes = 0;
    for (const auto& [name, value] : entry.fields) entry_bytes += name.size() + value.size();
    if (entry_bytes > config.limits.max_event_bytes) {
      PreparationError error{"entry is " + std::to_string(entry_bytes) +
                             " bytes with all its fields; the limit is " +
                             std::to_string(config.limits.max_event_bytes)};
      if (json->size() <= config.limits.max_event_bytes) read_event_identifiers(*json, error);
      if (auto ec = co_await refuse(entry, now, std::move(error))) co_return ec;
      continue;
    }
    // `herald dead replay` of a notification dead-lettered on its own (it fell due and could
    // not be sent as configured, or an SMS's fallback email could not be rendered) names it:
    // that notification only is made again, the fallback email included, which the recipient's
    // chosen channels alone would not make.
    const std::string* replayed = entry.field("notification_id");
    std::optional<Channel> only;
    if (replayed) only = replayed_channel(*replayed);
    if (replayed && !only) {
      PreparationError error{"entry's notification_id names no channel"};
      read_event_identifiers(*json, error);
      if (auto ec = co_await refuse(entry, now, std::move(error))) co_return ec;
      continue;
    }
    auto prepared_or_error = prepare_event(*json, config, *settings.templates, zones_, only);
    if (auto* error = std::get_if<PreparationError>(&prepared_or_error)) {
      if (auto ec = co_await refuse(entry, now, *error)) co_return ec;
      continue;
    }
    const Event& arrived = std::get<PreparedEvent>(prepared_or_error).event;
    if (replayed && *replayed != arrived.id + ":" + std::string(to_string(*only))) {
      PreparationError error{"entry's notification_id is not a notification of its event",
                             arrived.id, arrived.case_ref, arrived.status};
      if (auto ec = co_await refuse(entry, now, std::move(error))) co_return ec;
      continue;
    }
    if (auto future = from_the_future(arrived, now)) {
      // (A named local: GCC 12 frees a braced temporary in a co_await's arguments too early.)
      PreparationError error{std::move(*future), arrived.id, arrived.case_ref, arrived.status};
      if (auto ec = co_await refuse(entry, now, std::move(error))) co_return ec;
      continue;
    }
    auto prepared = std::make_shared<const PreparedEvent>(
        std::move(std::get<PreparedEvent>(prepared_or_error)));
    const Event& event = prepared->event;

    NewEvent ne{
        entry.id, event.id, event.case_ref, event.status, event.occurred_at, prepared->rule->final,
        *json,    {}};
    Pending p{prepared, {}};
    for (const Message& message : prepared->messages) {
      auto decision = plan_attempt(now, contact_policy(event, message.channel, config.contact), {});
      if (log->should_log(spdlog::level::debug))  // decision_log formats: only when it is kept
        log->debug("msg=decision event_id={} notification_id={} attempt=1 action={}",
                   log_value(event.id), log_value(message.notification_id), decision_log(decision));
      NewNotification n{message.notification_id, message.channel, false, now, "", std::nullopt};
      n.replayed_fallback =
          replayed && !chosen(event, *prepared->rule, config.sms, message.channel);
      if (decision.action == PlanAction::defer) {
        n.score = *decision.at;
        n.why = schedule_reason(decision);
        n.outcome = outcome_for(event, message.channel, OutcomeResult::deferred, *decision.at,
                                decision.reason, 1);
      } else {
        // Sent now; also a first attempt with no permitted instant at all (give_up), which is
        // leased here and recorded as failed right after.
        n.send_now = true;
        n.score = now + config.schedule.lease;
        n.why = "sending";
      }
      ne.notifications.push_back(std::move(n));
      p.decisions.push_back(std::move(decision));
    }
    events.push_back(std::move(ne));
    pending.push_back(std::move(p));
  }
  if (events.empty()) co_return std::vector<ReadyToSend>{};

  auto accepted = co_await store_.accept(events, now);
  if (!accepted) co_return accepted.error();
  // Counted once recorded, and not again when read again after a crash or a failed write.
  for (const auto& results : *accepted)
    if (std::any_of(results.begin(), results.end(),
                    [](AcceptResult r) { return r != AcceptResult::redelivered; }))
      metrics_.event("accepted");

  std::vector<ReadyToSend> ready;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& prepared = pending[i].prepared;
    const Event& event = prepared->event;
    for (std::size_t j = 0; j < events[i].notifications.size(); ++j) {
      const auto& n = events[i].notifications[j];
      const auto& decision = pending[i].decisions[j];
      switch ((*accepted)[i][j]) {
        case AcceptResult::redelivered:
          log->info(
              "msg=\"redelivered entry, notification already recorded\" event_id={} "
              "notification_id={}",
              log_value(event.id), log_value(n.id));
          break;
        case AcceptResult::duplicate:
        case AcceptResult::stale:
        case AcceptResult::final_case:
          count(n.channel, OutcomeResult::suppressed);
          log->info("msg=suppressed event_id={} notification_id={} why={}", log_value(event.id),
                    log_value(n.id), to_string((*accepted)[i][j]));
          break;
        case AcceptResult::created:
          if (decision.action == PlanAction::defer) {
            count(n.channel, OutcomeResult::deferred);
            log->info("msg=deferred event_id={} notification_id={} due={} why={}",
                      log_value(event.id), log_value(n.id), format_rfc3339(n.score), n.why);
          } else if (decision.action == PlanAction::give_up) {
            count(n.channel, OutcomeResult::failed);
            if (auto ec = co_await finish(
                    n.id, n.score, NotificationState::failed,
                    outcome_for(event, n.channel, OutcomeResult::failed, now, decision.reason, 0)))
              co_return ec;
          } else {
            ready.push_back(ReadyToSend{n.id, n.score, events[i].entry, events[i].event_json,
                                        prepared->messages[j], prepared, settings});
          }
          break;
      }
    }
  }
  co_return ready;
}

void Dispatcher::stop() {
  stopping_ = true;
  if (settings_.gateways)
    for (const auto& [channel, gateway] : *settings_.gateways) gateway->stop();
}

asio::awaitable<error_code> Dispatcher::send(ReadyToSend ready) {
  const Instant now = clock_.now();
  Instant lease = ready.lease_until;
  // Waiting for a free slot may have used up much of the lease: renew it before the request, or
  // it could run out mid-send and another sender take the notification.
  const auto lease_length = ready.settings.config->schedule.lease;
  if (now > lease - lease_length / 2) {
    Instant renewed = now + lease_length;
    auto started = co_await store_.start_send(ready.id, lease, renewed, false, now);
    if (!started) co_return started.error();
    if (started->kind != StartSend::Kind::ok) {
      if (started->kind == StartSend::Kind::suppressed)
        count(started->channel, OutcomeResult::suppressed);
      co_return error_code{};
    }
    lease = renewed;
  }
  const Event& event = ready.prepared->event;
  NotificationRecord record;
  record.id = ready.id;
  record.state = NotificationState::sending;
  record.entry = std::move(ready.entry);
  record.event_json = std::move(ready.event_json);
  record.event_id = event.id;
  record.case_ref = event.case_ref;
  record.status = event.status;
  record.channel = ready.message.channel;
  co_return co_await send_and_record(std::move(ready.settings), std::move(ready.message),
                                     std::move(ready.prepared), std::move(record), lease);
}

asio::awaitable<error_code> Dispatcher::deliver_due(std::string id, Instant lease_until) {
  auto log = logger("scheduler");
  const auto settings = settings_;
  const Config& config = *settings.config;
  const Instant now = clock_.now();
  const Instant lease = now + config.schedule.lease;

  // At the moment of sending: still leased by us, and the case has neither moved on nor
  // finished (else it is suppressed right there, with its outcome).
  auto started = co_await store_.start_send(id, lease_until, lease, true, now);
  if (!started) co_return started.error();
  switch (started->kind) {
    case StartSend::Kind::lost:
      log->debug("msg=\"lease lost to another sender\" notification_id={}", log_value(id));
      co_return error_code{};
    case StartSend::Kind::gone:
      co_return error_code{};
    case StartSend::Kind::suppressed:
      log->info("msg=suppressed notification_id={} reason={}", log_value(id),
                log_value(started->reason));
      count(started->channel, OutcomeResult::suppressed);
      co_return error_code{};
    case StartSend::Kind::ok:
      break;
  }
  NotificationRecord record = std::move(*started->record);

  auto prepared =
      prepare_event(record.event_json, config, *settings.templates, zones_, record.channel);
  if (auto* error = std::get_if<PreparationError>(&prepared)) {
    // Valid when it arrived, not any more (the config or templates changed since): it cannot be
    // sent. Dead-letter it so that it is followed up, not silently dropped.
    count(record.channel, OutcomeResult::invalid);
    metrics_.dead_letter();
    log->warn("msg=\"due notification no longer valid\" notification_id={} reason={}",
              log_value(id), log_value(error->reason));
    Outcome outcome = outcome_for(record, OutcomeResult::invalid, now, error->reason, 0);
    StreamFields fields;
    fields.emplace_back("event", record.event_json);
    fields.emplace_back("notification_id", id);
    auto done = co_await with_retries(time_left(clock_, lease), [&] {
      return store_.dead_letter_due(id, lease, fields, error->reason, outcome,
                                    config.limits.max_event_bytes);
    });
    if (!done) co_return done.error();
    if (!*done) log_lease_lost(id);
    co_return error_code{};
  }
  auto shared = std::make_shared<const PreparedEvent>(std::move(std::get<PreparedEvent>(prepared)));
  const Event& event = shared->event;

  const auto decision =
      plan_attempt(now, contact_policy(event, record.channel, config.contact), record.failed);
  if (log->should_log(spdlog::level::debug))  // decision_log formats: only when it is kept
    log->debug("msg=decision event_id={} notification_id={} attempt={} action={}",
               log_value(event.id), log_value(id), record.attempt, decision_log(decision));
  if (decision.action == PlanAction::defer) {
    // Due, but not permitted now (herald was down, a backlog ran late, the window closed):
    // never out of hours; wait for the next permitted instant.
    auto moved = co_await store_.reschedule(id, lease, *decision.at, schedule_reason(decision),
                                            record.attempt, record.retries, record.failing_since,
                                            std::nullopt, now);
    co_return moved ? error_code{} : moved.error();
  }
  if (decision.action == PlanAction::give_up) {
    count(record.channel, OutcomeResult::failed);
    Outcome outcome = outcome_for(event, record.channel, OutcomeResult::failed, now,
                                  decision.reason, std::max(0, record.attempt - 1));
    co_return co_await end_or_fall_back(settings, std::move(shared), std::move(record), lease,
                                        NotificationState::failed, std::move(outcome));
  }
  Message message = shared->messages.front();
  co_return co_await send_and_record(settings, std::move(message), std::move(shared),
                                     std::move(record), lease);
}

asio::awaitable<error_code> Dispatcher::finish(std::string id, Instant lease_until,
                                               NotificationState state, Outcome outcome) {
  auto done = co_await with_retries(time_left(clock_, lease_until),
                                    [&] { return store_.finish(id, lease_until, state, outcome); });
  if (!done) co_return done.error();
  if (!*done) log_lease_lost(id);
  co_return error_code{};
}

Instant Dispatcher::backoff(const RetryConfig& retry, int retries,
                            std::optional<std::chrono::milliseconds> retry_after, Instant now) {
  double base = static_cast<double>(retry.initial.count()) *
                std::pow(retry.multiplier, std::max(0, retries - 1));
  base = std::min(base, static_cast<double>(retry.max.count()));
  // Jitter between half and the whole delay: senders that failed together must not come back
  // together.
  std::uniform_real_distribution<double> spread(0.5, 1.0);
  auto delay = std::chrono::milliseconds{static_cast<std::int64_t>(base * spread(jitter_))};
  // The provider's Retry-After (or the breaker's cool-down) is the least wait, not the whole: a
  // "0", or a date behind herald's clock, must not make a retry each poll for ever.
  if (retry_after) delay = std::max(delay, *retry_after);
  return now + std::max(delay, std::chrono::milliseconds{1});
}

asio::awaitable<error_code> Dispatcher::send_and_record(
    DispatchSettings settings, Message message, std::shared_ptr<const PreparedEvent> prepared,
    NotificationRecord record, Instant lease_until) {
  auto log = logger("dispatch");
  const Config& config = *settings.config;
  const Event& event = prepared->event;
  auto gateway_it = settings.gateways->find(message.channel);
  if (gateway_it == settings.gateways->end())
    co_return make_error_code(asio::error::operation_not_supported);
  Gateway& gateway = *gateway_it->second;

  // Requests are counted in herald_gateway_requests_total by the gateway layer (ProtectedGateway).
  auto keeper = std::make_shared<LeaseKeeper>(co_await asio::this_coro::executor, lease_until);
  asio::co_spawn(keeper->timer.get_executor(), keep_lease(record.id, keeper, config.schedule.lease),
                 asio::detached);
  // Asked again once the send has its turn, which can take minutes behind a rate limit: the
  // window may have closed meanwhile, or the case moved on.
  SendGuard guard{event,
                  record,
                  config.contact,
                  message.channel,
                  keeper,
                  config.schedule.lease,
                  lease_until - config.schedule.lease};
  const SendCheck check = [this, &guard] { return check_before_request(guard); };
  const SendResult result = co_await gateway.send(message, check);
  keeper->stopped = true;
  keeper->timer.cancel();
  while (keeper->renewing) {  // the outcome must be recorded under the lease Redis has
    keeper->idle.expires_at(asio::steady_timer::time_point::max());
    error_code ignored;
    co_await keeper->idle.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  lease_until = keeper->lease;
  if (!keeper->unconfirmed.empty()) {
    // The last renewal's answer was lost: find out which lease Redis has (renewing it once
    // more), or finish would take a lease made after all for a lost one, and the lease would
    // run out and send the message again.
    const Instant renewed = clock_.now() + config.schedule.lease;
    auto kept = co_await with_retries(time_left(clock_, lease_until), [&] {
      return store_.renew(record.id, lease_until, keeper->unconfirmed, renewed, clock_.now());
    });
    if (kept && *kept) lease_until = renewed;
  }
  const Instant now = clock_.now();
  auto final_outcome = [&](OutcomeResult what, std::string reason) {
    Outcome outcome =
        outcome_for(event, message.channel, what, now, std::move(reason), record.attempt);
    outcome.gateway_message_id = result.gateway_message_id;
    if (message.channel == Channel::sms) outcome.fragments = message.fragments;
    return outcome;
  };

  switch (result.kind) {
    case SendResult::Kind::accepted: {
      count(message.channel, OutcomeResult::sent);
      log->info("msg=sent event_id={} notification_id={} gateway={} status={} attempt={}",
                log_value(event.id), log_value(record.id), gateway.type(), result.http_status,
                record.attempt);
      Outcome outcome = final_outcome(OutcomeResult::sent, "");
      co_return co_await finish(record.id, lease_until, NotificationState::sent,
                                std::move(outcome));
    }
    case SendResult::Kind::permanent: {
      count(message.channel, OutcomeResult::rejected);
      log->warn("msg=rejected event_id={} notification_id={} gateway={} reason={}",
                log_value(event.id), log_value(record.id), gateway.type(),
                log_value(result.reason));
      Outcome outcome = final_outcome(OutcomeResult::rejected, result.reason);
      co_return co_await end_or_fall_back(settings, prepared, record, lease_until,
                                          NotificationState::rejected, std::move(outcome));
    }
    case SendResult::Kind::withheld:
      co_return co_await withhold(guard, settings, prepared, lease_until, now);
    case SendResult::Kind::transient:
      break;
  }

  ++counters_.transient_failures;
  // A gateway hiccup does not use up a contact attempt, but it cannot go on for ever: give up
  // after as many days of it as the contact rules allow attempts, counted from the first failure
  // of this run (not from when the notification was recorded: one deferred for a week must not
  // be given up on at its first 503).
  record.failing_since = failing_since(record, now);
  record.retries += 1;
  if (failing_too_long(*record.failing_since, now, config.contact)) {
    count(message.channel, OutcomeResult::failed);
    log->warn(
        "msg=\"gave up after transient failures\" event_id={} notification_id={} retries={} "
        "reason={}",
        log_value(event.id), log_value(record.id), record.retries, log_value(result.reason));
    Outcome outcome = final_outcome(
        OutcomeResult::failed,
        "gateway kept failing for " + days_text(config.contact.max_days) + ": " + result.reason);
    co_return co_await end_or_fall_back(settings, prepared, record, lease_until,
                                        NotificationState::failed, std::move(outcome));
  }
  // Retry after the backoff, but only when contact is permitted.
  Instant candidate = backoff(config.retry, record.retries, result.retry_after, now);
  auto decision =
      plan_attempt(candidate, contact_policy(event, message.channel, config.contact), {});
  Instant due = decision.at.value_or(candidate);
  log->warn(
      "msg=\"transient gateway failure, retrying\" event_id={} notification_id={} "
      "gateway={} retries={} retry_at={} reason={}",
      log_value(event.id), log_value(record.id), gateway.type(), record.retries,
      format_rfc3339(due), log_value(result.reason));
  auto moved = co_await with_retries(time_left(clock_, lease_until), [&] {
    return store_.reschedule(record.id, lease_until, due, "retry", record.attempt, record.retries,
                             record.failing_since, std::nullopt, now);
  });
  co_return moved ? error_code{} : moved.error();
}

asio::awaitable<std::optional<std::string>> Dispatcher::check_before_request(SendGuard& guard) {
  // A send still waiting for its turn when herald was told to stop is not in flight: starting
  // it now would make a request whose answer may never be recorded (the drain can run out), and
  // the message would go again after the restart.
  if (stopping_) {
    guard.stopping = true;
    co_return std::string("herald is stopping");
  }
  const Instant now = clock_.now();
  auto decision = plan_attempt(now, contact_policy(guard.event, guard.channel, guard.contact),
                               guard.record.failed);
  if (decision.action != PlanAction::send) {
    std::string reason = "contact not permitted any more: " + decision.reason;
    guard.not_now = std::move(decision);
    co_return reason;
  }
  if (now - guard.checked < kRecheckAfter) co_return std::nullopt;

  // Long enough for the case to have moved on: ask Redis, as for a scheduled send, renewing the
  // lease on the way (the keeper sits out meanwhile, so that one lease is in play).
  LeaseKeeper& keeper = *guard.keeper;
  while (keeper.renewing) {
    keeper.idle.expires_at(asio::steady_timer::time_point::max());
    error_code ignored;
    co_await keeper.idle.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  keeper.held = true;
  const Instant renewed = now + guard.lease_length;
  auto started = co_await store_.start_send(guard.record.id, keeper.lease, renewed, false, now);
  keeper.held = false;
  // Redis unreachable: the case was checked when the send was decided; the request goes ahead
  // (its outcome waits for Redis as any other does). Redis may have renewed the lease all the
  // same (it stalled, and ran the call when it woke): that lease may be in force too, as for a
  // renewal whose answer was lost, or the outcome would be refused as "lease lost" and the
  // message sent again when that lease ran out.
  if (!started) {
    keeper.unconfirmed.push_back(renewed);
    co_return std::nullopt;
  }
  switch (started->kind) {
    case StartSend::Kind::ok:
      keeper.lease = renewed;
      keeper.unconfirmed.clear();
      co_return std::nullopt;
    case StartSend::Kind::suppressed:
      count(started->channel, OutcomeResult::suppressed);
      logger("dispatch")
          ->info("msg=suppressed notification_id={} reason={}", log_value(guard.record.id),
                 log_value(started->reason));
      guard.settled = true;
      co_return "suppressed: " + started->reason;
    case StartSend::Kind::lost:
    case StartSend::Kind::gone:
      log_lease_lost(guard.record.id);
      guard.settled = true;
      co_return std::string("lease lost");
  }
  co_return std::nullopt;
}

asio::awaitable<error_code> Dispatcher::withhold(const SendGuard& guard, DispatchSettings settings,
                                                 std::shared_ptr<const PreparedEvent> prepared,
                                                 Instant lease_until, Instant now) {
  const Event& event = guard.event;
  const NotificationRecord& record = guard.record;
  auto log = logger("dispatch");
  if (guard.stopping) {
    // Due again at once, for the next start (or another instance) to send straight away rather
    // than when the lease runs out. No outcome: nothing was decided.
    log->debug("msg=\"not sent: stopping; due again at once\" notification_id={}",
               log_value(record.id));
    auto moved = co_await with_retries(time_left(clock_, lease_until), [&] {
      return store_.reschedule(record.id, lease_until, now, "retry", record.attempt, record.retries,
                               record.failing_since, std::nullopt, now);
    });
    if (!moved) co_return moved.error();
    if (!*moved) log_lease_lost(record.id);
    co_return error_code{};
  }
  if (guard.settled || !guard.not_now) co_return error_code{};  // Redis has its outcome
  const PlanDecision& decision = *guard.not_now;
  if (decision.action == PlanAction::defer) {
    count(guard.channel, OutcomeResult::deferred);
    log->info("msg=deferred event_id={} notification_id={} due={} why={}", log_value(event.id),
              log_value(record.id), format_rfc3339(*decision.at), schedule_reason(decision));
    Outcome outcome = outcome_for(event, guard.channel, OutcomeResult::deferred, *decision.at,
                                  decision.reason, record.attempt);
    auto moved = co_await with_retries(time_left(clock_, lease_until), [&] {
      return store_.reschedule(record.id, lease_until, *decision.at, schedule_reason(decision),
                               record.attempt, record.retries, record.failing_since, outcome, now);
    });
    if (!moved) co_return moved.error();
    if (!*moved) log_lease_lost(record.id);
    co_return error_code{};
  }
  count(guard.channel, OutcomeResult::failed);
  Outcome outcome = outcome_for(event, guard.channel, OutcomeResult::failed, now, decision.reason,
                                std::max(0, record.attempt - 1));
  co_return co_await end_or_fall_back(std::move(settings), std::move(prepared), record, lease_until,
                                      NotificationState::failed, std::move(outcome));
}

asio::awaitable<error_code> Dispatcher::end_or_fall_back(
    DispatchSettings settings, std::shared_ptr<const PreparedEvent> prepared,
    NotificationRecord record, Instant lease_until, NotificationState state, Outcome outcome) {
  std::optional<std::string> unrenderable;
  auto fallback = plan_fallback(settings, *prepared, record, clock_.now(), &unrenderable);
  if (!fallback) {
    if (auto ec = co_await finish(record.id, lease_until, state, std::move(outcome))) co_return ec;
    if (unrenderable) co_return co_await dead_letter_fallback(record, std::move(*unrenderable));
    co_return error_code{};
  }
  // The email it falls back to is recorded with the SMS's end, in one step.
  auto done = co_await with_retries(time_left(clock_, lease_until), [&] {
    return store_.end_with_fallback(record.id, lease_until, state, outcome, fallback->event);
  });
  if (!done) co_return done.error();
  if (!*done) {
    log_lease_lost(record.id);
    co_return error_code{};
  }
  co_return co_await fall_back(std::move(*fallback), **done);
}

asio::awaitable<void> Dispatcher::keep_lease(std::string id, std::shared_ptr<LeaseKeeper> keeper,
                                             std::chrono::milliseconds length) {
  while (!keeper->stopped) {
    keeper->timer.expires_after(length / 3);
    error_code ec;
    co_await keeper->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (keeper->stopped) break;
    if (keeper->held) continue;
    keeper->renewing = true;
    const Instant now = clock_.now();
    const Instant renewed = now + length;
    auto kept = co_await store_.renew(id, keeper->lease, keeper->unconfirmed, renewed, now);
    keeper->renewing = false;
    keeper->idle.cancel();
    if (kept && *kept) {
      keeper->lease = renewed;
      keeper->unconfirmed.clear();
    } else if (kept) {
      logger("dispatch")
          ->warn(
              "msg=\"lease lost while sending; another sender may send it too\" notification_id={}",
              log_value(id));
      break;
    }
    // A Redis error: tried again next time, with two thirds of the lease still left. The
    // renewal may have been made before the answer was lost: the next one must count it as ours.
    if (!kept) keeper->unconfirmed.push_back(renewed);
  }
}

std::optional<Dispatcher::Fallback> Dispatcher::plan_fallback(
    const DispatchSettings& settings, const PreparedEvent& prepared,
    const NotificationRecord& refused, Instant now, std::optional<std::string>* unrenderable) {
  const Event& event = prepared.event;
  auto channel = fallback_channel(event, *prepared.rule, refused.channel);
  if (!channel) return std::nullopt;
  const Config& config = *settings.config;
  auto fallback = prepare_event(refused.event_json, config, *settings.templates, zones_, *channel);
  if (auto* error = std::get_if<PreparationError>(&fallback)) {
    if (unrenderable) *unrenderable = error->reason;
    return std::nullopt;
  }
  auto fb = std::make_shared<const PreparedEvent>(std::move(std::get<PreparedEvent>(fallback)));
  const Message& message = fb->messages.front();
  const auto decision =
      plan_attempt(now, contact_policy(event, message.channel, config.contact), {});
  NewNotification n{
      message.notification_id,     message.channel, decision.action != PlanAction::defer,
      now + config.schedule.lease, "sending",       std::nullopt};
  if (decision.action == PlanAction::defer) {
    n.score = *decision.at;
    n.why = schedule_reason(decision);
    n.outcome = outcome_for(event, message.channel, OutcomeResult::deferred, *decision.at,
                            "falling back to email: " + decision.reason, 1);
  }
  NewEvent ne{refused.entry,      event.id,          event.case_ref,
              event.status,       event.occurred_at, prepared.rule->final,
              refused.event_json, {std::move(n)}};
  return Fallback{std::move(ne), std::move(fb), settings};
}

asio::awaitable<error_code> Dispatcher::dead_letter_fallback(NotificationRecord refused,
                                                             std::string reason) {
  const Instant now = clock_.now();
  const std::string email_id = notification_id(refused.event_id, Channel::email);
  count(Channel::email, OutcomeResult::invalid);
  metrics_.dead_letter();
  logger("dispatch")
      ->warn("msg=\"cannot fall back to email; dead-lettered\" notification_id={} reason={}",
             log_value(email_id), log_value(reason));
  Outcome outcome{refused.event_id,
                  refused.case_ref,
                  refused.status,
                  Channel::email,
                  OutcomeResult::invalid,
                  0,
                  now,
                  reason,
                  {}};
  StreamFields fields{{"event", refused.event_json}, {"notification_id", email_id}};
  co_return co_await store_.dead_letter("", std::move(fields), std::move(reason), outcome, now,
                                        settings_.config->limits.max_event_bytes);
}

asio::awaitable<error_code> Dispatcher::fall_back(Fallback fallback, AcceptResult what) {
  const Event& event = fallback.prepared->event;
  const Message& message = fallback.prepared->messages.front();
  const NewNotification& n = fallback.event.notifications.front();
  // Only a created email is a fallback; otherwise it went out already (redelivered, duplicate)
  // or the case moved on (stale, final: suppressed, with its outcome).
  if (what == AcceptResult::created)
    logger("dispatch")
        ->info("msg=\"SMS falls back to email\" event_id={} notification_id={} due={}",
               log_value(event.id), log_value(n.id), n.send_now ? "now" : format_rfc3339(n.score));
  else
    logger("dispatch")
        ->info("msg=\"no fallback email\" event_id={} notification_id={} why={}",
               log_value(event.id), log_value(n.id), to_string(what));
  if (what == AcceptResult::stale || what == AcceptResult::final_case)
    count(message.channel, OutcomeResult::suppressed);
  if (what != AcceptResult::created) co_return error_code{};
  if (!n.send_now) {
    count(message.channel, OutcomeResult::deferred);
    co_return error_code{};
  }
  // Not sent from here: this is the SMS's send, holding an SMS sending slot, and the email must
  // wait for its own channel's slot and gateway. Due at once in the email schedule, it is
  // claimed there. If Redis cannot be told, its lease brings it back.
  std::vector<std::pair<std::string, Instant>> lease{{n.id, n.score}};
  auto queued = co_await store_.release(std::move(lease), "queued", clock_.now());
  if (!queued)
    logger("dispatch")
        ->warn(
            "msg=\"fallback email stays leased until its lease ends\" notification_id={} "
            "error={}",
            log_value(n.id), log_value(queued.error().message()));
  co_return error_code{};
}

asio::awaitable<result<ReceiptResult>> Dispatcher::receipt(Receipt receipt) {
  auto log = logger("receipts");
  const auto settings = settings_;
  const Config& config = *settings.config;
  const Instant now = clock_.now();
  ++counters_.receipts;

  auto found = co_await store_.receipt_lookup(receipt.id, now);
  if (!found) co_return found.error();
  if (!*found) {
    log->warn("msg=\"receipt for an unknown notification\" id={} status={}",
              unplaced_receipt_id(receipt.id), to_string(receipt.status));
    co_return ReceiptResult::unknown;
  }
  NotificationRecord record = std::move((*found)->record);
  // The attempt the receipt reports on: the one its gateway message id was given for, else the
  // one it names, else (a notification id alone) the attempt under way.
  const std::optional<int> by_gateway_id = (*found)->attempt;
  const int attempt = by_gateway_id.value_or(receipt.attempt.value_or(record.attempt));
  if (attempt > record.attempt) {
    log->warn(
        "msg=\"receipt for an attempt not made\" notification_id={} status={} attempt={} "
        "current={}",
        log_value(record.id), to_string(receipt.status), attempt, record.attempt);
    co_return ReceiptResult::unknown;
  }
  // `delivered` is applied whatever send it is about (below): the customer has the message, and
  // a later attempt waiting for its time, or a resend, must not go out. A send in flight
  // finishes first: the receipt is taken again once it is recorded.
  const bool delivered = receipt.status == ReceiptStatus::delivered;
  if (delivered && record.state == NotificationState::sending) {
    log->info(
        "msg=\"receipt while a send is in flight; to be taken again later\" notification_id={} "
        "status={} attempt={}",
        log_value(record.id), to_string(receipt.status), attempt);
    co_return ReceiptResult::early;
  }
  // A failure for a gateway message id the attempt had before its resend (after a
  // technical-failure): a late or repeated receipt of that earlier send, which must not fail the
  // resend and send one more message. Providers repeat callbacks, and a captured Twilio callback
  // can be replayed.
  if (!delivered && by_gateway_id && attempt == record.attempt &&
      receipt.id != record.gateway_message_id) {
    log->info(
        "msg=\"receipt for an earlier send of the attempt\" notification_id={} status={} "
        "attempt={}",
        log_value(record.id), to_string(receipt.status), attempt);
    co_return ReceiptResult::duplicate;
  }
  // A failure reported before the send under way was due is about an earlier send: a late or
  // repeated receipt of the previous attempt (or of the send a technical failure had sent again)
  // must not fail this one, and send one more message. Only a receipt with its time can tell;
  // without `at` (or `attempt`) it is taken to be about the send under way.
  if (!delivered && attempt == record.attempt && receipt.at && record.send_since &&
      *receipt.at < *record.send_since) {
    log->info(
        "msg=\"receipt older than the send under way\" notification_id={} status={} "
        "attempt={} at={} send_since={}",
        log_value(record.id), to_string(receipt.status), attempt, format_rfc3339(*receipt.at),
        format_rfc3339(*record.send_since));
    co_return ReceiptResult::duplicate;
  }
  // The provider can report on a message before herald has recorded its send: the callback beat
  // the 2xx, or the request timed out on herald's side and waits to be sent again (same attempt,
  // same Idempotency-Key). Such a receipt is for that attempt; it is taken again once the send is
  // recorded, never dropped. A gateway message id is only known once a send was recorded: a
  // receipt naming one is for that recorded send, never early.
  const bool send_unrecorded = record.state == NotificationState::sending ||
                               (record.state == NotificationState::deferred && record.retries > 0);
  if (!delivered && send_unrecorded && attempt == record.attempt && !by_gateway_id) {
    log->info(
        "msg=\"receipt before its send was recorded; to be taken again later\" "
        "notification_id={} status={} state={} attempt={}",
        log_value(record.id), to_string(receipt.status), to_string(record.state), attempt);
    co_return ReceiptResult::early;
  }
  // Deferred, a notification has had a send only when it waits for a later attempt or to be
  // sent again: one that never went out cannot have been delivered.
  const bool was_sent =
      record.state == NotificationState::sent ||
      (record.state == NotificationState::deferred && (record.attempt > 1 || record.retries > 0));
  const bool applies =
      delivered ? was_sent : record.state == NotificationState::sent && attempt == record.attempt;
  if (!applies) {
    log->info(
        "msg=\"receipt already applied or for an earlier attempt\" notification_id={} "
        "status={} state={} attempt={}",
        log_value(record.id), to_string(receipt.status), to_string(record.state), attempt);
    co_return ReceiptResult::duplicate;
  }

  ReceiptAction action;
  action.attempt = record.attempt;
  action.retries = record.retries;
  action.failing_since = record.failing_since;
  action.failed = record.failed;
  action.timeline_json =
      boost::json::serialize(boost::json::object{{"notification_id", record.id},
                                                 {"channel", to_string(record.channel)},
                                                 {"receipt", to_string(receipt.status)},
                                                 {"attempt", attempt},
                                                 {"at", format_rfc3339(now)}});
  std::optional<PreparedEvent> prepared;
  switch (receipt.status) {
    case ReceiptStatus::delivered:
      action.kind = ReceiptAction::Kind::delivered;
      break;
    case ReceiptStatus::permanent_failure:
      action.kind = ReceiptAction::Kind::rejected;
      action.outcome = outcome_for(record, OutcomeResult::rejected, now,
                                   "delivery receipt: permanent-failure", record.attempt);
      break;
    case ReceiptStatus::temporary_failure:
    case ReceiptStatus::technical_failure: {
      auto p =
          prepare_event(record.event_json, config, *settings.templates, zones_, record.channel);
      if (auto* error = std::get_if<PreparationError>(&p)) {
        // The event can no longer be sent as configured: no later attempt is possible.
        action.kind = ReceiptAction::Kind::failed;
        action.outcome = outcome_for(record, OutcomeResult::failed, now,
                                     "cannot try again: " + error->reason, record.attempt);
        break;
      }
      prepared = std::move(std::get<PreparedEvent>(p));
      const auto policy = contact_policy(prepared->event, record.channel, config.contact);
      if (receipt.status == ReceiptStatus::technical_failure) {
        // The provider failed, not the contact: send again, without using up an attempt, and
        // give up as on the gateway's own transient failures (send_and_record).
        action.failing_since = failing_since(record, now);
        if (failing_too_long(*action.failing_since, now, config.contact)) {
          action.kind = ReceiptAction::Kind::failed;
          action.outcome =
              outcome_for(record, OutcomeResult::failed, now,
                          "provider kept failing for " + days_text(config.contact.max_days) +
                              ": delivery receipt: technical-failure",
                          record.attempt);
          break;
        }
        action.kind = ReceiptAction::Kind::resend;
        action.retries = record.retries + 1;
        auto candidate = backoff(config.retry, action.retries, std::nullopt, now);
        action.due = plan_attempt(candidate, policy, {}).at.value_or(candidate);
        break;
      }
      // A failed contact attempt (section 5): the next one after the spacing, or give up.
      action.failed.push_back(record.sent_at.value_or(now));
      std::sort(action.failed.begin(), action.failed.end());
      const auto decision = plan_attempt(now, policy, action.failed);
      log->debug("msg=decision notification_id={} attempt={} action={}", log_value(record.id),
                 record.attempt + 1, decision_log(decision));
      if (decision.action == PlanAction::give_up) {
        action.kind = ReceiptAction::Kind::failed;
        action.outcome =
            outcome_for(record, OutcomeResult::failed, now, decision.reason, record.attempt);
      } else {
        action.kind = ReceiptAction::Kind::next_attempt;
        action.due = decision.at.value_or(now);
        action.attempt = record.attempt + 1;
        action.retries = 0;
        action.failing_since.reset();
        action.outcome = outcome_for(record, OutcomeResult::retry_scheduled, action.due,
                                     "attempt " + std::to_string(record.attempt) +
                                         " failed (temporary-failure); next: " + decision.reason,
                                     record.attempt);
      }
      break;
    }
  }

  // An SMS the network refused for good, or that was given up on, goes out as email, when there
  // is one to send: recorded with the SMS's end, in one step.
  std::optional<Fallback> fallback;
  std::optional<std::string> unrenderable;
  if (action.kind == ReceiptAction::Kind::rejected || action.kind == ReceiptAction::Kind::failed) {
    auto p = prepare_event(record.event_json, config, *settings.templates, zones_, record.channel);
    if (auto* ok = std::get_if<PreparedEvent>(&p))
      fallback = plan_fallback(settings, *ok, record, now, &unrenderable);
    if (fallback) action.fallback = fallback->event;
  }

  auto applied = co_await store_.apply_receipt(record.id, attempt, action, now);
  if (!applied) co_return applied.error();
  if (applied->result == ReceiptApplied::unknown) co_return ReceiptResult::unknown;
  if (applied->result == ReceiptApplied::duplicate) co_return ReceiptResult::duplicate;
  if (applied->result == ReceiptApplied::early) co_return ReceiptResult::early;
  metrics_.receipt(to_string(receipt.status));
  log->info("msg=\"receipt applied\" notification_id={} status={} attempt={}", log_value(record.id),
            to_string(receipt.status), attempt);
  switch (action.kind) {
    case ReceiptAction::Kind::rejected:
      count(record.channel, OutcomeResult::rejected);
      break;
    case ReceiptAction::Kind::failed:
      count(record.channel, OutcomeResult::failed);
      break;
    case ReceiptAction::Kind::next_attempt:
      count(record.channel, OutcomeResult::retry_scheduled);
      break;
    default:
      break;
  }
  if (fallback && applied->fallback) {
    if (auto ec = co_await fall_back(std::move(*fallback), *applied->fallback)) co_return ec;
  }
  if (unrenderable) {
    if (auto ec = co_await dead_letter_fallback(record, std::move(*unrenderable))) co_return ec;
  }
  co_return ReceiptResult::applied;
}

}  // namespace herald
