// CUDA backend: cuDNN convolutions (or naswot's, --conv-kernels), cuBLAS for the linear layer,
// custom kernels (kernels/cuda) for the rest, Sigma_J included (cuSOLVER for its spectrum). Tensors are [B][C][H][W].
// One instance owns one stream, its library handles and its device memory, so several instances score in parallel.
//
// cuDNN API choice: the legacy descriptor API (cudnnConvolutionForward & co) by default. Our networks
// use a handful of plain 2-D convolution shapes, for which the legacy heuristics (_v7) and cudnnFind
// give the same engines as the graph API with a fraction of the code; cuDNN 9 marks the legacy calls
// deprecated but ships them. --conv-kernels cudnn-graph runs the scoring path's convolutions through
// the graph API with execution plans cached per shape (engine/cudnn_graph_conv.h), to measure what
// the legacy layer costs per call on the host.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>
#include <cusolverDn.h>
#include <nvtx3/nvToolsExt.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <tuple>
#include <type_traits>
#include <vector>

#include "engine/backend.h"
#include "engine/cudnn_graph_conv.h"
#include "engine/grow_buffer.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "kernels/cuda/many.cuh"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace naswot {
namespace {

std::atomic<long> g_allocations{0};

// Device memory for GrowBuffer, with headroom (fewer regrowths while shapes vary); out of memory
// is an error that says what to change.
struct DeviceMemory {
  static size_t grow(size_t want, size_t) { return want + want / 4 + 256; }
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    const cudaError_t st = cudaMalloc(&p, bytes);
    if (st == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: clear it, the device stays usable
      size_t free = 0, total = 0;
      cudaMemGetInfo(&free, &total);
      char buf[320];
      std::snprintf(buf, sizeof buf,
                    "cuda backend: out of device memory: %.0f MB wanted, %.0f of %.0f MB free (every --workers/"
                    "--streams worker holds buffers as large as the largest network's: use fewer workers or a "
                    "smaller --batch)",
                    bytes / 1e6, free / 1e6, total / 1e6);
      throw OutOfMemory(buf);
    }
    NASWOT_CUDA_CHECK(st);
    ++g_allocations;
    return p;
  }
  static void deallocate(void* p) { cudaFree(p); }
};
template <class T>
using DeviceBuffer = GrowBuffer<T, DeviceMemory>;

// Page-locked host memory for GrowBuffer (the staging buffer of transfers).
struct PinnedMemory {
  static size_t grow(size_t want, size_t) { return want; }
  static void* allocate(size_t bytes) {
    void* p = nullptr;
    NASWOT_CUDA_CHECK(cudaMallocHost(&p, bytes));
    return p;
  }
  static void deallocate(void* p) { cudaFreeHost(p); }
};

// Descriptors and chosen algorithms of one convolution shape.
struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  size_t fwd_ws = 0, bwd_ws = 0, filter_ws = 0;
  bool has_filter = false;  // the filter algorithm is chosen on first use (weight gradients only)
};

// Scoped NVTX range (Nsight Systems' timeline).
struct NvtxRange {
  explicit NvtxRange(const char* name) { nvtxRangePushA(name); }
  ~NvtxRange() { nvtxRangePop(); }
};

constexpr size_t kMaxWorkspace = size_t(512) << 20;

bool math_allowed(cudnnMathType_t m, bool tf32) {
  return tf32 || (m != CUDNN_TENSOR_OP_MATH && m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
}

// First (fastest-ranked) result that succeeded, is deterministic, fits the workspace cap and keeps
// to the requested precision.
template <class Perf>
const Perf* pick(const Perf* r, int n, bool tf32) {
  for (int i = 0; i < n; ++i)
    if (r[i].status == CUDNN_STATUS_SUCCESS && r[i].determinism == CUDNN_DETERMINISTIC &&
        r[i].memory <= kMaxWorkspace && math_allowed(r[i].mathType, tf32))
      return &r[i];
  return nullptr;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const BackendOptions& o)
      : device_(o.device),
        tf32_(o.precision == Precision::Tf32),
        split_(o.precision == Precision::Tf32x3),
        solver_(o.solver),
        sigma_(o.sigma_precision),
        conv_(o.conv) {
    NASWOT_CUDA_CHECK(cudaSetDevice(device_));
    cudaDeviceProp p{};
    NASWOT_CUDA_CHECK(cudaGetDeviceProperties(&p, device_));
    tensor_tf32_ = p.major >= 8;  // mma.sync with TF32 operands: sm_80 and later
    // 3xtf32 without tensor cores or without naswot's kernels is fp32: the description says what runs.
    const bool split_runs = split_ && tensor_tf32_ && conv_ == ConvKernels::Naswot;
    char buf[400];
    std::snprintf(buf, sizeof buf, "%s (cuda:%d, sm_%d%d, %s%s)", p.name, device_, p.major, p.minor,
                  tf32_        ? "tf32"
                  : split_runs ? "3xtf32"
                               : "fp32",
                  conv_ == ConvKernels::Naswot         ? ", naswot convolutions"
                  : conv_ == ConvKernels::NaswotGather ? ", naswot convolutions (gather kernel)"
                  : conv_ == ConvKernels::CudnnGraph   ? ", cuDNN graph-API convolutions"
                                                       : "");
    description_ = buf;
    model_ = std::string(p.name) + " sm_" + std::to_string(p.major) + std::to_string(p.minor);
    NASWOT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    NASWOT_CUDNN_CHECK(cudnnCreate(&cudnn_));
    NASWOT_CUDNN_CHECK(cudnnSetStream(cudnn_, stream_));
    NASWOT_CUBLAS_CHECK(cublasCreate(&cublas_));
    NASWOT_CUBLAS_CHECK(cublasSetStream(cublas_, stream_));
    NASWOT_CUBLAS_CHECK(cublasSetMathMode(cublas_, tf32_ ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
    NASWOT_CUSOLVER_CHECK(cusolverDnCreate(&cusolver_));
    NASWOT_CUSOLVER_CHECK(cusolverDnSetStream(cusolver_, stream_));
    bn_counters_ = bn_counter_buf_.ensure(cuda::kManyCalls);
    NASWOT_CUDA_CHECK(cudaMemsetAsync(bn_counters_, 0, cuda::kManyCalls * sizeof(unsigned), stream_));
    const char* find = std::getenv("NASWOT_CUDNN_FIND");  // set, non-empty and not "0"
    find_ = find && *find && std::strcmp(find, "0") != 0;
    // The batch norms' gradients before the tensor-core convolutions: scratch of at most this many bytes
    // (256 MB; at least one call's). NASWOT_BN_SCRATCH_BYTES sets it (tests split a step with it).
    if (const char* b = std::getenv("NASWOT_BN_SCRATCH_BYTES"); b && *b)
      bn_grad_budget_ = std::strtoull(b, nullptr, 10);
    if (conv_ == ConvKernels::CudnnGraph)
      graph_convs_ =
          std::make_unique<CudnnGraphConvs>(cudnn_, tf32_, [this](size_t b) -> void* { return workspace_.ensure(b); });
  }
  ~CudaBackend() override {
    cudaStreamSynchronize(stream_);
    graph_convs_.reset();  // its plans belong to the cuDNN handle
    for (auto& [k, c] : convs_) {
      cudnnDestroyTensorDescriptor(c.x);
      cudnnDestroyTensorDescriptor(c.y);
      cudnnDestroyFilterDescriptor(c.w);
      cudnnDestroyConvolutionDescriptor(c.conv);
    }
    cusolverDnDestroy(cusolver_);
    cublasDestroy(cublas_);
    cudnnDestroy(cudnn_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cuda"; }
  std::string device() const override { return description_; }
  std::string model() const override { return model_; }
  size_t padded_batch(int B) const override { return size_t(B); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override {
    upload(nchw, dst, size_t(B) * C * P);  // NCHW is this backend's layout
  }
  void download_batch(const float* src, int B, int C, int P, float* nchw) override {
    download(src, nchw, size_t(B) * C * P);
  }

  float* arena(size_t floats) override {
    NASWOT_CUDA_CHECK(cudaSetDevice(device_));  // this instance may be driven from any host thread
    return arena_.ensure(floats);
  }
  float* persistent(size_t floats) override { return persistent_.ensure(floats); }
  void upload(const float* host, float* dst, size_t n) override {
    void* st = staging_.ensure(n * sizeof(float));
    std::memcpy(st, host, n * sizeof(float));
    NASWOT_CUDA_CHECK(cudaMemcpyAsync(dst, st, n * sizeof(float), cudaMemcpyHostToDevice, stream_));
    NASWOT_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the staging buffer is reused by the next call
  }
  void download(const float* src, float* host, size_t n) override { download_bytes(src, host, n * sizeof(float)); }
  void download_many(const float* const* src, float* const* host, int n, size_t floats) override {
    const size_t bytes = floats * sizeof(float);
    std::byte* st = staging_.ensure(size_t(n) * bytes);
    for (int i = 0; i < n; ++i)
      NASWOT_CUDA_CHECK(cudaMemcpyAsync(st + size_t(i) * bytes, src[i], bytes, cudaMemcpyDeviceToHost, stream_));
    NASWOT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    for (int i = 0; i < n; ++i) std::memcpy(host[i], st + size_t(i) * bytes, bytes);
  }

  // The op table's KERNEL rows, each forwarded to its launcher in kernels/cuda (one call or a lockstep
  // step's calls); the OWN rows follow.
#define NASWOT_OP_CUDA_KERNEL(name, params, args) \
  void name params override {                     \
    const op_args::name call(NASWOT_STRIP args);  \
    cuda::name##_many(stream_, &call, 1);         \
  }                                               \
  void name##_many(const op_args::name* calls, int n) override { cuda::name##_many(stream_, calls, n); }
#define NASWOT_OP_CUDA_OWN(name, params, args)
#define NASWOT_OP(name, cuda, params, args) NASWOT_OP_CUDA_##cuda(name, params, args)
#include "kernels/ops.def"
#undef NASWOT_OP
#undef NASWOT_OP_CUDA_OWN
#undef NASWOT_OP_CUDA_KERNEL

  void conv2d_forward_many(const op_args::conv2d_forward* calls, int n) override {
    if (own_tf32_conv(std::get<0>(calls[0])))
      cuda::conv2d_tf32_forward_many(stream_, calls, n, split_);
    else if (own_conv(std::get<0>(calls[0])))
      cuda::conv2d_forward_many(stream_, calls, n, gather());
    else
      Backend::conv2d_forward_many(calls, n);  // one cuDNN call each
  }
  void conv2d_backward_data_many(const op_args::conv2d_backward_data* calls, int n) override {
    if (own_tf32_conv(std::get<0>(calls[0])))
      cuda::conv2d_tf32_backward_data_many(stream_, calls, n, split_);
    else if (own_conv(std::get<0>(calls[0])))
      cuda::conv2d_backward_data_many(stream_, calls, n, gather());
    else
      Backend::conv2d_backward_data_many(calls, n);
  }
  void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) override {
    if (own_tf32_conv(d) || own_conv(d)) {
      const op_args::conv2d_forward call(d, x, w, y);
      return conv2d_forward_many(&call, 1);
    }
    if (graph_convs_) return graph_convs_->forward(d, x, w, y);
    const ConvPlan& c = conv_plan(d);
    const float one = 1.f, zero = 0.f;
    void* ws = workspace_.ensure(c.fwd_ws);
    NASWOT_CUDNN_CHECK(
        cudnnConvolutionForward(cudnn_, &one, c.x, x, c.w, w, c.conv, c.fwd, ws, c.fwd_ws, &zero, c.y, y));
  }
  void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc) override {
    if (own_tf32_conv(d) || own_conv(d)) {
      const op_args::conv2d_backward_data call(d, dy, w, dx, acc);
      return conv2d_backward_data_many(&call, 1);
    }
    if (graph_convs_) return graph_convs_->backward_data(d, dy, w, dx, acc);
    const ConvPlan& c = conv_plan(d);
    const float one = 1.f, beta = acc ? 1.f : 0.f;
    void* ws = workspace_.ensure(c.bwd_ws);
    NASWOT_CUDNN_CHECK(
        cudnnConvolutionBackwardData(cudnn_, &one, c.w, w, c.y, dy, c.conv, c.bwd, ws, c.bwd_ws, &beta, c.x, dx));
  }
  // A ReLU fused into the convolution's input: naswot's kernels apply it on load (forward) and its
  // mask on store (backward-data); cuDNN's path runs the ReLU (or the mask) beside the call through a
  // scratch tensor, with the same bits.
  void conv2d_relu_forward_many(const op_args::conv2d_relu_forward* calls, int n) override {
    if (own_tf32_conv(std::get<0>(calls[0])))
      cuda::conv2d_tf32_relu_forward_many(stream_, calls, n, split_);
    else if (own_conv(std::get<0>(calls[0])))
      cuda::conv2d_relu_forward_many(stream_, calls, n, gather());
    else
      Backend::conv2d_relu_forward_many(calls, n);
  }
  void conv2d_relu_backward_data_many(const op_args::conv2d_relu_backward_data* calls, int n) override {
    if (own_tf32_conv(std::get<0>(calls[0])))
      cuda::conv2d_tf32_relu_backward_data_many(stream_, calls, n, split_);
    else if (own_conv(std::get<0>(calls[0])))
      cuda::conv2d_relu_backward_data_many(stream_, calls, n, gather());
    else
      Backend::conv2d_relu_backward_data_many(calls, n);
  }
  void conv2d_relu_forward(const ConvDims& d, const float* x, const float* w, float* y) override {
    if (own_tf32_conv(d) || own_conv(d)) {
      const op_args::conv2d_relu_forward call(d, x, w, y);
      return conv2d_relu_forward_many(&call, 1);
    }
    const size_t n = size_t(d.B) * d.Cin * d.H * d.W;
    float* r = relu_scratch_.ensure(n);
    relu_forward(n, x, r);
    conv2d_forward(d, r, w, y);
  }
  void conv2d_relu_backward_data(const ConvDims& d, const float* dy, const float* w, const float* x, float* dx,
                                 bool acc) override {
    if (own_tf32_conv(d) || own_conv(d)) {
      const op_args::conv2d_relu_backward_data call(d, dy, w, x, dx, acc);
      return conv2d_relu_backward_data_many(&call, 1);
    }
    const size_t n = size_t(d.B) * d.Cin * d.H * d.W;
    float* g = relu_scratch_.ensure(n);
    conv2d_backward_data(d, dy, w, g, false);
    relu_backward(n, g, x, dx, acc);  // x > 0 exactly where relu(x) > 0
  }
  // A batch norm's backward read through: naswot's kernels compute its input gradient as they stage dy;
  // cuDNN's path runs the batch norm's backward into a scratch tensor first, with the same bits.
  void conv2d_bn_backward_data_many(const op_args::conv2d_bn_backward_data* calls, int n) override {
    const ConvDims& d = std::get<0>(calls[0]);
    if (own_conv(d))
      cuda::conv2d_bn_backward_data_many(stream_, calls, n, bn_scratch(d.Cout, d.Ho * d.Wo, d.B, n), bn_counters_,
                                         gather());
    else if (own_tf32_conv(d))
      bn_backward_then_convs(calls, n);
    else
      Backend::conv2d_bn_backward_data_many(calls, n);
  }
  void conv2d_bn_backward_data(const ConvDims& d, const BnGrad& bn, const float* w, const float* relu_x, float* dx,
                               bool acc) override {
    if (own_conv(d)) {
      const op_args::conv2d_bn_backward_data call(d, bn, w, relu_x, dx, acc);
      return conv2d_bn_backward_data_many(&call, 1);
    }
    float* g = bn_grad_scratch_.ensure(size_t(d.B) * d.Cout * d.Ho * d.Wo);
    batchnorm_backward(d.Cout, d.Ho * d.Wo, d.B, bn.dy, bn.x, bn.gamma, bn.mean, bn.rstd, bn.relu_y, g, false);
    if (relu_x)
      conv2d_relu_backward_data(d, g, w, relu_x, dx, acc);
    else
      conv2d_backward_data(d, g, w, dx, acc);
  }
  void conv2d_backward_weight(const ConvDims& d, const float* x, const float* dy, float* dw, bool acc) override {
    ConvPlan& c = conv_plan(d);
    if (!c.has_filter) choose_filter_algo(d, c);
    const float one = 1.f, beta = acc ? 1.f : 0.f;
    void* ws = workspace_.ensure(c.filter_ws);
    NASWOT_CUDNN_CHECK(cudnnConvolutionBackwardFilter(cudnn_, &one, c.x, x, c.y, dy, c.conv, c.bwd_filter, ws,
                                                      c.filter_ws, &beta, c.w, dw));
  }
  void batchnorm_backward_affine(int C, int HW, int B, const float* dy, const float* x, const float* mean,
                                 const float* rstd, const float* relu_y, float* dgamma, float* dbeta,
                                 bool acc) override {
    cuda::batchnorm_backward_affine(stream_, C, HW, B, dy, x, mean, rstd, relu_y, dgamma, dbeta, acc);
  }
  void batchnorm_tangent_forward(int C, int HW, int B, const float* x, const float* tx, const float* g, const float* tg,
                                 const float* tb, const float* mean, const float* rstd, const float* relu_y, float* ty,
                                 BnStore store) override {
    cuda::batchnorm_tangent_forward(stream_, C, HW, B, x, tx, g, tg, tb, mean, rstd, relu_y, ty, store,
                                    bn_tangent_coef_.ensure(cuda::batchnorm_tangent_scratch_floats(C)));
  }
  void batchnorm_tangent_backward(int C, int HW, int B, const float* dy, const float* tdy, const float* x,
                                  const float* tx, const float* g, const float* tg, const float* mean,
                                  const float* rstd, const float* relu_y, float* tdx, float* tdg, float* tdb,
                                  bool acc) override {
    cuda::batchnorm_tangent_backward(stream_, C, HW, B, dy, tdy, x, tx, g, tg, mean, rstd, relu_y, tdx, tdg, tdb, acc,
                                     bn_tangent_coef_.ensure(cuda::batchnorm_tangent_scratch_floats(C)));
  }
  void draw_weights(const WeightDraw* table, int count, float* params) override {
    cuda::draw_weights(stream_, table, count, params);
  }
  void fisher_terms(int C, int P, int B, const float* act, const float* grad, float* out, bool acc) override {
    cuda::fisher_terms(stream_, C, P, B, act, grad, out, acc, fisher_scratch_.ensure(size_t(C)));
  }
  void batchnorm_forward(int C, int HW, int B, const float* x, const float* g, const float* b, float eps, float* y,
                         float* mean, float* rstd, BnStore store) override {
    const op_args::batchnorm_forward call(C, HW, B, x, g, b, eps, y, mean, rstd, store);
    batchnorm_forward_many(&call, 1);
  }
  void batchnorm_forward_many(const op_args::batchnorm_forward* calls, int n) override {
    const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
    cuda::batchnorm_forward_many(stream_, calls, n, bn_scratch(C, HW, B, n), bn_counters_);
  }
  void batchnorm_apply(int C, int HW, int B, const float* x, const float* g, const float* b, const float* mean,
                       const float* rstd, float* y, BnStore store) override {
    const op_args::batchnorm_apply call(C, HW, B, x, g, b, mean, rstd, y, store);
    batchnorm_apply_many(&call, 1);
  }
  void batchnorm_apply_many(const op_args::batchnorm_apply* calls, int n) override {
    cuda::batchnorm_apply_many(stream_, calls, n);
  }
  // A convolution with the batch-norm statistics of its output: naswot's direct kernel sums them as it
  // stores (the gather kernel's calls are followed by the statistics' launch in the same order); other
  // shapes and cuDNN's path run the batch norm's statistics pass after the call. The same bits as the
  // convolution, then batchnorm_forward's statistics, either way.
  void conv2d_forward_bn_stats(const ConvDims& d, const float* x, const float* w, float* y, float eps, float* mean,
                               float* rstd) override {
    const op_args::conv2d_forward_bn_stats call(d, x, w, y, eps, mean, rstd);
    forward_bn_stats(&call, 1, false);
  }
  void conv2d_forward_bn_stats_many(const op_args::conv2d_forward_bn_stats* calls, int n) override {
    forward_bn_stats(calls, n, false);
  }
  void conv2d_relu_forward_bn_stats(const ConvDims& d, const float* x, const float* w, float* y, float eps, float* mean,
                                    float* rstd) override {
    const op_args::conv2d_relu_forward_bn_stats call(d, x, w, y, eps, mean, rstd);
    forward_bn_stats(&call, 1, true);
  }
  void conv2d_relu_forward_bn_stats_many(const op_args::conv2d_relu_forward_bn_stats* calls, int n) override {
    forward_bn_stats(calls, n, true);
  }
  void batchnorm_backward(int C, int HW, int B, const float* dy, const float* x, const float* g, const float* mean,
                          const float* rstd, const float* relu_y, float* dx, bool acc) override {
    const op_args::batchnorm_backward call(C, HW, B, dy, x, g, mean, rstd, relu_y, dx, acc);
    batchnorm_backward_many(&call, 1);
  }
  void batchnorm_backward_many(const op_args::batchnorm_backward* calls, int n) override {
    const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
    cuda::batchnorm_backward_many(stream_, calls, n, bn_scratch(C, HW, B, n), bn_counters_);
  }
  void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C,
                     int dst_c0, bool acc) override {
    const size_t p = size_t(P);
    cuda::copy_block(stream_, B, count * p, src, src_C * p, src_c0 * p, dst, dst_C * p, dst_c0 * p, acc);
  }

  // y[B][Out] = x[B][In] w[Out][In]^T + bias: column-major, y^T (Out x B) = w^T(op T of In x Out) x^T.
  void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias, float* y) override {
    const float one = 1.f, zero = 0.f;
    NASWOT_CUBLAS_CHECK(cublasSgemm(cublas_, CUBLAS_OP_T, CUBLAS_OP_N, Out, B, In, &one, w, In, x, In, &zero, y, Out));
    cuda::add_bias(stream_, B, Out, bias, y);
  }
  // dx[B][In] = dy[B][Out] w[Out][In]: column-major dx^T (In x B) = w^T (In x Out) dy^T (Out x B).
  void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool acc) override {
    const float one = 1.f, beta = acc ? 1.f : 0.f;
    NASWOT_CUBLAS_CHECK(
        cublasSgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_N, In, B, Out, &one, w, In, dy, Out, &beta, dx, In));
  }

  // dw (column-major In x Out, i.e. [Out][In]) = x^T (In x B) dy (B x Out); dbias = dy^T 1.
  void linear_backward_weight(int B, int In, int Out, const float* x, const float* dy, float* dw, float* dbias,
                              bool acc) override {
    const float one = 1.f, beta = acc ? 1.f : 0.f;
    NASWOT_CUBLAS_CHECK(
        cublasSgemm(cublas_, CUBLAS_OP_N, CUBLAS_OP_T, In, Out, B, &one, x, In, dy, Out, &beta, dw, In));
    if (ones_b_ != B) {
      const op_args::fill call(size_t(B), 1.f, ones_.ensure(size_t(B)));
      cuda::fill_many(stream_, &call, 1);
      ones_b_ = B;
    }
    NASWOT_CUBLAS_CHECK(cublasSgemv(cublas_, CUBLAS_OP_N, Out, B, &one, dy, Out, ones_.data(), 1, &beta, dbias, 1));
  }

  JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) override {
    return std::move(jacob_cov_scores(&J, 1, B, row, k)[0]);  // alone as in a batch: the same bits
  }
  std::vector<JacobScore> jacob_cov_scores(const float* const* J, int n, int B, size_t row, double k) override;

  void range_push(const char* name) override { nvtxRangePushA(name); }
  void range_pop() override { nvtxRangePop(); }
  void synchronize() override { NASWOT_CUDA_CHECK(cudaStreamSynchronize(stream_)); }
  void bind_thread() override { NASWOT_CUDA_CHECK(cudaSetDevice(device_)); }
  Captured capture(const std::function<void()>& issue) override {
    // Thread-local mode: other streams' threads may keep allocating while this one captures.
    NASWOT_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    cudaGraph_t graph = nullptr;
    try {
      issue();
    } catch (...) {
      if (cudaStreamEndCapture(stream_, &graph) == cudaSuccess && graph) cudaGraphDestroy(graph);
      throw;
    }
    NASWOT_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    Captured out;
    size_t n = 0;
    cudaError_t st = cudaGraphGetNodes(graph, nullptr, &n);
    std::vector<cudaGraphNode_t> nodes(n);
    if (st == cudaSuccess && n) st = cudaGraphGetNodes(graph, nodes.data(), &n);
    for (size_t i = 0; st == cudaSuccess && i < n; ++i) {
      cudaGraphNodeType type{};
      st = cudaGraphNodeGetType(nodes[i], &type);
      (type == cudaGraphNodeTypeKernel ? out.kernels : out.other_nodes) += 1;
    }
    cudaGraphExec_t exec = nullptr;
    if (st == cudaSuccess) st = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    NASWOT_CUDA_CHECK(st);
    const std::shared_ptr<CUgraphExec_st> owned(exec, [](cudaGraphExec_t e) { cudaGraphExecDestroy(e); });
    out.launch = [owned, s = stream_] { NASWOT_CUDA_CHECK(cudaGraphLaunch(owned.get(), s)); };
    return out;
  }

  // naswot's kernels stage each input value once: a ReLU or a batch norm's gradient costs one pass over
  // the staged tile (cuDNN's path would run it beside the call through a scratch tensor). The tensor-core
  // kernels read ReLUs through; the batch norms' fused ops run as batched compositions there.
  bool convs_read_through() const override { return conv_ == ConvKernels::Naswot || (gather() && !tf32_); }

 private:
  // --conv-kernels naswot (or naswot-gather, fp32 only) and a shape the batched FMA kernels cover, where
  // the tensor-core kernels do not take it: in every precision the spaces' stride-2 convolutions run
  // here, batched, rather than one cuDNN call each (with --precision tf32, in float32: more exact).
  bool own_conv(const ConvDims& d) const {
    return (conv_ == ConvKernels::Naswot || (gather() && !tf32_)) && cuda::conv2d_supported(d) && !own_tf32_conv(d);
  }
  // --conv-kernels naswot with --precision tf32 or 3xtf32 (split_): the tensor-core kernels, where they
  // take the shape.
  bool own_tf32_conv(const ConvDims& d) const {
    return conv_ == ConvKernels::Naswot && (tf32_ || split_) && tensor_tf32_ && cuda::conv2d_tf32_supported(d);
  }
  bool gather() const { return conv_ == ConvKernels::NaswotGather; }
  // The tensor-core kernels do not read a batch norm's gradient through: the composition, with each pass
  // batched (the batch norms' gradients into scratch, one per call, then the convolutions in one launch
  // for the calls with a ReLU's mask and one for the others), in groups whose scratch stays within
  // bn_grad_budget_ (NB101's 128-channel stages at batch 128 take 64 MB a call).
  void bn_backward_then_convs(const op_args::conv2d_bn_backward_data* calls, int n) {
    const ConvDims& d = std::get<0>(calls[0]);
    const size_t each = size_t(d.B) * d.Cout * d.Ho * d.Wo;
    const int group = int(std::clamp<size_t>(bn_grad_budget_ / (each * sizeof(float)), 1, size_t(n)));
    if (group < n) {
      for (int i = 0; i < n; i += group) bn_backward_then_convs(calls + i, std::min(group, n - i));
      return;
    }
    float* g = bn_grad_scratch_.ensure(each * size_t(n));
    std::vector<op_args::batchnorm_backward> bns;
    std::vector<op_args::conv2d_backward_data> plain;
    std::vector<op_args::conv2d_relu_backward_data> masked;
    for (int i = 0; i < n; ++i) {
      const auto& [dims, bn, w, relu_x, dx, acc] = calls[i];
      float* gi = g + size_t(i) * each;
      bns.emplace_back(d.Cout, d.Ho * d.Wo, d.B, bn.dy, bn.x, bn.gamma, bn.mean, bn.rstd, bn.relu_y, gi, false);
      if (relu_x)
        masked.emplace_back(d, gi, w, relu_x, dx, acc);
      else
        plain.emplace_back(d, gi, w, dx, acc);
    }
    batchnorm_backward_many(bns.data(), n);
    if (!plain.empty()) conv2d_backward_data_many(plain.data(), int(plain.size()));
    if (!masked.empty()) conv2d_relu_backward_data_many(masked.data(), int(masked.size()));
  }
  // Batch norm's scratch for n calls of one launch group (they run kManyCalls at a time).
  void* bn_scratch(int C, int HW, int B, int n) {
    return bn_ws_.ensure(size_t(std::min(n, cuda::kManyCalls)) * cuda::batchnorm_workspace_bytes(C, HW, B));
  }
  void forward_bn_stats(const op_args::conv2d_forward_bn_stats* calls, int n, bool relu) {
    const ConvDims& d = std::get<0>(calls[0]);
    const int C = d.Cout, HW = d.Ho * d.Wo;
    void* ws = bn_scratch(C, HW, d.B, n);
    if (own_conv(d) && cuda::batchnorm_tile_stats(HW))
      return cuda::conv2d_forward_bn_stats_many(stream_, calls, n, ws, bn_counters_, gather(), relu);
    // Otherwise the convolutions (one launch for all on the tensor cores, one call each on cuDNN), then
    // their statistics in launches of several.
    static_assert(std::is_same_v<op_args::conv2d_forward, op_args::conv2d_relu_forward>, "(d, x, w, y) both");
    std::vector<op_args::conv2d_forward> convs;
    for (int i = 0; i < n; ++i)
      convs.emplace_back(d, std::get<1>(calls[i]), std::get<2>(calls[i]), std::get<3>(calls[i]));
    if (relu)
      conv2d_relu_forward_many(convs.data(), n);
    else
      conv2d_forward_many(convs.data(), n);
    cuda::batchnorm_statistics_many(stream_, calls, n, ws, bn_counters_);
  }
  // Sigma_J's cuSOLVER paths (S: B x B lower triangles): the factorisations where sigma_cholesky does
  // not take B, the spectrum where the factorisation fails or is not asked for.
  void cholesky_by_cusolver(double* S, int n, int B, double k, double* terms, int* info);
  JacobScore eigen_score(double* S, int B, double k);
  double* solver_workspace(int B);  // cuSOLVER's, for B
  void download_bytes(const void* src, void* host, size_t bytes) {
    void* st = staging_.ensure(bytes);
    NASWOT_CUDA_CHECK(cudaMemcpyAsync(st, src, bytes, cudaMemcpyDeviceToHost, stream_));
    NASWOT_CUDA_CHECK(cudaStreamSynchronize(stream_));
    std::memcpy(host, st, bytes);
  }

  ConvPlan& conv_plan(const ConvDims& d) {
    const auto key = std::make_tuple(d.B, d.Cin, d.H, d.W, d.Cout, d.k, d.stride, d.pad);
    auto it = convs_.find(key);
    if (it != convs_.end()) return it->second;
    ConvPlan c;
    NASWOT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&c.x));
    NASWOT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&c.y));
    NASWOT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&c.w));
    NASWOT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c.conv));
    NASWOT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(c.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.B, d.Cin, d.H, d.W));
    NASWOT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(c.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d.B, d.Cout, d.Ho, d.Wo));
    NASWOT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(c.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d.Cout, d.Cin, d.k, d.k));
    NASWOT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c.conv, d.pad, d.pad, d.stride, d.stride, 1, 1,
                                                       CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    // fp32: FMA kernels only (cuDNN would otherwise use TF32 tensor cores on Ampere and later).
    NASWOT_CUDNN_CHECK(cudnnSetConvolutionMathType(c.conv, tf32_ ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
    int n = 0, ho = 0, wo = 0, cc = 0;
    NASWOT_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(c.conv, c.x, c.w, &n, &cc, &ho, &wo));
    if (n != d.B || cc != d.Cout || ho != d.Ho || wo != d.Wo)
      fail("cuda backend: cuDNN output shape disagrees with the graph for conv " + conv_dims_text(d));

    constexpr int kMax = 16;
    cudnnConvolutionFwdAlgoPerf_t fr[kMax];
    cudnnConvolutionBwdDataAlgoPerf_t br[kMax];
    int nf = 0, nb = 0;
    if (find_) {  // measured once per shape on this device (NASWOT_CUDNN_FIND=1)
      NASWOT_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(cudnn_, c.x, c.w, c.conv, c.y, kMax, &nf, fr));
      NASWOT_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(cudnn_, c.w, c.y, c.conv, c.x, kMax, &nb, br));
    } else {  // cuDNN's heuristics: the same choice on every run
      NASWOT_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(cudnn_, c.x, c.w, c.conv, c.y, kMax, &nf, fr));
      NASWOT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn_, c.w, c.y, c.conv, c.x, kMax, &nb, br));
    }
    const auto* f = pick(fr, nf, tf32_);
    const auto* b = pick(br, nb, tf32_);
    if (!f || !b) fail("cuda backend: cuDNN offers no deterministic algorithm for conv " + conv_dims_text(d));
    c.fwd = f->algo;
    c.bwd = b->algo;
    NASWOT_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(cudnn_, c.x, c.w, c.conv, c.y, c.fwd, &c.fwd_ws));
    NASWOT_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn_, c.w, c.y, c.conv, c.x, c.bwd, &c.bwd_ws));
    workspace_.ensure(std::max(c.fwd_ws, c.bwd_ws));
    return convs_.emplace(key, c).first->second;
  }

  // The deterministic backward-filter algorithm of a shape (cuDNN's heuristics, or cudnnFind with
  // NASWOT_CUDNN_FIND), within the workspace cap and the requested precision.
  void choose_filter_algo(const ConvDims& d, ConvPlan& c) {
    constexpr int kMax = 16;
    cudnnConvolutionBwdFilterAlgoPerf_t r[kMax];
    int n = 0;
    if (find_)
      NASWOT_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(cudnn_, c.x, c.y, c.conv, c.w, kMax, &n, r));
    else
      NASWOT_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn_, c.x, c.y, c.conv, c.w, kMax, &n, r));
    const auto* f = pick(r, n, tf32_);
    if (!f) fail("cuda backend: cuDNN offers no deterministic weight-gradient algorithm for conv " + conv_dims_text(d));
    c.bwd_filter = f->algo;
    NASWOT_CUDNN_CHECK(
        cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnn_, c.x, c.y, c.conv, c.w, c.bwd_filter, &c.filter_ws));
    workspace_.ensure(c.filter_ws);
    c.has_filter = true;
  }

  int device_;
  bool tf32_, split_, find_ = false, tensor_tf32_ = false;
  size_t bn_grad_budget_ = size_t(256) << 20;
  SigmaSolver solver_;
  SigmaPrecision sigma_;
  ConvKernels conv_;
  std::string description_, model_;
  cudaStream_t stream_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  cusolverDnHandle_t cusolver_ = nullptr;
  std::map<std::tuple<int, int, int, int, int, int, int, int>, ConvPlan> convs_;
  std::unique_ptr<CudnnGraphConvs> graph_convs_;  // --conv-kernels cudnn-graph (forward, backward-data)
  DeviceBuffer<float> arena_, persistent_;
  DeviceBuffer<std::byte> workspace_, bn_ws_;  // cuDNN's workspace; batch norm's partial sums
  DeviceBuffer<unsigned> bn_counter_buf_;
  DeviceBuffer<float> ones_;  // B ones: the linear layer's bias gradient
  DeviceBuffer<double> fisher_scratch_;
  DeviceBuffer<float> bn_tangent_coef_;  // batch norm tangents' per-channel coefficients
  int ones_b_ = 0;
  unsigned* bn_counters_ = nullptr;      // batch norm's finished-block counts: zero between launches
  DeviceBuffer<float> relu_scratch_;     // cuDNN's path of the fused ReLU + convolution ops
  DeviceBuffer<float> bn_grad_scratch_;  // cuDNN's path of conv2d_bn_backward_data: the batch norm's gradient
  DeviceBuffer<double> sig_stats_, sig_S_, sig_M_, sig_X_, sig_W_, solver_ws_;
  DeviceBuffer<char> sig_small_;
  DeviceBuffer<int> sig_eigen_info_;
  GrowBuffer<std::byte, PinnedMemory> staging_;
  int solver_b_ = 0, lwork_potrf_ = 0, lwork_syevd_ = 0;
};

std::vector<JacobScore> CudaBackend::jacob_cov_scores(const float* const* J, int n, int B, size_t row, double k) {
  std::vector<JacobScore> out(size_t(std::max(n, 0)));
  if (n <= 0) return out;
  const size_t BB = size_t(B) * B;
  double* stats = sig_stats_.ensure(size_t(n) * B * 2);
  double* S = sig_S_.ensure(size_t(n) * BB);
  // small: flags (n * B ints), then per architecture 2 doubles of Cholesky terms, then 2n ints of
  // solver status (the factorisation's, then cuSOLVER's solve's), 8-aligned, so that one download
  // brings back all three.
  const size_t flags_bytes = (size_t(n) * B * sizeof(int) + 7) / 8 * 8;
  const size_t small_bytes = flags_bytes + size_t(n) * (2 * sizeof(double) + 2 * sizeof(int));
  char* small = sig_small_.ensure(small_bytes);
  int* flags = reinterpret_cast<int*>(small);
  double* terms = reinterpret_cast<double*>(small + flags_bytes);
  int* info = reinterpret_cast<int*>(small + flags_bytes + size_t(n) * 2 * sizeof(double));

  // Sigma (lower triangles, column-major) = A A^T over the centred unit-norm rows of each J.
  nvtxRangePushA("sigma");
  cuda::sigma_rows(stream_, J, n, B, row, stats, flags);
  cuda::sigma_gram(stream_, J, n, B, row, stats, S, sigma_ == SigmaPrecision::Fp32);
  nvtxRangePop();
  // -ln det(Sigma + kI) - tr((Sigma + kI)^-1) from one factorisation per architecture, all in one
  // launch (beyond its batch sizes: cuSOLVER's calls per architecture), issued without waiting for
  // the row checks: one round trip for the n networks.
  const bool cholesky = solver_ != SigmaSolver::Eigen, by_cusolver = !cuda::sigma_cholesky_supported(B);
  if (cholesky) {
    const NvtxRange range("cholesky");
    if (by_cusolver)
      cholesky_by_cusolver(S, n, B, k, terms, info);
    else
      cuda::sigma_cholesky(stream_, n, B, S, k, flags, terms, info);
  }
  std::vector<char> host_small(small_bytes);
  download_bytes(small, host_small.data(), cholesky ? small_bytes : flags_bytes);
  const int* hflags = reinterpret_cast<const int*>(host_small.data());
  for (int a = 0; a < n; ++a) {
    JacobScore& o = out[size_t(a)];
    // The CPU's row checks, in its order: the first bad row names the reason.
    const int* f = hflags + size_t(a) * B;
    const int* bad = std::find_if(f, f + B, [](int v) { return v != 0; });
    if (bad != f + B) {
      o = degenerate_score(degenerate_row_reason(int(bad - f), *bad));
      continue;
    }
    if (cholesky) {
      double ht[2];
      int hi[2] = {0, 0};  // the factorisation's status; cuSOLVER's solve's (the kernel has none)
      const char* at = host_small.data() + flags_bytes;
      std::memcpy(ht, at + size_t(a) * sizeof ht, sizeof ht);
      std::memcpy(&hi[0], at + size_t(n) * sizeof ht + size_t(a) * sizeof(int), sizeof(int));
      if (by_cusolver) std::memcpy(&hi[1], at + size_t(n) * sizeof ht + size_t(n + a) * sizeof(int), sizeof(int));
      if (hi[0] == 0 && hi[1] == 0 && std::isfinite(ht[0] + ht[1])) {
        o.score = -(ht[0] + ht[1]);
        continue;
      }
    }
    // Not positive definite (an eigenvalue <= -k) or not finite, or --sigma-solver eigen: the
    // spectrum says which.
    o = eigen_score(S + size_t(a) * BB, B, k);
  }
  return out;
}

// B beyond sigma_cholesky's: per architecture a, cuSOLVER's factorisation of clamp(S_a) + kI (S_a
// clamped in place) and its solve against I, then the terms, into terms[2a..] and info[a] (factorisation), info[n + a]
// (solve): the calls one architecture alone makes, so the same bits in any group.
void CudaBackend::cholesky_by_cusolver(double* S, int n, int B, double k, double* terms, int* info) {
  const size_t BB = size_t(B) * B;
  double* work = solver_workspace(B);
  double* M = sig_M_.ensure(size_t(n) * BB);
  double* X = sig_X_.ensure(size_t(n) * BB);
  for (int a = 0; a < n; ++a) {
    double* Ma = M + size_t(a) * BB;
    double* Xa = X + size_t(a) * BB;
    cuda::clamp_sigma(stream_, B, S + size_t(a) * BB, k, Ma);
    NASWOT_CUSOLVER_CHECK(cusolverDnDpotrf(cusolver_, CUBLAS_FILL_MODE_LOWER, B, Ma, B, work, lwork_potrf_, info + a));
    cuda::set_identity(stream_, B, Xa);
    NASWOT_CUSOLVER_CHECK(cusolverDnDpotrs(cusolver_, CUBLAS_FILL_MODE_LOWER, B, B, Ma, B, Xa, B, info + n + a));
    cuda::cholesky_terms(stream_, B, Ma, Xa, terms + 2 * a);
  }
}

// The score from the spectrum of S (clamped here), by cuSOLVER's syevd.
JacobScore CudaBackend::eigen_score(double* S, int B, double k) {
  const NvtxRange range("eigen");
  double* W = sig_W_.ensure(size_t(B));
  double* work = solver_workspace(B);
  int* info = sig_eigen_info_.ensure(1);
  cuda::clamp_sigma(stream_, B, S, 0.0, nullptr);
  NASWOT_CUSOLVER_CHECK(cusolverDnDsyevd(cusolver_, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, B, S, B, W,
                                         work, lwork_syevd_, info));
  std::vector<double> w(static_cast<size_t>(B));
  int hinfo = 0;
  download_bytes(W, w.data(), w.size() * sizeof(double));
  download_bytes(info, &hinfo, sizeof hinfo);
  if (hinfo != 0) return degenerate_score("cusolver syevd failed (info " + std::to_string(hinfo) + ")");
  return score_from_eigenvalues(std::move(w), k);
}

double* CudaBackend::solver_workspace(int B) {
  if (solver_b_ != B) {
    double* S = sig_M_.ensure(size_t(B) * B);
    double* W = sig_W_.ensure(size_t(B));
    NASWOT_CUSOLVER_CHECK(cusolverDnDpotrf_bufferSize(cusolver_, CUBLAS_FILL_MODE_LOWER, B, S, B, &lwork_potrf_));
    NASWOT_CUSOLVER_CHECK(cusolverDnDsyevd_bufferSize(cusolver_, CUSOLVER_EIG_MODE_NOVECTOR, CUBLAS_FILL_MODE_LOWER, B,
                                                      S, B, W, &lwork_syevd_));
    solver_b_ = B;
  }
  return solver_ws_.ensure(size_t(std::max(lwork_potrf_, lwork_syevd_)));
}

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& o) { return std::make_unique<CudaBackend>(o); }

long cuda_device_allocations() { return g_allocations.load(); }

}  // namespace naswot
