#include "herald/redis/sigpipe.hpp"

namespace herald {

SigpipeIgnored::SigpipeIgnored() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  restore_ = ::sigaction(SIGPIPE, &ignore, &previous_) == 0;
}

SigpipeIgnored::~SigpipeIgnored() {
  if (restore_) ::sigaction(SIGPIPE, &previous_, nullptr);
}

}  // namespace herald
