// One exception type for every user-facing failure (bad arch, bad data, bad options).
#pragma once
#include <stdexcept>
#include <string>

namespace naswot {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A dataset's image files are not in the data directory (callers may point to other ways forward).
struct MissingData : Error {
  using Error::Error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }

}  // namespace naswot
