// One exception type for every user-facing failure (bad arch, bad data, bad options).
#pragma once
#include <stdexcept>
#include <string>

namespace naswot {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }

}  // namespace naswot
