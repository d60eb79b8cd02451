// Backend seam: every op the executor needs, on memory the backend owns (host RAM or device memory).
// Tensors are float32 in the backend's layout: the CPU's blocked [block][H][W][C][lane] (kernels/cpu/
// cpu_kernels.h) or [B][C][H][W] (CUDA).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/score_jacob.h"
#include "kernels/op_table.h"

namespace naswot {

// Memory, transfers and the stream of one backend instance.
class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;    // "cpu", "cuda"
  virtual std::string device() const = 0;  // human-readable device description
  // Besides the options, what determines the bits of the results: the CPU kernels' variant
  // ("avx2-fma"), the GPU model ("NVIDIA H200 sm_90").
  virtual std::string model() const = 0;
  // Samples an activation buffer of batch B holds (the CPU pads to whole lane blocks); element-wise
  // ops take counts of per_sample * padded_batch(B).
  virtual size_t padded_batch(int B) const = 0;
  // Whether plans should have convolutions read their neighbours through (PlanOptions::conv_loads): a
  // ReLU before them applied as they load, a batch norm after them whose input gradient their
  // backward-data computes as it loads. It pays where the kernels stage each input value once for
  // less than a pass over memory costs (naswot's GPU kernels). The CPU's kernel would apply a ReLU
  // once per tap and output-channel block: slower there (bench/results/relu_loads_cpu_2026-12-06.md).
  // The same bits either way.
  virtual bool convs_read_through() const { return false; }
  // Host NCHW (B x C x P pixels) to this backend's layout in device memory, and back.
  virtual void upload_batch(const float* nchw, int B, int C, int P, float* dst) = 0;
  virtual void download_batch(const float* src, int B, int C, int P, float* nchw) = 0;

  // One arena reused across architectures; it only grows, so the scoring loop does not allocate
  // once the largest network has been seen.
  virtual float* arena(size_t floats) = 0;
  // A second buffer that outlives arena growth: the executor keeps the input batch there.
  virtual float* persistent(size_t floats) = 0;
  virtual void upload(const float* host, float* dst, size_t n) = 0;
  virtual void download(const float* src, float* host, size_t n) = 0;
  // n downloads of `floats` each, host[i] <- src[i], with one wait where downloads wait (CUDA: one
  // stream synchronisation for all, not one each). The default downloads them one by one.
  virtual void download_many(const float* const* src, float* const* host, int n, size_t floats);

  // Profiler ranges (NVTX on CUDA) around the stages of scoring; no-ops elsewhere.
  virtual void range_push(const char*) {}
  virtual void range_pop() {}
  // Waits until the ops issued so far have finished (a no-op where ops are synchronous): NASWOT_PROFILE.
  virtual void synchronize() {}
  // Records the ops that `issue` enqueues into a CUDA graph, without running them, and returns a
  // function that launches that graph on this backend's stream, with the graph's node counts
  // (bench/gpu_ops_bench.cpp measures what graphs save, and counts the kernels behind one op call).
  // Throws on backends that run ops at once.
  struct Captured {
    std::function<void()> launch;
    int kernels = 0;      // kernel nodes
    int other_nodes = 0;  // memsets, copies, host functions, ...
  };
  virtual Captured capture(const std::function<void()>& issue);
  // Called on a host thread before it drives this instance (score-space's workers each have one):
  // binds the thread's state, the CPU's OpenMP thread count or the CUDA device.
  virtual void bind_thread() {}
};

// The op table's ops (kernels/ops.def: what each computes) on memory of the same instance's Device:
// every pointer points into its arena or persistent buffer.
//
// NAME_many runs n calls of one op whose scalar arguments are equal (only the pointers differ: one
// call per architecture of a lockstep step, engine/lockstep.h), as if they ran one after another in
// order. The default does exactly that; a backend overrides it where one launch for all n pays.
class Ops {
 public:
  virtual ~Ops() = default;
#define NASWOT_OP(name, cuda, params, args)                                                           \
  virtual void name params = 0;                                                                       \
  virtual void name##_many(const op_args::name* calls, int n) {                                       \
    for (int i = 0; i < n; ++i) std::apply([this](const auto&... a) { this->name(a...); }, calls[i]); \
  }
#include "kernels/ops.def"
#undef NASWOT_OP
};

// The scores' own kernels on the backend's memory: the seam between the executor's tensors and the
// small B x B algebra of each score.
class ScoreKernels {
 public:
  virtual ~ScoreKernels() = default;
  // The v1 score of the input-gradient J (row values per sample, this backend's layout): Sigma_J and its spectrum.
  virtual JacobScore jacob_cov_score(const float* J, int B, size_t row, double k) = 0;
  // The scores of n Jacobians, as n calls of jacob_cov_score give them (the same bits); a backend may
  // compute them together (the CUDA backend: a few launches and one transfer for all n).
  virtual std::vector<JacobScore> jacob_cov_scores(const float* const* J, int n, int B, size_t row, double k) {
    std::vector<JacobScore> out;
    for (int i = 0; i < n; ++i) out.push_back(jacob_cov_score(J[i], B, row, k));
    return out;
  }
};

// One backend instance: its device memory and stream, the ops on them and the scores' kernels.
class Backend : public Device, public Ops, public ScoreKernels {};

// How Sigma_J's score is computed on a GPU: the spectrum (syevd) or one Cholesky factorisation of
// Sigma_J + kI (log-determinant and trace of the inverse); auto = Cholesky, falling back to the
// spectrum when the factorisation fails. The CPU always uses the spectrum.
enum class SigmaSolver { Auto, Eigen, Cholesky };

// out = the value that name names in a table of option names; false (out untouched) for another name.
template <class E, size_t N>
bool value_named(const std::pair<const char*, E> (&names)[N], const std::string& name, E& out) {
  for (const auto& [n, v] : names)
    if (name == n) return out = v, true;
  return false;
}

// The CUDA backend's convolutions: cuDNN's legacy calls (the general path), naswot's own batched
// kernels for the shapes they cover (kernels/cuda/conv2d.cu: stride 1 and the spaces' 3x3 stride 2;
// one launch per lockstep step; cuDNN for the rest), or cuDNN's graph API with execution plans cached per shape
// (forward and backward-data; weight gradients stay on the legacy calls). They may round differently, except
// NaswotGather: naswot's general (gather) kernel on every stride-1 shape, also where Naswot runs its
// direct kernel (the same bits; the direct kernel's baseline in benchmarks).
enum class ConvKernels { Cudnn, Naswot, CudnnGraph, NaswotGather };
// Their names (--conv-kernels): cudnn, naswot, cudnn-graph, naswot-gather; false for another name.
inline bool conv_kernels_named(const std::string& name, ConvKernels& out) {
  static const std::pair<const char*, ConvKernels> names[] = {{"cudnn", ConvKernels::Cudnn},
                                                              {"naswot", ConvKernels::Naswot},
                                                              {"cudnn-graph", ConvKernels::CudnnGraph},
                                                              {"naswot-gather", ConvKernels::NaswotGather}};
  return value_named(names, name, out);
}

// The CUDA backend's arithmetic (--precision): Fp32, FMA in float32 everywhere; Tf32, TF32 tensor
// cores allowed in convolutions and GEMMs (operands rounded to 10 mantissa bits); Tf32x3 (3xtf32), with
// --conv-kernels naswot on sm_80 and later, the stride-1 convolutions on the tensor cores as three TF32
// products of each operand's two TF32 parts (float32's accuracy class), everything else as Fp32.
enum class Precision { Fp32, Tf32, Tf32x3 };
// Their names (--precision): fp32, tf32, 3xtf32; false for another name.
inline bool precision_named(const std::string& name, Precision& out) {
  static const std::pair<const char*, Precision> names[] = {
      {"fp32", Precision::Fp32}, {"tf32", Precision::Tf32}, {"3xtf32", Precision::Tf32x3}};
  return value_named(names, name, out);
}

struct BackendOptions {
  int threads = 0;                        // CPU: OpenMP threads of this instance (0 = all)
  Precision precision = Precision::Fp32;  // CUDA (--precision)
  SigmaSolver solver = SigmaSolver::Auto;
  SigmaPrecision sigma_precision = SigmaPrecision::Fp64;  // both backends (--sigma-precision)
  int device = 0;                                         // CUDA device ordinal
  ConvKernels conv = ConvKernels::Cudnn;                  // CUDA (--conv-kernels)
};

std::unique_ptr<Backend> make_cpu_backend(int threads, SigmaPrecision sigma = SigmaPrecision::Fp64);
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions& o);  // throws without CUDA or a device
// name: "cpu", "cuda" or "auto" (the GPU when one is usable, else the CPU).
std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& o);
// Whether this build has the CUDA backend and a usable device is present.
bool cuda_available();
// CUDA devices present (0 without CUDA).
int cuda_device_count();
// cudaMalloc calls made by CUDA backends so far (0 without CUDA): flat once the largest network has run.
long cuda_device_allocations();
// Human-readable list of CUDA devices, or why there are none.
std::string describe_cuda_devices();

}  // namespace naswot
