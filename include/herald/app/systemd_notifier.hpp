#pragma once
/// sd_notify for `Type=notify`: READY, STATUS, STOPPING and watchdog pings from the event loop.
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace herald {

/// Does nothing when not started by systemd (no $NOTIFY_SOCKET).
class SystemdNotifier {
 public:
  explicit SystemdNotifier(boost::asio::any_io_executor executor);
  ~SystemdNotifier();
  void ready();
  void status(const std::string& text);
  void stopping();
  /// RELOADING=1 at the start of a reload (systemd 252 has no Type=notify-reload: herald sends
  /// RELOADING=1, then READY=1 when done). Nothing before ready(): a start-up is not a reload.
  void reloading();
  /// READY=1 after reloading(), whether the new config was applied or refused.
  void reloaded();
  /// Pings the watchdog every WATCHDOG_USEC/2 from a timer on the loop that does the work, so
  /// that a stuck loop is what trips it.
  void start_watchdog();

 private:
  void arm();
  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
  bool enabled_ = false;
  bool ready_ = false;
};

}  // namespace herald
