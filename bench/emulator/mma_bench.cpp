// The SIMT emulator's cost per TF32 mma.sync: 500 blocks of 128 threads (4 warps), each warp 64
// m16n8k8 products alone and 64 as 3xTF32 chains of three, on random fragments; prints the seconds and
// a hash of every result's bits (two builds that hash alike computed the same bits). Build against two
// copies of tests/simt_emulator.h to compare them:
// g++ -std=c++20 -O2 -ffp-contract=off -I<dir holding tests/simt_emulator.h> -I<repo> bench/emulator/mma_bench.cpp
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tests/simt_emulator.h"

int main() {
  constexpr unsigned kBlocks = 500, kThreads = 128, kSteps = 64;
  std::vector<uint32_t> frag(size_t(kBlocks) * kThreads * 18);
  uint64_t x = 88172645463325252ull;  // xorshift64: fragments of mixed magnitudes and signs
  for (uint32_t& f : frag) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const float v = float(int64_t(x % 2000001) - 1000000) * 1e-6f * float(1u << (x >> 60));
    std::memcpy(&f, &v, sizeof f);
  }
  std::vector<float> out(size_t(kBlocks) * kThreads * 8, 0.f);
  const auto t0 = std::chrono::steady_clock::now();
  simt::launch(dim3(kBlocks), dim3(kThreads), [&] {
    const size_t t = size_t(blockIdx.x) * kThreads + threadIdx.x;
    const uint32_t* w = &frag[t * 18];
    const uint32_t* a[3] = {w, w + 6, w + 12};
    const uint32_t* b[3] = {w + 4, w + 10, w + 16};
    for (unsigned s = 0; s < kSteps; ++s) {
      simt::mma_m16n8k8_tf32(&out[t * 8], a[s % 3], b[s % 3]);
      simt::mma_m16n8k8_tf32_chain(&out[t * 8 + 4], a, b, 3);
    }
  });
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the results' bits
  for (const float v : out) {
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    for (int k = 0; k < 4; ++k) h = (h ^ ((u >> (8 * k)) & 0xffu)) * 1099511628211ull;
  }
  const double mmas = double(kBlocks) * (kThreads / 32) * kSteps * 4;  // a chain of three counts 3
  std::printf("%.3f s, %.2f us per warp mma, results %016llx\n", sec, sec / mmas * 1e6, (unsigned long long)h);
}
