// cuDNN's graph (backend) API as naswot calls it, on the CPU: descriptors are attribute sets checked
// against the attribute types and counts the API documents, finalized in dependency order; an
// operation graph of one forward or backward-data convolution gets engine configurations whose
// numerical notes make the caller choose (heuristics mode A: a nondeterministic engine, a
// tensor-core one, then a plain one with a workspace; the fallback list: one plain engine); a plan
// executes with a variant pack whose pointers and workspace are checked against the tensors' extents
// and alignments. Every engine computes tests/emulated_cuda/conv_math.h's convolution.
#include <cudnn.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/emulated_cuda/conv_math.h"
#include "tests/emulated_cuda/cudnn_handle.h"
#include "tests/emulated_cuda/runtime.h"

namespace emucuda {
namespace {

// What a finalized operation graph computes; the descriptors built from it keep a copy, so the
// caller may destroy the graph once the plan is finalized (as cuDNN allows).
struct Problem {
  bool forward = true;
  ConvShape s{};
  double alpha = 1, beta = 0;
  int64_t uid_x = 0, uid_w = 0, uid_y = 0;  // backward-data: x = dx, y = dy
  int64_t align_x = 0, align_w = 0, align_y = 0;
  cudnnHandle_t handle = nullptr;
};

struct Engine {
  int index;
  std::vector<cudnnBackendNumericalNote_t> notes;
  int64_t workspace;
};

struct Attr {
  cudnnBackendAttributeType_t type;
  int64_t count;
  std::vector<unsigned char> bytes;
  template <class T>
  T at(int64_t i) const {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    return v;
  }
};

struct Desc {
  cudnnBackendDescriptorType_t type;
  bool finalized = false;
  std::map<cudnnBackendAttributeName_t, Attr> attrs;
  // Set by finalize (or copied into a descriptor the caller gets back).
  std::vector<int64_t> dims, strides;  // tensors
  std::shared_ptr<const Problem> problem;
  std::vector<Engine> results;  // engine heuristics
  Engine engine{};              // engine, engine config, plan
  std::vector<int64_t> uids;    // variant pack
  std::vector<void*> pointers;
  void* workspace = nullptr;
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::set<const void*>& live() {
  static std::set<const void*> s;
  return s;
}
Desc* desc(cudnnBackendDescriptor_t d, const char* call) {
  const std::lock_guard<std::mutex> lock(registry_mutex());
  if (!live().count(d)) throw Misuse(std::string(call) + ": not a live backend descriptor");
  return static_cast<Desc*>(d);
}

size_t type_size(cudnnBackendAttributeType_t t) {
  switch (t) {
    case CUDNN_TYPE_INT64:
    case CUDNN_TYPE_DOUBLE:
    case CUDNN_TYPE_VOID_PTR:
    case CUDNN_TYPE_BACKEND_DESCRIPTOR:
    case CUDNN_TYPE_HANDLE: return 8;
    default: return 4;  // float and the enumerations
  }
}

// The attributes naswot sets: the descriptor type they belong to, their type and count range.
struct Spec {
  cudnnBackendDescriptorType_t owner;
  cudnnBackendAttributeType_t type;
  int64_t min, max;
  cudnnBackendDescriptorType_t points_to = cudnnBackendDescriptorType_t(-1);  // for descriptor values
};
const Spec* spec(cudnnBackendAttributeName_t name) {
  constexpr auto T = CUDNN_BACKEND_TENSOR_DESCRIPTOR, C = CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR,
                 F = CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                 D = CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR,
                 G = CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR, H = CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR,
                 P = CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR, V = CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR,
                 E = CUDNN_BACKEND_ENGINECFG_DESCRIPTOR;
  static const std::map<cudnnBackendAttributeName_t, Spec> table = {
      {CUDNN_ATTR_TENSOR_DATA_TYPE, {T, CUDNN_TYPE_DATA_TYPE, 1, 1}},
      {CUDNN_ATTR_TENSOR_DIMENSIONS, {T, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_TENSOR_STRIDES, {T, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_TENSOR_UNIQUE_ID, {T, CUDNN_TYPE_INT64, 1, 1}},
      {CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, {T, CUDNN_TYPE_INT64, 1, 1}},
      {CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, {C, CUDNN_TYPE_INT64, 1, 1}},
      {CUDNN_ATTR_CONVOLUTION_COMP_TYPE, {C, CUDNN_TYPE_DATA_TYPE, 1, 1}},
      {CUDNN_ATTR_CONVOLUTION_CONV_MODE, {C, CUDNN_TYPE_CONVOLUTION_MODE, 1, 1}},
      {CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, {C, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, {C, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_CONVOLUTION_DILATIONS, {C, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, {C, CUDNN_TYPE_INT64, 1, 8}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, {F, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, {F, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, {F, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, {F, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, C}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, {F, CUDNN_TYPE_FLOAT, 1, 1}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, {F, CUDNN_TYPE_FLOAT, 1, 1}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX, {D, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W, {D, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY, {D, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, T}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC, {D, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, C}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA, {D, CUDNN_TYPE_FLOAT, 1, 1}},
      {CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA, {D, CUDNN_TYPE_FLOAT, 1, 1}},
      {CUDNN_ATTR_OPERATIONGRAPH_OPS, {G, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1}},
      {CUDNN_ATTR_OPERATIONGRAPH_HANDLE, {G, CUDNN_TYPE_HANDLE, 1, 1}},
      {CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, {H, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, G}},
      {CUDNN_ATTR_ENGINEHEUR_MODE, {H, CUDNN_TYPE_HEUR_MODE, 1, 1}},
      {CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, {P, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, 1, E}},
      {CUDNN_ATTR_EXECUTION_PLAN_HANDLE, {P, CUDNN_TYPE_HANDLE, 1, 1}},
      {CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, {V, CUDNN_TYPE_INT64, 1, 16}},
      {CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, {V, CUDNN_TYPE_VOID_PTR, 1, 16}},
      {CUDNN_ATTR_VARIANT_PACK_WORKSPACE, {V, CUDNN_TYPE_VOID_PTR, 1, 1}},
  };
  auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

const Attr& need(const Desc& d, cudnnBackendAttributeName_t name, const char* what) {
  auto it = d.attrs.find(name);
  if (it == d.attrs.end()) throw Misuse(std::string("cudnnBackendFinalize: ") + what + " was never set");
  return it->second;
}
const Desc& target(const Desc& d, cudnnBackendAttributeName_t name, const char* what) {
  return *static_cast<const Desc*>(need(d, name, what).at<void*>(0));
}

void finalize_tensor(Desc& d) {
  const Attr& dims = need(d, CUDNN_ATTR_TENSOR_DIMENSIONS, "tensor dimensions");
  const Attr& strides = need(d, CUDNN_ATTR_TENSOR_STRIDES, "tensor strides");
  need(d, CUDNN_ATTR_TENSOR_UNIQUE_ID, "tensor unique id");
  need(d, CUDNN_ATTR_TENSOR_DATA_TYPE, "tensor data type");
  const int64_t align = need(d, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, "tensor byte alignment").at<int64_t>(0);
  if (dims.count != strides.count) throw Misuse("cudnnBackendFinalize: tensor dimensions and strides differ in count");
  if (align <= 0 || (align & (align - 1))) throw Misuse("cudnnBackendFinalize: tensor byte alignment not a power of 2");
  for (int64_t i = 0; i < dims.count; ++i)
    d.dims.push_back(dims.at<int64_t>(i)), d.strides.push_back(strides.at<int64_t>(i));
}

// The convolution of an operation descriptor (forward or backward-data), checked for consistency.
std::shared_ptr<Problem> problem_of(const Desc& op, bool forward) {
  using N = cudnnBackendAttributeName_t;
  const N ax = forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DX;
  const N aw = forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_W;
  const N ay = forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_DY;
  const N ac = forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC
                       : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_CONV_DESC;
  const N aa =
      forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_ALPHA;
  const N ab = forward ? CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA : CUDNN_ATTR_OPERATION_CONVOLUTION_BWD_DATA_BETA;
  const Desc &x = target(op, ax, "the operation's x"), &w = target(op, aw, "the operation's w"),
             &y = target(op, ay, "the operation's y"), &c = target(op, ac, "the operation's convolution");
  auto p = std::make_shared<Problem>();
  p->forward = forward;
  p->alpha = need(op, aa, "alpha").at<float>(0);
  p->beta = need(op, ab, "beta").at<float>(0);
  for (const Desc* t : {&x, &w, &y}) {
    if (t->dims.size() != 4) throw Misuse("cudnnBackendFinalize: convolution tensors must have 4 dimensions here");
    const auto& d = t->dims;
    const std::vector<int64_t> packed = {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
    if (t->strides != packed) throw Misuse("cudnnBackendFinalize: only packed NCHW tensors are emulated");
    if (t->attrs.at(CUDNN_ATTR_TENSOR_DATA_TYPE).at<cudnnDataType_t>(0) != CUDNN_DATA_FLOAT)
      throw Misuse("cudnnBackendFinalize: only float tensors are emulated");
  }
  auto ints = [&](cudnnBackendAttributeName_t n, const char* what) {
    const Attr& a = need(c, n, what);
    if (a.count != 2) throw Misuse(std::string("cudnnBackendFinalize: convolution ") + what + " needs 2 values");
    return std::pair{a.at<int64_t>(0), a.at<int64_t>(1)};
  };
  const auto pre = ints(CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, "pre-paddings");
  const auto post = ints(CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, "post-paddings");
  const auto dil = ints(CUDNN_ATTR_CONVOLUTION_DILATIONS, "dilations");
  const auto str = ints(CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, "filter strides");
  if (need(c, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, "spatial dims").at<int64_t>(0) != 2 || pre != post ||
      dil != std::pair<int64_t, int64_t>{1, 1} ||
      need(c, CUDNN_ATTR_CONVOLUTION_CONV_MODE, "mode").at<cudnnConvolutionMode_t>(0) != CUDNN_CROSS_CORRELATION ||
      need(c, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, "compute type").at<cudnnDataType_t>(0) != CUDNN_DATA_FLOAT)
    throw Misuse("cudnnBackendFinalize: only 2-D symmetric-padding undilated float cross-correlations are emulated");
  const auto &xd = x.dims, &wd = w.dims, &yd = y.dims;
  p->s = ConvShape{int(xd[0]),     int(xd[1]),      int(xd[2]),     int(xd[3]),      int(wd[0]), int(wd[2]), int(wd[3]),
                   int(pre.first), int(pre.second), int(str.first), int(str.second), int(yd[2]), int(yd[3])};
  const ConvShape& s = p->s;
  if (wd[1] != s.C || yd[0] != s.N || yd[1] != s.K || s.P != (s.H + 2 * s.pad_h - s.R) / s.stride_h + 1 ||
      s.Q != (s.W + 2 * s.pad_w - s.S) / s.stride_w + 1)
    throw Misuse("cudnnBackendFinalize: the convolution's x, w and y shapes disagree");
  auto uid = [](const Desc& t) { return t.attrs.at(CUDNN_ATTR_TENSOR_UNIQUE_ID).at<int64_t>(0); };
  auto align = [](const Desc& t) { return t.attrs.at(CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT).at<int64_t>(0); };
  p->uid_x = uid(x), p->uid_w = uid(w), p->uid_y = uid(y);
  if (p->uid_x == p->uid_w || p->uid_x == p->uid_y || p->uid_w == p->uid_y)
    throw Misuse("cudnnBackendFinalize: tensors of one graph share a unique id");
  p->align_x = align(x), p->align_w = align(w), p->align_y = align(y);
  return p;
}

cudnnStatus_t finalize(Desc& d) {
  switch (d.type) {
    case CUDNN_BACKEND_TENSOR_DESCRIPTOR: finalize_tensor(d); break;
    case CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR:
      for (auto n :
           {CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_ATTR_CONVOLUTION_CONV_MODE,
            CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_ATTR_CONVOLUTION_DILATIONS,
            CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES})
        need(d, n, "a convolution attribute");
      break;
    case CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR: d.problem = problem_of(d, true); break;
    case CUDNN_BACKEND_OPERATION_CONVOLUTION_BACKWARD_DATA_DESCRIPTOR: d.problem = problem_of(d, false); break;
    case CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR: {
      const Desc& op = target(d, CUDNN_ATTR_OPERATIONGRAPH_OPS, "the graph's operations");
      if (!op.problem) throw Misuse("cudnnBackendFinalize: the graph's operation is not a convolution");
      auto p = std::make_shared<Problem>(*op.problem);
      p->handle = need(d, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, "the graph's handle").at<cudnnHandle_t>(0);
      d.problem = p;
      break;
    }
    case CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR: {
      d.problem = target(d, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, "the heuristics' graph").problem;
      const auto mode = need(d, CUDNN_ATTR_ENGINEHEUR_MODE, "the heuristics' mode").at<cudnnBackendHeurMode_t>(0);
      if (mode == CUDNN_HEUR_MODE_A)
        d.results = {{0, {CUDNN_NUMERICAL_NOTE_NONDETERMINISTIC}, 0},
                     {1, {CUDNN_NUMERICAL_NOTE_TENSOR_CORE, CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS}, 0},
                     {2, {}, 8192}};
      else if (mode == CUDNN_HEUR_MODE_FALLBACK)
        d.results = {{3, {}, 0}};
      else
        return CUDNN_STATUS_NOT_SUPPORTED;
      break;
    }
    case CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR: {
      const Desc& cfg = target(d, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, "the plan's engine configuration");
      const auto handle = need(d, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, "the plan's handle").at<cudnnHandle_t>(0);
      if (!cfg.problem) throw Misuse("cudnnBackendFinalize: the plan's engine configuration came from no heuristics");
      if (handle != cfg.problem->handle) throw Misuse("cudnnBackendFinalize: the plan's handle is not its graph's");
      d.problem = cfg.problem;
      d.engine = cfg.engine;
      break;
    }
    case CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR: {
      const Attr& ids = need(d, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, "the pack's unique ids");
      const Attr& ptrs = need(d, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, "the pack's pointers");
      if (ids.count != ptrs.count) throw Misuse("cudnnBackendFinalize: the pack's ids and pointers differ in count");
      for (int64_t i = 0; i < ids.count; ++i)
        d.uids.push_back(ids.at<int64_t>(i)), d.pointers.push_back(ptrs.at<void*>(i));
      if (auto it = d.attrs.find(CUDNN_ATTR_VARIANT_PACK_WORKSPACE); it != d.attrs.end())
        d.workspace = it->second.at<void*>(0);
      break;
    }
    default: return CUDNN_STATUS_NOT_SUPPORTED;
  }
  d.finalized = true;
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace
}  // namespace emucuda

using emucuda::Desc;
using emucuda::Misuse;

cudnnStatus_t cudnnBackendCreateDescriptor(cudnnBackendDescriptorType_t type, cudnnBackendDescriptor_t* out) {
  auto* d = new Desc;
  d->type = type;
  const std::lock_guard<std::mutex> lock(emucuda::registry_mutex());
  emucuda::live().insert(d);
  *out = d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnBackendDestroyDescriptor(cudnnBackendDescriptor_t d) {
  {
    const std::lock_guard<std::mutex> lock(emucuda::registry_mutex());
    if (!emucuda::live().erase(d)) throw Misuse("cudnnBackendDestroyDescriptor: not a live descriptor");
  }
  delete static_cast<Desc*>(d);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnBackendSetAttribute(cudnnBackendDescriptor_t handle, cudnnBackendAttributeName_t name,
                                       cudnnBackendAttributeType_t type, int64_t count, const void* values) {
  Desc& d = *emucuda::desc(handle, "cudnnBackendSetAttribute");
  const emucuda::Spec* s = emucuda::spec(name);
  const std::string what = "cudnnBackendSetAttribute(" + std::to_string(int(name)) + ")";
  if (d.finalized) throw Misuse(what + ": the descriptor is finalized");
  if (!s || s->owner != d.type) throw Misuse(what + ": not an attribute of this descriptor type (or not emulated)");
  const bool alpha_beta = s->type == CUDNN_TYPE_FLOAT && type == CUDNN_TYPE_DOUBLE;
  if (type != s->type && !alpha_beta) throw Misuse(what + ": wrong attribute type " + std::to_string(int(type)));
  if (count < s->min || count > s->max || !values) throw Misuse(what + ": element count " + std::to_string(count));
  emucuda::Attr a{s->type, count, {}};
  a.bytes.resize(size_t(count) * emucuda::type_size(s->type));
  if (alpha_beta)
    for (int64_t i = 0; i < count; ++i) {
      const float f = float(static_cast<const double*>(values)[i]);
      std::memcpy(a.bytes.data() + i * 4, &f, 4);
    }
  else
    std::memcpy(a.bytes.data(), values, a.bytes.size());
  if (type == CUDNN_TYPE_BACKEND_DESCRIPTOR)
    for (int64_t i = 0; i < count; ++i) {
      const Desc& t = *emucuda::desc(a.at<void*>(i), what.c_str());
      if (!t.finalized) throw Misuse(what + ": the descriptor set as its value is not finalized");
      if (s->points_to != cudnnBackendDescriptorType_t(-1) && t.type != s->points_to)
        throw Misuse(what + ": the descriptor set as its value has the wrong type");
    }
  d.attrs[name] = std::move(a);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnBackendFinalize(cudnnBackendDescriptor_t handle) {
  Desc& d = *emucuda::desc(handle, "cudnnBackendFinalize");
  if (d.finalized) throw Misuse("cudnnBackendFinalize: finalized twice");
  return emucuda::finalize(d);
}

cudnnStatus_t cudnnBackendGetAttribute(cudnnBackendDescriptor_t const handle, cudnnBackendAttributeName_t name,
                                       cudnnBackendAttributeType_t type, int64_t requested, int64_t* count, void* out) {
  const Desc& d = *emucuda::desc(handle, "cudnnBackendGetAttribute");
  const std::string what = "cudnnBackendGetAttribute(" + std::to_string(int(name)) + ")";
  if (!d.finalized) throw Misuse(what + ": the descriptor is not finalized");
  // Fills the caller's descriptors (created, not finalized) with copies of ours.
  auto fill = [&](void* into, cudnnBackendDescriptorType_t want, const emucuda::Engine& e) {
    Desc& t = *emucuda::desc(into, what.c_str());
    if (t.type != want) throw Misuse(what + ": the descriptor to fill has the wrong type");
    t.problem = d.problem;
    t.engine = e;
    t.finalized = true;
  };
  switch (name) {
    case CUDNN_ATTR_ENGINEHEUR_RESULTS: {
      if (d.type != CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR || type != CUDNN_TYPE_BACKEND_DESCRIPTOR)
        throw Misuse(what + ": engine heuristics' results are descriptors");
      const int64_t n = std::min<int64_t>(requested, int64_t(d.results.size()));
      *count = out ? n : int64_t(d.results.size());
      for (int64_t i = 0; out && i < n; ++i)
        fill(static_cast<void**>(out)[i], CUDNN_BACKEND_ENGINECFG_DESCRIPTOR, d.results[size_t(i)]);
      return CUDNN_STATUS_SUCCESS;
    }
    case CUDNN_ATTR_ENGINECFG_ENGINE:
      if (d.type != CUDNN_BACKEND_ENGINECFG_DESCRIPTOR || type != CUDNN_TYPE_BACKEND_DESCRIPTOR || requested < 1)
        throw Misuse(what + ": an engine configuration's engine is one descriptor");
      fill(*static_cast<void**>(out), CUDNN_BACKEND_ENGINE_DESCRIPTOR, d.engine);
      *count = 1;
      return CUDNN_STATUS_SUCCESS;
    case CUDNN_ATTR_ENGINE_NUMERICAL_NOTE: {
      if (d.type != CUDNN_BACKEND_ENGINE_DESCRIPTOR || type != CUDNN_TYPE_NUMERICAL_NOTE)
        throw Misuse(what + ": an engine's numerical notes");
      const int64_t n = std::min<int64_t>(requested, int64_t(d.engine.notes.size()));
      for (int64_t i = 0; i < n; ++i) static_cast<cudnnBackendNumericalNote_t*>(out)[i] = d.engine.notes[size_t(i)];
      *count = n;
      return CUDNN_STATUS_SUCCESS;
    }
    case CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE:
      if (d.type != CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR || type != CUDNN_TYPE_INT64 || requested < 1)
        throw Misuse(what + ": a plan's workspace size is one int64");
      *static_cast<int64_t*>(out) = d.engine.workspace;
      *count = 1;
      return CUDNN_STATUS_SUCCESS;
    default: throw Misuse(what + ": not emulated");
  }
}

cudnnStatus_t cudnnBackendExecute(cudnnHandle_t handle, cudnnBackendDescriptor_t plan_d,
                                  cudnnBackendDescriptor_t pack_d) {
  const Desc& plan = *emucuda::desc(plan_d, "cudnnBackendExecute plan");
  const Desc& pack = *emucuda::desc(pack_d, "cudnnBackendExecute variant pack");
  if (plan.type != CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR || !plan.finalized ||
      pack.type != CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR || !pack.finalized)
    throw Misuse("cudnnBackendExecute: a finalized plan and variant pack");
  const emucuda::Problem& p = *plan.problem;
  if (handle != p.handle) throw Misuse("cudnnBackendExecute: not the plan's handle");
  auto pointer = [&](int64_t uid, int64_t align, long long elems, const char* what) {
    for (size_t i = 0; i < pack.uids.size(); ++i)
      if (pack.uids[i] == uid) {
        void* q = pack.pointers[i];
        if (reinterpret_cast<uintptr_t>(q) % uintptr_t(align))
          throw Misuse(std::string("cudnnBackendExecute: ") + what + " is not aligned as its tensor says");
        emucuda::require_device(q, size_t(elems) * 4, std::string("cudnnBackendExecute ") + what);
        return static_cast<float*>(q);
      }
    throw Misuse(std::string("cudnnBackendExecute: the variant pack has no pointer for ") + what);
  };
  float* x = pointer(p.uid_x, p.align_x, p.s.x_elems(), "x");
  float* w = pointer(p.uid_w, p.align_w, p.s.w_elems(), "w");
  float* y = pointer(p.uid_y, p.align_y, p.s.y_elems(), "y");
  if (plan.engine.workspace > 0)
    emucuda::require_device(pack.workspace, size_t(plan.engine.workspace), "cudnnBackendExecute workspace");
  const emucuda::ConvShape s = p.s;
  const float a = float(p.alpha), b = float(p.beta);
  if (p.forward)
    emucuda::enqueue(handle->stream, emucuda::NodeKind::Kernel, [=] { emucuda::conv_forward(s, a, x, w, b, y); });
  else
    emucuda::enqueue(handle->stream, emucuda::NodeKind::Kernel, [=] { emucuda::conv_backward_data(s, a, w, y, b, x); });
  return CUDNN_STATUS_SUCCESS;
}
