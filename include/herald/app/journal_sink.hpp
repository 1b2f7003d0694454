#pragma once
/// Logging to the systemd journal with structured fields (service issue, item 4).
///
/// spdlog's own systemd sink sends MESSAGE, PRIORITY and SYSLOG_IDENTIFIER only; this one also
/// turns herald's `key=value` fields into journal fields (`event_id=...` becomes `EVENT_ID=...`,
/// the logger's name `MODULE=...`), so that `journalctl -u herald EVENT_ID=evt-1` finds every
/// line about one event.
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/common.h>
#include <spdlog/sinks/base_sink.h>

namespace herald {

/// The journal fields ("NAME=value") for one log line of `module` at `level` whose text is
/// `message` (herald's logfmt: `msg=sent event_id=evt-1 ...`): MESSAGE (`module=... ` then the
/// line as written), PRIORITY (syslog numbering), SYSLOG_IDENTIFIER=herald, MODULE, and one
/// upper-cased field per `key=value` with its value unquoted. `msg` stays in MESSAGE only; a
/// key that would shadow a journal field of systemd's own is prefixed `HERALD_`. Personal keys
/// (`case_ref`, `name`, `email`, `phone`, `to`, `body`), which herald never logs, are dropped
/// from the fields and from MESSAGE should one ever be passed: a hash of a case reference would
/// not protect it (the references are few enough to enumerate), so none is sent.
std::vector<std::string> journal_fields(std::string_view module, spdlog::level::level_enum level,
                                        std::string_view message);

/// True when `journal_stream` (the value of $JOURNAL_STREAM, "DEVICE:INODE") names the file
/// `fd` is open on: systemd connected it to the journal.
bool is_journal_stream(const char* journal_stream, int fd);

/// An spdlog sink writing each line to the journal with sd_journal_sendv; a line the journal
/// refuses (no journald) goes to stderr instead, so nothing is lost silently.
class JournalSink : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override {}
};

/// The sinks for `log.target`: `journal` (stderr when journald does not run), `stderr`, or
/// `auto` (the journal when stderr is connected to it, as under systemd; stderr otherwise).
std::vector<spdlog::sink_ptr> log_sinks(std::string_view target);

}  // namespace herald
