// Running one op on the CPU and the CUDA backend from the same NCHW host tensors.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "engine/backend.h"
#include "kernels/cpu/cpu_kernels.h"

namespace naswot::gpu_test {

// A host tensor: batch-major (N, per-sample) values, or `raw` (weights: the same in every layout).
struct HostTensor {
  std::vector<float> v;
  int B = 1;
  size_t ps = 0;
  bool raw = false;
};
inline HostTensor act(std::vector<float> v, int B) {
  const size_t ps = v.size() / size_t(B);
  return {std::move(v), B, ps, false};
}
inline HostTensor raw(std::vector<float> v) {
  const size_t n = v.size();
  return {std::move(v), 1, n, true};
}

// Places ins and outs (outs with their initial values, for accumulate) in the backend's arena in its
// layout, runs op on the pointers (ins first, then outs) and returns the outs in batch-major order.
inline std::vector<std::vector<float>> run(Backend& be, const std::vector<HostTensor>& ins,
                                           const std::vector<HostTensor>& outs,
                                           const std::function<void(const std::vector<float*>&)>& op) {
  std::vector<HostTensor> all = ins;
  all.insert(all.end(), outs.begin(), outs.end());
  size_t total = 0;
  std::vector<size_t> off;
  for (const auto& t : all) off.push_back(total), total += t.v.size();
  float* A = be.arena(total + 1);
  std::vector<float*> p;
  for (size_t i = 0; i < all.size(); ++i) {
    const HostTensor& t = all[i];
    std::vector<float> l = t.v;
    if (!t.raw && be.batch_innermost()) cpu::transpose(t.v.data(), l.data(), size_t(t.B), t.ps);
    be.upload(l.data(), A + off[i], l.size());
    p.push_back(A + off[i]);
  }
  op(p);
  std::vector<std::vector<float>> res;
  for (size_t i = ins.size(); i < all.size(); ++i) {
    const HostTensor& t = all[i];
    std::vector<float> l(t.v.size()), r(t.v.size());
    be.download(p[i], l.data(), l.size());
    if (!t.raw && be.batch_innermost()) cpu::transpose(l.data(), r.data(), t.ps, size_t(t.B));
    else r = l;
    res.push_back(std::move(r));
  }
  return res;
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

}  // namespace naswot::gpu_test
