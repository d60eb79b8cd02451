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
#include "engine/grow_buffer.h"
#include "kernels/cpu/cpu_kernels.h"

namespace naswot {
namespace {

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// Host memory for GrowBuffer, grown by half again on demand and backed by transparent huge pages
// where the kernel allows: the arena spans hundreds of MB at batch 256, and 4 KB pages cost a fault
// each and many TLB misses.
struct HugePageMemory {
  static constexpr size_t kHuge = size_t(2) << 20;
  static size_t grow(size_t want, size_t cap) { return (std::max(want, cap + cap / 2) + kHuge - 1) / kHuge * kHuge; }
  static void* allocate(size_t bytes) {
    void* p = std::aligned_alloc(kHuge, bytes);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);  // advice only: ignored where THP is off
#endif
    return p;
  }
  static void deallocate(void* p) { std::free(p); }
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, SigmaPrecision sigma)
      : sigma_(sigma), threads_(threads > 0 ? threads : omp_get_max_threads()) {
    bind_thread();
    // Parallelism comes from OpenMP over fixed work partitions; BLAS (Sigma_J's dsyrk) stays on one thread.
    openblas_set_num_threads(1);
  }
  std::string name() const override { return "cpu"; }
  std::string device() const override {
    return cpu_model() + ", " + std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads");
  }
  // Builds with other kernel variants (-DNASWOT_NATIVE=OFF, another CPU's -march=native) round differently.
  std::string model() const override { return cpu::kernel_variant(); }
  // OpenMP's thread count is per host thread: each worker thread sets its own.
  void bind_thread() override { omp_set_num_threads(threads_); }
  size_t padded_batch(int B) const override { return cpu::padded_batch(B); }
  void upload_batch(const float* nchw, int B, int C, int P, float* dst) override {
    cpu::to_blocked(B, C, P, nchw, dst);
  }
  void download_batch(const float* src, int B, int C, int P, float* nchw) override {
    cpu::from_blocked(B, C, P, src, nchw);
  }
  float* persistent(size_t floats) override { return persistent_.ensure(floats); }
  float* arena(size_t floats) override { return arena_.ensure(floats); }
  void upload(const float* host, float* dst, size_t n) override { cpu::copy_or_accumulate(n, host, dst, false); }
  void download(const float* src, float* host, size_t n) override { cpu::copy_or_accumulate(n, src, host, false); }
  // The op table's rows, each forwarded to its kernel in kernels/cpu.
#define NASWOT_OP(name, cuda, params, args) \
  void name params override { cpu::name args; }
#include "kernels/ops.def"
#undef NASWOT_OP

  JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) override {
    // Sigma_J does not depend on the order of a row's entries: read the blocked J as `row` channels
    // of one pixel, which gives each sample's entries contiguously.
    jt_.resize(row * size_t(B));
    cpu::from_blocked(B, int(row), 1, J, jt_.data());
    return naswot::jacob_cov_score(jt_.data(), B, row, k, sigma_);
  }

 private:
  SigmaPrecision sigma_;
  int threads_;
  GrowBuffer<float, HugePageMemory> arena_, persistent_;
  std::vector<float> jt_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads, SigmaPrecision sigma) {
  return std::make_unique<CpuBackend>(threads, sigma);
}

}  // namespace naswot
