// Where a space's time goes, op by op: every distinct op instance of NB201 (or of a sample of NB101)
// timed alone on a backend, summed over the fused plan of every architecture (a model of one stream's
// device time per architecture, by op kind, with calls and least memory traffic); host issue time
// against device time and CUDA graphs on one stream; and the convolutions' ceiling: every
// deterministic cuDNN algorithm in NCHW and NHWC, FMA and TF32 math, timed by cudnnFind against the
// backend's choice. Markdown on stdout. BACKEND cpu models the CPU backend and skips the cuDNN part.
// Usage: naswot_gpu_ops_bench [BATCH=128] [REPS=20] [BACKEND=cuda] [SPACE=nb201|nb101] [SAMPLE=1000 (nb101)]
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "engine/backend.h"
#include "engine/init.h"
#include "engine/planner.h"
#include "kernels/cuda/check.cuh"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

using namespace naswot;

namespace {

using Clock = std::chrono::steady_clock;

// Seconds per call of op, back to back on the backend's stream after one warm-up call: the device
// time, or the launch rate where that is slower.
double time_op(Backend& be, int reps, const std::function<void()>& op) {
  op();
  be.synchronize();
  const auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) op();
  be.synchronize();
  return std::chrono::duration<double>(Clock::now() - t0).count() / reps;
}

using ConvKey = std::tuple<int, int, int, int, int, int, int>;  // Cin H W Cout k stride pad
ConvKey conv_key(const Graph& g, const Node& n) {
  const Shape& in = g.shape(n.inputs[0]);
  return {in.c, in.h, in.w, n.out.c, n.kernel, n.stride, n.pad};
}
ConvDims dims_of(const ConvKey& k, int B) {
  const auto [cin, h, w, cout, kk, s, p] = k;
  const int ho = (h + 2 * p - kk) / s + 1, wo = (w + 2 * p - kk) / s + 1;
  return {B, cin, h, w, cout, kk, s, p, ho, wo};
}
double conv_flops(const ConvDims& d) { return 2.0 * d.Cout * d.Cin * d.k * d.k * d.Ho * d.Wo * double(d.B); }

// Kinds of the modelled per-architecture time.
enum Kind { kConvF, kConvB, kBnF, kBnB, kRelu, kAdd, kPool, kMaxPool, kConcat, kOther, kScore, kKinds };
const char* kKindName[kKinds] = {
    "conv forward",          "conv backward-data", "batch norm forward", "batch norm backward",   "relu",
    "add / gradient copies", "avg pools",          "max pools",          "concat / slice copies", "other",
    "Sigma_J + score"};

// Scratch tensors every op reads and writes (the values do not matter for timing), and the time of
// each distinct op instance.
struct OpTimes {
  Backend& be;
  int B, reps;
  float* A;                                  // arena: x, y, dy, dx (max tensor each), then parameters
  size_t T;                                  // floats per tensor slot
  std::map<std::vector<int>, double> cache;  // op instance -> seconds

  float* x() { return A; }
  float* y() { return A + T; }
  float* dy() { return A + 2 * T; }
  float* dx() { return A + 3 * T; }
  float* prm() { return A + 4 * T; }

  double get(const std::vector<int>& key, const std::function<void()>& op) {
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    return cache[key] = time_op(be, reps, op);
  }
};

// Calls visit(kind, instance key, bytes, op) for every backend call of one architecture's fused plan (forward
// then backward per node, as the model counts them; Sigma_J's score is not included).
// bytes: the least memory traffic of the call (each operand read or written once per pass it needs).
using Visit = std::function<void(int kind, const std::vector<int>& key, double bytes, const std::function<void()>& op)>;
void for_each_op(const Graph& g, const Plan& p, OpTimes& t, const Visit& visit) {
  Backend& be = t.be;
  const int B = t.B;
  for (int v : p.order) {
    const Node& n = g.nodes[v];
    const Shape& s = n.out;
    const size_t count = s.per_sample() * be.padded_batch(B);  // element-wise counts include padding lanes
    const int ci = int(count);
    const double n4 = 4.0 * double(count);  // bytes of the node's output
    const bool grad = p[v].needs_grad && !n.inputs.empty() && p[n.inputs[0]].needs_grad;
    switch (n.op) {
      case OpKind::Conv2d: {
        const ConvDims d = dims_of(conv_key(g, n), B);
        const std::vector<int> key = {0, d.Cin, d.H, d.W, d.Cout, d.k, d.stride, d.pad};
        const double io = 4.0 * (double(B) * d.Cin * d.H * d.W + double(d.Cout) * d.Cin * d.k * d.k) + n4;
        visit(kConvF, key, io, [&] { be.conv2d_forward(d, t.x(), t.prm(), t.y()); });
        if (grad) {
          std::vector<int> kb = key;
          kb[0] = 1;
          visit(kConvB, kb, io, [&] { be.conv2d_backward_data(d, t.dy(), t.prm(), t.dx(), false); });
        }
        break;
      }
      case OpKind::BatchNorm:
        visit(kBnF, {2, s.c, s.h * s.w}, 3 * n4, [&] {
          be.batchnorm_forward(s.c, s.h * s.w, B, t.x(), t.prm(), t.prm(), 1e-5f, t.y(), t.prm() + 256, t.prm() + 512,
                               BnStore::Write);
        });
        if (grad)
          visit(kBnB, {3, s.c, s.h * s.w}, 5 * n4, [&] {
            be.batchnorm_backward(s.c, s.h * s.w, B, t.dy(), t.x(), t.prm(), t.prm() + 256, t.prm() + 512, nullptr,
                                  t.dx(), false);
          });
        break;
      case OpKind::ReLU:
        if (p[v].relu_computed_by >= 0) break;  // the batch norm computes it
        visit(kRelu, {4, ci}, 2 * n4, [&] { be.relu_forward(count, t.x(), t.y()); });
        if (grad) visit(kRelu, {5, ci}, 3 * n4, [&] { be.relu_backward(count, t.dy(), t.y(), t.dx(), false); });
        break;
      case OpKind::Add: {
        int k = p[v].has_terms ? 1 : 0;
        for (int in : n.inputs) k += p[in].sum_into != v;
        k = std::min(k, 8);
        const float* xs[8] = {t.x(), t.y(), t.dy(), t.x(), t.y(), t.dy(), t.x(), t.y()};
        if (k >= 2) visit(kAdd, {6, ci, k}, (k + 1) * n4, [&] { be.add_forward(count, xs, k, t.dx()); });
        for (int in : n.inputs)
          if (p[in].needs_grad && !p[in].grad_shared)
            visit(kAdd, {7, ci}, 3 * n4, [&] { be.copy_or_accumulate(count, t.dy(), t.dx(), true); });
        break;
      }
      case OpKind::AvgPool3x3:
        visit(kPool, {8, s.c, s.h, s.w}, 2 * n4, [&] { be.avgpool3x3_forward(s.c, s.h, s.w, B, t.x(), t.y(), false); });
        if (grad)
          visit(kPool, {9, s.c, s.h, s.w}, 3 * n4,
                [&] { be.avgpool3x3_backward(s.c, s.h, s.w, B, t.dy(), t.dx(), true); });
        break;
      case OpKind::AvgPool2x2: {
        const Shape& in = g.shape(n.inputs[0]);
        visit(kPool, {10, in.c, in.h, in.w}, 5 * n4, [&] { be.avgpool2x2_forward(in.c, in.h, in.w, B, t.x(), t.y()); });
        if (grad)
          visit(kPool, {11, in.c, in.h, in.w}, 9 * n4,
                [&] { be.avgpool2x2_backward(in.c, in.h, in.w, B, t.dy(), t.dx(), true); });
        break;
      }
      case OpKind::MaxPool: {
        const Shape& in = g.shape(n.inputs[0]);
        const double in4 = 4.0 * double(in.per_sample()) * B;
        visit(kMaxPool, {16, in.c, in.h, in.w, n.kernel, n.stride, n.pad}, in4 + n4,
              [&] { be.maxpool_forward(in.c, in.h, in.w, B, n.kernel, n.stride, n.pad, t.x(), t.y()); });
        if (grad)
          visit(kMaxPool, {17, in.c, in.h, in.w, n.kernel, n.stride, n.pad}, 3 * in4 + n4, [&] {
            be.maxpool_backward(in.c, in.h, in.w, B, n.kernel, n.stride, n.pad, t.x(), t.dy(), t.dx(), true);
          });
        break;
      }
      case OpKind::Concat: {
        int off = 0;
        for (int in : n.inputs) {
          const int c = g.shape(in).c;
          const double c4 = 4.0 * double(c) * s.h * s.w * B;
          visit(kConcat, {18, c, s.c, s.h * s.w, off}, 2 * c4,
                [&] { be.copy_channels(B, s.h * s.w, c, t.x(), c, 0, t.y(), s.c, off, false); });
          if (p[in].needs_grad)
            visit(kConcat, {19, c, s.c, s.h * s.w, off}, 3 * c4,
                  [&] { be.copy_channels(B, s.h * s.w, c, t.dy(), s.c, off, t.dx(), c, 0, true); });
          off += c;
        }
        break;
      }
      case OpKind::ChannelSlice: {
        const Shape& in = g.shape(n.inputs[0]);
        visit(kConcat, {20, in.c, s.c, s.h * s.w}, 2 * n4,
              [&] { be.copy_channels(B, s.h * s.w, s.c, t.x(), in.c, 0, t.y(), s.c, 0, false); });
        if (grad)
          visit(kConcat, {21, in.c, s.c, s.h * s.w}, 3 * n4,
                [&] { be.copy_channels(B, s.h * s.w, s.c, t.dy(), s.c, 0, t.dx(), in.c, 0, true); });
        break;
      }
      case OpKind::Zero:
        visit(kOther, {12, ci}, n4, [&] { be.fill(count, 0.f, t.y()); });
        break;
      case OpKind::Input:
        visit(kOther, {13, ci}, 2 * n4, [&] { be.copy_or_accumulate(count, t.x(), t.y(), false); });
        break;
      case OpKind::GlobalAvgPool:
      case OpKind::Linear: {  // tiny: forward and backward as one visit
        const Shape& in = g.shape(n.inputs[0]);
        visit(kOther, {14, int(n.op), in.c, in.h * in.w}, 0, [&] {
          if (n.op == OpKind::GlobalAvgPool) {
            be.global_avgpool_forward(in.c, in.h * in.w, B, t.x(), t.y());
            be.global_avgpool_backward(in.c, in.h * in.w, B, t.dy(), t.dx(), false);
          } else {
            be.linear_forward(B, in.c, s.c, t.x(), t.prm(), t.prm(), t.y());
            be.linear_backward_data(B, in.c, s.c, t.dy(), t.prm(), t.dx(), false);
          }
        });
      }
    }
  }
}

// The executor's plan: buffers of the backend's padded batch.
Plan plan_of(const Graph& g, const OpTimes& t) {
  return make_plan(g, t.B, PlanMode::InputGradient, t.be.padded_batch(t.B), PlanOptions{});
}

// Modelled single-stream device time of one architecture by kind (the sum of its ops' isolated
// times, plus Sigma_J's score), backend calls and least memory traffic by kind.
struct Model {
  double seconds[kKinds] = {}, calls[kKinds] = {}, bytes[kKinds] = {};
};
void model_arch(const Graph& g, OpTimes& t, Model& m) {
  const Plan p = plan_of(g, t);
  for_each_op(g, p, t, [&](int kind, const std::vector<int>& key, double bytes, const std::function<void()>& op) {
    m.seconds[kind] += t.get(key, op);
    m.calls[kind] += 1;
    m.bytes[kind] += bytes;
  });
  const size_t row = g.shape(p.input).per_sample();
  m.seconds[kScore] += t.get({15, int(row)}, [&] { t.be.jacob_cov_score(t.x(), t.B, row, kJacobK); });
  m.calls[kScore] += 1;
  m.bytes[kScore] += 4.0 * double(row) * t.B;
}

// One architecture's ops (forward + backward, no score) issued for real, three ways: plain launches
// on one stream (host issue time and wall time to completion), captured once into a CUDA graph and
// launched once (what a graph costs for an architecture seen once), and that graph replayed (device
// time with no launch overhead).
struct IssueTimes {
  double prep = 0, issue = 0, stream = 0, graph_once = 0, replay = 0;
  bool graphs = true;
  std::string graph_error;
};
void time_issue(const Graph& g, const Plan& p, OpTimes& t, int reps, IssueTimes& out) {
  const auto issue = [&] {
    for_each_op(g, p, t, [](int, const std::vector<int>&, double, const std::function<void()>& op) { op(); });
  };
  issue();  // warm: plans, workspaces
  t.be.synchronize();
  auto t0 = Clock::now();
  issue();
  const auto t1 = Clock::now();
  t.be.synchronize();
  out.issue += std::chrono::duration<double>(t1 - t0).count();
  out.stream += std::chrono::duration<double>(Clock::now() - t0).count();
  if (!out.graphs) return;
  try {
    t0 = Clock::now();
    const std::function<void()> launch = t.be.capture(issue);
    launch();
    t.be.synchronize();
    out.graph_once += std::chrono::duration<double>(Clock::now() - t0).count();
    t0 = Clock::now();
    for (int i = 0; i < reps; ++i) launch();
    t.be.synchronize();
    out.replay += std::chrono::duration<double>(Clock::now() - t0).count() / reps;
  } catch (const std::exception& e) {
    out.graphs = false;
    out.graph_error = e.what();
  }
}

// cuDNN's own timings (cudnnFind) of every algorithm for one convolution shape, in one layout and
// math mode: the fastest deterministic forward and backward-data algorithms within 512 MB.
struct ConvBest {
  double fwd_ms = -1, bwd_ms = -1;
  int fwd_algo = -1, bwd_algo = -1;
};
ConvBest find_best(cudnnHandle_t h, const ConvDims& d, cudnnTensorFormat_t fmt, bool tf32) {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t c;
  NASWOT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
  NASWOT_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
  NASWOT_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
  NASWOT_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c));
  NASWOT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, fmt, CUDNN_DATA_FLOAT, d.B, d.Cin, d.H, d.W));
  NASWOT_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, fmt, CUDNN_DATA_FLOAT, d.B, d.Cout, d.Ho, d.Wo));
  NASWOT_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, fmt, d.Cout, d.Cin, d.k, d.k));
  NASWOT_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c, d.pad, d.pad, d.stride, d.stride, 1, 1, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT));
  NASWOT_CUDNN_CHECK(cudnnSetConvolutionMathType(c, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  const auto ok = [&](auto& r) {
    const bool math =
        tf32 || (r.mathType != CUDNN_TENSOR_OP_MATH && r.mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
    return r.status == CUDNN_STATUS_SUCCESS && r.determinism == CUDNN_DETERMINISTIC &&
           r.memory <= (size_t(512) << 20) && math;
  };
  ConvBest best;
  cudnnConvolutionFwdAlgoPerf_t fr[16];
  cudnnConvolutionBwdDataAlgoPerf_t br[16];
  int nf = 0, nb = 0;
  // A layout/math combination cuDNN does not support reports no results; that is a finding, not an error.
  if (cudnnFindConvolutionForwardAlgorithm(h, x, w, c, y, 16, &nf, fr) == CUDNN_STATUS_SUCCESS)
    for (int i = 0; i < nf; ++i)
      if (ok(fr[i]) && (best.fwd_ms < 0 || fr[i].time < best.fwd_ms))
        best.fwd_ms = fr[i].time, best.fwd_algo = fr[i].algo;
  if (cudnnFindConvolutionBackwardDataAlgorithm(h, w, y, c, x, 16, &nb, br) == CUDNN_STATUS_SUCCESS)
    for (int i = 0; i < nb; ++i)
      if (ok(br[i]) && (best.bwd_ms < 0 || br[i].time < best.bwd_ms))
        best.bwd_ms = br[i].time, best.bwd_algo = br[i].algo;
  cudnnDestroyTensorDescriptor(x);
  cudnnDestroyTensorDescriptor(y);
  cudnnDestroyFilterDescriptor(w);
  cudnnDestroyConvolutionDescriptor(c);
  return best;
}

}  // namespace

int main(int argc, char** argv) try {
  const int B = argc > 1 ? std::atoi(argv[1]) : 128;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  const std::string backend = argc > 3 ? argv[3] : "cuda";
  const std::string space = argc > 4 ? argv[4] : "nb201";
  if (B < 2 || reps < 1 || (space != "nb201" && space != "nb101"))
    fail("usage: naswot_gpu_ops_bench [BATCH>=2] [REPS>=1] [cuda|cpu] [nb201|nb101] [SAMPLE]");
  // NB201: every architecture; NB101: SAMPLE cells (default 1000) at an even index stride.
  const long space_size = space == "nb201" ? nb201::kNumArchs : nb101::kNumCells;
  const long n_archs = space == "nb201" ? space_size : std::min(space_size, argc > 5 ? std::atol(argv[5]) : 1000L);
  if (n_archs < 1) fail("SAMPLE must be at least 1");
  const auto graph_of = [&](long k) {  // the k-th of the n_archs modelled architectures
    if (space == "nb201") return nb201::build(nb201::from_index(int(k)));
    return nb101::build(nb101::indexed_cells()[size_t(k * (space_size / n_archs))].cell);
  };
  auto be = make_backend(backend, BackendOptions{});
  std::printf("# Op model of %s, batch %d, %s backend (%s)\n\n", space == "nb201" ? "NB201" : "NB101", B,
              be->name().c_str(), be->device().c_str());

  // Scratch: four tensors as large as the space's largest activation, then room for any parameter.
  size_t per_sample = 0, params = 0;
  for (long k = 0; k < n_archs; ++k) {
    const Graph g = graph_of(k);
    for (const Node& n : g.nodes) per_sample = std::max(per_sample, n.out.per_sample());
    params = std::max(params, g.num_params());
  }
  const size_t T = be->padded_batch(B) * per_sample, scratch = 4 * T + params + 1024;
  OpTimes t{*be, B, reps, be->arena(scratch), T, {}};
  std::vector<float> host(scratch);
  for (size_t i = 0; i < host.size(); ++i) host[i] = float((i * 2654435761u) % 1000) / 1000.f - 0.45f;
  be->upload(host.data(), t.A, host.size());

  Model m;
  double flops = 0;
  for (long k = 0; k < n_archs; ++k) {
    const Graph g = graph_of(k);
    model_arch(g, t, m);
    flops += 2.0 * forward_flops(g) * B;
  }
  const double N = double(n_archs);
  double sec = 0, calls = 0, bytes = 0;
  for (int j = 0; j < kKinds; ++j) sec += m.seconds[j], calls += m.calls[j], bytes += m.bytes[j];
  std::printf(
      "Every op instance of the space timed alone (%d back-to-back calls on one stream after a warm-up),\n"
      "summed over each architecture's fused plan and averaged over %ld architectures. Traffic: the least\n"
      "bytes each call must move (every operand once per pass); GB/s = that traffic / the time.\n\n",
      reps, n_archs);
  std::printf("| kind | ms per architecture | share | calls per architecture | MB per architecture | GB/s |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (int j = 0; j < kKinds; ++j)
    if (m.calls[j] > 0)  // kinds the space has
      std::printf("| %s | %.3f | %.1f %% | %.1f | %.1f | %.0f |\n", kKindName[j], 1e3 * m.seconds[j] / N,
                  100 * m.seconds[j] / sec, m.calls[j] / N, 1e-6 * m.bytes[j] / N, 1e-9 * m.bytes[j] / m.seconds[j]);
  std::printf("| **total** | **%.3f** | %.1f arch/s, %.2f TFLOP/s | %.1f | %.1f | %.0f |\n\n", 1e3 * sec / N, N / sec,
              flops / sec * 1e-12, calls / N, 1e-6 * bytes / N, 1e-9 * bytes / sec);

  // Issue cost and CUDA graphs on a fixed sample of architectures.
  const int n_issue = 50;
  IssueTimes it;
  it.graphs = be->name() == "cuda";
  for (int i = 0; i < n_issue; ++i) {
    // The host's work before any op: the graph, its weights (drawn on the host) and the plan.
    const long k = (i * 7919L) % n_archs;
    const auto t0 = Clock::now();
    const Graph g = graph_of(k);
    const std::vector<float> weights = init_params(g, 0, uint64_t(k));
    const Plan p = plan_of(g, t);
    it.prep += std::chrono::duration<double>(Clock::now() - t0).count();
    time_issue(g, p, t, 5, it);
  }
  std::printf(
      "Forward + backward ops of %d of those architectures (every 7919th, cyclically; no score), issued for real on "
      "one "
      "stream, ms per architecture:\n\n",
      n_issue);
  std::printf(
      "| host preparation (graph, weights, plan) | host issue time | wall to completion | CUDA graph: capture + "
      "instantiate + one launch | graph replay |\n|---|---|---|---|---|\n");
  if (it.graphs)
    std::printf("| %.3f | %.3f | %.3f | %.3f | %.3f |\n\n", 1e3 * it.prep / n_issue, 1e3 * it.issue / n_issue,
                1e3 * it.stream / n_issue, 1e3 * it.graph_once / n_issue, 1e3 * it.replay / n_issue);
  else
    std::printf("| %.3f | %.3f | %.3f | n/a | n/a |\n\n", 1e3 * it.prep / n_issue, 1e3 * it.issue / n_issue,
                1e3 * it.stream / n_issue);
  if (!it.graph_error.empty()) std::printf("Graph capture failed: %s\n\n", it.graph_error.c_str());
  if (be->name() == "cuda")
    std::printf(
        "Wall to completion near host issue time: one stream is host-bound. Graph replay is the device time\n"
        "with launch overhead removed; a graph pays only when capture + instantiate + launch beats the plain\n"
        "wall time (an architecture is scored once) or when the same architecture is replayed. One architecture\n"
        "alone on one stream (the latency an embedding caller sees) is about preparation + wall to completion +\n"
        "the Sigma_J row of the table above; more workers overlap one architecture's preparation with others' ops.\n\n");

  // Convolutions: per shape, the backend's time and, on CUDA, cuDNN's best per layout and math.
  const bool cuda = be->name() == "cuda";
  cudnnHandle_t h = nullptr;
  if (cuda) NASWOT_CUDNN_CHECK(cudnnCreate(&h));
  std::printf("Convolutions: the backend's time per shape, forward + backward-data, microseconds%s.\n\n",
              cuda ? " (its algorithm choice, NCHW, fp32 FMA), against the fastest deterministic cuDNN algorithm "
                     "by cudnnFind per layout and math (algorithm ids: forward, backward-data)"
                   : "");
  std::printf("| Cin HxW Cout k s | GFLOP (f+b) | backend | GFLOP/s |%s\n|---|---|---|---|%s\n",
              cuda ? " NCHW fp32 | NHWC fp32 | NCHW tf32 | NHWC tf32 |" : "", cuda ? "---|---|---|---|" : "");
  struct Cfg {
    cudnnTensorFormat_t fmt;
    bool tf32;
  };
  const Cfg cfgs[4] = {
      {CUDNN_TENSOR_NCHW, false}, {CUDNN_TENSOR_NHWC, false}, {CUDNN_TENSOR_NCHW, true}, {CUDNN_TENSOR_NHWC, true}};
  for (const auto& [key, fwd] : t.cache) {
    if (key[0] != 0) continue;  // conv forward instances; backward-data has key[0] = 1
    std::vector<int> kb = key;
    kb[0] = 1;
    const ConvDims d = dims_of({key[1], key[2], key[3], key[4], key[5], key[6], key[7]}, B);
    const double gf = 2 * conv_flops(d) * 1e-9, us = 1e6 * (fwd + t.cache.at(kb));
    std::printf("| %d %dx%d %d k%d s%d | %.3f | %.1f | %.0f |", d.Cin, d.H, d.W, d.Cout, d.k, d.stride, gf, us,
                gf / us * 1e6);
    if (cuda)
      for (const Cfg& c : cfgs) {
        const ConvBest b = find_best(h, d, c.fmt, c.tf32);
        if (b.fwd_ms < 0 || b.bwd_ms < 0)
          std::printf(" n/a |");
        else
          std::printf(" %.1f (%d, %d) |", 1e3 * (b.fwd_ms + b.bwd_ms), b.fwd_algo, b.bwd_algo);
      }
    std::printf("\n");
  }
  if (h) cudnnDestroy(h);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "naswot_gpu_ops_bench: %s\n", e.what());
  return 1;
}
