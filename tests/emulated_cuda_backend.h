// The CUDA backend's own kernels on the CPU: a Backend whose memory is host memory in the CUDA layout
// ([B][C][H][W], no padding) and whose ops run the kernel headers' launchers (kernels/cuda/*.cuh)
// through tests/simt_emulator.h, as engine/backend_cuda.cpp runs them on a stream. What the CUDA
// backend hands to cuDNN, cuBLAS or cuSOLVER (convolutions the batched kernel does not take, weight
// gradients, linear layers, the scores) throws NotEmulated, or, with library stand-ins, runs on a CPU
// backend of its own (the layout converted both ways), so that whole networks run: their own kernels
// emulated, the libraries' work done by the CPU's. Include after the emulator.
#pragma once
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/backend.h"
// clang-format off
#include "kernels/cuda/batchnorm_kernels.cuh"
#include "kernels/cuda/conv2d_kernel.cuh"
#include "kernels/cuda/draws_kernel.cuh"
#include "kernels/cuda/elementwise_kernels.cuh"
#include "kernels/cuda/fisher_kernels.cuh"
#include "kernels/cuda/hamming_kernels.cuh"
#include "kernels/cuda/pooling_kernels.cuh"
// clang-format on

namespace naswot::test {

struct NotEmulated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EmulatedCudaBackend final : public Backend {
 public:
  explicit EmulatedCudaBackend(bool library_stand_ins = false)
      : cpu_(library_stand_ins ? make_cpu_backend(1) : nullptr) {}

  std::string name() const override { return "cuda-emulated"; }
  std::string device() const override { return "the CUDA backend's kernels on the CPU (SIMT emulator)"; }
  std::string model() const override { return "emulated"; }
  size_t padded_batch(int B) const override { return size_t(B); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override {
    std::copy(nchw, nchw + size_t(B) * C * P, dst);
  }
  void download_batch(const float* src, int B, int C, int P, float* nchw) override {
    std::copy(src, src + size_t(B) * C * P, nchw);
  }
  float* arena(size_t floats) override { return grow(arena_, floats); }
  float* persistent(size_t floats) override { return grow(persistent_, floats); }
  void upload(const float* host, float* dst, size_t n) override { std::copy(host, host + n, dst); }
  void download(const float* src, float* host, size_t n) override { std::copy(src, src + n, host); }

  // The op table's KERNEL rows: their launchers, one call or a lockstep step's calls.
#define NASWOT_OP_EMU_KERNEL(name, params, args)  \
  void name params override {                     \
    const op_args::name call(NASWOT_STRIP args);  \
    cuda::name##_many(&call, 1, simt::on_grid()); \
  }                                               \
  void name##_many(const op_args::name* calls, int n) override { cuda::name##_many(calls, n, simt::on_grid()); }
#define NASWOT_OP_EMU_OWN(name, params, args)
#define NASWOT_OP(name, cuda, params, args) NASWOT_OP_EMU_##cuda(name, params, args)
#include "kernels/ops.def"
#undef NASWOT_OP
#undef NASWOT_OP_EMU_OWN
#undef NASWOT_OP_EMU_KERNEL

  // The OWN rows, as engine/backend_cuda.cpp calls them.
  void draw_weights(const WeightDraw* table, int count, float* params) override {
    cuda::dispatch_draws(table, count, params, simt::on_grid());
  }
  void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) override {
    const op_args::conv2d_forward call(d, x, w, y);
    conv2d_forward_many(&call, 1);
  }
  void conv2d_forward_many(const op_args::conv2d_forward* calls, int n) override {
    if (cuda::conv2d_shape_supported(std::get<0>(calls[0])))
      return cuda::conv2d_forward_many(calls, n, simt::on_grid());
    for (int i = 0; i < n; ++i) {
      const auto& [d, x, w, y] = calls[i];
      on_cpu("cuDNN convolution", {act(x, d.B, d.Cin, d.H * d.W), raw(w, size_t(d.Cout) * d.Cin * d.k * d.k)},
             {act(y, d.B, d.Cout, d.Ho * d.Wo)}, false,
             [&](Backend& c, float* const* p) { c.conv2d_forward(d, p[0], p[1], p[2]); });
    }
  }
  void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc) override {
    const op_args::conv2d_backward_data call(d, dy, w, dx, acc);
    conv2d_backward_data_many(&call, 1);
  }
  void conv2d_backward_data_many(const op_args::conv2d_backward_data* calls, int n) override {
    if (cuda::conv2d_shape_supported(std::get<0>(calls[0])))
      return cuda::conv2d_backward_data_many(calls, n, simt::on_grid());
    for (int i = 0; i < n; ++i) {
      const auto& [d, dy, w, dx, acc] = calls[i];
      on_cpu("cuDNN convolution", {act(dy, d.B, d.Cout, d.Ho * d.Wo), raw(w, size_t(d.Cout) * d.Cin * d.k * d.k)},
             {act(dx, d.B, d.Cin, d.H * d.W)}, acc,
             [&](Backend& c, float* const* p) { c.conv2d_backward_data(d, p[0], p[1], p[2], acc); });
    }
  }
  void conv2d_backward_weight(const ConvDims& d, const float* x, const float* dy, float* dw, bool acc) override {
    on_cpu("cuDNN weight gradient", {act(x, d.B, d.Cin, d.H * d.W), act(dy, d.B, d.Cout, d.Ho * d.Wo)},
           {raw(dw, size_t(d.Cout) * d.Cin * d.k * d.k)}, acc,
           [&](Backend& c, float* const* p) { c.conv2d_backward_weight(d, p[0], p[1], p[2], acc); });
  }
  void batchnorm_forward(int C, int HW, int B, const float* x, const float* g, const float* b, float eps, float* y,
                         float* mean, float* rstd, BnStore store) override {
    const op_args::batchnorm_forward call(C, HW, B, x, g, b, eps, y, mean, rstd, store);
    batchnorm_forward_many(&call, 1);
  }
  void batchnorm_forward_many(const op_args::batchnorm_forward* calls, int n) override {
    const int C = std::get<0>(calls[0]), B = std::get<2>(calls[0]);
    cuda::batchnorm_forward_dispatch(calls, n, bn_scratch(C, B), counters_.data(), simt::on_grid());
  }
  void batchnorm_backward(int C, int HW, int B, const float* dy, const float* x, const float* g, const float* mean,
                          const float* rstd, const float* relu_y, float* dx, bool acc) override {
    const op_args::batchnorm_backward call(C, HW, B, dy, x, g, mean, rstd, relu_y, dx, acc);
    batchnorm_backward_many(&call, 1);
  }
  void batchnorm_backward_many(const op_args::batchnorm_backward* calls, int n) override {
    const int C = std::get<0>(calls[0]), B = std::get<2>(calls[0]);
    cuda::batchnorm_backward_dispatch(calls, n, bn_scratch(C, B), counters_.data(), simt::on_grid());
  }
  void batchnorm_backward_affine(int C, int HW, int B, const float* dy, const float* x, const float* mean,
                                 const float* rstd, const float* relu_y, float* dgamma, float* dbeta,
                                 bool acc) override {
    cuda::batchnorm_backward_affine_dispatch(C, HW, B, dy, x, mean, rstd, relu_y, dgamma, dbeta, acc, simt::on_grid());
  }
  void batchnorm_tangent_forward(int C, int HW, int B, const float* x, const float* tx, const float* g, const float* tg,
                                 const float* tb, const float* mean, const float* rstd, const float* relu_y, float* ty,
                                 BnStore store) override {
    cuda::batchnorm_tangent_forward_dispatch(C, HW, B, x, tx, g, tg, tb, mean, rstd, relu_y, ty, store,
                                             grow(coef_, size_t(cuda::kCoef) * C), simt::on_grid());
  }
  void batchnorm_tangent_backward(int C, int HW, int B, const float* dy, const float* tdy, const float* x,
                                  const float* tx, const float* g, const float* tg, const float* mean,
                                  const float* rstd, const float* relu_y, float* tdx, float* tdg, float* tdb,
                                  bool acc) override {
    cuda::batchnorm_tangent_backward_dispatch(C, HW, B, dy, tdy, x, tx, g, tg, mean, rstd, relu_y, tdx, tdg, tdb, acc,
                                              grow(coef_, size_t(cuda::kCoef) * C), simt::on_grid());
  }
  void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C,
                     int dst_c0, bool acc) override {
    const size_t p = size_t(P);
    cuda::copy_block(B, count * p, src, src_C * p, src_c0 * p, dst, dst_C * p, dst_c0 * p, acc, simt::on_grid());
  }
  void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y) override {
    on_cpu("cuBLAS linear layer", {act(x, B, In, 1), raw(w, size_t(Out) * In), raw(bias, bias ? size_t(Out) : 0)},
           {act(y, B, Out, 1)}, false,
           [&](Backend& c, float* const* p) { c.linear_forward(B, In, Out, p[0], p[1], bias ? p[2] : nullptr, p[3]); });
  }
  void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool acc) override {
    on_cpu("cuBLAS linear layer", {act(dy, B, Out, 1), raw(w, size_t(Out) * In)}, {act(dx, B, In, 1)}, acc,
           [&](Backend& c, float* const* p) { c.linear_backward_data(B, In, Out, p[0], p[1], p[2], acc); });
  }
  void linear_backward_weight(int B, int In, int Out, const float* x, const float* dy, float* dw, float* dbias,
                              bool acc) override {
    on_cpu("cuBLAS linear layer", {act(x, B, In, 1), act(dy, B, Out, 1)},
           {raw(dw, size_t(Out) * In), raw(dbias, dbias ? size_t(Out) : 0)}, acc, [&](Backend& c, float* const* p) {
             c.linear_backward_weight(B, In, Out, p[0], p[1], p[2], dbias ? p[3] : nullptr, acc);
           });
  }
  void fisher_terms(int C, int P, int B, const float* act, const float* grad, float* out, bool acc) override {
    std::vector<double> scratch(size_t(std::max(C, 1)));
    cuda::fisher_terms(C, P, B, act, grad, out, acc, scratch.data(), simt::on_grid());
  }

  void hamming_begin(int B) override {
    hamming_B_ = B;
    hamming_K_.assign(size_t(B) * B, 0);
  }
  void hamming_accumulate(size_t per_sample, const float* y, int64_t weight) override {
    hamming_accumulate_to(per_sample, hamming_B_, y, weight, hamming_K_.data());
  }
  void hamming_accumulate_to(size_t per_sample, int B, const float* y, int64_t weight, int64_t* K) override {
    cuda::hamming_accumulate(per_sample, B, y, weight, K, grow(codes_, cuda::codes_words(per_sample, B)),
                             simt::on_grid());
  }
  std::vector<int64_t> hamming_end() override { return hamming_K_; }
  JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) override {
    JacobScore r;
    on_cpu("cuSOLVER score", {act(J, B, int(row), 1)}, {}, false,
           [&](Backend& c, float* const* p) { r = c.jacob_cov_score(p[0], B, row, k); });
    return r;
  }

  // Every finished-block counter of the batch norms is back at zero (the kernels reset them).
  bool counters_clear() const {
    return std::all_of(counters_.begin(), counters_.end(), [](unsigned c) { return c == 0; });
  }

 private:
  // A tensor for on_cpu: an activation (B samples of C x P, converted between the layouts) or raw
  // values (weights: the same in both).
  struct Tensor {
    const float* p;
    int B, C, P;
    size_t raw_n;  // raw: its length (activations: 0)
  };
  static Tensor act(const float* p, int B, int C, int P) { return {p, B, C, P, 0}; }
  static Tensor raw(const float* p, size_t n) { return {p, 0, 0, 0, n}; }
  static size_t floats(const Backend& c, const Tensor& t) {
    return t.raw_n ? t.raw_n : c.padded_batch(t.B) * size_t(t.C) * size_t(t.P);
  }
  // A library call done by the stand-in CPU backend: ins and outs copied into its layout (outs too
  // when the call accumulates), op(cpu, pointers: ins then outs), outs copied back.
  template <class Op>
  void on_cpu(const char* what, const std::vector<Tensor>& ins, const std::vector<Tensor>& outs, bool acc, Op&& op) {
    if (!cpu_) throw NotEmulated(what);
    std::vector<Tensor> all = ins;
    all.insert(all.end(), outs.begin(), outs.end());
    size_t total = 1;
    for (const Tensor& t : all) total += floats(*cpu_, t);
    float* A = cpu_->arena(total);
    std::vector<float*> p;
    for (size_t i = 0; i < all.size(); ++i) {
      const Tensor& t = all[i];
      p.push_back(A);
      const bool in = i < ins.size() || acc;
      if (in && t.p && t.raw_n) cpu_->upload(t.p, A, t.raw_n);
      if (in && t.p && !t.raw_n) cpu_->upload_batch(t.p, t.B, t.C, t.P, A);
      A += floats(*cpu_, t);
    }
    op(*cpu_, p.data());
    for (size_t i = ins.size(); i < all.size(); ++i) {
      const Tensor& t = all[i];
      float* dst = const_cast<float*>(t.p);
      if (dst && t.raw_n) cpu_->download(p[i], dst, t.raw_n);
      if (dst && !t.raw_n) cpu_->download_batch(p[i], t.B, t.C, t.P, dst);
    }
  }
  template <class T>
  static T* grow(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
  void* bn_scratch(int C, int B) {
    return grow(bn_ws_, cuda::kManyCalls * cuda::bn_workspace_bytes(C, B) / sizeof(double) + 1);
  }
  std::unique_ptr<Backend> cpu_;  // the library stand-ins, when asked for
  std::vector<float> arena_, persistent_, coef_;
  std::vector<double> bn_ws_;
  std::vector<int64_t> hamming_K_;
  std::vector<uint64_t> codes_;
  int hamming_B_ = 0;
  std::vector<unsigned> counters_ = std::vector<unsigned>(cuda::kManyCalls, 0);
};

}  // namespace naswot::test
