// Ctrl-C during a long command: the first SIGINT asks the command to stop between architectures
// (what is stored stays stored); a second one ends the process at once.
#pragma once
#include <atomic>

namespace naswot {

// Installs the handler (once per process) and returns the flag it sets.
const std::atomic<bool>& stop_on_sigint();
// The shell's exit status of a command stopped by SIGINT.
constexpr int kInterruptedExit = 130;

}  // namespace naswot
