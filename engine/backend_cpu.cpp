// CPU backend: the reference kernels of kernels/cpu behind the Backend interface.
#include <cblas.h>
#include <omp.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "engine/backend.h"

namespace naswot {
namespace {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, SigmaPrecision sigma) : sigma_(sigma), threads_(threads > 0 ? threads : omp_get_max_threads()) {
    bind_thread();
    // Parallelism comes from OpenMP over fixed work partitions; BLAS (Sigma_J's dsyrk) stays on one thread.
    openblas_set_num_threads(1);
  }
  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return cpu_model() + ", " + std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads");
  }
  // OpenMP's thread count is per host thread: each worker thread sets its own.
  void bind_thread() override { omp_set_num_threads(threads_); }
  size_t padded_batch(int B) const override { return cpu::padded_batch(B); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override { cpu::to_blocked(B, C, P, nchw, dst); }
  void download_batch(const float* src, int B, int C, int P, float* nchw) override {
    cpu::from_blocked(B, C, P, src, nchw);
  }
  float* persistent(size_t floats) override {
    return persistent_.get(floats);
  }
  float* arena(size_t floats) override {
    return arena_.get(floats);
  }
  void upload(const float* host, float* dst, size_t n) override { cpu::copy_or_accumulate(n, host, dst, false); }
  void download(const float* src, float* host, size_t n) override { cpu::copy_or_accumulate(n, src, host, false); }
  void fill(size_t n, float v, float* y) override { cpu::fill(n, v, y); }
  void conv2d_forward(const ConvDims& d, const float* x, const float* w, float* y) override {
    cpu::conv2d_forward(d, x, w, y);
  }
  void conv2d_backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc) override {
    cpu::conv2d_backward_data(d, dy, w, dx, acc);
  }
  void batchnorm_forward(int C, int HW, int B, const float* x, const float* g, const float* b, float eps, float* y,
                         float* mean, float* rstd, BnStore store) override {
    cpu::batchnorm_forward(C, HW, B, x, g, b, eps, y, mean, rstd, store);
  }
  void batchnorm_backward(int C, int HW, int B, const float* dy, const float* x, const float* g, const float* mean,
                          const float* rstd, const float* relu_y, float* dx, bool acc) override {
    cpu::batchnorm_backward(C, HW, B, dy, x, g, mean, rstd, relu_y, dx, acc);
  }
  void relu_forward(size_t n, const float* x, float* y) override { cpu::relu_forward(n, x, y); }
  void relu_backward(size_t n, const float* dy, const float* y, float* dx, bool acc) override {
    cpu::relu_backward(n, dy, y, dx, acc);
  }
  void add_forward(size_t n, const float* const* xs, int count, float* y) override {
    cpu::add_forward(n, xs, count, y);
  }
  void copy_or_accumulate(size_t n, const float* src, float* dst, bool acc) override {
    cpu::copy_or_accumulate(n, src, dst, acc);
  }
  void copy_channels(int B, int P, int count, const float* src, int src_C, int src_c0, float* dst, int dst_C,
                     int dst_c0, bool acc) override {
    cpu::copy_channels(B, P, count, src, src_C, src_c0, dst, dst_C, dst_c0, acc);
  }
  void avgpool3x3_forward(int C, int H, int W, int B, const float* x, float* y, bool acc) override {
    cpu::avgpool3x3_forward(C, H, W, B, x, y, acc);
  }
  void avgpool3x3_backward(int C, int H, int W, int B, const float* dy, float* dx, bool acc) override {
    cpu::avgpool3x3_backward(C, H, W, B, dy, dx, acc);
  }
  void avgpool2x2_forward(int C, int H, int W, int B, const float* x, float* y) override {
    cpu::avgpool2x2_forward(C, H, W, B, x, y);
  }
  void avgpool2x2_backward(int C, int H, int W, int B, const float* dy, float* dx, bool acc) override {
    cpu::avgpool2x2_backward(C, H, W, B, dy, dx, acc);
  }
  void global_avgpool_forward(int C, int HW, int B, const float* x, float* y) override {
    cpu::global_avgpool_forward(C, HW, B, x, y);
  }
  void global_avgpool_backward(int C, int HW, int B, const float* dy, float* dx, bool acc) override {
    cpu::global_avgpool_backward(C, HW, B, dy, dx, acc);
  }
  void maxpool_forward(int C, int H, int W, int B, int k, int s, int p, const float* x, float* y) override {
    cpu::maxpool_forward(C, H, W, B, k, s, p, x, y);
  }
  void maxpool_backward(int C, int H, int W, int B, int k, int s, int p, const float* x, const float* dy, float* dx,
                        bool acc) override {
    cpu::maxpool_backward(C, H, W, B, k, s, p, x, dy, dx, acc);
  }
  void linear_forward(int B, int In, int Out, const float* x, const float* w, const float* b, float* y) override {
    cpu::linear_forward(B, In, Out, x, w, b, y);
  }
  void linear_backward_data(int B, int In, int Out, const float* dy, const float* w, float* dx, bool acc) override {
    cpu::linear_backward_data(B, In, Out, dy, w, dx, acc);
  }
  void hamming_begin(int B) override {
    kb_ = B;
    K_.assign(size_t(B) * B, 0);
  }
  void hamming_accumulate(size_t per_sample, const float* y, int64_t weight) override {
    cpu::hamming_accumulate(per_sample, kb_, y, weight, K_.data(), codes_);
  }
  std::vector<int64_t> hamming_end() override { return std::move(K_); }
  JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) override {
    // Sigma_J does not depend on the order of a row's entries: read the blocked J as `row` channels
    // of one pixel, which gives each sample's entries contiguously.
    jt_.resize(row * size_t(B));
    cpu::from_blocked(B, int(row), 1, J, jt_.data());
    return naswot::jacob_cov_score(jt_.data(), B, row, k, sigma_);
  }

 private:
  // Grow-only host memory: uninitialised, grown by half again on demand and never copied (no caller
  // keeps contents across a growth). Backed by transparent huge pages where the kernel allows: the
  // arena spans hundreds of MB at batch 256, and 4 KB pages cost a fault each and many TLB misses.
  struct HostBuffer {
    struct Free {
      void operator()(float* q) const { std::free(q); }
    };
    std::unique_ptr<float[], Free> p;
    size_t cap = 0;
    float* get(size_t n) {
      if (n > cap) {
        p.reset();
        cap = std::max(n, cap + cap / 2);
        constexpr size_t kHuge = size_t(2) << 20;
        const size_t bytes = (cap * sizeof(float) + kHuge - 1) / kHuge * kHuge;
        p.reset(static_cast<float*>(std::aligned_alloc(kHuge, bytes)));
        if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
        madvise(p.get(), bytes, MADV_HUGEPAGE);  // advice only: ignored where THP is off
#endif
      }
      return p.get();
    }
  };
  SigmaPrecision sigma_;
  int threads_;
  HostBuffer arena_, persistent_;
  std::vector<float> jt_;
  int kb_ = 0;
  std::vector<int64_t> K_;
  std::vector<uint64_t> codes_;  // packing scratch, reused across sites
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, SigmaPrecision sigma) {
  return std::make_unique<CpuBackend>(threads, sigma);
}

}  // namespace naswot
