// A broken pipe while herald talks to Redis must be an error it handles, not the end of it.
#include "herald/redis/sigpipe.hpp"

#include <gtest/gtest.h>

#include <signal.h>

namespace herald {
namespace {

void (*sigpipe_handler())(int) {
  struct sigaction current {};
  ::sigaction(SIGPIPE, nullptr, &current);
  return current.sa_handler;
}

TEST(SigpipeIgnored, ASigpipeWhileItLivesEndsNothingAndTheDispositionComesBackAfter) {
  ASSERT_EQ(sigpipe_handler(), SIG_DFL) << "the test runner left SIGPIPE changed";
  {
    SigpipeIgnored ignored;
    EXPECT_EQ(sigpipe_handler(), SIG_IGN);
    ASSERT_EQ(::raise(SIGPIPE), 0);  // still here
  }
  EXPECT_EQ(sigpipe_handler(), SIG_DFL);
  // And the default action is the one that ends a process, as it was before.
  EXPECT_EXIT(::raise(SIGPIPE), ::testing::KilledBySignal(SIGPIPE), "");
}

TEST(SigpipeIgnored, PutsBackAnIgnoreItFound) {
  SigpipeIgnored outer;
  { SigpipeIgnored inner; }
  EXPECT_EQ(sigpipe_handler(), SIG_IGN) << "the inner guard must not undo the outer one";
}

}  // namespace
}  // namespace herald
