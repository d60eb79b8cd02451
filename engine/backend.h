// Backend seam: every op the executor needs, on memory the backend owns (host RAM or device memory).
// Tensors are float32, laid out [C][H][W][B] (batch innermost).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_kernels.h"

namespace naswot {

using cpu::ConvDims;

// All pointers handed to ops point into the backend's arena. Backward ops write their result when
// accumulate is false and add to it when true.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;    // "cpu", "cuda"
  virtual std::string device() const = 0;  // human-readable device description

  // One arena reused across architectures; it only grows, so the scoring loop does not allocate
  // once the largest network has been seen.
  virtual float* arena(size_t floats) = 0;
  virtual void upload(const float* host, float* dst, size_t n) = 0;
  virtual void download(const float* src, float* host, size_t n) = 0;

  virtual void fill(size_t n, float v, float* y) = 0;
  virtual void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) = 0;
  virtual void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx,
                                    bool accumulate) = 0;
  virtual void batchnorm_forward(int C, size_t M, const float* x, const float* gamma, const float* beta,
                                 float eps, float* y, float* mean, float* rstd) = 0;
  virtual void batchnorm_backward(int C, size_t M, const float* dy, const float* x, const float* gamma,
                                  const float* mean, const float* rstd, float* dx, bool accumulate) = 0;
  virtual void relu_forward(size_t n, const float* x, float* y) = 0;
  virtual void relu_backward(size_t n, const float* dy, const float* y, float* dx, bool accumulate) = 0;
  virtual void add_forward(size_t n, const float* const* xs, int count, float* y) = 0;
  virtual void copy_or_accumulate(size_t n, const float* src, float* dst, bool accumulate) = 0;
  virtual void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y) = 0;
  virtual void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) = 0;
  virtual void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y) = 0;
  virtual void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool accumulate) = 0;
  virtual void global_avgpool_forward(int C, int HW, int B, const float* x, float* y) = 0;
  virtual void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool accumulate) = 0;
  virtual void maxpool_forward(int C, int H, int W, int B, int k, int stride, int pad, const float* x, float* y) = 0;
  virtual void maxpool_backward(int C, int H, int W, int B, int k, int stride, int pad, const float* x,
                                const float* dy, float* dx, bool accumulate) = 0;
  virtual void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* bias,
                              float* y) = 0;
  virtual void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx,
                                    bool accumulate) = 0;

  // Hamming kernel of ReLU codes: begin (K = 0, B x B), accumulate one site whose values y are
  // per_sample x B ([C][H][W][B]) with K[a][b] += weight * #{units where (y > 0) agrees}, end (K to host).
  virtual void hamming_begin(int B) = 0;
  virtual void hamming_accumulate(size_t per_sample, const float* y, int64_t weight) = 0;
  virtual std::vector<int64_t> hamming_end() = 0;
};

std::unique_ptr<Backend> make_cpu_backend(int threads);
// name: "cpu", "cuda" or "auto" (the GPU when one is usable, else the CPU).
std::unique_ptr<Backend> make_backend(const std::string& name, int threads);
// Human-readable list of CUDA devices, or why there are none.
std::string describe_cuda_devices();

}  // namespace naswot
