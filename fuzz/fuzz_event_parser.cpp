// libFuzzer target: the event parser (CONTRACT.md section 3) on arbitrary bytes. It must never
// crash, hang or touch memory it does not own, whatever a producer writes to the stream; and
// its verdict must not depend on anything but the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "herald/core/time_zones.hpp"
#include "herald/event/event_parser.hpp"

namespace {

herald::TimeZones& zones() {
  static herald::TimeZones instance;  // loads tzdata once, as the daemon does at start
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  herald::EventParserOptions options;
  options.max_event_bytes = 8 * 1024;  // small, so that the size limit is reached too
  auto first = herald::parse_event(input, options, zones());
  // The same input parsed again gives the same verdict (no state leaks between events).
  auto second = herald::parse_event(input, options, zones());
  if (first.index() != second.index()) std::abort();
  if (auto* error = std::get_if<herald::EventError>(&first)) {
    if (error->reason.empty()) std::abort();  // a dead letter always says why
    if (error->reason != std::get<herald::EventError>(second).reason) std::abort();
  } else {
    const auto& event = std::get<herald::Event>(first);
    // What the contract promises about a valid event.
    if (event.id.empty() || event.id.size() > 128) std::abort();
    if (!event.recipient.email && !event.recipient.phone) std::abort();
    if (event.recipient.timezone == nullptr) std::abort();
  }
  return 0;
}
