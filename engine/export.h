// Export of a scored network (weights, input batch, engine Jacobian and score) for the PyTorch oracle.
#pragma once
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/scorer.h"

namespace naswot {

struct ExportInfo {
  std::string space, arch;
  long index = -1;
  int num_classes = 1;
  uint64_t seed = 0;
};

// Writes DIR/meta.txt, DIR/params.f32, DIR/batch.f32, DIR/jacobian.f32, DIR/output.f32 (format in README).
void write_export(const std::string& dir, const ExportInfo& info, const Graph& g, const std::vector<float>& params,
                  const std::vector<float>& batch_nchw, int batch, const NetworkScore& s);

}  // namespace naswot
