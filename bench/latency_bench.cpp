// Latency of scoring one architecture from a program that embeds naswot (the public C++ API,
// include/naswot/naswot.hpp), warm: the configuration is set up once, then each call scores one
// architecture from its index to its score. Two series: one architecture again and again, and
// distinct architectures (a NAS loop). Markdown on stdout.
// Usage: naswot_latency_bench [BACKEND=auto] [N=50] [BATCH=128] [SPACE=nb201] [OPTION=VALUE ...]
//        (data: $NASWOT_DATA; OPTION: any scoring option of the API, e.g. conv-kernels=naswot)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <naswot/naswot.hpp>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Series {
  std::vector<double> ms;
  double quantile(double q) const {
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5))];
  }
};

double call_ms(naswot::Scorer& s, long index) {
  const auto t0 = Clock::now();
  const naswot::Result r = s.score(index);
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (r.status.empty()) std::abort();  // keeps the call
  return ms;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string backend = argc > 1 ? argv[1] : "auto";
  const int n = argc > 2 ? std::atoi(argv[2]) : 50;
  const std::string batch = argc > 3 ? argv[3] : "128";
  const std::string space = argc > 4 ? argv[4] : "nb201";
  if (n < 2) throw naswot::Error("N must be at least 2");
  const auto t0 = Clock::now();
  std::map<std::string, std::string> options = {{"backend", backend}, {"batch", batch}, {"space", space}};
  for (int i = 5; i < argc; ++i) {
    const std::string kv = argv[i];
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw naswot::Error("expected OPTION=VALUE, got '" + kv + "'");
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  naswot::Scorer s(options);
  const double setup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::printf("# Latency through the C++ API: %s\n\nset-up (data, batch, backend): %.1f ms\n\n", s.describe().c_str(),
              setup_ms);
  const long size = s.space_size();
  // Warm-up: the largest buffers and the convolution plans of the space's shapes.
  for (long i : {0L, size - 1, size / 2}) call_ms(s, i);
  Series same, distinct;
  for (int k = 0; k < n; ++k) same.ms.push_back(call_ms(s, 1));
  for (int k = 0; k < n; ++k) distinct.ms.push_back(call_ms(s, (long(k) * 7919 + 13) % size));
  std::printf("| series | calls | p50 ms | p90 ms | max ms |\n|---|---|---|---|---|\n");
  for (const auto& [name, v] : {std::pair{"one architecture again", &same}, {"distinct architectures", &distinct}})
    std::printf("| %s | %d | %.2f | %.2f | %.2f |\n", name, n, v->quantile(0.5), v->quantile(0.9), v->quantile(1.0));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "naswot_latency_bench: %s\n", e.what());
  return 1;
}
