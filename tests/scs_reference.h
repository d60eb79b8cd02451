// The textbook dynamic programme for a shortest common supersequence: the reference that
// tests/test_lockstep.cpp and bench/lockstep_bench.cpp compare the engine's bit-parallel one with.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace naswot::test {

// Full (n + 1) x (m + 1) table; traceback from the end: a match first, then a's element while that
// keeps the length.
inline size_t reference_supersequence(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b,
                                      std::vector<uint32_t>& out, std::vector<uint32_t>& a_at,
                                      std::vector<uint32_t>& b_at) {
  const size_t n = a.size(), m = b.size(), w = m + 1;
  std::vector<uint32_t> D((n + 1) * w);
  for (size_t j = 0; j <= m; ++j) D[j] = uint32_t(j);
  for (size_t i = 1; i <= n; ++i) {
    D[i * w] = uint32_t(i);
    for (size_t j = 1; j <= m; ++j)
      D[i * w + j] =
          a[i - 1] == b[j - 1] ? D[(i - 1) * w + j - 1] + 1 : std::min(D[(i - 1) * w + j], D[i * w + j - 1]) + 1;
  }
  const size_t len = D[n * w + m];
  out.assign(len, 0);
  a_at.assign(n, 0);
  b_at.assign(m, 0);
  size_t i = n, j = m, k = len;
  while (i > 0 || j > 0) {
    --k;
    if (i > 0 && j > 0 && a[i - 1] == b[j - 1])
      out[k] = a[i - 1], a_at[--i] = uint32_t(k), b_at[--j] = uint32_t(k);
    else if (j == 0 || (i > 0 && D[(i - 1) * w + j] <= D[i * w + j - 1]))
      out[k] = a[i - 1], a_at[--i] = uint32_t(k);
    else
      out[k] = b[j - 1], b_at[--j] = uint32_t(k);
  }
  return len;
}

}  // namespace naswot::test
