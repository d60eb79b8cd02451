// Test cases of every op of the op table (kernels/ops.def) on small shapes, runnable on any backend:
// the CPU checks them against definitions and finite differences (tests/test_ops_table.cpp), the GPU
// test runs each on both backends (tests/gpu/test_cuda_ops.cpp).
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/backend.h"
#include "tests/op_harness.h"

namespace naswot::op_test {

// Pointers: the ins, then the outs, in the backend's memory and layout (op_harness.h's run()).
using Call = std::function<void(Backend&, const std::vector<float*>& p, bool accumulate)>;
using Host = std::function<std::vector<std::vector<float>>(const std::vector<HostTensor>& ins)>;

struct OpCase {
  std::string op;                // its row in kernels/ops.def
  std::string what;              // shapes and options
  std::vector<HostTensor> ins;   // random inputs
  std::vector<HostTensor> outs;  // outputs with their initial values (what accumulate adds to)
  bool accumulates = false;      // call(..., true) adds the result to outs[0]
  Call call;
  double gpu_tol = 1e-5;  // CUDA vs CPU, relative to the output's scale
  bool exact = false;     // outputs are integer words in float slots: compared bit for bit (gpu_tol unused)
  // Definition on the host (outs for accumulate = false), where the op has a short one.
  Host host;
  // Backward ops: ins = {dy, x, weights...}, outs[0] = dx; `forward` computes y from p = {x,
  // weights..., y, fwd_outs[1..]} so that dx = d<dy, y(x)>/dx is checked by finite differences
  // (weight gradients: outs[fd_out] = d<dy, y>/d(forward input fd_wrt)).
  std::string forward_op;  // the op table's forward op this backward op differentiates
  std::vector<HostTensor> fwd_outs;
  Call forward;
  float fd_step = 1e-2f;
  double fd_tol = 1e-2;
  // Weight gradients: the forward input the finite differences perturb (0: x, 1: the first weight
  // tensor, ...) and the output of this op that is its gradient.
  int fd_wrt = 0, fd_out = 0;
  // Tangent ops: `base` computes, from p = {ins..., base_outs...}, the outputs this op differentiates;
  // tangent_of holds pairs (i, j): ins[i] is the tangent of ins[j]. The first tangent_outs outs are
  // checked against central differences of base's first outs along the tangents (step fd_step).
  std::string base_op;
  Call base;
  std::vector<HostTensor> base_outs;
  std::vector<std::pair<int, int>> tangent_of;
  int tangent_outs = 1;
};

// Every case; several per op where modes differ (stride, accumulate, fused ReLU).
const std::vector<OpCase>& op_cases();

// Every case on `be` against `ref`, writing and accumulating where the case does, each output within
// the case's gpu_tol.
inline void check_cases_against(Backend& ref, Backend& be) {
  for (const OpCase& c : op_cases()) {
    for (const bool acc : {false, true}) {
      if (acc && !c.accumulates) continue;
      CAPTURE(c.op);
      CAPTURE(c.what);
      CAPTURE(acc);
      const auto got = run(be, c.ins, c.outs, [&](const std::vector<float*>& p) { c.call(be, p, acc); });
      const auto want = run(ref, c.ins, c.outs, [&](const std::vector<float*>& p) { c.call(ref, p, acc); });
      for (size_t i = 0; i < want.size(); ++i) {
        CAPTURE(i);
        if (c.exact)
          CHECK(same_bits(got[i], want[i]));
        else
          CHECK(rel_diff(got[i], want[i]) <= c.gpu_tol);
      }
    }
  }
}

// conv2d_relu_forward and conv2d_relu_backward_data (writing and accumulating) on be against
// relu_forward + conv2d_forward and conv2d_backward_data + relu_backward on be: the same bits. x holds
// exact zeros and negative zeros too (the ReLU's and the mask's edge).
inline void check_relu_conv_fusion(Backend& be, const ConvDims& d, const std::vector<float>& x,
                                   const std::vector<float>& w, const std::vector<float>& dy,
                                   const std::vector<float>& dx0) {
  const int P = d.H * d.W, Po = d.Ho * d.Wo;
  const size_t nx = be.padded_batch(d.B) * size_t(d.Cin) * P;
  const std::vector<HostTensor> ins = {act(x, d.B, P), raw(w), act(dy, d.B, Po)};
  const HostTensor y0 = act(std::vector<float>(size_t(d.B) * d.Cout * Po), d.B, Po), dx = act(dx0, d.B, P),
                   scratch = act(std::vector<float>(x.size()), d.B, P);
  const auto fused_y =
      run(be, ins, {y0}, [&](const std::vector<float*>& p) { be.conv2d_relu_forward(d, p[0], p[1], p[3]); });
  const auto plain_y = run(be, ins, {y0, scratch}, [&](const std::vector<float*>& p) {
    be.relu_forward(nx, p[0], p[4]);
    be.conv2d_forward(d, p[4], p[1], p[3]);
  });
  CHECK(fused_y[0] == plain_y[0]);
  for (const bool acc : {false, true}) {
    CAPTURE(acc);
    const auto fused = run(be, ins, {dx}, [&](const std::vector<float*>& p) {
      be.conv2d_relu_backward_data(d, p[2], p[1], p[0], p[3], acc);
    });
    const auto plain = run(be, ins, {dx, scratch, scratch}, [&](const std::vector<float*>& p) {
      be.relu_forward(nx, p[0], p[5]);  // the mask: the ReLU's output
      be.conv2d_backward_data(d, p[2], p[1], p[4], false);
      be.relu_backward(nx, p[4], p[5], p[3], acc);
    });
    CHECK(fused[0] == plain[0]);
  }
}

// conv2d_bn_backward_data (writing and accumulating; with and without the input's ReLU mask and the
// batch norm's fused ReLU) on be against batchnorm_backward into a buffer, then conv2d_backward_data
// (or conv2d_relu_backward_data) on be: the same bits. y is the batch norm's input (the convolution's
// output), x the convolution's input (its mask), dx0 what accumulating adds to.
inline void check_bn_conv_fusion(Backend& be, const ConvDims& d, const std::vector<float>& x,
                                 const std::vector<float>& w, const std::vector<float>& y, const std::vector<float>& dy,
                                 const std::vector<float>& dx0) {
  const int P = d.H * d.W, Po = d.Ho * d.Wo, C = d.Cout;
  std::vector<float> gamma(static_cast<size_t>(C)), beta(static_cast<size_t>(C));
  for (int c = 0; c < C; ++c)
    gamma[size_t(c)] = 0.5f + 0.125f * float(c % 9), beta[size_t(c)] = 0.25f - 0.0625f * float(c % 7);
  const HostTensor out0 = act(std::vector<float>(y.size()), d.B, Po), stat0 = raw(std::vector<float>(size_t(C)));
  // p = {x, w, y, dy, gamma, beta, dx, bn output, mean, rstd, scratch}
  const std::vector<HostTensor> ins = {act(x, d.B, P),   raw(w),     act(y, d.B, Po),
                                       act(dy, d.B, Po), raw(gamma), raw(beta)};
  const std::vector<HostTensor> outs = {act(dx0, d.B, P), out0, stat0, stat0, out0};
  for (const bool relu_x : {false, true})
    for (const bool relu_y : {false, true})
      for (const bool acc : {false, true}) {
        CAPTURE(relu_x);
        CAPTURE(relu_y);
        CAPTURE(acc);
        const auto forward = [&](const std::vector<float*>& p) {
          be.batchnorm_forward(C, Po, d.B, p[2], p[4], p[5], 1e-5f, p[7], p[8], p[9],
                               relu_y ? BnStore::ReLU : BnStore::Write);
        };
        const auto fused = run(be, ins, outs, [&](const std::vector<float*>& p) {
          forward(p);
          const BnGrad bn{p[3], p[2], p[4], p[8], p[9], relu_y ? p[7] : nullptr};
          be.conv2d_bn_backward_data(d, bn, p[1], relu_x ? p[0] : nullptr, p[6], acc);
        });
        const auto plain = run(be, ins, outs, [&](const std::vector<float*>& p) {
          forward(p);
          be.batchnorm_backward(C, Po, d.B, p[3], p[2], p[4], p[8], p[9], relu_y ? p[7] : nullptr, p[10], false);
          if (relu_x)
            be.conv2d_relu_backward_data(d, p[10], p[1], p[0], p[6], acc);
          else
            be.conv2d_backward_data(d, p[10], p[1], p[6], acc);
        });
        CHECK(fused[0] == plain[0]);
      }
}

}  // namespace naswot::op_test
