#pragma once
// The herald binary as a child process, for tests that treat it as operators do: started with a
// config file, signalled, killed, restarted, its stderr read back.
//
//     herald::test::TestDir dir;
//     dir.write("herald.yaml", yaml);
//     dir.write("templates/case_update.yaml", template_yaml);
//     herald::test::HeraldProcess herald({"run", "--config", dir.path("herald.yaml")});
//     ASSERT_TRUE(herald.wait_for_log("msg=started", std::chrono::seconds(10)));
//     herald.signal(SIGTERM);
//     EXPECT_EQ(herald.wait_exit(std::chrono::seconds(15)), 0);
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace herald::test {

/// A fresh temporary directory, removed with everything in it when the object goes.
class TestDir {
 public:
  TestDir();
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::filesystem::path& root() const { return root_; }
  /// root / relative, as a string (for command lines).
  std::string path(const std::string& relative) const;
  /// Writes `content` to root / relative, creating directories on the way.
  void write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path root_;
};

/// The path of the herald binary under test (set by CMake).
std::string herald_binary();

/// One run of the herald binary. Its stderr (the log) goes to a file the test can read while it
/// runs; stdout to another. The child dies with the test process (PR_SET_PDEATHSIG), and the
/// destructor kills it if it still runs.
class HeraldProcess {
 public:
  /// Starts `herald ARGS...` with the test's environment plus `env` (which overrides), and, when
  /// `max_open_files` is not 0, that descriptor limit (RLIMIT_NOFILE, soft and hard).
  explicit HeraldProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                         long max_open_files = 0);
  ~HeraldProcess();
  HeraldProcess(const HeraldProcess&) = delete;
  HeraldProcess& operator=(const HeraldProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Sends `signo` (SIGTERM, SIGHUP, SIGKILL ...) if the process still runs.
  void signal(int signo);
  /// SIGKILL and reap: a crash, as far as herald can tell.
  void kill();
  /// Waits for the process to exit; its exit code, or 128 + signal when a signal ended it, or
  /// nullopt when it still runs after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  /// True while the process has not exited.
  bool running();

  /// Everything written to stderr so far.
  std::string log() const;
  /// Everything written to stdout so far.
  std::string output() const;
  /// Waits until stderr contains `text` `times` times; false on timeout or when the process
  /// exits first.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout, int times = 1);

 private:
  TestDir dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace herald::test
