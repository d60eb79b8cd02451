// How the SIMT emulator (tests/simt_emulator.h) schedules what CUDA leaves unordered: the order in
// which it runs a launch's blocks and warps, and a warp's threads between two waits (forward: blockIdx,
// warps and threadIdx ascending, or reverse: descending; either way one warp runs alone until it
// reaches a __syncthreads or ends, before the next one moves), and when asynchronous copies land (late:
// when their thread waits for them, or early: when issued). A kernel without races
// gives the same bits under every schedule; a missing barrier or wait, a read of shared memory this block has not
// written, or a block that counts on running after another usually does not. Kept apart from the emulator (whose macros
// a test's own code must not see) so that tests can switch it.
#pragma once
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace simt {

enum class Order { Forward, Reverse };
enum class Copies { Late, Early };
struct Schedule {
  Order order = Order::Forward;
  Copies copies = Copies::Late;
};

// The schedule of launches from now on: NASWOT_SIMT_ORDER (forward or reverse) and NASWOT_SIMT_COPIES
// (late or early; forward and late where unset) until a Scheduled changes it.
inline Schedule& schedule() {
  static Schedule s = [] {
    const auto read = [](const char* name, const char* first, const char* second) {
      const char* e = std::getenv(name);
      const std::string v = e ? e : first;
      if (v != first && v != second)
        throw std::invalid_argument(std::string(name) + ": '" + v + "' is neither " + first + " nor " + second);
      return v == second;
    };
    Schedule r;
    if (read("NASWOT_SIMT_ORDER", "forward", "reverse")) r.order = Order::Reverse;
    if (read("NASWOT_SIMT_COPIES", "late", "early")) r.copies = Copies::Early;
    return r;
  }();
  return s;
}

// The schedule s while it lives.
class Scheduled {
 public:
  explicit Scheduled(Schedule s) : saved_(std::exchange(schedule(), s)) {}
  ~Scheduled() { schedule() = saved_; }
  Scheduled(const Scheduled&) = delete;
  Scheduled& operator=(const Scheduled&) = delete;

 private:
  Schedule saved_;
};

// The schedule farthest from the default that CUDA allows: blocks, warps and threads backwards, copies
// early.
inline constexpr Schedule kReversed{Order::Reverse, Copies::Early};

}  // namespace simt
