#include "herald/app/gateways.hpp"

#include <algorithm>
#include <stdexcept>

#include "herald/gateway/file_gateway.hpp"
#include "herald/gateway/http_gateway.hpp"
#include "herald/gateway/notify_gateway.hpp"
#include "herald/gateway/protected_gateway.hpp"
#include "herald/gateway/sendgrid_gateway.hpp"
#include "herald/gateway/sendgrid_receipt.hpp"
#include "herald/gateway/twilio_gateway.hpp"
#include "herald/gateway/webhook_gateway.hpp"

namespace herald {

std::shared_ptr<Gateway> make_gateway(const GatewayConfig& config, HttpClient& http) {
  if (config.type == "file") return std::make_shared<FileGateway>(config.directory);
  if (config.type == "webhook") return std::make_shared<WebhookGateway>(http, config);
  if (config.type == "govuk_notify") return std::make_shared<NotifyGateway>(http, config);
  if (config.type == "twilio") return std::make_shared<TwilioGateway>(http, config);
  if (config.type == "sendgrid") return std::make_shared<SendgridGateway>(http, config);
  throw std::runtime_error("unknown gateway type '" + config.type + "'");
}

namespace {

// The guard of `previous` (the gateways in use before a reload) that serves `config`, if any.
std::shared_ptr<GatewayGuard> kept_guard(const Gateways* previous, const GatewayConfig& config) {
  if (!previous) return nullptr;
  for (const auto& [channel, old] : *previous) {
    const auto* protected_gateway = dynamic_cast<const ProtectedGateway*>(old.get());
    if (protected_gateway && protected_gateway->guard()->serves(config))
      return protected_gateway->guard();
  }
  return nullptr;
}

// The HTTP gateway `previous` (the gateways before a reload) had for `channel`, if any.
const HttpGateway* previous_http(const Gateways* previous, Channel channel) {
  if (!previous) return nullptr;
  auto it = previous->find(channel);
  if (it == previous->end()) return nullptr;
  const Gateway* gateway = it->second.get();
  if (const auto* protected_gateway = dynamic_cast<const ProtectedGateway*>(gateway))
    gateway = &protected_gateway->inner();
  return dynamic_cast<const HttpGateway*>(gateway);
}

}  // namespace

namespace {

void check_gateway(const Config& config, Channel channel, const GatewayConfig& gateway,
                   std::vector<ConfigProblem>& problems) {
  if (!gateway.event_webhook_key.empty()) {
    // The loader checked its shape; a key OpenSSL cannot read would refuse every batch.
    if (auto why = sendgrid_key_problem(gateway.event_webhook_key); !why.empty())
      problems.push_back({config.source,
                          "gateways." + std::string(to_string(channel)) + ".event_webhook_key", 0,
                          "not a verification key SendGrid would give: " + why});
  }
  if (gateway.type != "file") return;
  try {
    FileGateway outbox(gateway.directory);
  } catch (const std::exception& e) {
    problems.push_back(
        {config.source, "gateways." + std::string(to_string(channel)) + ".directory", 0, e.what()});
  }
}

}  // namespace

void check_gateways(const Config& config, std::vector<ConfigProblem>& problems) {
  for (const auto& [channel, gateway] : config.gateways)
    check_gateway(config, channel, gateway, problems);
}

void check_gateways_of(const Config& partial, std::vector<ConfigProblem>& problems) {
  const std::size_t found = problems.size();  // what check_gateway adds is not looked at
  for (const auto& [channel, gateway] : partial.gateways) {
    const std::string key = "gateways." + std::string(to_string(channel));
    const auto end = problems.begin() + static_cast<std::ptrdiff_t>(found);
    const bool has_own = std::any_of(problems.begin(), end, [&](const ConfigProblem& p) {
      return p.key_path == "gateways" || p.key_path == key || p.key_path.starts_with(key + ".");
    });
    if (!has_own) check_gateway(partial, channel, gateway, problems);
  }
}

Gateways make_gateways(const Config& config, HttpClient& http, GatewayObserver* observer,
                       const Gateways* previous) {
  Gateways gateways;
  std::map<std::string, std::shared_ptr<GatewayGuard>> guards;  // by gateway name
  for (const auto& [channel, gateway] : config.gateways) {
    auto& guard = guards[gateway.name_or_type()];
    if (!guard) guard = kept_guard(previous, gateway);
    if (!guard) guard = std::make_shared<GatewayGuard>(gateway, observer);
    auto inner = make_gateway(gateway, http);
    // Requests the old gateway of this channel still has under way keep counting against
    // max_in_flight: a reload must not let twice as many at the provider.
    auto* now_http = dynamic_cast<HttpGateway*>(inner.get());
    if (const auto* old_http = previous_http(previous, channel); now_http && old_http)
      now_http->continue_from(*old_http);
    gateways.emplace(channel, std::make_shared<ProtectedGateway>(std::move(inner), guard));
  }
  return gateways;
}

}  // namespace herald
