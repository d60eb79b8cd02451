// Export of a scored network (weights, input batch, engine results and score) for the PyTorch oracle.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/graph.h"

namespace naswot {

struct ExportInfo {
  std::string space, arch;
  long index = -1;
  int num_classes = 1;
  uint64_t seed = 0;
  std::string score_kind;  // jacob_cov | hamming
  std::string relu_sites;  // hamming only: each | reference
  double score = 0;
  std::string status;
  std::vector<int> images;  // the batch's training-set indices, in batch order
  std::string sampler = "seed", init = "naswot";
  std::string dataset = "cifar10";  // whose training images
  std::vector<int> labels;          // proxies: the batch's classes, in batch order
};

// Writes DIR/meta.txt, params.f32, batch.f32, relu_masks.bin, and jacobian.f32 + output.f32 (jac),
// khamming.i64 (ham) or grads.f32 + output.f32 (wg, the proxies) (format in README).
// relu_weight gives each ReLU's Hamming-site weight (or 0).
// One float32 array as raw little-endian values (an export's further file, e.g. zen's second input).
void write_f32(const std::string& path, const std::vector<float>& v);

void write_export(const std::string& dir, const ExportInfo& info, const Graph& g, const std::vector<float>& params,
                  const std::vector<float>& batch_nchw, int batch, const JacobianResult* jac, const HammingResult* ham,
                  const WeightGradients* wg, const std::vector<int64_t>& relu_weight_by_node);

}  // namespace naswot
