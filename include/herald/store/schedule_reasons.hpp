#pragma once
/// Why a notification is in the schedule: the `why` of its record, counted in
/// `<prefix>schedule:why`, exported as herald_scheduled{reason} and shown by `herald scheduled`.

namespace herald {

inline constexpr const char* kScheduleReasons[] = {
    "window",        ///< outside 09:00-20:00 in the recipient's zone
    "unavailable",   ///< an unavailable period of the recipient
    "next_attempt",  ///< the next contact attempt of the day, or of a later day
    "retry",         ///< a transient gateway failure, or a send herald stopped before it began
    "queued",        ///< its channel's sending slots were all taken when its event came in
    "sending",       ///< leased by a sender
};

}  // namespace herald
