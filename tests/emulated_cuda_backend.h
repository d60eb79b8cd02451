// The CUDA backend's own kernels on the CPU: a Backend whose memory is host memory in the CUDA layout
// ([B][C][H][W], no padding) and whose ops run the kernel headers' launchers (kernels/cuda/*.cuh)
// through tests/simt_emulator.h, as engine/backend_cuda.cpp runs them on a stream. What the CUDA
// backend hands to cuDNN, cuBLAS or cuSOLVER (convolutions the batched kernel does not take, weight
// gradients, linear layers, the scores) throws NotEmulated. Include after the emulator.
#pragma once
#include <algorithm>
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
#include "kernels/cuda/pooling_kernels.cuh"
// clang-format on

namespace naswot::test {

struct NotEmulated : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EmulatedCudaBackend final : public Backend {
 public:
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
    if (!cuda::conv2d_shape_supported(std::get<0>(calls[0]))) throw NotEmulated("cuDNN convolution");
    cuda::conv2d_forward_many(calls, n, simt::on_grid());
  }
  void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc) override {
    const op_args::conv2d_backward_data call(d, dy, w, dx, acc);
    conv2d_backward_data_many(&call, 1);
  }
  void conv2d_backward_data_many(const op_args::conv2d_backward_data* calls, int n) override {
    if (!cuda::conv2d_shape_supported(std::get<0>(calls[0]))) throw NotEmulated("cuDNN convolution");
    cuda::conv2d_backward_data_many(calls, n, simt::on_grid());
  }
  void conv2d_backward_weight(const ConvDims&, const float*, const float*, float*, bool) override {
    throw NotEmulated("cuDNN weight gradient");
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
  void linear_forward(int, int, int, const float*, const float*, const float*, float*) override {
    throw NotEmulated("cuBLAS linear layer");
  }
  void linear_backward_data(int, int, int, const float*, const float*, float*, bool) override {
    throw NotEmulated("cuBLAS linear layer");
  }
  void linear_backward_weight(int, int, int, const float*, const float*, float*, float*, bool) override {
    throw NotEmulated("cuBLAS linear layer");
  }
  void fisher_terms(int C, int P, int B, const float* act, const float* grad, float* out, bool acc) override {
    std::vector<double> scratch(size_t(std::max(C, 1)));
    cuda::fisher_terms(C, P, B, act, grad, out, acc, scratch.data(), simt::on_grid());
  }

  void hamming_begin(int) override { throw NotEmulated("Hamming kernel"); }
  void hamming_accumulate(size_t, const float*, int64_t) override { throw NotEmulated("Hamming kernel"); }
  std::vector<int64_t> hamming_end() override { throw NotEmulated("Hamming kernel"); }
  void hamming_accumulate_to(size_t, int, const float*, int64_t, int64_t*) override {
    throw NotEmulated("Hamming kernel");
  }
  JacobScore jacob_cov_score(const float*, int, size_t, double) override { throw NotEmulated("cuSOLVER score"); }

  // Every finished-block counter of the batch norms is back at zero (the kernels reset them).
  bool counters_clear() const {
    return std::all_of(counters_.begin(), counters_.end(), [](unsigned c) { return c == 0; });
  }

 private:
  template <class T>
  static T* grow(std::vector<T>& v, size_t n) {
    if (v.size() < n) v.resize(n);
    return v.data();
  }
  void* bn_scratch(int C, int B) {
    return grow(bn_ws_, cuda::kManyCalls * cuda::bn_workspace_bytes(C, B) / sizeof(double) + 1);
  }
  std::vector<float> arena_, persistent_, coef_;
  std::vector<double> bn_ws_;
  std::vector<unsigned> counters_ = std::vector<unsigned>(cuda::kManyCalls, 0);
};

}  // namespace naswot::test
