#include "herald/app/systemd_notifier.hpp"

#include <cstdlib>

#include <systemd/sd-daemon.h>

namespace herald {

SystemdNotifier::SystemdNotifier(boost::asio::any_io_executor executor)
    : timer_(std::move(executor)), enabled_(std::getenv("NOTIFY_SOCKET") != nullptr) {}

SystemdNotifier::~SystemdNotifier() {
  timer_.cancel();
}

void SystemdNotifier::ready() {
  ready_ = true;
  if (enabled_) sd_notify(0, "READY=1");
}

void SystemdNotifier::reloading() {
  if (enabled_ && ready_) sd_notify(0, "RELOADING=1");
}

void SystemdNotifier::reloaded() {
  if (enabled_ && ready_) sd_notify(0, "READY=1");
}

void SystemdNotifier::status(const std::string& text) {
  if (enabled_) sd_notifyf(0, "STATUS=%s", text.c_str());
}

void SystemdNotifier::stopping() {
  if (enabled_) sd_notify(0, "STOPPING=1");
  timer_.cancel();
}

void SystemdNotifier::start_watchdog() {
  std::uint64_t usec = 0;
  if (!enabled_ || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  interval_ = std::chrono::microseconds{usec / 2};
  arm();
}

void SystemdNotifier::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    sd_notify(0, "WATCHDOG=1");
    arm();
  });
}

}  // namespace herald
