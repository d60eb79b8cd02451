// A Backend decorator that reports every op call (kernels/ops.def) before forwarding it: the op
// model (bench/gpu_ops_bench.cpp) and the op-table test see exactly the calls the executor makes.
#pragma once
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/backend.h"

namespace naswot {

// One op call: the op (index into kOpNames), its scalar arguments in order (a ConvDims as its ten
// fields, enums and flags as integers; pointers left out), which tell op instances apart, and a
// function that issues the same call again on the inner backend. `reissue` may read host arrays of
// the caller (add_forward's inputs): call it only while the report is being handled.
struct OpCall {
  size_t op = 0;
  std::vector<long> key;
  std::function<void()> reissue;
};

// What the decorator forwards to the inner backend.
enum class Trace {
  Run,         // ops and transfers: the executor's results are the inner backend's
  OpsOnly,     // ops only; uploads and downloads do nothing (e.g. to capture ops into a CUDA graph)
  ReportOnly,  // nothing: calls are reported and not run (counting the calls of a network costs no compute)
};

class TracingBackend final : public Backend {
 public:
  // on_call (may be empty) runs before each op is forwarded.
  TracingBackend(Backend& inner, std::function<void(const OpCall&)> on_call, Trace mode = Trace::Run)
      : inner_(inner), on_call_(std::move(on_call)), mode_(mode) {}
  void set_on_call(std::function<void(const OpCall&)> f) { on_call_ = std::move(f); }
  void set_mode(Trace m) { mode_ = m; }

  std::string name() const override { return inner_.name(); }
  std::string device() const override { return inner_.device(); }
  std::string model() const override { return inner_.model(); }
  size_t padded_batch(int B) const override { return inner_.padded_batch(B); }
  bool convs_read_through() const override { return inner_.convs_read_through(); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override {
    if (mode_ == Trace::Run) inner_.upload_batch(nchw, B, C, P, dst);
  }
  void download_batch(const float* src, int B, int C, int P, float* nchw) override {
    if (mode_ == Trace::Run) inner_.download_batch(src, B, C, P, nchw);
  }
  float* arena(size_t floats) override { return inner_.arena(floats); }
  float* persistent(size_t floats) override { return inner_.persistent(floats); }
  void upload(const float* host, float* dst, size_t n) override {
    if (mode_ == Trace::Run) inner_.upload(host, dst, n);
  }
  void download(const float* src, float* host, size_t n) override {
    if (mode_ == Trace::Run) inner_.download(src, host, n);
  }
  void download_many(const float* const* src, float* const* host, int n, size_t floats) override {
    if (mode_ == Trace::Run) inner_.download_many(src, host, n, floats);
  }
  void range_push(const char* s) override { inner_.range_push(s); }
  void range_pop() override { inner_.range_pop(); }
  void synchronize() override { inner_.synchronize(); }
  Captured capture(const std::function<void()>& issue) override { return inner_.capture(issue); }
  void bind_thread() override { inner_.bind_thread(); }

  // Nothing is built for a report when nobody listens: the op model times host issue through this.
#define NASWOT_OP(name, cuda, params, args)                      \
  void name params override {                                    \
    static constexpr size_t kIndex = op_index(#name);            \
    if (on_call_)                                                \
      report(                                                    \
          kIndex, [&] { inner_.name args; }, NASWOT_STRIP args); \
    if (mode_ != Trace::ReportOnly) inner_.name args;            \
  }
#include "kernels/ops.def"
#undef NASWOT_OP

  JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) override {
    return inner_.jacob_cov_score(J, B, row, k);
  }
  std::vector<JacobScore> jacob_cov_scores(const float* const* J, int n, int B, size_t row, double k) override {
    return inner_.jacob_cov_scores(J, n, B, row, k);
  }

 private:
  template <class T>
  static void scalar(std::vector<long>& key, const T& v) {
    if constexpr (std::is_same_v<T, ConvDims>)
      key.insert(key.end(), {v.B, v.Cin, v.H, v.W, v.Cout, v.k, v.stride, v.pad, v.Ho, v.Wo});
    else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
      key.push_back(long(v));
    // pointers: not part of the key
  }
  template <class... A>
  void report(size_t op, const std::function<void()>& reissue, const A&... a) {
    OpCall c{op, {}, reissue};
    (scalar(c.key, a), ...);
    on_call_(c);
  }
  Backend& inner_;
  std::function<void(const OpCall&)> on_call_;
  Trace mode_;
};

}  // namespace naswot
