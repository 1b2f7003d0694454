#pragma once
/// The gateway of each channel, built from the config.
#include <map>
#include <memory>
#include <vector>

#include "herald/config/config.hpp"
#include "herald/config/config_loader.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/gateway/gateway_observer.hpp"
#include "herald/http/http_client.hpp"

namespace herald {

using Gateways = std::map<Channel, std::shared_ptr<Gateway>>;

/// Builds the gateway of `config` (webhook, file, govuk_notify, twilio or sendgrid), without
/// protection; throws std::runtime_error when it cannot (an outbox directory that cannot be
/// created). Config validation has already checked type and keys.
std::shared_ptr<Gateway> make_gateway(const GatewayConfig& config, HttpClient& http);

/// What building the gateways would find wrong on this machine, which loading the config cannot
/// see: a file gateway's outbox that cannot be created, as a problem of
/// `gateways.<channel>.directory`, and a SendGrid `event_webhook_key` of the right shape that
/// OpenSSL cannot read as a P-256 key (a point not on the curve). Creates a missing outbox, as the
/// gateway itself would: for `check-config` (run by the unit before each start) and `herald run` to
/// refuse the config (exit 2) rather than fail when the daemon starts.
void check_gateways(const Config& config, std::vector<ConfigProblem>& problems);

/// check_gateways for a config read with problems (those in `problems` so far): the gateways of
/// the channels with no problem of their own, so that `check-config` says every problem at once.
void check_gateways_of(const Config& partial, std::vector<ConfigProblem>& problems);

/// One gateway per configured channel, each behind a ProtectedGateway: gateways with the same
/// name share one GatewayGuard (rate limit and circuit breaker). `observer` (metrics) may be
/// null and must outlive the gateways. On a reload, `previous` are the gateways in use: a guard
/// of theirs whose name, rate limit and breaker settings are unchanged is kept, so that a reload
/// (to change a log level, say) neither closes an open breaker on a provider that is down nor
/// refills the bucket of one that is rate-limiting.
Gateways make_gateways(const Config& config, HttpClient& http, GatewayObserver* observer = nullptr,
                       const Gateways* previous = nullptr);

}  // namespace herald
