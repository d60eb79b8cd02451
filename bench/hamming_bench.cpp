// The Hamming score's codes on the GPU, in one run: engine 0.2.0's kernels (pack and pairwise counts at
// every ReLU site, bench/hamming_v020) against the op table's (relu_codes at every site, hamming_pairs
// once per site weight), on the ReLU sites of a space's architectures at batch B. Milliseconds per
// architecture: the stream's wall time over all architectures, synchronised once, best of the rounds
// (the paths alternate). Both paths' K are compared for every architecture first (exact integers).
// Markdown on stdout. Usage: naswot_hamming_bench [BATCH=128] [ARCHS=200] [ROUNDS=5] [SPACE=nb201]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/hamming_v020/accumulate.h"
#include "engine/error.h"
#include "engine/planner.h"
#include "engine/rng.h"
#include "engine/score_hamming.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "searchspaces/space.h"

using namespace naswot;

namespace {

// An architecture's sites (plan order) and the op table's layout of their codes.
struct Arch {
  std::vector<std::pair<size_t, int64_t>> sites;  // units, weight
  HammingLayout layout;
  std::vector<size_t> rows;  // each site's first row
};

Arch sites_of(const Graph& g, int B) {
  const Plan p = make_plan(g, B, PlanMode::ForwardAllReLUs);
  const auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
  Arch a;
  a.layout = hamming_layout(g, p.order, weight);
  for (int v : p.order)
    if (a.layout.row[size_t(v)] != HammingLayout::kNoSite) {
      a.sites.emplace_back(g.nodes[v].out.per_sample(), weight(g.nodes[v]));
      a.rows.push_back(a.layout.row[size_t(v)]);
    }
  return a;
}

// The op table's path (the executor's): each site's codes into its rows, then one sum per weight.
void run_new(cudaStream_t s, const Arch& a, int B, const float* y, uint64_t* codes, int64_t* K) {
  for (size_t i = 0; i < a.sites.size(); ++i) {
    const op_args::relu_codes call(a.sites[i].first, B, y, codes + a.rows[i] * size_t(B));
    cuda::relu_codes_many(s, &call, 1);
  }
  for (size_t i = 0; i < a.layout.runs.size(); ++i) {
    const HammingLayout::Run& r = a.layout.runs[i];
    const op_args::hamming_pairs call(B, r.words, codes + r.start * size_t(B), r.units, r.weight, K, i > 0);
    cuda::hamming_pairs_many(s, &call, 1);
  }
}

// 0.2.0's path: K zeroed, then each site packed and counted on its own.
void run_v020(cudaStream_t s, const Arch& a, int B, const float* y, uint64_t* codes, int64_t* K) {
  NASWOT_CUDA_CHECK(cudaMemsetAsync(K, 0, size_t(B) * B * sizeof(int64_t), s));
  for (const auto& [units, weight] : a.sites) bench_v020::accumulate(s, units, B, y, weight, K, codes);
}

double seconds(const std::chrono::steady_clock::time_point& t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) try {
  const int B = argc > 1 ? std::atoi(argv[1]) : 128;
  const long n = argc > 2 ? std::atol(argv[2]) : 200;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  const Space& sp = space_named(argc > 4 ? argv[4] : "nb201");
  if (B < 2 || n < 1 || rounds < 1) fail("usage: naswot_hamming_bench [BATCH>=2] [ARCHS>=1] [ROUNDS>=1] [SPACE]");
  std::vector<Arch> archs;
  size_t max_units = 0, max_rows = 0, sites = 0;
  for (long i = 0; i < n; ++i) {  // an even spread over the space's indices
    archs.push_back(sites_of(sp.build(i * (sp.size() / n), NetShape{}), B));
    for (const auto& site : archs.back().sites) max_units = std::max(max_units, site.first);
    max_rows = std::max(max_rows, archs.back().layout.rows);
    sites += archs.back().sites.size();
  }
  std::vector<float> host_y(max_units * size_t(B));
  for (size_t i = 0; i < host_y.size(); ++i) host_y[i] = uniform01(stream_key(11), i) - 0.5f;
  float* y = nullptr;
  uint64_t *codes = nullptr, *scratch = nullptr;
  int64_t *k_new = nullptr, *k_old = nullptr;
  NASWOT_CUDA_CHECK(cudaMalloc(&y, host_y.size() * sizeof(float)));
  NASWOT_CUDA_CHECK(cudaMalloc(&codes, std::max<size_t>(1, max_rows) * B * sizeof(uint64_t)));
  NASWOT_CUDA_CHECK(cudaMalloc(&scratch, std::max<size_t>(1, (max_units + 63) / 64) * B * sizeof(uint64_t)));
  NASWOT_CUDA_CHECK(cudaMalloc(&k_new, size_t(B) * B * sizeof(int64_t)));
  NASWOT_CUDA_CHECK(cudaMalloc(&k_old, size_t(B) * B * sizeof(int64_t)));
  NASWOT_CUDA_CHECK(cudaMemcpy(y, host_y.data(), host_y.size() * sizeof(float), cudaMemcpyHostToDevice));
  cudaStream_t s = nullptr;
  NASWOT_CUDA_CHECK(cudaStreamCreate(&s));

  // Both paths' K, architecture by architecture (this also warms both paths up).
  long unequal = 0;
  std::vector<int64_t> a(size_t(B) * B), b(a.size());
  for (const Arch& arch : archs) {
    run_v020(s, arch, B, y, scratch, k_old);
    run_new(s, arch, B, y, codes, k_new);
    NASWOT_CUDA_CHECK(cudaMemcpy(a.data(), k_old, a.size() * sizeof(int64_t), cudaMemcpyDeviceToHost));
    NASWOT_CUDA_CHECK(cudaMemcpy(b.data(), k_new, b.size() * sizeof(int64_t), cudaMemcpyDeviceToHost));
    unequal += a != b;
  }
  double best_old = 1e30, best_new = 1e30;
  for (int r = 0; r < rounds; ++r)
    for (const bool op_table : {r % 2 == 0, r % 2 != 0}) {
      NASWOT_CUDA_CHECK(cudaStreamSynchronize(s));
      const auto t0 = std::chrono::steady_clock::now();
      for (const Arch& arch : archs)
        op_table ? run_new(s, arch, B, y, codes, k_new) : run_v020(s, arch, B, y, scratch, k_old);
      NASWOT_CUDA_CHECK(cudaStreamSynchronize(s));
      (op_table ? best_new : best_old) = std::min(op_table ? best_new : best_old, seconds(t0));
    }
  size_t launches = 0;  // the op table's: a pack per site, a sum per weight, K zeroed before the first
  for (const Arch& arch : archs)
    launches += arch.sites.size() + arch.layout.runs.size() + (arch.layout.runs.empty() ? 0 : 1);
  cudaDeviceProp prop{};
  int dev = 0;
  NASWOT_CUDA_CHECK(cudaGetDevice(&dev));
  NASWOT_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  const double N = double(archs.size());
  std::printf("# Hamming codes on %s: %s, %zu architectures (an even spread), batch %d, best of %d rounds\n\n",
              prop.name, sp.title(), archs.size(), B, rounds);
  std::printf("%.1f ReLU sites per architecture; K of both paths equal for %ld of %zu architectures.\n\n",
              double(sites) / N, long(archs.size()) - unequal, archs.size());
  std::printf("| path | launches per architecture | ms per architecture |\n|---|---|---|\n");
  std::printf("| 0.2.0: K zeroed, pack and pairs per site | %.1f | %.4f |\n", 1 + 2.0 * double(sites) / N,
              1e3 * best_old / N);
  std::printf("| op table: relu_codes per site, hamming_pairs per weight | %.1f | %.4f |\n", double(launches) / N,
              1e3 * best_new / N);
  std::printf("\nratio (0.2.0 / op table): %.2fx\n", best_old / best_new);
  for (void* p : {static_cast<void*>(y), static_cast<void*>(codes), static_cast<void*>(scratch),
                  static_cast<void*>(k_new), static_cast<void*>(k_old)})
    cudaFree(p);
  cudaStreamDestroy(s);
  return unequal ? 1 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "naswot_hamming_bench: %s\n", e.what());
  return 1;
}
