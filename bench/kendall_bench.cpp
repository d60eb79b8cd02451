// Kendall tau-b: the O(n log n) computation (engine/stats.h, what report uses) against the O(n^2)
// pair count, on random samples with ties, in one run; the two must agree bit for bit. Markdown on stdout.
// Usage: naswot_kendall_bench [N,N,... = 15625,100000,423624] [MAX_QUADRATIC_N = 100000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/stats.h"

using namespace naswot;

namespace {
double seconds(const std::chrono::steady_clock::time_point& t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> ns;
  std::stringstream in(argc > 1 ? argv[1] : "15625,100000,423624");
  for (std::string item; std::getline(in, item, ',');) ns.push_back(std::stoul(item));
  const size_t max_quadratic = argc > 2 ? std::stoul(argv[2]) : 100000;
  std::printf("Samples: x of 100,000 levels, y of 2,000 (ties in both), std::mt19937 seed 1.\n\n");
  std::printf("| n | O(n log n) s | O(n^2) s | ratio | bit for bit |\n|---|---|---|---|---|\n");
  for (size_t n : ns) {
    std::mt19937 gen(1);
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) x[i] = double(gen() % 100000), y[i] = double(gen() % 2000) / 7.0;
    auto t0 = std::chrono::steady_clock::now();
    const double fast = kendall_tau_b(x, y);
    const double t_fast = seconds(t0);
    if (n > max_quadratic) {
      std::printf("| %zu | %.4f | (not run) | | |\n", n, t_fast);
      continue;
    }
    t0 = std::chrono::steady_clock::now();
    const double slow = kendall_tau_b_quadratic(x, y);
    const double t_slow = seconds(t0);
    std::printf("| %zu | %.4f | %.3f | %.0fx | %s |\n", n, t_fast, t_slow, t_slow / t_fast,
                std::memcmp(&fast, &slow, sizeof fast) == 0 ? "yes" : "NO");
  }
  return 0;
}
