// Fuzz targets: every parser of user input, driven by arbitrary bytes. A target returns normally when
// the input was accepted (and the result passed its checks) or refused with naswot::Error; anything
// else (another exception, a failed check, a crash) is a bug, reported through fuzz_bug() -> abort().
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace naswot::fuzz {

using TargetFn = void (*)(const uint8_t* data, size_t size);
struct Target {
  const char* name;
  TargetFn fn;
  const char* what;
};
const std::vector<Target>& targets();
const Target* find_target(const std::string& name);

// Runs one input through a target: true if accepted, false if refused with naswot::Error (fine); any
// other exception is a bug.
bool run_one(const Target& t, const uint8_t* data, size_t size);
[[noreturn]] void fuzz_bug(const std::string& what);
#define NASWOT_FUZZ_CHECK(cond, msg)                                          \
  do {                                                                        \
    if (!(cond)) ::naswot::fuzz::fuzz_bug(std::string(#cond) + ": " + (msg)); \
  } while (0)

// A scratch file of this process (rewritten by each input of file-reading targets).
std::string scratch_path(const char* suffix);
void write_file(const std::string& path, const void* data, size_t size);

}  // namespace naswot::fuzz
