#pragma once
// The Lua scripts behind NotificationStore. Each keeps one multi-key change atomic, so that a
// crash of herald or of its connection between "record the outcome" and "change the schedule"
// can never lose, duplicate or half-apply a decision (PITFALLS.md, Redis Streams).
//
// Every script is the common prelude followed by its body. Arguments:
//   KEYS[1] schedule: each channel's is the sorted set `<KEYS[1]>:<channel>`
//   KEYS[2] schedule reasons (hash)   KEYS[3] outcomes stream
//   ARGV[1] key prefix   ARGV[2] now, RFC 3339 (an outcome's `at`)   ARGV[3] now, ms
//   ARGV[4] retention, ms   ARGV[5...] the script's own
// Keys the prelude derives from ARGV[1] share its `{hash tag}`.
#include <string>

namespace herald::store_scripts {

/// Records the notifications of a batch of events, suppresses duplicates, stale events and
/// events of finished cases, cancels what a newer or final status makes obsolete, and XACKs.
const std::string& accept();
/// Claims due notifications of one channel with a lease (their score becomes the lease expiry).
const std::string& claim();
/// Moves entries of herald 0.1.0's single schedule to the schedules of their channels.
const std::string& split_schedule();
/// At the moment of sending: checks the lease and that the case has not moved on or finished;
/// renews the lease and marks the notification `sending`.
const std::string& start_send();
/// Ends a lease with a result: sent (awaiting a receipt), rejected, failed, suppressed, invalid.
const std::string& finish();
/// Extends a lease while its holder is still sending (a request queued behind a rate limit):
/// returns 1, or 0 when the lease was lost.
const std::string& renew();
/// Ends a lease by scheduling the notification again (a transient failure, a closed window).
const std::string& reschedule();
/// Ends leases of sends never started (herald stopping): due again at once.
const std::string& release();
/// Finds a notification by its id or by a gateway message id.
const std::string& receipt_lookup();
/// Applies a delivery receipt to a sent notification, if it is still the attempt it is for.
const std::string& apply_receipt();
/// Writes a dead letter and the `invalid` outcome, and XACKs the entry.
const std::string& dead_letter();
/// A notification that cannot be sent when due: its dead letter, its end and one outcome.
const std::string& dead_letter_due();

}  // namespace herald::store_scripts
