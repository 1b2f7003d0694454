#pragma once
/// The syntax of config values: names, numbers, hosts, URLs, addresses, provider ids. Pure
/// predicates over text, no YAML and no I/O; config_reader and config_gateways judge values
/// with them.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace herald::config_detail {

// Numbers, written in full (no sign-only, no trailing text).
std::optional<long long> to_integer(std::string_view text);
std::optional<double> to_double(std::string_view text);
// "HH:MM" (00:00 to 24:00) as minutes after midnight.
std::optional<std::chrono::minutes> parse_clock_time(std::string_view text);

// Names: a template file name; a status; an HTTP header name (RFC 9110 token); a header whose
// value is a credential by its name; an environment variable name.
bool is_plain_name(std::string_view name);
bool is_status_name(std::string_view name);
bool is_header_name(std::string_view name);
bool is_credential_header(std::string_view name);
bool is_env_name(std::string_view name);

bool has_control_char(std::string_view text, bool allow_tab);
std::string lower(std::string_view text);
std::string trim_space(std::string text);  // spaces, tabs, CR and LF at either end

// Hosts, ports, addresses and URLs.
bool is_host(std::string_view host);
bool is_ipv4(std::string_view host);
bool is_ipv6(std::string_view host);
bool is_port(std::string_view text);
bool is_listen_port(std::string_view text);
bool is_listen_address(std::string_view text);
std::string_view authority_of(std::string_view url);
bool is_loopback_url(std::string_view url);
bool is_http_url(std::string_view url);

// Provider values.
bool is_hex(std::string_view text);
bool is_uuid(std::string_view text);
bool is_twilio_sid(std::string_view text, std::string_view prefix);
bool is_sms_sender(std::string_view text);
bool is_email_address(std::string_view text);
bool is_notify_api_key(std::string_view key);

}  // namespace herald::config_detail
