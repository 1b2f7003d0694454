// /metrics is valid Prometheus text (promtool) and has every family the dashboards use;
// /healthz follows Redis going away and coming back; a broken pipe does not end herald.
#include <gtest/gtest.h>

#include <signal.h>

#include <unistd.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "service_support.hpp"

namespace herald::test {
namespace {

using namespace std::chrono_literals;

struct Herald {
  RedisServer redis;
  TestDir dir;
  std::unique_ptr<HeraldProcess> process;
  unsigned short port = 0;

  /// `extra` is appended to the config; `env` and `max_open_files` go to the process.
  explicit Herald(std::vector<std::string> redis_args = {}, const std::string& extra = "",
                  std::map<std::string, std::string> env = {}, long max_open_files = 0)
      : redis(false, std::move(redis_args)) {
    dir.write("herald.yaml", service_config(redis, "{ type: file, directory: outbox }",
                                            "metrics:\n  listen: 127.0.0.1:0\n" + extra));
    dir.write("templates/case_update.yaml", kEmailTemplate);
    process = std::make_unique<HeraldProcess>(
        std::vector<std::string>{"run", "--config", dir.path("herald.yaml")}, std::move(env),
        max_open_files);
    if (!process->wait_for_log("msg=started", 20s)) ADD_FAILURE() << process->log();
    port = metrics_port(*process);
  }
  ~Herald() {
    process->signal(SIGTERM);
    EXPECT_EQ(process->wait_exit(30s), 0) << process->log();
  }
};

// Runs a shell command; its exit code and everything it printed.
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return {-1, ""};
  char buffer[4096];
  while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  return {std::istreambuf_iterator<char>(in), {}};
}

// CPU time (user + system) process `pid` has used so far, from /proc/PID/stat.
std::chrono::duration<double> cpu_time(pid_t pid) {
  const std::string stat = read("/proc/" + std::to_string(pid) + "/stat");
  const auto name_end = stat.rfind(')');         // the command name may hold spaces and parentheses
  if (name_end == std::string::npos) return {};  // no such process (any more)
  // The fields after it: state is field 3, utime 14, stime 15.
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return std::chrono::duration<double>(static_cast<double>(utime + stime) /
                                       static_cast<double>(::sysconf(_SC_CLK_TCK)));
}

TEST(Metrics, AreValidPrometheusTextWithEveryFamilyTheDashboardsUse) {
  Herald h;
  ASSERT_NE(h.port, 0);
  h.redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-m1")});
  h.redis.command({"XADD", "herald:events", "*", "event", "{broken"});
  ASSERT_TRUE(h.process->wait_for_log("msg=sent event_id=evt-m1", 20s)) << h.process->log();
  ASSERT_TRUE(h.process->wait_for_log("dead-lettered", 20s)) << h.process->log();
  auto [status, text] = http_get(h.port, "/metrics");
  ASSERT_EQ(status, 200);
  h.dir.write("metrics.txt", text);

  auto [code, lint] =
      shell(std::string(HERALD_PROMTOOL) + " check metrics < " + h.dir.path("metrics.txt"));
  EXPECT_EQ(code, 0) << lint << "\n" << text;
  EXPECT_EQ(lint, "") << "promtool's lint found problems:\n" << lint;

  // Every herald_* family named in the dashboard and the alert rules exists.
  std::set<std::string> families;
  std::regex type_line(R"(# TYPE (herald_[a-z_]+) )");
  for (std::sregex_iterator it(text.begin(), text.end(), type_line), end; it != end; ++it)
    families.insert((*it)[1]);
  const std::filesystem::path dashboards = std::filesystem::path(HERALD_SOURCE_DIR) / "dashboards";
  std::size_t used = 0;
  for (const auto& file : std::filesystem::directory_iterator(dashboards)) {
    const auto content = read(file.path());
    std::regex name(R"(herald_[a-z_]+)");
    for (std::sregex_iterator it(content.begin(), content.end(), name), end; it != end; ++it) {
      std::string family = (*it)[0];
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (family.size() > std::strlen(suffix) && family.ends_with(suffix) &&
            !families.count(family))
          family.resize(family.size() - std::strlen(suffix));
      ++used;
      EXPECT_TRUE(families.count(family))
          << file.path().filename() << " uses " << family << ", which herald does not export";
    }
  }
  EXPECT_GT(used, 10u) << "the dashboards name herald's metrics";
}

// A counter that appears only at its first increment makes rate() and increase() miss that
// first event, and a dashboard panel read "No data" until then.
TEST(Metrics, ExportTheirCountersAtZeroBeforeAnythingHappens) {
  Herald h;
  ASSERT_NE(h.port, 0);
  const std::string text = http_get(h.port, "/metrics").second;
  for (const char* line :
       {"herald_events_total{result=\"accepted\"} 0", "herald_events_total{result=\"invalid\"} 0",
        "herald_notifications_total{channel=\"email\",result=\"sent\"} 0",
        "herald_notifications_total{channel=\"sms\",result=\"failed\"} 0",
        "herald_receipts_total{status=\"temporary-failure\"} 0",
        "herald_receipts_refused_total{why=\"unauthorized\"} 0", "herald_dead_letters_total 0"})
    EXPECT_NE(text.find(std::string(line) + "\n"), std::string::npos) << line << "\n" << text;
}

// An evicting Redis drops herald's records (they carry expiries) and with them what stops a
// message going out twice: the operator is told at start.
TEST(Health, SaysAtStartWhenRedisMayEvictItsRecords) {
  {
    Herald evicting({"--maxmemory-policy", "allkeys-lru"});
    EXPECT_NE(evicting.process->log().find(
                  "msg=\"Redis may evict herald's records; set maxmemory-policy noeviction\" "
                  "maxmemory_policy=allkeys-lru"),
              std::string::npos)
        << evicting.process->log();
  }
  Herald keeping;
  EXPECT_EQ(keeping.process->log().find("Redis may evict"), std::string::npos)
      << keeping.process->log();
}

TEST(Health, FollowsRedisGoingAwayAndComingBack) {
  Herald h;
  ASSERT_NE(h.port, 0);
  EXPECT_EQ(http_get(h.port, "/healthz").first, 200);
  h.redis.stop();
  EXPECT_TRUE(eventually([&] { return http_get(h.port, "/healthz").first == 503; }, 30s))
      << h.process->log();
  EXPECT_EQ(http_get(h.port, "/metrics").first, 200) << "the loop still runs and answers";
  h.redis.start();
  EXPECT_TRUE(eventually([&] { return http_get(h.port, "/healthz").first == 200; }, 30s))
      << h.process->log();
  // And it works again: an event published now is sent.
  h.redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-h1")});
  EXPECT_TRUE(h.process->wait_for_log("msg=sent event_id=evt-h1", 30s)) << h.process->log();
  EXPECT_NE(http_get(h.port, "/metrics").second.find("herald_redis_reconnects_total"),
            std::string::npos);
}

// Redis answering but refusing herald's writes (out of memory here; READONLY after a failover
// that left redis.url on the old primary, MISCONF when it cannot persist): nothing moves, so
// /healthz must not say all is well, and the refusals are counted.
TEST(Health, TurnsUnhealthyWhileRedisRefusesHeraldsWritesAndCountsTheRefusals) {
  Herald h;
  ASSERT_NE(h.port, 0);
  EXPECT_EQ(http_get(h.port, "/healthz").first, 200);
  // The event gets in; from then on every write is refused.
  // One transaction, on one connection: herald must not read the event before the refusals begin.
  h.redis.commands({{"MULTI"},
                    {"XADD", "herald:events", "*", "event", contact_anytime_event("evt-oom")},
                    {"CONFIG", "SET", "maxmemory", "1"},
                    {"EXEC"}});
  EXPECT_TRUE(eventually([&] { return http_get(h.port, "/healthz").first == 503; }, 30s))
      << h.process->log();
  const std::string metrics = http_get(h.port, "/metrics").second;
  EXPECT_EQ(metrics.find("herald_redis_errors_total{error=\"OOM\"} 0\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("herald_redis_errors_total{error=\"OOM\"} "), std::string::npos)
      << metrics;
  h.redis.command({"CONFIG", "SET", "maxmemory", "0"});
  EXPECT_TRUE(h.process->wait_for_log("msg=sent event_id=evt-oom", 30s)) << h.process->log();
  EXPECT_TRUE(eventually([&] { return http_get(h.port, "/healthz").first == 200; }, 30s))
      << h.process->log();
}

// hiredis writes with write(2): when Redis closes a connection under a pending command the kernel
// raises SIGPIPE, whose default action ends the process without a log line. (Seen under load in
// the Redis restart fault test: exit 141.) The signal itself stands in for that race here.
TEST(Health, ABrokenPipeDoesNotEndHerald) {
  Herald h;
  ASSERT_NE(h.port, 0);
  ASSERT_EQ(::kill(h.process->pid(), SIGPIPE), 0);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(h.process->running()) << "herald died of SIGPIPE\n" << h.process->log();
  EXPECT_EQ(http_get(h.port, "/healthz").first, 200);
}

// Idle connections to /receipts (herald closed each after 30 s; the client opened them again)
// took every descriptor under the default limit: accept() failed in a loop that took a core,
// and sends, Redis reconnections, sd_notify and /healthz failed with EMFILE. Now each listener
// holds at most a share of the descriptor limit, and the rest wait in the backlog.
TEST(Health, ManyIdleConnectionsUnderALowDescriptorLimitLeaveHeraldSendingHealthyAndIdle) {
  Herald h({}, "callbacks:\n  listen: 127.0.0.1:0\n",
           {{"HERALD_CALLBACK_TOKEN", "receipt-token-for-tests-0123456789"}}, 128);
  ASSERT_NE(h.port, 0);
  ASSERT_TRUE(h.process->wait_for_log("msg=\"accepting delivery receipts\"", 10s))
      << h.process->log();
  const unsigned short receipts = receipts_port(*h.process);
  ASSERT_NE(receipts, 0);
  EXPECT_NE(h.process->log().find("max_connections=32"), std::string::npos)
      << "a quarter of 128 descriptors\n"
      << h.process->log();

  std::vector<RawConnection> idle;
  for (int i = 0; i < 200; ++i) idle.emplace_back(receipts);
  std::this_thread::sleep_for(200ms);
  const auto cpu_before = cpu_time(h.process->pid());
  const auto start = std::chrono::steady_clock::now();

  h.redis.command({"XADD", "herald:events", "*", "event", contact_anytime_event("evt-fd1")});
  EXPECT_TRUE(h.process->wait_for_log("msg=sent event_id=evt-fd1", 5s)) << h.process->log();
  EXPECT_EQ(http_get(h.port, "/healthz").first, 200);

  std::this_thread::sleep_until(start + 3s);
  ASSERT_TRUE(h.process->running()) << h.process->log();
  const auto used = cpu_time(h.process->pid()) - cpu_before;
  EXPECT_LT(used.count(), 0.9) << "herald used " << used.count() << " s of CPU in 3 s";
  EXPECT_EQ(h.process->log().find("EMFILE"), std::string::npos) << h.process->log();
  EXPECT_EQ(h.process->log().find("Too many open files"), std::string::npos) << h.process->log();
}

}  // namespace
}  // namespace herald::test
