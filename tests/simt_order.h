// The order in which the SIMT emulator (tests/simt_emulator.h) runs a launch's blocks and, between two
// waits, a block's threads: forward (blockIdx and threadIdx ascending) or reverse. A kernel without
// races gives the same bits both ways; a missing barrier, a read of shared memory another thread has
// not written yet, or a block that counts on running after another usually does not. Kept apart from
// the emulator (whose macros a test's own code must not see) so that tests can switch it.
#pragma once
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

namespace simt {

enum class Order { Forward, Reverse };

// The order for launches from now on: NASWOT_SIMT_ORDER (forward or reverse; forward when unset)
// until a ScheduleOrder changes it.
inline Order& schedule_order() {
  static Order order = [] {
    const char* e = std::getenv("NASWOT_SIMT_ORDER");
    const std::string s = e ? e : "forward";
    if (s == "forward") return Order::Forward;
    if (s == "reverse") return Order::Reverse;
    throw std::invalid_argument("NASWOT_SIMT_ORDER: '" + s + "' is neither forward nor reverse");
  }();
  return order;
}

// The order o while it lives.
class ScheduleOrder {
 public:
  explicit ScheduleOrder(Order o) : saved_(std::exchange(schedule_order(), o)) {}
  ~ScheduleOrder() { schedule_order() = saved_; }
  ScheduleOrder(const ScheduleOrder&) = delete;
  ScheduleOrder& operator=(const ScheduleOrder&) = delete;

 private:
  Order saved_;
};

}  // namespace simt
