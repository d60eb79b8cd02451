// Every op of the op table (kernels/ops.def) checked on the CPU backend from one list of cases
// (tests/op_cases.cpp): backward ops against central finite differences of their forward op, ops
// with a one-line definition against it, accumulate mode, repeatability. The GPU test runs the same
// cases on the CUDA backend against the CPU.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "tests/gradcheck.h"
#include "tests/op_cases.h"
#include "tests/test_util.h"

using namespace naswot;
using namespace naswot::op_test;

namespace {

Backend& cpu_backend() {
  static const auto be = make_cpu_backend(2);
  return *be;
}

std::vector<std::vector<float>> run_case(const OpCase& c, const std::vector<HostTensor>& ins, bool acc) {
  return run(cpu_backend(), ins, c.outs, [&](const std::vector<float*>& p) { c.call(cpu_backend(), p, acc); });
}

// A backward case's dx against central differences of its forward op (tests/gradcheck.h), both run
// on the CPU backend from host vectors.
void check_finite_differences(const OpCase& c) {
  const size_t ny = c.ins[0].v.size(), wrt = size_t(1 + c.fd_wrt), out = size_t(c.fd_out);
  const test::Fwd f = [&](const float* x, float* y) {
    std::vector<HostTensor> ins(c.ins.begin() + 1, c.ins.end());  // x, weights...
    ins[wrt - 1].v.assign(x, x + ins[wrt - 1].v.size());
    const auto r = run(cpu_backend(), ins, c.fwd_outs,
                       [&](const std::vector<float*>& p) { c.forward(cpu_backend(), p, false); })[0];
    REQUIRE(r.size() == ny);
    std::copy(r.begin(), r.end(), y);
  };
  const test::Bwd b = [&](const float* dy, float* dx, bool acc) {
    std::vector<HostTensor> ins = c.ins, outs = c.outs;
    ins[0].v.assign(dy, dy + ny);
    outs[out].v.assign(dx, dx + outs[out].v.size());  // what accumulate adds to
    const auto r =
        run(cpu_backend(), ins, outs, [&](const std::vector<float*>& p) { c.call(cpu_backend(), p, acc); })[out];
    std::copy(r.begin(), r.end(), dx);
  };
  test::gradcheck(c.ins[wrt].v, ny, f, b, c.fd_step, c.fd_tol);
}

// A tangent case's outputs against central differences of its base along the tangents.
void check_tangent(const OpCase& c) {
  const auto r = run_case(c, c.ins, false);
  const auto base_at = [&](float h) {
    std::vector<HostTensor> ins = c.ins;
    for (const auto& [t, x] : c.tangent_of)
      for (size_t i = 0; i < ins[size_t(x)].v.size(); ++i) ins[size_t(x)].v[i] += h * c.ins[size_t(t)].v[i];
    return run(cpu_backend(), ins, c.base_outs, [&](const std::vector<float*>& p) { c.base(cpu_backend(), p, false); });
  };
  const auto up = base_at(c.fd_step), down = base_at(-c.fd_step);
  for (int k = 0; k < c.tangent_outs; ++k) {
    CAPTURE(k);
    std::vector<float> fd(up[size_t(k)].size());
    for (size_t i = 0; i < fd.size(); ++i)
      fd[i] = float((double(up[size_t(k)][i]) - double(down[size_t(k)][i])) / (2.0 * c.fd_step));
    CHECK(rel_diff(r[size_t(k)], fd) <= c.fd_tol);
  }
}

}  // namespace

TEST_CASE("op table: every op has cases, and each op is checked against a definition or finite differences") {
  std::set<std::string> ops(std::begin(kOpNames), std::end(kOpNames)), cased, checked;
  for (const OpCase& c : op_cases()) {
    CAPTURE(c.op);
    CHECK(ops.count(c.op) == 1);  // a case of an op the table has
    cased.insert(c.op);
    if (c.host) checked.insert(c.op);
    if (c.forward) checked.insert({c.op, c.forward_op});
    if (c.base) checked.insert(c.op);
  }
  for (const std::string& op : ops) {
    CAPTURE(op);
    CHECK(cased.count(op) == 1);
    CHECK(checked.count(op) == 1);
  }
}

TEST_CASE("op table: every case on the CPU backend") {
  for (const OpCase& c : op_cases()) {
    CAPTURE(c.op);
    CAPTURE(c.what);
    const auto r = run_case(c, c.ins, false);
    const auto again = run_case(c, c.ins, false);  // the same bits again (the arena holds other values now)
    for (size_t i = 0; i < r.size(); ++i) CHECK(same_bits(again[i], r[i]));
    if (!c.exact)
      for (const auto& out : r)
        for (float v : out) REQUIRE(std::isfinite(v));
    if (c.host) {
      const auto want = c.host(c.ins);
      for (size_t i = 0; i < want.size(); ++i)
        CHECK((c.exact ? same_bits(r[i], want[i]) : rel_diff(r[i], want[i]) <= 1e-6));
    }
    if (c.accumulates) {  // outs[0] += the result, on the elements the op writes (zero elsewhere)
      const auto a = run_case(c, c.ins, true)[0];
      std::vector<HostTensor> zero_outs = c.outs;
      std::fill(zero_outs[0].v.begin(), zero_outs[0].v.end(), 0.f);
      const auto r0 = run(cpu_backend(), c.ins, zero_outs,
                          [&](const std::vector<float*>& p) { c.call(cpu_backend(), p, false); })[0];
      std::vector<float> want(a.size());
      for (size_t i = 0; i < a.size(); ++i) want[i] = c.outs[0].v[i] + r0[i];
      CHECK(rel_diff(a, want) <= 1e-6);
    }
    if (c.forward) check_finite_differences(c);
    if (c.base) check_tangent(c);
  }
}

TEST_CASE("op table: a ReLU fused into a convolution gives the bits of the ReLU, then the convolution") {
  struct S {
    int B, cin, h, cout, k, stride, pad;
  };
  for (const S s :
       {S{3, 4, 6, 5, 3, 1, 1}, S{3, 3, 7, 4, 3, 2, 1}, S{5, 5, 4, 3, 1, 1, 0}, S{18, 16, 8, 16, 3, 1, 1}}) {
    const int ho = (s.h + 2 * s.pad - s.k) / s.stride + 1;
    const ConvDims d{s.B, s.cin, s.h, s.h, s.cout, s.k, s.stride, s.pad, ho, ho};
    CAPTURE(s.k);
    CAPTURE(s.stride);
    auto x = naswot::test::random_vec(size_t(s.B) * s.cin * s.h * s.h, 41);
    for (size_t i = 0; i < x.size(); i += 7) x[i] = (i / 7) % 2 ? 0.f : -0.f;  // the ReLU's edge
    check_relu_conv_fusion(cpu_backend(), d, x, naswot::test::random_vec(size_t(s.cout) * s.cin * s.k * s.k, 42),
                           naswot::test::random_vec(size_t(s.B) * s.cout * ho * ho, 43),
                           naswot::test::random_vec(size_t(s.B) * s.cin * s.h * s.h, 44));
  }
}
