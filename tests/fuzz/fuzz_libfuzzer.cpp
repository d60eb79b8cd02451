// libFuzzer entry (NASWOT_FUZZ=ON builds): NASWOT_FUZZ_TARGET names the target (tools/fuzz.sh sets it).
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz_targets.h"

namespace {
const naswot::fuzz::Target* target = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* name = std::getenv("NASWOT_FUZZ_TARGET");
  target = name ? naswot::fuzz::find_target(name) : nullptr;
  if (!target) {
    std::fprintf(stderr, "set NASWOT_FUZZ_TARGET to one of:\n");
    for (const auto& t : naswot::fuzz::targets()) std::fprintf(stderr, "  %-14s %s\n", t.name, t.what);
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  naswot::fuzz::run_one(*target, data, size);
  return 0;
}
