#pragma once
/// hiredis writes to its socket with write(2). When Redis has closed the connection (a restart,
/// a failover) under a command still being written, the kernel raises SIGPIPE, whose default
/// action ends the process without a word. Whoever runs a RedisClient keeps one of these alive
/// meanwhile: the write then fails with EPIPE and the connection is reported lost, like any
/// other. (systemd ignores SIGPIPE for services by default; a shell or a container does not.)
#include <signal.h>

namespace herald {

/// Ignores SIGPIPE while it lives; puts back the disposition it found.
class SigpipeIgnored {
 public:
  SigpipeIgnored();
  ~SigpipeIgnored();
  SigpipeIgnored(const SigpipeIgnored&) = delete;
  SigpipeIgnored& operator=(const SigpipeIgnored&) = delete;

 private:
  struct sigaction previous_ {};
  bool restore_ = false;
};

}  // namespace herald
