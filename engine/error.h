// One exception type for every user-facing failure (bad arch, bad data, bad options).
#pragma once
#include <string>

#include "naswot/error.hpp"  // Error itself is public

namespace naswot {

// A dataset's image files are not in the data directory (callers may point to other ways forward).
struct MissingData : Error {
  using Error::Error;
};

// Memory a buffer needs is not there (host or device; the device stays usable): a caller whose work
// starts afresh each time may retry it smaller (score_together halves a lockstep group).
struct OutOfMemory : Error {
  using Error::Error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }

}  // namespace naswot
