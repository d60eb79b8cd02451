// cuDNN's legacy descriptor API as naswot calls it, on the CPU: NCHW float32 2-D convolutions
// (tests/emulated_cuda/conv_math.h) in stream order. The algorithm lists offer what a GPU's do to the
// caller's choice: a nondeterministic algorithm first, a tensor-core one next, then a deterministic
// FMA one that needs a workspace, so a caller that takes the first entry, or ignores the workspace,
// is caught.
#include <cudnn.h>

#include <cstring>
#include <string>

#include "tests/emulated_cuda/conv_math.h"
#include "tests/emulated_cuda/cudnn_handle.h"
#include "tests/emulated_cuda/runtime.h"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

// NHWC descriptors are accepted (algorithm queries work on them: the op model asks about both
// layouts); running a convolution on them is not emulated.
struct cudnnTensorStruct {
  int n = 0, c = 0, h = 0, w = 0;
  bool set = false, nhwc = false;
};
struct cudnnFilterStruct {
  int k = 0, c = 0, h = 0, w = 0;
  bool set = false, nhwc = false;
};
struct cudnnConvolutionStruct {
  int pad_h = 0, pad_w = 0, u = 1, v = 1;
  bool set = false;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace emucuda {
namespace {

constexpr size_t kWorkspace = 4096;  // what the deterministic FMA algorithms ask for

ConvShape shape_of(const cudnnTensorStruct& x, const cudnnFilterStruct& w, const cudnnConvolutionStruct& c,
                   const cudnnTensorStruct& y, const char* call) {
  if (!x.set || !w.set || !c.set || !y.set) throw Misuse(std::string(call) + ": a descriptor was never set");
  ConvShape s{x.n, x.c, x.h, x.w, w.k, w.h, w.w, c.pad_h, c.pad_w, c.u, c.v, y.h, y.w};
  const int P = (x.h + 2 * c.pad_h - w.h) / c.u + 1, Q = (x.w + 2 * c.pad_w - w.w) / c.v + 1;
  if (w.c != x.c || y.n != x.n || y.c != w.k || y.h != P || y.w != Q)
    throw Misuse(std::string(call) + ": descriptors disagree (x " + std::to_string(x.c) + " channels, w " +
                 std::to_string(w.k) + "x" + std::to_string(w.c) + ", y " + std::to_string(y.c) + "x" +
                 std::to_string(y.h) + "x" + std::to_string(y.w) + ")");
  return s;
}

// The three entries every algorithm query returns, ranked as described at the top.
template <class Perf, class Algo>
void algorithms(int requested, int* returned, Perf* out) {
  const Perf all[3] = {
      {Algo(0), CUDNN_STATUS_SUCCESS, 0.1f, 0, CUDNN_NON_DETERMINISTIC, CUDNN_FMA_MATH, {}},
      {Algo(1), CUDNN_STATUS_SUCCESS, 0.2f, 0, CUDNN_DETERMINISTIC, CUDNN_TENSOR_OP_MATH, {}},
      {Algo(2), CUDNN_STATUS_SUCCESS, 0.3f, kWorkspace, CUDNN_DETERMINISTIC, CUDNN_FMA_MATH, {}},
  };
  *returned = std::min(requested, 3);
  for (int i = 0; i < *returned; ++i) out[i] = all[i];
}

size_t workspace_of(int algo) { return algo == 2 ? kWorkspace : 0; }

void require_nchw(const cudnnTensorStruct& x, const cudnnFilterStruct& w, const cudnnTensorStruct& y,
                  const char* call) {
  if (x.nhwc || w.nhwc || y.nhwc) throw Misuse(std::string(call) + ": NHWC convolutions are not emulated");
}

// Algorithm 1 is the tensor-core one: allowed only where the descriptor allows tensor-op math.
void check_algo(int algo, const cudnnConvolutionStruct& c, const void* ws, size_t ws_bytes, const char* call) {
  if (algo < 0 || algo > 2)
    throw Misuse(std::string(call) + ": algorithm " + std::to_string(algo) + " was never offered");
  if (algo == 1 && c.math == CUDNN_FMA_MATH)
    throw Misuse(std::string(call) + ": the tensor-core algorithm on a descriptor set to CUDNN_FMA_MATH");
  if (ws_bytes < workspace_of(algo))
    throw Misuse(std::string(call) + ": workspace of " + std::to_string(ws_bytes) + " bytes, the algorithm needs " +
                 std::to_string(workspace_of(algo)));
  if (workspace_of(algo)) require_device(ws, workspace_of(algo), std::string(call) + " workspace");
}

}  // namespace
}  // namespace emucuda

using emucuda::Misuse;

const char* cudnnGetErrorString(cudnnStatus_t s) {
  switch (s) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    default: return "emulated cuDNN error";
  }
}
cudnnStatus_t cudnnCreate(cudnnHandle_t* h) {
  *h = new cudnnContext;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) {
  delete h;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s) {
  h->stream = s;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) {
  *d = new cudnnTensorStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t f, cudnnDataType_t t, int n,
                                         int c, int h, int w) {
  if ((f != CUDNN_TENSOR_NCHW && f != CUDNN_TENSOR_NHWC) || t != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (n <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  *d = {n, c, h, w, true, f == CUDNN_TENSOR_NHWC};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) {
  *d = new cudnnFilterStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f, int k,
                                         int c, int h, int w) {
  if ((f != CUDNN_TENSOR_NCHW && f != CUDNN_TENSOR_NHWC) || t != CUDNN_DATA_FLOAT) return CUDNN_STATUS_NOT_SUPPORTED;
  if (k <= 0 || c <= 0 || h <= 0 || w <= 0) return CUDNN_STATUS_BAD_PARAM;
  *d = {k, c, h, w, true, f == CUDNN_TENSOR_NHWC};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  *d = new cudnnConvolutionStruct;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v,
                                              int dil_h, int dil_w, cudnnConvolutionMode_t mode, cudnnDataType_t type) {
  if (dil_h != 1 || dil_w != 1 || mode != CUDNN_CROSS_CORRELATION || type != CUDNN_DATA_FLOAT)
    return CUDNN_STATUS_NOT_SUPPORTED;
  if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0) return CUDNN_STATUS_BAD_PARAM;
  d->pad_h = pad_h, d->pad_w = pad_w, d->u = u, d->v = v, d->set = true;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) {
  d->math = m;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t c,
                                                    const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
                                                    int* n, int* k, int* p, int* q) {
  if (!c->set || !x->set || !w->set || w->c != x->c) return CUDNN_STATUS_BAD_PARAM;
  *n = x->n, *k = w->k;
  *p = (x->h + 2 * c->pad_h - w->h) / c->u + 1;
  *q = (x->w + 2 * c->pad_w - w->w) / c->v + 1;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t x,
                                                     const cudnnFilterDescriptor_t w,
                                                     const cudnnConvolutionDescriptor_t c,
                                                     const cudnnTensorDescriptor_t y, int requested, int* returned,
                                                     cudnnConvolutionFwdAlgoPerf_t* r) {
  emucuda::shape_of(*x, *w, *c, *y, "cudnnGetConvolutionForwardAlgorithm_v7");
  emucuda::algorithms<cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionFwdAlgo_t>(requested, returned, r);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                   const cudnnFilterDescriptor_t w,
                                                   const cudnnConvolutionDescriptor_t c,
                                                   const cudnnTensorDescriptor_t y, int requested, int* returned,
                                                   cudnnConvolutionFwdAlgoPerf_t* r) {
  return cudnnGetConvolutionForwardAlgorithm_v7(h, x, w, c, y, requested, returned, r);
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t, const cudnnFilterDescriptor_t w,
                                                          const cudnnTensorDescriptor_t dy,
                                                          const cudnnConvolutionDescriptor_t c,
                                                          const cudnnTensorDescriptor_t dx, int requested,
                                                          int* returned, cudnnConvolutionBwdDataAlgoPerf_t* r) {
  emucuda::shape_of(*dx, *w, *c, *dy, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  emucuda::algorithms<cudnnConvolutionBwdDataAlgoPerf_t, cudnnConvolutionBwdDataAlgo_t>(requested, returned, r);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t h, const cudnnFilterDescriptor_t w,
                                                        const cudnnTensorDescriptor_t dy,
                                                        const cudnnConvolutionDescriptor_t c,
                                                        const cudnnTensorDescriptor_t dx, int requested, int* returned,
                                                        cudnnConvolutionBwdDataAlgoPerf_t* r) {
  return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, w, dy, c, dx, requested, returned, r);
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t, const cudnnTensorDescriptor_t x,
                                                            const cudnnTensorDescriptor_t dy,
                                                            const cudnnConvolutionDescriptor_t c,
                                                            const cudnnFilterDescriptor_t dw, int requested,
                                                            int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* r) {
  emucuda::shape_of(*x, *dw, *c, *dy, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  emucuda::algorithms<cudnnConvolutionBwdFilterAlgoPerf_t, cudnnConvolutionBwdFilterAlgo_t>(requested, returned, r);
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                          const cudnnTensorDescriptor_t dy,
                                                          const cudnnConvolutionDescriptor_t c,
                                                          const cudnnFilterDescriptor_t dw, int requested,
                                                          int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* r) {
  return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, x, dy, c, dw, requested, returned, r);
}
cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                      const cudnnFilterDescriptor_t, const cudnnConvolutionDescriptor_t,
                                                      const cudnnTensorDescriptor_t, cudnnConvolutionFwdAlgo_t a,
                                                      size_t* bytes) {
  *bytes = emucuda::workspace_of(int(a));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, const cudnnFilterDescriptor_t,
                                                           const cudnnTensorDescriptor_t,
                                                           const cudnnConvolutionDescriptor_t,
                                                           const cudnnTensorDescriptor_t,
                                                           cudnnConvolutionBwdDataAlgo_t a, size_t* bytes) {
  *bytes = emucuda::workspace_of(int(a));
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t,
                                                             const cudnnTensorDescriptor_t,
                                                             const cudnnConvolutionDescriptor_t,
                                                             const cudnnFilterDescriptor_t,
                                                             cudnnConvolutionBwdFilterAlgo_t a, size_t* bytes) {
  *bytes = emucuda::workspace_of(int(a));
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd,
                                      const void* x, const cudnnFilterDescriptor_t wd, const void* w,
                                      const cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t algo, void* ws,
                                      size_t ws_bytes, const void* beta, const cudnnTensorDescriptor_t yd, void* y) {
  const char* call = "cudnnConvolutionForward";
  const emucuda::ConvShape s = emucuda::shape_of(*xd, *wd, *cd, *yd, call);
  emucuda::require_nchw(*xd, *wd, *yd, call);
  emucuda::check_algo(int(algo), *cd, ws, ws_bytes, call);
  emucuda::require_device(x, s.x_elems() * 4, std::string(call) + " x");
  emucuda::require_device(w, s.w_elems() * 4, std::string(call) + " w");
  emucuda::require_device(y, s.y_elems() * 4, std::string(call) + " y");
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  const auto* xf = static_cast<const float*>(x);
  const auto* wf = static_cast<const float*>(w);
  auto* yf = static_cast<float*>(y);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] { emucuda::conv_forward(s, a, xf, wf, b, yf); });
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void* alpha, const cudnnFilterDescriptor_t wd,
                                           const void* w, const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdDataAlgo_t algo,
                                           void* ws, size_t ws_bytes, const void* beta,
                                           const cudnnTensorDescriptor_t dxd, void* dx) {
  const char* call = "cudnnConvolutionBackwardData";
  const emucuda::ConvShape s = emucuda::shape_of(*dxd, *wd, *cd, *dyd, call);
  emucuda::require_nchw(*dxd, *wd, *dyd, call);
  emucuda::check_algo(int(algo), *cd, ws, ws_bytes, call);
  emucuda::require_device(w, s.w_elems() * 4, std::string(call) + " w");
  emucuda::require_device(dy, s.y_elems() * 4, std::string(call) + " dy");
  emucuda::require_device(dx, s.x_elems() * 4, std::string(call) + " dx");
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  const auto* wf = static_cast<const float*>(w);
  const auto* dyf = static_cast<const float*>(dy);
  auto* dxf = static_cast<float*>(dx);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] { emucuda::conv_backward_data(s, a, wf, dyf, b, dxf); });
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd,
                                             const void* x, const cudnnTensorDescriptor_t dyd, const void* dy,
                                             const cudnnConvolutionDescriptor_t cd,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void* ws, size_t ws_bytes,
                                             const void* beta, const cudnnFilterDescriptor_t dwd, void* dw) {
  const char* call = "cudnnConvolutionBackwardFilter";
  const emucuda::ConvShape s = emucuda::shape_of(*xd, *dwd, *cd, *dyd, call);
  emucuda::require_nchw(*xd, *dwd, *dyd, call);
  emucuda::check_algo(int(algo), *cd, ws, ws_bytes, call);
  emucuda::require_device(x, s.x_elems() * 4, std::string(call) + " x");
  emucuda::require_device(dy, s.y_elems() * 4, std::string(call) + " dy");
  emucuda::require_device(dw, s.w_elems() * 4, std::string(call) + " dw");
  const float a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  const auto* xf = static_cast<const float*>(x);
  const auto* dyf = static_cast<const float*>(dy);
  auto* dwf = static_cast<float*>(dw);
  emucuda::enqueue(h->stream, emucuda::NodeKind::Kernel, [=] { emucuda::conv_backward_filter(s, a, xf, dyf, b, dwf); });
  return CUDNN_STATUS_SUCCESS;
}
