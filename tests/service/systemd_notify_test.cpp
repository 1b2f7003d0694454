// What herald tells systemd (Type=notify): READY, STATUS with counts, WATCHDOG pings from the
// loop, RELOADING then READY around a reload, STOPPING. A datagram socket in the test plays
// systemd's notify socket ($NOTIFY_SOCKET).
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <mutex>

#include "service_support.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("cannot bind the notify socket");
  }
  ~NotifySocket() { ::close(fd_); }

  /// Reads what has arrived (waiting up to `wait` for the first datagram).
  void receive(std::chrono::milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      char buffer[4096];
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      messages_.emplace_back(buffer, static_cast<std::size_t>(n));
      wait = 0ms;
    }
  }

  /// Waits until a message starting with `prefix` has arrived `times` times (counting all).
  bool wait_for(const std::string& prefix, std::chrono::milliseconds timeout, int times = 1) {
    return eventually(
        [&] {
          receive(50ms);
          return count(prefix) >= times;
        },
        timeout);
  }

  int count(const std::string& prefix) const {
    int n = 0;
    for (const auto& m : messages_) n += m.rfind(prefix, 0) == 0;
    return n;
  }

  const std::vector<std::string>& messages() const { return messages_; }
  std::string all() const {
    std::string text;
    for (const auto& m : messages_) text += m + "\n";
    return text;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

TEST(SystemdNotify, ReadyStatusWatchdogReloadingAndStopping) {
  RedisServer redis;
  TestDir dir;
  dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }"));
  dir.write("templates/case_update.yaml", kEmailTemplate);
  NotifySocket systemd(dir.path("notify.sock"));
  HeraldProcess herald({"run", "--config", dir.path("herald.yaml")},
                       {{"NOTIFY_SOCKET", dir.path("notify.sock")}, {"WATCHDOG_USEC", "200000"}});

  ASSERT_TRUE(systemd.wait_for("READY=1", 20s)) << systemd.all() << herald.log();
  // Pings every WATCHDOG_USEC/2 from the loop.
  EXPECT_TRUE(systemd.wait_for("WATCHDOG=1", 20s, 3)) << systemd.all();

  redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-n1")});
  ASSERT_TRUE(herald.wait_for_log("msg=sent event_id=evt-n1", 20s)) << herald.log();
  EXPECT_TRUE(eventually(
      [&] {
        systemd.receive(50ms);
        for (const auto& m : systemd.messages())
          if (m.rfind("STATUS=events 1, sent 1", 0) == 0) return true;
        return false;
      },
      20s))
      << systemd.all();

  // A reload, good or refused, is framed by RELOADING=1 and READY=1.
  herald.signal(SIGHUP);
  ASSERT_TRUE(systemd.wait_for("RELOADING=1", 20s)) << systemd.all();
  ASSERT_TRUE(systemd.wait_for("READY=1", 20s, 2)) << systemd.all();
  auto reloading = std::find(systemd.messages().begin(), systemd.messages().end(), "RELOADING=1");
  EXPECT_NE(std::find(reloading, systemd.messages().end(), "READY=1"), systemd.messages().end())
      << "READY=1 after RELOADING=1:\n"
      << systemd.all();
  dir.write("herald.yaml", "bogus: 1\n");
  herald.signal(SIGHUP);
  ASSERT_TRUE(systemd.wait_for("RELOADING=1", 20s, 2)) << systemd.all();
  ASSERT_TRUE(systemd.wait_for("READY=1", 20s, 3)) << systemd.all();
  // `systemctl status` shows that the file on disk is not what runs (`systemctl reload` itself
  // succeeds for a change only a restart can make: check-config cannot know what runs).
  EXPECT_TRUE(eventually(
      [&] {
        systemd.receive(50ms);
        for (const auto& m : systemd.messages())
          if (m.rfind("STATUS=", 0) == 0 &&
              m.find("last reload refused (invalid), the previous configuration runs") !=
                  std::string::npos)
            return true;
        return false;
      },
      20s))
      << systemd.all();

  herald.signal(SIGTERM);
  EXPECT_EQ(herald.wait_exit(30s), 0) << herald.log();
  systemd.receive(100ms);
  EXPECT_EQ(systemd.count("STOPPING=1"), 1) << systemd.all();
}

}  // namespace
}  // namespace herald::test
