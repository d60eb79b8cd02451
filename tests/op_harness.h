// Running one op on any backend from NCHW host tensors (the op-table test, the CUDA-vs-CPU tests).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "engine/backend.h"

namespace naswot::op_test {

// A host tensor: NCHW values of B samples, C channels, P pixels (P = 1 where the op does not care
// about pixels), or `raw` (weights: the same in every layout).
struct HostTensor {
  std::vector<float> v;
  int B = 1, C = 0, P = 1;
  bool raw = false;
};
inline HostTensor act(std::vector<float> v, int B, int P = 1) {
  const int C = int(v.size() / size_t(B) / size_t(P));
  return {std::move(v), B, C, P, false};
}
inline HostTensor raw(std::vector<float> v) { return {std::move(v), 1, 0, 1, true}; }

// Places ins and outs (outs with their initial values, for accumulate) in the backend's arena in its
// layout, runs op on the pointers (ins first, then outs) and returns the outs in batch-major order.
inline std::vector<std::vector<float>> run(Backend& be, const std::vector<HostTensor>& ins,
                                           const std::vector<HostTensor>& outs,
                                           const std::function<void(const std::vector<float*>&)>& op) {
  std::vector<HostTensor> all = ins;
  all.insert(all.end(), outs.begin(), outs.end());
  size_t total = 0;
  std::vector<size_t> off;
  for (const auto& t : all)
    off.push_back(total), total += t.raw ? t.v.size() : be.padded_batch(t.B) * size_t(t.C) * t.P;
  float* A = be.arena(total + 1);
  std::vector<float*> p;
  for (size_t i = 0; i < all.size(); ++i) {
    const HostTensor& t = all[i];
    if (t.raw)
      be.upload(t.v.data(), A + off[i], t.v.size());
    else
      be.upload_batch(t.v.data(), t.B, t.C, t.P, A + off[i]);
    p.push_back(A + off[i]);
  }
  op(p);
  std::vector<std::vector<float>> res;
  for (size_t i = ins.size(); i < all.size(); ++i) {
    const HostTensor& t = all[i];
    std::vector<float> r(t.v.size());
    if (t.raw)
      be.download(p[i], r.data(), r.size());
    else
      be.download_batch(p[i], t.B, t.C, t.P, r.data());
    res.push_back(std::move(r));
  }
  return res;
}

// The same bits (integer words kept in float slots: NaN patterns compare too).
inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// max |a - b| relative to max(|b|, floor).
inline double rel_diff(const std::vector<float>& a, const std::vector<float>& b, double floor = 1e-3) {
  double scale = floor, worst = 0;
  for (float v : b) scale = std::max(scale, double(std::fabs(v)));
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - double(b[i]));
    worst = std::max(worst, std::isnan(d) ? 1e30 : d);
  }
  return a.size() == b.size() ? worst / scale : 1e30;
}

}  // namespace naswot::op_test
