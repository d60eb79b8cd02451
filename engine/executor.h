// Executor: forward pass, then the input-gradient of sum_b y_b (no weight gradients), on any backend.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/planner.h"

namespace naswot {

struct JacobianResult {
  int batch = 0;
  size_t row = 0;                // floats per sample (C*H*W of the input)
  std::vector<float> jacobian;   // batch x row, row b = d(sum_b' y_b')/d x_b in C,H,W order
  std::vector<float> output;     // batch x out_features, the network's outputs y
  struct Mask {
    std::string name;
    Shape shape;
    std::vector<uint8_t> bits;   // (y > 0) per element in B,C,H,W order, packed MSB-first (numpy packbits)
  };
  std::vector<Mask> relu_masks;  // only when capture is on
};

class Executor {
 public:
  explicit Executor(Backend& backend) : be_(backend) {}
  // batch_nchw: batch x C x H x W float32, the graph's input; params: g.num_params() floats.
  JacobianResult jacobian(const Graph& g, const std::vector<float>& params, const float* batch_nchw, int batch);
  const Plan& last_plan() const { return plan_; }
  // Debug/oracle aid: also return every live ReLU's activation mask (costs a download per ReLU).
  void capture_relu_masks(bool on) { capture_masks_ = on; }

 private:
  Backend& be_;
  Plan plan_;
  std::vector<float> host_;  // staging for layout changes
  bool capture_masks_ = false;
};

}  // namespace naswot
