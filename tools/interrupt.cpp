// SIGINT -> a flag the scoring loops check between architectures (tools/interrupt.h).
#include "tools/interrupt.h"

#include <csignal>

namespace naswot {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the flag is set from a signal handler");

extern "C" void on_sigint(int) { g_stop = true; }

}  // namespace

const std::atomic<bool>& stop_on_sigint() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;  // the second Ctrl-C gets the default action: the process ends
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGINT, &sa, nullptr) == 0;
  }();
  (void)installed;
  return g_stop;
}

}  // namespace naswot
