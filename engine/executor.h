// Executor: forward pass, then the input-gradient of sum_b y_b (no weight gradients), on any backend.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/backend.h"
#include "engine/graph.h"
#include "engine/planner.h"

namespace naswot {

struct ReluMask {
  std::string name;
  Shape shape;
  std::vector<uint8_t> bits;  // (y > 0) per element in B,C,H,W order, packed MSB-first (numpy packbits)
};

// A max-pool's winners as the engine chose them: per output (B,C,Ho,Wo order), the index iy*W + ix of
// the input pixel within its plane (first maximum in row-major window order).
struct PoolArgmax {
  std::string name;
  Shape in, out;
  int k = 0, stride = 0, pad = 0;
  std::vector<int32_t> index;
};

struct JacobianResult {
  int batch = 0;
  size_t row = 0;                       // floats per sample (C*H*W of the input)
  std::vector<float> jacobian;          // batch x row, row b = d(sum_b' y_b')/d x_b in C,H,W order
  std::vector<float> output;            // batch x out_features, the network's outputs y
  std::vector<ReluMask> relu_masks;     // only when capture is on
  std::vector<PoolArgmax> pool_argmax;  // only when capture is on
};

struct HammingResult {
  std::vector<int64_t> K;            // batch x batch, row-major, exact
  std::vector<ReluMask> relu_masks;  // only when capture is on
};

struct WeightGradients {
  std::vector<float> output;            // batch x out_features, the network's outputs y
  std::vector<float> grads;             // dL/dtheta, g.num_params() floats in the graph's parameter order
  std::vector<float> fisher;            // with fisher: per convolution / linear layer (forward order), its terms
  std::vector<float> output_tangent;    // hessian_vector: the outputs' tangent along the direction (as output)
  std::vector<float> hessian_vector;    // hessian_vector: H v, g.num_params() floats
  std::vector<ReluMask> relu_masks;     // only when capture is on
  std::vector<PoolArgmax> pool_argmax;  // only when capture is on
};

// A network's parameters: values on the host (uploaded), or the table of draws that makes them
// (engine/init.h, weight_draws), drawn by the backend where the parameters live: no host values and
// no upload of them. Both give the same bits.
struct Weights {
  // Implicit: host values are the usual case, and every caller that has them passes them as before.
  Weights(const std::vector<float>& v) : values(&v) {}  // NOLINT(google-explicit-constructor)
  explicit Weights(const std::vector<WeightDraw>& d) : draws(&d) {}
  const std::vector<float>* values = nullptr;
  const std::vector<WeightDraw>* draws = nullptr;
};

// Hamming kernels K (batch x batch int64 in the backend's memory, e.g. issue_hamming's) to the host,
// all with one wait (Device::download_many).
std::vector<std::vector<int64_t>> download_kernels(Backend& be, const std::vector<const int64_t*>& K, int batch);

class Executor {
 public:
  explicit Executor(Backend& backend) : be_(backend) {}
  // batch_nchw: batch x C x H x W float32, the graph's input; params: g.num_params() floats (or their
  // draws).
  // download_jacobian = false leaves J on the backend only (see input_gradient()).
  JacobianResult jacobian(const Graph& g, const Weights& params, const float* batch_nchw, int batch,
                          bool download_jacobian = true);
  // J of the last jacobian() in the backend's memory and layout, valid until the next call;
  // nullptr when the output does not depend on the input (J = 0).
  const float* input_gradient() const { return input_grad_; }
  // jacobian() without any download: issues the forward and backward ops and returns J as
  // input_gradient() does (engine/lockstep.h records the calls and runs them later). plan: one
  // make_plan made for g at batch B (InputGradient, this backend's padded_batch), or nullptr.
  const float* issue_jacobian(const Graph& g, const Weights& params, const float* batch_nchw, int B,
                              const Plan* plan = nullptr);
  Backend& backend() { return be_; }
  // Forward, then seed(y) = dL/dy for the outputs y (batch x out_features, batch-major, host), then
  // the gradient of L with respect to every parameter (the zero-cost proxies' pass); with fisher also
  // each convolution / linear layer's fisher terms.
  WeightGradients weight_gradients(const Graph& g, const std::vector<float>& params, const float* batch_nchw, int batch,
                                   const std::function<std::vector<float>(const std::vector<float>&)>& seed,
                                   bool fisher = false);
  // One forward pass, then one backward pass per output gradient seed(y, i), i < count (ntk's
  // per-sample gradients): done(i, grads) receives each pass's parameter gradients. The plan keeps
  // every forward value for the repeated passes. Returns the forward's outputs (and captured masks).
  WeightGradients weight_gradients_each(const Graph& g, const std::vector<float>& params, const float* batch_nchw,
                                        int batch, int count,
                                        const std::function<std::vector<float>(const std::vector<float>&, int)>& seed,
                                        const std::function<void(int, const std::vector<float>&)>& done);
  // The loss's gradient g = dL/dtheta and its Hessian times a direction v of the parameters,
  // H v = d/de dL/dtheta(theta + e v) at e = 0, exactly (Pearlmutter's R-operator: every op's tangent
  // runs beside its forward and backward op; engine/planner.h plans the tangents' buffers). seed(y)
  // = dL/dy as in weight_gradients; seed_tangent(y, ty) = (d^2 L / dy^2) ty for the outputs' tangent
  // ty. ReLU and max pool are piecewise linear: their second derivatives are 0 (as autograd's).
  WeightGradients hessian_vector(
      const Graph& g, const std::vector<float>& params, const float* batch_nchw, int batch, const std::vector<float>& v,
      const std::function<std::vector<float>(const std::vector<float>&)>& seed,
      const std::function<std::vector<float>(const std::vector<float>&, const std::vector<float>&)>& seed_tangent);
  // Forward pass only, computing every node (also those off the output's path): the output's values
  // (batch-major) and, per batch norm in graph order, each channel's batch variance (biased, over the
  // batch's real samples and pixels, as the batch norm normalised with).
  struct ForwardResult {
    std::vector<float> output;
    std::vector<std::vector<double>> bn_variance;
  };
  ForwardResult forward_all(const Graph& g, const std::vector<float>& params, const float* batch_nchw, int batch);
  // Forward pass only, computing every ReLU (also those off the output's path); at each ReLU site,
  // K[a][b] += weight(node) * (number of units whose on/off state agrees between samples a and b).
  // Returns K (batch x batch, row-major), exact integers.
  HammingResult hamming_kernel(const Graph& g, const Weights& params, const float* batch_nchw, int batch,
                               const std::function<int64_t(const Node&)>& weight);
  // hamming_kernel without the download: returns K in the backend's memory (batch x batch int64, in
  // the arena: valid until the next call; engine/lockstep.h records the calls). plan: as
  // issue_jacobian's, in ForwardAllReLUs mode.
  const int64_t* issue_hamming(const Graph& g, const Weights& params, const float* batch_nchw, int batch,
                               const std::function<int64_t(const Node&)>& weight, const Plan* plan = nullptr);
  // Debug/oracle aid: also return every computed ReLU's activation mask and every max-pool's winners
  // (costs a download per site).
  void capture_relu_masks(bool on) { capture_masks_ = on; }
  // Planner options for the following calls (fused adds on by default).
  void set_plan_options(PlanOptions o) { plan_options_ = o; }

 private:
  // direction: the parameters' tangents, for a plan with tangents (hessian_vector).
  void forward(const Graph& g, const Weights& params, const float* batch_nchw, int batch, PlanMode mode,
               const std::function<void(int node, const float* value)>& after_relu, const Plan* plan = nullptr,
               const std::vector<float>* direction = nullptr);
  // Of the last forward(): the input gradient of sum_b y_b (sets input_grad_), or with `weights` the
  // parameters' gradients from the output gradient already in place.
  void backward(const Graph& g, int batch, bool weights);
  // The forward pass of the weight gradients: outputs (and captured masks) in r.
  WeightGradients weight_forward(const Graph& g, const std::vector<float>& params, const float* batch_nchw, int batch,
                                 const PlanOptions& options, const std::vector<float>* direction = nullptr);
  // After weight_forward: the parameters' gradients (and fisher terms) for output gradient dy (and,
  // planned with tangents, H v from the output gradient's tangent tdy).
  void weight_backward(const Graph& g, int batch, const std::vector<float>& dy, WeightGradients& r,
                       const std::vector<float>* tdy = nullptr);
  // Node v's tangent after its forward op (plans with tangents).
  void tangent_forward(const Graph& g, int v, int batch);
  // The forward pass with each site's codes (relu_codes), then K (hamming_pairs, one call per weight).
  const int64_t* forward_hamming(const Graph& g, const Weights& params, const float* batch_nchw, int batch,
                                 const std::function<int64_t(const Node&)>& weight, const Plan* plan,
                                 std::vector<ReluMask>* masks);
  ReluMask mask_of(const Graph& g, int node, const float* y, int batch);
  PoolArgmax argmax_of(const Graph& g, int node, const float* x, int batch);
  std::vector<PoolArgmax> pools_;  // captured during the last forward
  // Backend tensor (per_sample x batch values) to host memory in batch-major (N,C,H,W) order.
  void to_nchw(const float* src, float* host, const Shape& s, int batch);
  Backend& be_;
  Plan plan_;
  float* arena_ = nullptr;
  std::vector<float> batch_;  // the input batch now in the backend's persistent buffer
  int batch_b_ = 0;
  const float* input_grad_ = nullptr;
  bool capture_masks_ = false;
  PlanOptions plan_options_;
};

}  // namespace naswot
