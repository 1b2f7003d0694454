#pragma once
/// The gateway of each channel, built from the config.
#include <map>
#include <memory>

#include "herald/config/config.hpp"
#include "herald/gateway/gateway.hpp"
#include "herald/http/http_client.hpp"

namespace herald {

using Gateways = std::map<Channel, std::shared_ptr<Gateway>>;

/// Builds the gateway of `config`; throws std::runtime_error when it cannot (an outbox directory
/// that cannot be created). Config validation has already checked type and keys.
std::shared_ptr<Gateway> make_gateway(const GatewayConfig& config, HttpClient& http);

/// One gateway per configured channel.
Gateways make_gateways(const Config& config, HttpClient& http);

}  // namespace herald
