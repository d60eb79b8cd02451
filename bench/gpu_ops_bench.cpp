// Where a space's time goes, op by op: every distinct op instance of NB201 (or of a sample of NB101
// or NATS-Bench SSS) timed alone on a backend, summed over the calls the executor makes for every
// architecture (seen through engine/backend_trace.h): a model of one stream's device time per
// architecture, by op kind, with calls and least memory traffic; host issue time against device time
// and CUDA graphs on one stream; and the convolutions' ceiling: every deterministic cuDNN algorithm in
// NCHW and NHWC, FMA and TF32 math, timed by cudnnFind against the backend's choice. Markdown on
// stdout. BACKEND cpu models the CPU backend and skips the cuDNN part. SCORE hamming models the
// Hamming score's forward pass instead (with its codes: relu_codes, hamming_pairs).
// Usage: naswot_gpu_ops_bench [BATCH=128] [REPS=20] [BACKEND=cuda] [SPACE=nb201|nb101|nats-sss]
//        [SAMPLE=1000 (nb101, nats-sss)] [CONV_CALLS=16 (naswot's convolutions: calls per launch)]
//        [SCORE=jacob|hamming]
#include <cuda_runtime.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "bench/plan_env.h"
#include "engine/backend.h"
#include "engine/backend_trace.h"
#include "engine/executor.h"
#include "engine/init.h"
#include "engine/score_hamming.h"
#include "kernels/cuda/check.cuh"
#include "kernels/cuda/cuda_kernels.h"
#include "searchspaces/space.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

using namespace naswot;

namespace {

using Clock = std::chrono::steady_clock;

// One op instance's cost per call: back to back on the backend's stream after a warm-up call (wall:
// the device time, or the host's issue rate where that is slower), the host's issue alone, and the
// device's alone: REPS calls captured into one CUDA graph and replayed, so no host work sits between
// them; the graph's kernel nodes per call say how many kernels the call launches. Backends without
// graphs, and ops that cannot be captured (they synchronise), leave device unknown (< 0).
struct OpTime {
  double wall = 0, host = 0, device = -1;
  double kernels = -1, other_nodes = 0;  // per call
};
OpTime time_op(Backend& be, int reps, const std::function<void()>& op, bool graphs) {
  OpTime t;
  op();
  be.synchronize();
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) op();
  const auto t1 = Clock::now();
  be.synchronize();
  t.host = std::chrono::duration<double>(t1 - t0).count() / reps;
  t.wall = std::chrono::duration<double>(Clock::now() - t0).count() / reps;
  if (graphs) try {
      const Device::Captured c = be.capture([&] {
        for (int i = 0; i < reps; ++i) op();
      });
      c.launch();  // warm: the graph's first launch uploads it
      be.synchronize();
      t0 = Clock::now();
      c.launch();
      be.synchronize();
      t.device = std::chrono::duration<double>(Clock::now() - t0).count() / reps;
      t.kernels = double(c.kernels) / reps;
      t.other_nodes = double(c.other_nodes) / reps;
    } catch (const std::exception&) {  // not capturable: the device time stays unknown
    }
  return t;
}

double conv_flops(const ConvDims& d) { return 2.0 * d.Cout * d.Cin * d.k * d.k * d.Ho * d.Wo * double(d.B); }

// naswot's convolution kernels (a backend with --conv-kernels naswot or naswot-gather): device seconds per
// forward + backward-data pair of shape d with n calls per launch (distinct inputs and outputs, one
// weight tensor), per call; -1 where the kernels do not take the shape or the time is unknown.
double naswot_conv_pair(Backend& be, const ConvDims& d, int n, int reps,
                        bool (*supported)(const ConvDims&) = cuda::conv2d_supported) {
  if (!supported(d)) return -1;
  const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ws = size_t(d.Cout) * d.Cin * d.k * d.k,
               ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
  float* A = be.arena(ws + size_t(n) * (xs + ys));
  std::vector<op_args::conv2d_forward> f;
  std::vector<op_args::conv2d_backward_data> b;
  for (int i = 0; i < n; ++i) {
    float* x = A + ws + size_t(i) * (xs + ys);
    f.emplace_back(d, x, A, x + xs);
    b.emplace_back(d, x + xs, A, x, false);
  }
  const OpTime t = time_op(
      be, reps,
      [&] {
        be.conv2d_forward_many(f.data(), n);
        be.conv2d_backward_data_many(b.data(), n);
      },
      true);
  return t.device < 0 ? -1 : t.device / n;
}

// Kinds of the modelled per-architecture time.
enum Kind { kConvF, kConvB, kBnF, kBnB, kRelu, kAdd, kPool, kMaxPool, kConcat, kOther, kScore, kCodes, kKinds };
const char* kKindName[kKinds] = {
    "conv forward",    "conv backward-data", "batch norm forward", "batch norm backward",   "relu",
    "add / copies",    "avg pools",          "max pools",          "concat / slice copies", "other",
    "Sigma_J + score", "Hamming codes"};

// The model's kind of each op of the op table, and the least memory traffic of one call in bytes
// (each operand read or written once per pass it needs), from the call's scalar arguments
// (TracingBackend's key, in the op's parameter order). pb: the backend's padded batch.
struct OpCost {
  Kind kind;
  double (*bytes)(const std::vector<long>& k, double pb);
};
const std::map<std::string, OpCost>& op_costs() {
  // ConvDims fields: B Cin H W Cout k stride pad Ho Wo.
  static const auto conv = [](const std::vector<long>& k, double) {
    return 4.0 *
           (double(k[0]) * k[1] * k[2] * k[3] + double(k[4]) * k[1] * k[5] * k[5] + double(k[0]) * k[4] * k[8] * k[9]);
  };
  static const std::map<std::string, OpCost> m = {
      {"fill", {kOther, [](const std::vector<long>& k, double) { return 4.0 * k[0]; }}},
      {"conv2d_forward", {kConvF, conv}},
      {"conv2d_backward_data", {kConvB, conv}},
      {"conv2d_relu_forward", {kConvF, conv}},  // the ReLU on load: the convolution's traffic
      {"conv2d_relu_backward_data",
       {kConvB, [](const std::vector<long>& k, double pb) { return conv(k, pb) + 4.0 * k[0] * k[1] * k[2] * k[3]; }}},
      // A batch norm's backward read through: its statistics pass (dy and x), then the convolution
      // reading dy and x instead of the gradient (a fused ReLU's mask, not in the key, uncounted).
      {"conv2d_bn_backward_data",
       {kConvB,
        [](const std::vector<long>& k, double pb) { return conv(k, pb) + 3 * 4.0 * k[0] * k[4] * k[8] * k[9]; }}},
      // Statistics summed as the convolution stores: the convolution's traffic (the statistics' own pass
      // where a kernel does not sum them is not counted: least traffic).
      {"conv2d_forward_bn_stats", {kConvF, conv}},
      {"conv2d_relu_forward_bn_stats", {kConvF, conv}},
      {"batchnorm_apply",  // C P B ... store: read x (and y when adding), write y
       {kBnF, [](const std::vector<long>& k, double pb) { return (k[3] == 1 ? 3 : 2) * 4.0 * k[0] * k[1] * pb; }}},
      {"batchnorm_forward", {kBnF, [](const std::vector<long>& k, double pb) { return 3 * 4.0 * k[0] * k[1] * pb; }}},
      {"batchnorm_backward", {kBnB, [](const std::vector<long>& k, double pb) { return 5 * 4.0 * k[0] * k[1] * pb; }}},
      {"relu_forward", {kRelu, [](const std::vector<long>& k, double) { return 2 * 4.0 * k[0]; }}},
      {"relu_backward", {kRelu, [](const std::vector<long>& k, double) { return (k[1] ? 4 : 3) * 4.0 * k[0]; }}},
      {"add_forward", {kAdd, [](const std::vector<long>& k, double) { return (k[1] + 1) * 4.0 * k[0]; }}},
      {"copy_or_accumulate", {kAdd, [](const std::vector<long>& k, double) { return (k[1] ? 3 : 2) * 4.0 * k[0]; }}},
      {"copy_channels",  // B P count src_C src_c0 dst_C dst_c0 accumulate
       {kConcat, [](const std::vector<long>& k, double) { return (k[7] ? 3 : 2) * 4.0 * k[0] * k[1] * k[2]; }}},
      {"avgpool3x3_forward",
       {kPool, [](const std::vector<long>& k, double pb) { return (k[4] ? 3 : 2) * 4.0 * k[0] * k[1] * k[2] * pb; }}},
      {"avgpool3x3_backward",
       {kPool, [](const std::vector<long>& k, double pb) { return (k[4] ? 3 : 2) * 4.0 * k[0] * k[1] * k[2] * pb; }}},
      {"avgpool2x2_forward",
       {kPool, [](const std::vector<long>& k, double pb) { return 1.25 * 4.0 * k[0] * k[1] * k[2] * pb; }}},
      {"avgpool2x2_backward",
       {kPool,
        [](const std::vector<long>& k, double pb) { return (k[4] ? 2.25 : 1.25) * 4.0 * k[0] * k[1] * k[2] * pb; }}},
      {"global_avgpool_forward",
       {kOther, [](const std::vector<long>& k, double pb) { return 4.0 * k[0] * (k[1] + 1) * pb; }}},
      {"global_avgpool_backward",
       {kOther, [](const std::vector<long>& k, double pb) { return 4.0 * k[0] * ((k[3] ? 2 : 1) * k[1] + 1) * pb; }}},
      {"maxpool_forward",  // C H W B k stride pad; output (H + 2 pad - k) / stride + 1 per side
       {kMaxPool,
        [](const std::vector<long>& k, double pb) {
          const double o = double((k[1] + 2 * k[6] - k[4]) / k[5] + 1) * ((k[2] + 2 * k[6] - k[4]) / k[5] + 1);
          return 4.0 * k[0] * (k[1] * k[2] + o) * pb;
        }}},
      {"maxpool_backward",
       {kMaxPool,
        [](const std::vector<long>& k, double pb) {
          const double o = double((k[1] + 2 * k[6] - k[4]) / k[5] + 1) * ((k[2] + 2 * k[6] - k[4]) / k[5] + 1);
          return 4.0 * k[0] * ((k[7] ? 3 : 2) * k[1] * k[2] + o) * pb;
        }}},
      // relu_codes (D B): the values read once, the bits written; hamming_pairs (B words D weight
      // accumulate): the codes read once, K written (and read when adding).
      {"relu_codes",
       {kCodes, [](const std::vector<long>& k, double pb) { return 4.0 * k[0] * pb + k[0] * k[1] / 8.0; }}},
      {"hamming_pairs",
       {kCodes,
        [](const std::vector<long>& k, double) { return 8.0 * k[1] * k[0] + (k[4] ? 2 : 1) * 8.0 * k[0] * k[0]; }}},
      {"linear_forward",
       {kOther, [](const std::vector<long>& k, double) { return 4.0 * (k[0] * k[1] + k[1] * k[2] + k[0] * k[2]); }}},
      {"linear_backward_data",
       {kOther, [](const std::vector<long>& k, double) { return 4.0 * (k[0] * k[1] + k[1] * k[2] + k[0] * k[2]); }}},
  };
  return m;
}

// The executor on a tracing backend: the op model sees exactly the calls that scoring makes, and runs
// only the first call of each op instance (to time it, on the executor's buffers).
// Per kind, summed over the modelled architectures: wall, host and device seconds (device: where
// measured, else wall, counted in unknown), calls, kernels launched, least traffic.
struct Model {
  double seconds[kKinds] = {}, host[kKinds] = {}, device[kKinds] = {}, unknown[kKinds] = {};
  double calls[kKinds] = {}, kernels[kKinds] = {}, other_nodes[kKinds] = {}, bytes[kKinds] = {};
  void add(Kind k, const OpTime& t) {
    seconds[k] += t.wall;
    host[k] += t.host;
    device[k] += t.device >= 0 ? t.device : t.wall;
    unknown[k] += t.device >= 0 ? 0 : 1;
    calls[k] += 1;
    kernels[k] += std::max(0.0, t.kernels);
    other_nodes[k] += t.other_nodes;
  }
};
struct Modeller {
  Backend& be;
  int B, reps;
  std::vector<float> x;                       // the input batch
  bool graphs;                                // the backend captures CUDA graphs
  std::map<std::vector<long>, OpTime> cache;  // op instance {op, key...} -> its cost per call
  TracingBackend tracer{be, nullptr, Trace::ReportOnly};
  // op_costs() by op-table index (nullptr: no entry), looked up once rather than per call.
  std::vector<const OpCost*> cost_by_op = [] {
    std::vector<const OpCost*> v(kOpCount, nullptr);
    for (size_t i = 0; i < kOpCount; ++i)
      if (auto it = op_costs().find(kOpNames[i]); it != op_costs().end()) v[i] = &it->second;
    return v;
  }();
  Executor ex{tracer};
  bool hamming = false;  // model the Hamming score's forward pass (not the Jacobian's passes and Sigma_J)

  // Cost per call of an op instance (id: the op's index, then its key), timed on its first appearance
  // (on the executor's own buffers); capturable: whether a CUDA graph may record it.
  const OpTime& cost(const std::vector<long>& id, const std::function<void()>& op, bool capturable) {
    auto it = cache.find(id);
    return it != cache.end() ? it->second : cache[id] = time_op(be, reps, op, graphs && capturable);
  }
  // Modelled single-stream device time of one architecture by kind (the sum of its ops' isolated
  // times, plus Sigma_J's score), backend calls and least memory traffic by kind.
  void model(const Graph& g, Model& m) {
    const double pb = double(be.padded_batch(B));
    tracer.set_on_call([&](const OpCall& c) {
      // An op without a cost entry is timed as "other", with no traffic counted.
      const OpCost* cost = cost_by_op[c.op];
      const Kind kind = cost ? cost->kind : kOther;
      std::vector<long> id = c.key;
      id.insert(id.begin(), long(c.op));
      m.add(kind, this->cost(id, c.reissue, true));
      if (cost) m.bytes[kind] += cost->bytes(c.key, pb);
    });
    const std::vector<float> zeros(g.num_params());  // values do not matter
    if (hamming) {
      const auto weight = [](const Node& n) { return relu_site_weight(n, ReluSites::Each); };
      ex.hamming_kernel(g, zeros, x.data(), B, weight);
      tracer.set_on_call(nullptr);
      return;
    }
    ex.jacobian(g, zeros, x.data(), B, false);
    tracer.set_on_call(nullptr);
    const size_t row = g.shape(0).per_sample();
    const float* J = ex.input_gradient() ? ex.input_gradient() : be.arena(row * size_t(pb));
    // Sigma_J's score synchronises (it returns a number): never captured.
    m.add(kScore, cost(
                      {long(kOpCount), long(row)}, [&] { be.jacob_cov_score(J, B, row, kJacobK); }, false));
    m.bytes[kScore] += 4.0 * double(row) * B;
  }
};

// One architecture's forward + backward (no score) issued for real, three ways: plain launches on
// one stream (host issue time, the executor's planning included, and wall time to completion),
// captured once into a CUDA graph and launched once (what a graph costs for an architecture seen
// once), and that graph replayed (device time with no launch overhead).
struct IssueTimes {
  double prep = 0, issue = 0, stream = 0, graph_once = 0, replay = 0;
  bool graphs = true;
  std::string graph_error;
};
void time_issue(Modeller& md, const Graph& g, const std::vector<float>& w, int reps, IssueTimes& out) {
  Backend& be = md.be;
  md.tracer.set_mode(Trace::Run);
  md.ex.jacobian(g, w, md.x.data(), md.B, false);  // warm: plans, workspaces, the weights uploaded
  md.tracer.set_mode(Trace::OpsOnly);              // the weights stay; ops only from here
  const auto issue = [&] { md.ex.jacobian(g, w, md.x.data(), md.B, false); };
  be.synchronize();
  auto t0 = Clock::now();
  issue();
  const auto t1 = Clock::now();
  be.synchronize();
  out.issue += std::chrono::duration<double>(t1 - t0).count();
  out.stream += std::chrono::duration<double>(Clock::now() - t0).count();
  if (out.graphs) try {
      t0 = Clock::now();
      const std::function<void()> launch = be.capture(issue).launch;
      launch();
      be.synchronize();
      out.graph_once += std::chrono::duration<double>(Clock::now() - t0).count();
      t0 = Clock::now();
      for (int i = 0; i < reps; ++i) launch();
      be.synchronize();
      out.replay += std::chrono::duration<double>(Clock::now() - t0).count() / reps;
    } catch (const std::exception& e) {
      out.graphs = false;
      out.graph_error = e.what();
    }
  md.tracer.set_mode(Trace::ReportOnly);
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

// Sigma_J and its score per architecture, alone and in lockstep groups (Backend::jacob_cov_scores:
// on CUDA a few launches and one transfer per group), on the J of the first architecture from index
// n / 2 on whose score is not degenerate (a degenerate J skips the factorisation).
template <class GraphOf>
void time_scores(Modeller& md, const GraphOf& graph_of, long n, int reps) {
  // On the backend itself: the tracer's executor saw the input batch in its report-only pass and takes
  // it as uploaded (ops issued through it run on whatever the buffer holds: fine for timing them).
  Executor ex{md.be};
  const float* J = nullptr;
  size_t row = 0;
  for (long k = n / 2; k < n && k < n / 2 + 20 && !J; ++k) {
    const Graph g = graph_of(k);
    ex.jacobian(g, init_params(g, 0, uint64_t(k)), md.x.data(), md.B, false);
    row = g.shape(0).per_sample();
    J = ex.input_gradient();
    if (J && md.be.jacob_cov_score(J, md.B, row, kJacobK).status != ScoreStatus::Ok) J = nullptr;
  }
  if (!J) {
    std::printf("Sigma_J: no architecture with a scorable J near index %ld; not timed.\n\n", n / 2);
    return;
  }
  const int groups[] = {1, 4, 16, 64};
  std::printf(
      "Sigma_J and its score, ms per architecture (wall, %d repetitions after a warm-up): alone, and in\n"
      "lockstep groups (one call for the group, as --lockstep K scores).\n\n"
      "| alone | groups of 4 | of 16 | of 64 |\n|---|---|---|---|\n|",
      reps);
  for (const int group : groups) {
    const std::vector<const float*> Js(size_t(group), J);
    md.be.jacob_cov_scores(Js.data(), group, md.B, row, kJacobK);
    const auto t0 = Clock::now();
    for (int r = 0; r < reps; ++r) md.be.jacob_cov_scores(Js.data(), group, md.B, row, kJacobK);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count() / reps / group;
    std::printf(" %.4f |", 1e3 * s);
  }
  std::printf("\n\n");
}

}  // namespace

int main(int argc, char** argv) try {
  const int B = argc > 1 ? std::atoi(argv[1]) : 128;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  const std::string backend = argc > 3 ? argv[3] : "cuda";
  const std::string space = argc > 4 ? argv[4] : "nb201";
  const Space& sp = space_named(space);
  if (B < 2 || reps < 1)
    fail("usage: naswot_gpu_ops_bench [BATCH>=2] [REPS>=1] [cuda|cpu] [nb201|nb101|nats-sss] [SAMPLE] [CONV_CALLS]");
  // NB201: every architecture; the others: SAMPLE architectures (default 1000) at an even index stride.
  const bool all = sp.id() == SpaceId::Nb201;
  const long n_archs = all ? sp.size() : std::min(sp.size(), argc > 5 ? std::atol(argv[5]) : 1000L);
  const int conv_calls = argc > 6 ? std::max(1, std::atoi(argv[6])) : 16;
  const std::string score = argc > 7 ? argv[7] : "jacob";
  if (n_archs < 1) fail("SAMPLE must be at least 1");
  if (score != "jacob" && score != "hamming") fail("SCORE must be jacob or hamming");
  const auto graph_of = [&](long k) {  // the k-th of the n_archs modelled architectures
    return sp.build(all ? k : k * (sp.size() / n_archs), NetShape{});
  };
  auto be = make_backend(backend, BackendOptions{});
  std::printf("# Op model of %s, batch %d, %s backend (%s)%s\n\n", sp.title(), B, be->name().c_str(),
              be->device().c_str(), score == "hamming" ? ", the Hamming score's forward pass" : "");

  const bool cuda = be->name() == "cuda";
  Modeller md{*be, B, reps, {}, cuda};
  md.hamming = score == "hamming";
  // NASWOT_CONV_LOADS (bench/plan_env.h), e.g. to model the CUDA plan's traffic with the CPU backend.
  std::string loads;
  md.ex.set_plan_options(plan_options_from_env(loads));
  if (!loads.empty())
    std::printf("Plans: the convolutions' fused loads and stores %s (NASWOT_CONV_LOADS).\n\n", loads.c_str());
  md.x.resize(size_t(B) * 3 * 32 * 32);
  for (size_t i = 0; i < md.x.size(); ++i) md.x[i] = float((i * 2654435761u) % 1000) / 1000.f - 0.45f;

  Model m;
  double flops = 0;
  for (long k = 0; k < n_archs; ++k) {
    const Graph g = graph_of(k);
    md.model(g, m);
    flops += (md.hamming ? 1.0 : 2.0) * forward_flops(g) * B;
  }
  const double N = double(n_archs);
  double sec = 0, host = 0, dev = 0, calls = 0, kernels = 0, bytes = 0;
  for (int j = 0; j < kKinds; ++j)
    sec += m.seconds[j], host += m.host[j], dev += m.device[j], calls += m.calls[j], kernels += m.kernels[j],
        bytes += m.bytes[j];
  std::printf(
      "Every op instance of the space timed alone and summed over each architecture's fused plan, averaged\n"
      "over %ld architectures. *Back to back*: %d calls on one stream after a warm-up, wall time per call (the\n"
      "device time, or the host's issue time where that is slower). *Host*: the host's issue time alone.\n"
      "*Device*: %s;\n"
      "*kernels*: the graph's kernel nodes per call. Traffic: the least bytes each call must move (every\n"
      "operand once per pass); GB/s = that traffic / the device time.\n\n",
      n_archs, reps,
      cuda ? "the same calls captured in one CUDA graph and replayed (no host work between them)"
           : "this backend has no graphs, so the column repeats back to back");
  std::printf(
      "| kind | back to back ms per architecture | share | host ms | device ms | calls per architecture "
      "| kernels per call | MB per architecture | GB/s |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (int j = 0; j < kKinds; ++j)
    if (m.calls[j] > 0) {  // kinds the space has
      char kern[48] = "n/a";
      if (m.unknown[j] < m.calls[j])
        std::snprintf(kern, sizeof kern, "%.2f%s", m.kernels[j] / (m.calls[j] - m.unknown[j]),
                      m.other_nodes[j] > 0 ? " (+ other nodes)" : "");
      std::printf("| %s | %.3f | %.1f %% | %.3f | %.3f%s | %.1f | %s | %.1f | %.0f |\n", kKindName[j],
                  1e3 * m.seconds[j] / N, 100 * m.seconds[j] / sec, 1e3 * m.host[j] / N, 1e3 * m.device[j] / N,
                  m.unknown[j] > 0 && m.unknown[j] < m.calls[j] ? " (part)" : "", m.calls[j] / N, kern,
                  1e-6 * m.bytes[j] / N, 1e-9 * m.bytes[j] / m.device[j]);
    }
  char kern_total[48] = "n/a";
  if (cuda) std::snprintf(kern_total, sizeof kern_total, "%.1f per architecture", kernels / N);
  std::printf("| **total** | **%.3f** | %.1f arch/s, %.2f TFLOP/s | %.3f | **%.3f** | %.1f | %s | %.1f | %.0f |\n\n",
              1e3 * sec / N, N / sec, flops / sec * 1e-12, 1e3 * host / N, 1e3 * dev / N, calls / N, kern_total,
              1e-6 * bytes / N, 1e-9 * bytes / dev);
  if (md.hamming) return 0;  // the rest times the Jacobian's passes, Sigma_J and the convolutions
  if (cuda)
    std::printf(
        "Device ms: what the ops cost with no host in the way (%.1f arch/s, %.2f TFLOP/s on one stream); back\n"
        "to back above device: the host's issue limits the op (its host ms per call is the cost to remove).\n"
        "(part): some calls could not be captured; their back-to-back time stands in.\n\n",
        N / dev, flops / dev * 1e-12);

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
    it.prep += std::chrono::duration<double>(Clock::now() - t0).count();
    time_issue(md, g, weights, 5, it);
  }
  std::printf(
      "Forward + backward ops of %d of those architectures (every 7919th, cyclically; no score), issued for real "
      "on one stream, ms per architecture:\n\n",
      n_issue);
  std::printf(
      "| host preparation (graph, weights) | host issue time (plan included) | wall to completion "
      "| CUDA graph: capture + instantiate + one launch | graph replay |\n|---|---|---|---|---|\n");
  if (it.graphs)
    std::printf("| %.3f | %.3f | %.3f | %.3f | %.3f |\n\n", 1e3 * it.prep / n_issue, 1e3 * it.issue / n_issue,
                1e3 * it.stream / n_issue, 1e3 * it.graph_once / n_issue, 1e3 * it.replay / n_issue);
  else
    std::printf("| %.3f | %.3f | %.3f | n/a | n/a |\n\n", 1e3 * it.prep / n_issue, 1e3 * it.issue / n_issue,
                1e3 * it.stream / n_issue);
  if (!it.graph_error.empty()) std::printf("Graph capture failed: %s\n\n", it.graph_error.c_str());
  if (cuda)
    std::printf(
        "Wall to completion near host issue time: one stream is host-bound. Graph replay is the device time\n"
        "with launch overhead removed; a graph pays only when capture + instantiate + launch beats the plain\n"
        "wall time (an architecture is scored once) or when the same architecture is replayed. One architecture\n"
        "alone on one stream (the latency an embedding caller sees) is about preparation + wall to completion +\n"
        "the Sigma_J row of the table above; more workers overlap one architecture's preparation with\n"
        "others' ops.\n\n");

  time_scores(md, graph_of, n_archs, reps);

  // Convolutions: per shape, the backend's time and, on CUDA, cuDNN's best per layout and math.
  cudnnHandle_t h = nullptr;
  if (cuda) NASWOT_CUDNN_CHECK(cudnnCreate(&h));
  std::printf(
      "Convolutions: the backend's cost per shape, forward + backward-data, microseconds: back to back, host\n"
      "issue, device (as above) and kernels per pair of calls%s.\n\n",
      cuda ? "; against the fastest deterministic cuDNN algorithm by cudnnFind per layout and math (algorithm ids:\n"
             "forward, backward-data; cudnnFind times each call with events around it, so host work inside a call\n"
             "counts there)"
           : "");
  if (cuda)
    std::printf(
        "The graph API column: the same shapes through cuDNN's graph API (--conv-kernels cudnn-graph: one\n"
        "execution plan per shape, built once), back to back / host / device, microseconds.\n"
        "The naswot columns: naswot's own kernels (--conv-kernels naswot: the direct kernel where it applies;\n"
        "naswot-gather: the general kernel, its baseline, same bits; stride 2: the direct kernel in both),\n"
        "device microseconds per forward + backward-data pair with one call per launch / with %d calls per\n"
        "launch (per call), and the direct kernel's GFLOP/s at %d calls per launch; n/a: a shape they do not\n"
        "take. naswot tf32 / 3xtf32: the tensor-core kernels (--precision tf32 / 3xtf32 --conv-kernels naswot),\n"
        "one call / %d calls per launch, device microseconds per pair and call.\n\n",
        conv_calls, conv_calls, conv_calls);
  std::printf(
      "| Cin HxW Cout k s | GFLOP (f+b) | back to back | host | device | kernels | GFLOP/s (device) |%s\n"
      "|---|---|---|---|---|---|---|%s\n",
      cuda ? " graph API | naswot direct | naswot gather | direct GFLOP/s | naswot tf32 | naswot 3xtf32 | NCHW fp32 |"
             " NHWC fp32 | NCHW tf32 | NHWC tf32 |"
           : "",
      cuda ? "---|---|---|---|---|---|---|---|---|---|" : "");
  std::unique_ptr<Backend> graph_be, direct_be, gather_be, tf32_be, tf32x3_be;
  if (cuda) {
    BackendOptions go;
    go.conv = ConvKernels::CudnnGraph;
    graph_be = make_backend("cuda", go);
    go.conv = ConvKernels::Naswot;
    direct_be = make_backend("cuda", go);
    go.conv = ConvKernels::NaswotGather;
    gather_be = make_backend("cuda", go);
    go.conv = ConvKernels::Naswot;
    go.precision = Precision::Tf32;
    tf32_be = make_backend("cuda", go);
    go.precision = Precision::Tf32x3;
    tf32x3_be = make_backend("cuda", go);
  }
  struct Cfg {
    cudnnTensorFormat_t fmt;
    bool tf32;
  };
  const Cfg cfgs[4] = {
      {CUDNN_TENSOR_NCHW, false}, {CUDNN_TENSOR_NHWC, false}, {CUDNN_TENSOR_NCHW, true}, {CUDNN_TENSOR_NHWC, true}};
  // Per shape the plain calls, else the ones with a fused ReLU, else those with a batch norm's statistics
  // (the ConvDims lead every key).
  const long conv_b = long(op_index("conv2d_backward_data")), relu_b = long(op_index("conv2d_relu_backward_data"));
  const long bn_b = long(op_index("conv2d_bn_backward_data"));
  const std::vector<long> fwd_ops = {long(op_index("conv2d_forward")), long(op_index("conv2d_relu_forward")),
                                     long(op_index("conv2d_forward_bn_stats")),
                                     long(op_index("conv2d_relu_forward_bn_stats"))};
  const auto rank = [&](long op) { return std::find(fwd_ops.begin(), fwd_ops.end(), op) - fwd_ops.begin(); };
  const auto same_shape = [](const std::vector<long>& a, const std::vector<long>& b) {
    return a.size() > 10 && b.size() > 10 && std::equal(a.begin() + 1, a.begin() + 11, b.begin() + 1);
  };
  for (const auto& [id, fwd] : md.cache) {
    if (rank(id[0]) == long(fwd_ops.size())) continue;  // not a convolution's forward
    if (std::any_of(md.cache.begin(), md.cache.end(),
                    [&](const auto& e) { return rank(e.first[0]) < rank(id[0]) && same_shape(e.first, id); }))
      continue;
    // The backward-data call of the same shape (plain first, a batch norm read through last: with its
    // statistics pass; writing or accumulating: the first timed).
    const OpTime* bwd = nullptr;
    for (const long want : {conv_b, relu_b, bn_b})
      for (const auto& [idb, t] : md.cache)
        if (!bwd && idb[0] == want && same_shape(id, idb)) bwd = &t;
    if (!bwd) continue;  // not on a gradient path
    const ConvDims d{int(id[1]), int(id[2]), int(id[3]), int(id[4]), int(id[5]),
                     int(id[6]), int(id[7]), int(id[8]), int(id[9]), int(id[10])};
    const double gf = 2 * conv_flops(d) * 1e-9;
    const bool dev = fwd.device >= 0 && bwd->device >= 0;
    const double us_dev = 1e6 * (dev ? fwd.device + bwd->device : fwd.wall + bwd->wall);
    char dev_s[32] = "n/a", kern_s[32] = "n/a";
    if (dev) {
      std::snprintf(dev_s, sizeof dev_s, "%.1f", us_dev);
      std::snprintf(kern_s, sizeof kern_s, "%.0f", fwd.kernels + bwd->kernels);
    }
    std::printf("| %d %dx%d %d k%d s%d | %.3f | %.1f | %.1f | %s | %s | %.0f |", d.Cin, d.H, d.W, d.Cout, d.k, d.stride,
                gf, 1e6 * (fwd.wall + bwd->wall), 1e6 * (fwd.host + bwd->host), dev_s, kern_s, gf / us_dev * 1e6);
    if (cuda) try {  // the graph API on buffers of its own backend (values do not matter)
        const size_t xs = size_t(d.B) * d.Cin * d.H * d.W, ws = size_t(d.Cout) * d.Cin * d.k * d.k,
                     ys = size_t(d.B) * d.Cout * d.Ho * d.Wo;
        float* A = graph_be->arena(xs + ws + ys);
        const OpTime f = time_op(
            *graph_be, reps, [&] { graph_be->conv2d_forward(d, A, A + xs, A + xs + ws); }, true);
        const OpTime b = time_op(
            *graph_be, reps, [&] { graph_be->conv2d_backward_data(d, A + xs + ws, A + xs, A, false); }, true);
        char dev_g[32] = "n/a";
        if (f.device >= 0 && b.device >= 0) std::snprintf(dev_g, sizeof dev_g, "%.1f", 1e6 * (f.device + b.device));
        std::printf(" %.1f / %.1f / %s |", 1e6 * (f.wall + b.wall), 1e6 * (f.host + b.host), dev_g);
      } catch (const std::exception& e) {
        std::printf(" failed: %s |", e.what());
      }
    if (cuda) {  // naswot's kernels: one call, then conv_calls calls per launch
      const double direct16 = naswot_conv_pair(*direct_be, d, conv_calls, reps);
      for (const bool gather : {false, true}) {
        Backend& b = gather ? *gather_be : *direct_be;
        const double one = naswot_conv_pair(b, d, 1, reps),
                     many = gather ? naswot_conv_pair(b, d, conv_calls, reps) : direct16;
        if (one < 0 || many < 0)
          std::printf(" n/a |");
        else
          std::printf(" %.1f / %.1f |", 1e6 * one, 1e6 * many);
      }
      if (direct16 > 0)
        std::printf(" %.0f |", gf / direct16);
      else
        std::printf(" n/a |");
      for (Backend* b : {tf32_be.get(), tf32x3_be.get()}) {
        const double one = naswot_conv_pair(*b, d, 1, reps, cuda::conv2d_tf32_supported),
                     many = naswot_conv_pair(*b, d, conv_calls, reps, cuda::conv2d_tf32_supported);
        if (one < 0 || many < 0)
          std::printf(" n/a |");
        else
          std::printf(" %.1f / %.1f |", 1e6 * one, 1e6 * many);
      }
    }
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
