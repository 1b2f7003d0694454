// Daemon::reload (service issue, item 3), kept apart from daemon.cpp's loops: it only builds a
// new DispatchSettings and hands it to Dispatcher::update.
#include <exception>
#include <set>

#include "herald/app/daemon.hpp"

#include "herald/app/journal_sink.hpp"
#include "herald/app/loaded_config.hpp"
#include "herald/app/systemd_notifier.hpp"
#include "herald/config/config_diff.hpp"
#include "herald/core/logging.hpp"

namespace herald {

bool Daemon::reload() {
  auto log = logger("app");
  systemd_->reloading();
  log->info("msg=\"reloading the configuration\" file={}", log_value(config_->source.string()));

  std::vector<ConfigProblem> problems;
  auto loaded = load_config_and_templates(config_->source, problems);
  std::vector<std::string> restart_keys;
  std::shared_ptr<const Gateways> gateways;
  if (loaded) {
    // Keys read once at start are compared with the start-up config: they are what still runs.
    restart_keys = restart_only_changes(*config_, *loaded->config);
    if (restart_keys.empty()) check_gateways(*loaded->config, problems);
    if (restart_keys.empty() && problems.empty()) {
      try {
        gateways = std::make_shared<const Gateways>(make_gateways(
            *loaded->config, http_, &metrics_, dispatcher_->settings().gateways.get()));
      } catch (const std::exception& e) {
        problems.push_back({loaded->config->source, "gateways", 0, e.what()});
      }
    }
  }

  if (!loaded || !restart_keys.empty() || !gateways) {
    const char* result = restart_keys.empty() ? "invalid" : "restart_required";
    for (const auto& p : problems)
      log->error("msg=\"configuration problem\" problem={}", log_value(to_string(p)));
    std::string keys;
    for (const auto& k : restart_keys) keys += (keys.empty() ? "" : ",") + k;
    if (!restart_keys.empty())
      log->error(
          "msg=\"reload refused: these keys only change on a restart (systemctl restart herald)\" "
          "keys={}",
          log_value(keys));
    log->error(
        "msg=\"reload refused; the running configuration stays in force\" result={} problems={}",
        result, problems.size() + restart_keys.size());
    metrics_.config_reload(result);
    reload_refused_ = result;
    systemd_->reloaded();
    notify_status();  // `systemctl status` says so until a reload succeeds
    return false;
  }

  const auto& next = loaded->config;
  dispatcher_->update(DispatchSettings{next, loaded->templates, std::move(gateways)});
  std::set<std::string> names;
  for (const auto& [channel, gateway] : next->gateways) names.insert(gateway.name_or_type());
  metrics_.keep_gateways(names);
  configure_logging(log_sinks(next->log.target), next->log.level);
  drain_timeout = next->shutdown.drain_timeout;
  metrics_.config_reload("ok");
  reload_refused_.clear();
  log->info("msg=reloaded rules={} log_level={}", next->rules.size(), next->log.level);
  systemd_->reloaded();
  notify_status();
  return true;
}

}  // namespace herald
