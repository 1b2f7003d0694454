#include "herald/app/gateways.hpp"

#include <stdexcept>

#include "herald/gateway/file_gateway.hpp"
#include "herald/gateway/webhook_gateway.hpp"

namespace herald {

std::shared_ptr<Gateway> make_gateway(const GatewayConfig& config, HttpClient& http) {
  if (config.type == "file") return std::make_shared<FileGateway>(config.directory);
  if (config.type == "webhook") return std::make_shared<WebhookGateway>(http, config);
  throw std::runtime_error("unknown gateway type '" + config.type + "'");
}

Gateways make_gateways(const Config& config, HttpClient& http) {
  Gateways gateways;
  for (const auto& [channel, gateway] : config.gateways)
    gateways.emplace(channel, make_gateway(gateway, http));
  return gateways;
}

}  // namespace herald
