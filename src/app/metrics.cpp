#include "herald/app/metrics.hpp"
#include "herald/store/schedule_reasons.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "herald/event/receipt.hpp"
#include "herald/store/outcome.hpp"

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.0.0"
#endif

namespace herald {

struct Metrics::Families {
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Family<prometheus::Counter>& notifications;
  prometheus::Family<prometheus::Counter>& gateway_requests;
  prometheus::Family<prometheus::Histogram>& gateway_duration;
  prometheus::Counter& dead_letters;
  prometheus::Counter& redis_reconnects;
  prometheus::Family<prometheus::Counter>& redis_errors;
  prometheus::Family<prometheus::Gauge>& scheduled;
  prometheus::Gauge& in_flight;
  prometheus::Family<prometheus::Counter>& receipts;
  prometheus::Family<prometheus::Counter>& receipts_refused;
  prometheus::Family<prometheus::Gauge>& breaker_state;
  prometheus::Family<prometheus::Counter>& rate_limit_waits;
  prometheus::Family<prometheus::Counter>& sms_fragments;
  // Service issue.
  prometheus::Family<prometheus::Counter>& config_reloads;
  prometheus::Gauge& config_reload_ok;
  prometheus::Gauge& start_time;
  prometheus::Gauge& build_info;
  // The breaker_state series by gateway name, for keep_gateways().
  std::map<std::string, prometheus::Gauge*> breaker_gauges;
  // Names a reload retired (renamed, removed): their breakers are no longer exported.
  std::set<std::string> retired_gateways;
};

namespace {

template <class Builder>
auto& family(Builder builder, prometheus::Registry& registry, const char* name, const char* help) {
  return builder.Name(name).Help(help).Register(registry);
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  families_ = std::make_unique<Families>(Families{
      family(prometheus::BuildCounter(), r, "herald_events_total",
             "Events read from the stream, by result"),
      family(prometheus::BuildCounter(), r, "herald_notifications_total",
             "Decisions about notifications, by channel and result"),
      family(prometheus::BuildCounter(), r, "herald_gateway_requests_total",
             "Requests to gateways, by gateway and HTTP status or failure"),
      family(prometheus::BuildHistogram(), r, "herald_gateway_request_duration_seconds",
             "Duration of gateway requests"),
      family(prometheus::BuildCounter(), r, "herald_dead_letters_total",
             "Entries written to the dead-letter stream")
          .Add({}),
      family(prometheus::BuildCounter(), r, "herald_redis_reconnects_total",
             "Reconnections to Redis after a lost connection")
          .Add({}),
      family(prometheus::BuildCounter(), r, "herald_redis_errors_total",
             "Commands Redis refused with an error (reading or recording events, claiming due "
             "notifications, applying receipts), by its first word"),
      family(prometheus::BuildGauge(), r, "herald_scheduled",
             "Notifications in the schedule, by reason (window, unavailable, next_attempt, "
             "retry, queued, sending)"),
      family(prometheus::BuildGauge(), r, "herald_in_flight",
             "Events and due notifications being handled")
          .Add({}),
      family(prometheus::BuildCounter(), r, "herald_receipts_total",
             "Delivery receipts applied, by status"),
      family(
          prometheus::BuildCounter(), r, "herald_receipts_refused_total",
          "Delivery receipts refused, by why (unknown, duplicate, early, malformed, unauthorized)"),
      family(prometheus::BuildGauge(), r, "herald_gateway_breaker_state",
             "Circuit breaker of each gateway: 0 closed, 1 half-open, 2 open"),
      family(prometheus::BuildCounter(), r, "herald_gateway_rate_limit_waits_total",
             "Requests that waited for the gateway's rate limit"),
      family(prometheus::BuildCounter(), r, "herald_sms_fragments_total",
             "Fragments (billable parts) of the text messages gateways accepted"),
      // Service issue.
      family(prometheus::BuildCounter(), r, "herald_config_reloads_total",
             "Configuration reloads (SIGHUP), by result"),
      family(prometheus::BuildGauge(), r, "herald_config_last_reload_successful",
             "1 when the last reload applied the config file, 0 when it was refused")
          .Add({}),
      // A restart (crash, watchdog kill, deploy) shows as a change of this value.
      family(prometheus::BuildGauge(), r, "herald_start_time_seconds",
             "When this herald process started, in seconds since the Unix epoch")
          .Add({}),
      family(prometheus::BuildGauge(), r, "herald_build_info", "herald's version, as a label")
          .Add({{"version", HERALD_VERSION}}),
  });
  families_->config_reload_ok.Set(1);
  families_->start_time.Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  families_->build_info.Set(1);
  // Every result is exported from the start, so that rate() and increase() see the first one.
  for (const char* result : {"ok", "invalid", "restart_required"})
    families_->config_reloads.Add({{"result", result}});
  for (const char* reason : kScheduleReasons) families_->scheduled.Add({{"reason", reason}});
  for (const char* result : {"accepted", "invalid"}) families_->events.Add({{"result", result}});
  for (const char* error : {"OOM", "READONLY", "MISCONF", "NOPERM", "other"})
    families_->redis_errors.Add({{"error", error}});
  for (Channel channel : {Channel::email, Channel::sms})
    for (OutcomeResult result :
         {OutcomeResult::sent, OutcomeResult::deferred, OutcomeResult::retry_scheduled,
          OutcomeResult::failed, OutcomeResult::rejected, OutcomeResult::suppressed})
      families_->notifications.Add({{"channel", std::string(to_string(channel))},
                                    {"result", std::string(to_string(result))}});
  for (ReceiptStatus status : {ReceiptStatus::delivered, ReceiptStatus::temporary_failure,
                               ReceiptStatus::permanent_failure, ReceiptStatus::technical_failure})
    families_->receipts.Add({{"status", std::string(to_string(status))}});
  for (const char* why : {"unknown", "duplicate", "early", "malformed", "unauthorized"})
    families_->receipts_refused.Add({{"why", why}});
}

Metrics::~Metrics() = default;

void Metrics::event(std::string_view result) {
  families_->events.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::notification(Channel channel, OutcomeResult result) {
  families_->notifications
      .Add({{"channel", std::string(to_string(channel))},
            {"result", std::string(to_string(result))}})
      .Increment();
}

void Metrics::gateway_request(std::string_view gateway, std::string_view code, double seconds) {
  families_->gateway_requests.Add({{"gateway", std::string(gateway)}, {"code", std::string(code)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                0.5,   1,    2.5,   5,    10,  30};
  families_->gateway_duration.Add({{"gateway", std::string(gateway)}}, kBuckets).Observe(seconds);
}

void Metrics::gateway_registered(std::string_view gateway) {
  families_->rate_limit_waits.Add({{"gateway", std::string(gateway)}});
  families_->sms_fragments.Add({{"gateway", std::string(gateway)}});
}

void Metrics::gateway_breaker_state(std::string_view gateway, CircuitBreaker::State state) {
  // A gateway a reload retired still finishes the sends it had in flight, and its breaker may
  // change with them: not exported, it would stay at that state for ever.
  if (families_->retired_gateways.count(std::string(gateway))) return;
  auto& gauge = families_->breaker_state.Add({{"gateway", std::string(gateway)}});
  gauge.Set(static_cast<double>(static_cast<int>(state)));
  families_->breaker_gauges[std::string(gateway)] = &gauge;
}

void Metrics::keep_gateways(const std::set<std::string>& names) {
  auto& gauges = families_->breaker_gauges;
  auto& retired = families_->retired_gateways;
  for (auto it = gauges.begin(); it != gauges.end();) {
    if (names.count(it->first)) {
      ++it;
      continue;
    }
    families_->breaker_state.Remove(it->second);
    retired.insert(it->first);
    it = gauges.erase(it);
  }
  // A name configured again has a new gateway, whose breaker starts closed.
  for (const auto& name : names)
    if (retired.erase(name) && !gauges.count(name))
      gateway_breaker_state(name, CircuitBreaker::State::closed);
}

void Metrics::gateway_rate_limit_wait(std::string_view gateway) {
  families_->rate_limit_waits.Add({{"gateway", std::string(gateway)}}).Increment();
}

void Metrics::sms_fragments(std::string_view gateway, std::size_t fragments) {
  families_->sms_fragments.Add({{"gateway", std::string(gateway)}})
      .Increment(static_cast<double>(fragments));
}

void Metrics::dead_letter() {
  families_->dead_letters.Increment();
}
void Metrics::redis_reconnect() {
  families_->redis_reconnects.Increment();
}
void Metrics::redis_error(std::string_view error) {
  // Redis's error words are few and in capitals; anything else must not make a new series.
  const bool word =
      !error.empty() && error.size() <= 16 &&
      std::all_of(error.begin(), error.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  families_->redis_errors.Add({{"error", word ? std::string(error) : "other"}}).Increment();
}
void Metrics::set_scheduled(std::string_view reason, double count) {
  families_->scheduled.Add({{"reason", std::string(reason)}}).Set(count);
}
void Metrics::receipt(std::string_view status) {
  families_->receipts.Add({{"status", std::string(status)}}).Increment();
}
void Metrics::receipt_refused(std::string_view why) {
  families_->receipts_refused.Add({{"why", std::string(why)}}).Increment();
}
void Metrics::set_in_flight(double count) {
  families_->in_flight.Set(count);
}

void Metrics::config_reload(std::string_view result) {
  families_->config_reloads.Add({{"result", std::string(result)}}).Increment();
  families_->config_reload_ok.Set(result == "ok" ? 1 : 0);
}

std::string Metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace herald
