// Convolutions through cuDNN's graph (backend) API: one execution plan per shape, direction, beta and
// alignment, built once and executed per call (--conv-kernels cudnn-graph).
#pragma once

#include <cudnn.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "kernels/op_types.h"

namespace naswot {

// "B128 Cin16 32x32 Cout16 k3 s1 p1": a convolution shape in error messages.
std::string conv_dims_text(const ConvDims& d);

// Why this path exists: the legacy calls (cudnnConvolutionForward & co) are cuDNN 9's compatibility
// layer over the same engines and may redo per call the host work that a finalized execution plan
// does once. Here a call costs one variant pack (the call's pointers) and cudnnBackendExecute.
class CudnnGraphConvs {
 public:
  enum class Dir { Forward, BackwardData };
  // workspace(bytes): device memory of at least that size, valid until the next call on the stream.
  using Workspace = std::function<void*(size_t)>;

  CudnnGraphConvs(cudnnHandle_t handle, bool tf32, Workspace workspace);
  ~CudnnGraphConvs();
  CudnnGraphConvs(const CudnnGraphConvs&) = delete;
  CudnnGraphConvs& operator=(const CudnnGraphConvs&) = delete;

  // y = conv(x, w).
  void forward(const ConvDims& d, const float* x, const float* w, float* y);
  // dx (+)= conv^T(dy, w).
  void backward_data(const ConvDims& d, const float* dy, const float* w, float* dx, bool acc);

 private:
  struct Plan;
  using Key = std::tuple<int, int, int, int, int, int, int, int, int, bool, bool>;
  Plan& plan(Dir dir, const ConvDims& d, bool acc, bool aligned16);
  // x, w, y: the plan's three tensors (backward-data writes x and reads y).
  void execute(Plan& p, const void* x, const void* w, const void* y);

  cudnnHandle_t handle_;
  bool tf32_;
  Workspace workspace_;
  std::map<Key, std::unique_ptr<Plan>> plans_;
};

}  // namespace naswot
