#pragma once
/// What operators read from herald's Redis state (`herald status`, `herald scheduled`): a case's
/// timeline and open notifications, and a summary of the schedule. Read-only; never returns the
/// event a record keeps (names, addresses, numbers).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include "herald/config/config.hpp"
#include "herald/core/clock.hpp"
#include "herald/redis/redis_client.hpp"

namespace herald {

/// A notification of a case that is not finished yet (deferred, being sent, or sent and waiting
/// for a receipt), from its record and the schedule.
struct OpenNotification {
  std::string id;  ///< `<event id>:<channel>`
  std::string event_id;
  std::string status;   ///< the event's status
  std::string channel;  ///< email, sms
  std::string state;    ///< deferred, sending, sent (NotificationState's names)
  int attempt = 1;      ///< contact attempt under way
  int retries = 0;      ///< transient gateway failures of this attempt
  std::string why;      ///< why it is in the schedule ("" when it is not)
  /// Its score in the schedule: when it is due, or, while `sending`, when the lease runs out
  /// (and it is due again if the sender died). nullopt when it is not in the schedule.
  std::optional<Instant> due;
  std::optional<Instant> sent_at;  ///< when the current attempt was accepted by the gateway
};

/// A case as herald holds it.
struct CaseStatus {
  /// The latest event of the case herald took in (nullopt once the case hash has expired, or
  /// when every event of the case was suppressed).
  struct Latest {
    std::string event_id;
    std::string status;
    Instant occurred_at;
    bool final = false;  ///< a rule with `final: true` finished the case
  };
  std::optional<Latest> latest;
  /// The case's timeline, oldest first: outcome documents (CONTRACT.md section 4) and receipts
  /// (`{"notification_id","channel","receipt","attempt","at"}`), as JSON text.
  std::vector<std::string> timeline;
  std::vector<OpenNotification> open;  ///< sorted by id
  /// False when herald holds nothing about the case (never seen, or expired).
  bool found() const { return latest || !timeline.empty() || !open.empty(); }
};

/// What is waiting in the schedule.
/// One channel's schedule.
struct ChannelSchedule {
  std::int64_t total = 0;
  std::int64_t overdue = 0;               ///< items due at or before `now`
  std::optional<Instant> oldest_overdue;  ///< the earliest due time, when it is past
};

struct ScheduleSummary {
  std::int64_t total = 0;
  std::map<std::string, ChannelSchedule> by_channel;  ///< every channel, empty ones too
  std::map<std::string, std::int64_t> by_reason;      ///< from `schedule:why`; zero counts left out
  /// Hours (UTC, each [start, start + 1h)) holding at least one item, earliest first, with how
  /// many items are due in it. Items being sent count at their lease expiry.
  std::vector<std::pair<Instant, std::int64_t>> by_hour;
  std::int64_t overdue = 0;               ///< items due at or before `now`
  std::optional<Instant> oldest_overdue;  ///< the earliest due time, when it is past
  /// Still in herald 0.1.0's single schedule, not in the totals above: moved to the channels'
  /// schedules when herald (0.2.0 or later) next starts.
  std::int64_t unmoved = 0;
};

class StoreInspector {
 public:
  StoreInspector(RedisClient& redis, RedisConfig config);

  /// The case `case_ref`: latest event, timeline, open notifications.
  boost::asio::awaitable<boost::system::result<CaseStatus>> case_status(std::string case_ref);

  /// The schedule at `now`. Costs a few commands per non-empty hour, whatever the number of
  /// items: nothing is loaded but counts (ZCOUNT) and one score per hour.
  boost::asio::awaitable<boost::system::result<ScheduleSummary>> schedule_summary(Instant now);

 private:
  boost::asio::awaitable<boost::system::result<RedisReply>> call(std::vector<std::string> args);

  RedisClient& redis_;
  RedisConfig config_;
};

}  // namespace herald
