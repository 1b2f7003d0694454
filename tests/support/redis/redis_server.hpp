#pragma once
// A real redis-server for integration tests: started on a free 127.0.0.1 port in a fresh
// temporary directory, stopped, killed and restarted (same port and directory, so AOF data
// survives) by the test.
#include <string>
#include <vector>

#include <sys/types.h>

#include "herald/config/redis_url.hpp"
#include "herald/redis/redis_reply.hpp"

namespace herald::test {

class RedisServer {
 public:
  /// Starts redis-server and waits until it answers PING. `aof`: appendonly with everysec fsync.
  explicit RedisServer(bool aof = false, std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  unsigned short port() const { return port_; }
  std::string url() const;  ///< "redis://127.0.0.1:PORT/0"
  RedisEndpoint endpoint() const;

  void stop();    ///< SIGTERM and wait (AOF is flushed)
  void kill();    ///< SIGKILL and wait
  void start();   ///< starts again on the same port and directory
  void pause();   ///< SIGSTOP: it accepts TCP connections (the kernel does) but answers nothing
  void resume();  ///< SIGCONT
  bool running() const { return pid_ > 0; }

  /// Runs a command on a private blocking connection (for set-up and assertions). Throws
  /// std::runtime_error when Redis cannot be reached.
  RedisReply command(const std::vector<std::string>& args);
  /// Runs `commands` in order on one private connection (so that MULTI ... EXEC is one
  /// transaction); the last one's reply.
  RedisReply commands(const std::vector<std::vector<std::string>>& commands);

 private:
  void spawn();
  unsigned short port_ = 0;
  std::string dir_;
  bool aof_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

}  // namespace herald::test
