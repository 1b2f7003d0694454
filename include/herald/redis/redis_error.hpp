#pragma once
/// A Redis error reply as an error_code, so that "OOM command not allowed when used memory >
/// 'maxmemory'." reaches the log line that reports the failure instead of a generic text.
#include <string_view>

#include <boost/system/error_code.hpp>

namespace herald {

/// The category of Redis error replies ("redis"): message() is the reply's text.
const boost::system::error_category& redis_error_category();

/// `reply_text` (an error reply's text, as RedisReply::str holds it) as an error_code whose
/// message() is that text's first line, cut to 200 bytes, control bytes made `?`. Redis's own
/// texts name no data; herald's scripts raise none with event data (a Lua error names a variable,
/// not its value), so the text is safe to log. Distinct texts are kept for the life of the
/// process, up to a bound; past it, a text is kept as its first word only (OOM, READONLY, ...).
boost::system::error_code redis_error(std::string_view reply_text);

}  // namespace herald
