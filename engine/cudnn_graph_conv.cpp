// cuDNN graph-API convolutions: execution plans built once per shape, executed per call.
#include "engine/cudnn_graph_conv.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "engine/error.h"
#include "kernels/cuda/check.cuh"

namespace naswot {
namespace {

// One backend descriptor, destroyed with its owner.
class Desc {
 public:
  explicit Desc(cudnnBackendDescriptorType_t type) { NASWOT_CUDNN_CHECK(cudnnBackendCreateDescriptor(type, &d_)); }
  ~Desc() {
    if (d_) cudnnBackendDestroyDescriptor(d_);
  }
  Desc(Desc&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  cudnnBackendDescriptor_t get() const { return d_; }
  cudnnBackendDescriptor_t* ptr() { return &d_; }

  template <class T>
  Desc& set(cudnnBackendAttributeName_t name, cudnnBackendAttributeType_t type, int64_t n, const T* values) {
    NASWOT_CUDNN_CHECK(cudnnBackendSetAttribute(d_, name, type, n, values));
    return *this;
  }
  Desc& set(cudnnBackendAttributeName_t name, const Desc& other) {
    cudnnBackendDescriptor_t o = other.get();
    return set(name, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &o);
  }
  Desc& finalize() {
    NASWOT_CUDNN_CHECK(cudnnBackendFinalize(d_));
    return *this;
  }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

// Unique ids of the three tensors of every plan: the variant pack names them.
constexpr int64_t kUidX = 'x', kUidW = 'w', kUidY = 'y';

Desc tensor(int64_t uid, int64_t n, int64_t c, int64_t h, int64_t w, bool aligned16) {
  const cudnnDataType_t type = CUDNN_DATA_FLOAT;
  const int64_t dims[4] = {n, c, h, w}, strides[4] = {c * h * w, h * w, w, 1};
  const int64_t align = aligned16 ? 16 : 4;
  Desc t(CUDNN_BACKEND_TENSOR_DESCRIPTOR);
  t.set(CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type)
      .set(CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims)
      .set(CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides)
      .set(CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid)
      .set(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &align)
      .finalize();
  return t;
}

// Notes that rule an engine out: nondeterminism always; TF32 and other down-conversions in fp32.
bool engine_allowed(const Desc& cfg, bool tf32) {
  Desc engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR);
  int64_t n = 0;
  if (cudnnBackendGetAttribute(cfg.get(), CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &n,
                               engine.ptr()) != CUDNN_STATUS_SUCCESS)
    return false;
  cudnnBackendNumericalNote_t notes[CUDNN_NUMERICAL_NOTE_TYPE_COUNT];
  int64_t count = 0;
  if (cudnnBackendGetAttribute(engine.get(), CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
                               CUDNN_NUMERICAL_NOTE_TYPE_COUNT, &count, notes) != CUDNN_STATUS_SUCCESS)
    return false;
  for (int64_t i = 0; i < count; ++i) {
    if (notes[i] == CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC) return false;
    if (!tf32 &&
        (notes[i] == CUDNN_NUMERICAL_NOTE_TENSOR_CORE || notes[i] == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS ||
         notes[i] == CUDNN_NUMERICAL_NOTE_REDUCED_PRECISION_REDUCTION))
      return false;
  }
  return true;
}

constexpr int64_t kMaxWorkspace = int64_t(512) << 20;

}  // namespace

std::string conv_dims_text(const ConvDims& d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "B%d Cin%d %dx%d Cout%d k%d s%d p%d", d.B, d.Cin, d.H, d.W, d.Cout, d.k, d.stride,
                d.pad);
  return buf;
}

struct CudnnGraphConvs::Plan {
  Desc plan{CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR};
  int64_t workspace = 0;
};

CudnnGraphConvs::CudnnGraphConvs(cudnnHandle_t handle, bool tf32, Workspace workspace)
    : handle_(handle), tf32_(tf32), workspace_(std::move(workspace)) {}
CudnnGraphConvs::~CudnnGraphConvs() = default;

CudnnGraphConvs::Plan& CudnnGraphConvs::plan(Dir dir, const ConvDims& d, bool acc, bool aligned16) {
  const Key key{int(dir), d.B, d.Cin, d.H, d.W, d.Cout, d.k, d.stride, d.pad, acc, aligned16};
  if (auto it = plans_.find(key); it != plans_.end()) return *it->second;

  const Desc x = tensor(kUidX, d.B, d.Cin, d.H, d.W, aligned16);
  const Desc w = tensor(kUidW, d.Cout, d.Cin, d.k, d.k, aligned16);
  const Desc y = tensor(kUidY, d.B, d.Cout, d.Ho, d.Wo, aligned16);
  const cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t dims = 2, pad[2] = {d.pad, d.pad}, stride[2] = {d.stride, d.stride}, dilation[2] = {1, 1};
  Desc conv(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR);
  conv.set(CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &dims)
      .set(CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &compute)
      .set(CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode)
      .set(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pad)
      .set(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, pad)
      .set(CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, dilation)
      .set(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, stride)
      .finalize();

  // The operation's attributes by direction; the plan's tensors x, w, y are the backward's dx, w, dy.
  struct OpAttrs {
    cudnnBackendDescriptorType_t type;
    cudnnBackendAttributeName_t x, w, y, conv, alpha, beta;
  };
  static constexpr OpAttrs kForward{CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA,
                                    CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA};
  static constexpr OpAttrs kBackwardData{CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA,
                                         CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA};
  const bool fwd = dir == Dir::Forward;
  const OpAttrs& a = fwd ? kForward : kBackwardData;
  const float alpha = 1.f, beta = acc ? 1.f : 0.f;
  Desc op(a.type);
  op.set(a.x, x)
      .set(a.w, w)
      .set(a.y, y)
      .set(a.conv, conv)
      .set(a.alpha, CUDNN_TYPE_FLOAT, 1, &alpha)
      .set(a.beta, CUDNN_TYPE_FLOAT, 1, &beta)
      .finalize();
  Desc graph(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR);
  cudnnBackendDescriptor_t ops[1] = {op.get()};
  graph.set(CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, ops)
      .set(CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle_)
      .finalize();

  // cuDNN's ranked engine configurations (heuristics mode A, then the fallback list): the first that
  // is allowed, finalizes on this device and fits the workspace cap.
  for (const cudnnBackendHeurMode_t heur_mode : {CUDNN_HEUR_MODE_A, CUDNN_HEUR_MODE_FALLBACK}) {
    Desc heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR);
    heur.set(CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, graph)
        .set(CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &heur_mode);
    if (cudnnBackendFinalize(heur.get()) != CUDNN_STATUS_SUCCESS) continue;
    int64_t count = 0;
    if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count,
                                 nullptr) != CUDNN_STATUS_SUCCESS ||
        count <= 0)
      continue;
    std::vector<Desc> cfgs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < count; ++i) {
      cfgs.emplace_back(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR);
      raw.push_back(cfgs.back().get());
    }
    int64_t got = 0;
    if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, count, &got,
                                 raw.data()) != CUDNN_STATUS_SUCCESS)
      continue;
    for (int64_t i = 0; i < got; ++i) {
      if (!engine_allowed(cfgs[size_t(i)], tf32_)) continue;
      auto p = std::make_unique<Plan>();
      cudnnBackendDescriptor_t cfg = cfgs[size_t(i)].get();
      p->plan.set(CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfg)
          .set(CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle_);
      if (cudnnBackendFinalize(p->plan.get()) != CUDNN_STATUS_SUCCESS) continue;  // not on this device
      int64_t n = 0;
      NASWOT_CUDNN_CHECK(cudnnBackendGetAttribute(p->plan.get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE,
                                                  CUDNN_TYPE_INT64, 1, &n, &p->workspace));
      if (p->workspace > kMaxWorkspace) continue;
      workspace_(size_t(p->workspace));  // allocated now, not in the scoring loop
      return *plans_.emplace(key, std::move(p)).first->second;
    }
  }
  fail(std::string("cuda backend: cuDNN's graph API offers no deterministic ") + (tf32_ ? "" : "fp32 (no TF32) ") +
       (fwd ? "forward" : "backward-data") + " engine for conv " + conv_dims_text(d) + " (use --conv-kernels cudnn)");
}

void CudnnGraphConvs::execute(Plan& p, const void* x, const void* w, const void* y) {
  void* ws = p.workspace > 0 ? workspace_(size_t(p.workspace)) : nullptr;
  const int64_t uids[3] = {kUidX, kUidW, kUidY};
  void* ptrs[3] = {const_cast<void*>(x), const_cast<void*>(w), const_cast<void*>(y)};
  Desc pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR);
  pack.set(CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, 3, uids)
      .set(CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, 3, ptrs)
      .set(CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &ws)
      .finalize();
  NASWOT_CUDNN_CHECK(cudnnBackendExecute(handle_, p.plan.get(), pack.get()));
}

namespace {
bool aligned16(const void* a, const void* b, const void* c) {
  return ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(c)) & 15) == 0;
}
}  // namespace

void CudnnGraphConvs::forward(const ConvDims& d, const float* x, const float* w, float* y) {
  execute(plan(Dir::Forward, d, false, aligned16(x, w, y)), x, w, y);
}

void CudnnGraphConvs::backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc) {
  // The plan's tensors are x (here dx), w and y (here dy).
  execute(plan(Dir::BackwardData, d, acc, aligned16(dx, w, dy)), dx, w, dy);
}

}  // namespace naswot
