// GPU test entry point: exits 77 (CTest: skipped) when no CUDA device is usable.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "engine/backend.h"

int main(int argc, char** argv) {
  if (!naswot::cuda_available()) {
    std::printf("skipped: %s\n", naswot::describe_cuda_devices().c_str());
    return 77;
  }
  std::printf("device: %s\n", naswot::describe_cuda_devices().c_str());
  doctest::Context ctx(argc, argv);
  return ctx.run();
}
