// naswot::Error: every user-facing failure (bad option, bad architecture, missing or corrupt data).
#pragma once
#include <stdexcept>

namespace naswot {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace naswot
