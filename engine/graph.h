// Graph IR: a DAG of tensor ops over float32 activations (each backend chooses their memory layout).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace naswot {

// Per-sample shape; the batch size is a run-time argument of the executor.
struct Shape {
  int c = 0, h = 1, w = 1;  // channels, height, width
  size_t per_sample() const { return size_t(c) * h * w; }
  bool operator==(const Shape&) const = default;
};

// Node kinds (engine/graph_ops.def: one row each, with what each computes).
enum class OpKind {
#define NASWOT_GRAPH_OP(kind, name, traits) kind,
#include "engine/graph_ops.def"
#undef NASWOT_GRAPH_OP
};
inline constexpr int kNumOpKinds = 0
#define NASWOT_GRAPH_OP(kind, name, traits) +1
#include "engine/graph_ops.def"
#undef NASWOT_GRAPH_OP
    ;

// What the planner and the benchmarks need to know of a node kind.
enum OpTrait : unsigned {
  kGradientTarget = 1u << 0,       // the input batch: the gradient's destination
  kAccumulates = 1u << 1,          // the forward op can add its result to its output (a fused Add term)
  kBackwardReadsInput = 1u << 2,   // the backward op reads the forward input (batch norm's xhat, max-pool's argmax)
  kBackwardReadsOutput = 1u << 3,  // the backward op reads the forward output (ReLU's mask y > 0)
  kBatchStats = 1u << 4,           // keeps per-channel mean and rstd from forward to backward
  kAppliesReLU = 1u << 5,          // can apply a ReLU that is its only consumer (forward) and its mask (backward)
  kReLUSite = 1u << 6,             // a ReLU: the Hamming score's sites, and what kAppliesReLU absorbs
  kSum = 1u << 7,                  // an n-ary sum: fused terms write into it, sole inputs share its gradient
  kProxyLayer = 1u << 8,           // a convolution or linear layer: the proxies read its weights and output
  kReLUOnLoad = 1u << 9,           // can read its input through a ReLU (forward) and apply its mask to the
                                   // input gradient (backward): a ReLU feeding only it needs no buffers
  kBnGradOnLoad = 1u << 10,        // its backward can compute the input gradient of a batch norm that is its only
                                   // consumer as it loads its output gradient: its own gradient needs no buffer
  kBnStatsOnStore = 1u << 11,      // can compute the batch statistics of its output for a batch norm that is its
                                   // only consumer as it stores it: the batch norm only applies them
};
unsigned op_traits(OpKind k);
inline bool has_trait(OpKind k, OpTrait t) { return (op_traits(k) & t) != 0; }
const char* op_name(OpKind k);

enum class InitKind {
  KaimingUniformA5,  // PyTorch default for conv/linear weights: U(+-1/sqrt(fan_in))
  LinearBias,        // PyTorch default linear bias: U(+-1/sqrt(fan_in))
  Ones,
  Zeros,
  HeNormalFanOut,  // N(0, sqrt(2 / (k*k*C_out))), NB101 port's conv init
  Normal001,       // N(0, 0.01), NB101 port's linear init
  StandardNormal,  // N(0, 1): zen's Gaussian initialisation of conv and linear weights
};

struct Param {
  std::string name;
  std::vector<int> dims;
  size_t offset = 0;  // into the network's flat parameter vector
  size_t size = 0;
  InitKind init = InitKind::Zeros;
  int fan_in = 0;
  int fan_out = 0;  // conv: k*k*C_out (He-normal fan-out)
};

struct Node {
  OpKind op = OpKind::Input;
  std::vector<int> inputs;
  Shape out;
  int kernel = 1, stride = 1, pad = 0;
  int weight = -1, bias = -1;  // param ids (BatchNorm: weight = gamma, bias = beta)
  std::string name;
  // ReLU nodes: how many ReLU modules of the reference network this node stands for (a search space
  // may share one ReLU between edges with the same input), and whether they sit inside
  // ReLU-Conv-BN blocks (the v2 reference's hooks count those twice). Used by the Hamming score.
  int relu_modules = 1;
  bool relu_in_block = false;
};

// Built in topological order: every node's inputs precede it.
struct Graph {
  std::vector<Node> nodes;
  std::vector<Param> params;
  int output = -1;

  int input(Shape s);
  int zero(Shape s);
  int conv2d(int x, int cout, int k, int stride, int pad, const std::string& name);
  // Re-initialise every conv and linear parameter of the graph with the given kinds (biases: Zeros).
  void set_init(InitKind conv, InitKind linear_weight, InitKind linear_bias);
  int batchnorm(int x, const std::string& name);
  int relu(int x, const std::string& name = "");
  int add(std::vector<int> xs);
  int avgpool3x3(int x);
  int avgpool2x2(int x);
  int global_avgpool(int x);
  int linear(int x, int out_features, const std::string& name);
  int maxpool(int x, int k, int stride, int pad, const std::string& name = "");
  int concat(std::vector<int> xs);
  int channel_slice(int x, int channels);

  size_t num_params() const;  // total trainable parameters (BN gamma/beta included)
  const Shape& shape(int id) const { return nodes.at(size_t(id)).out; }

 private:
  int push(Node n);
  int add_param(const std::string& name, std::vector<int> dims, InitKind init, int fan_in);
};

// Floating-point operations of one sample's forward pass: convolutions and linear layers (2 per MAC).
double forward_flops(const Graph& g);

}  // namespace naswot
