#include "support/process/herald_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace herald::test {
namespace {

using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size()))
    ++n;
  return n;
}

}  // namespace

TestDir::TestDir() {
  char tmpl[] = "/tmp/herald-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
}

TestDir::~TestDir() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::string TestDir::path(const std::string& relative) const {
  return (root_ / relative).string();
}

void TestDir::write(const std::string& relative, const std::string& content) const {
  auto p = root_ / relative;
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string herald_binary() {
#ifdef HERALD_BINARY
  return HERALD_BINARY;
#else
  throw std::runtime_error("HERALD_BINARY is not defined for this test");
#endif
}

HeraldProcess::HeraldProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                             long max_open_files) {
  std::vector<std::string> argv_text = {herald_binary()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The environment is built before fork: only async-signal-safe calls after it.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> env_text;
  for (auto& [k, v] : merged) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);

  const std::string err_path = dir_.path("stderr.log"), out_path = dir_.path("stdout.log");
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (err_fd < 0 || out_fd < 0) throw std::runtime_error("cannot create the child's log files");

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(err_fd, STDERR_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    if (max_open_files > 0) {
      const rlimit limit{static_cast<rlim_t>(max_open_files), static_cast<rlim_t>(max_open_files)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(err_fd);
  ::close(out_fd);
  pid_ = pid;
}

HeraldProcess::~HeraldProcess() {
  if (running()) kill();
}

void HeraldProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

void HeraldProcess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  wait_exit(10s);
}

bool HeraldProcess::running() {
  if (exit_code_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::optional<int> HeraldProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return exit_code_;
}

std::string HeraldProcess::log() const {
  return read_file(dir_.path("stderr.log"));
}

std::string HeraldProcess::output() const {
  return read_file(dir_.path("stdout.log"));
}

bool HeraldProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                                 int times) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (count(log(), text) >= static_cast<std::size_t>(times)) return true;
    if (!running() || std::chrono::steady_clock::now() >= deadline)
      return count(log(), text) >= static_cast<std::size_t>(times);
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace herald::test
