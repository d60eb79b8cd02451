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

enum class OpKind {
  Input,          // the image batch
  Zero,           // constant zeros (a 'none' edge); no inputs, no gradient
  Conv2d,         // no bias; weight [Cout][Cin][k][k]
  BatchNorm,      // training mode: batch statistics, biased variance, affine
  ReLU,
  Add,            // sum of all inputs, left to right
  AvgPool3x3,     // stride 1, pad 1, count_include_pad = false
  AvgPool2x2,     // stride 2, pad 0
  GlobalAvgPool,  // -> shape {C,1,1}
  Linear,         // with bias; weight [Out][In]
  MaxPool,        // kernel, stride, pad; padding never wins
  Concat,         // along channels, inputs in order
  ChannelSlice,   // the first out.c channels of the input
};
const char* op_name(OpKind k);

enum class InitKind {
  KaimingUniformA5,  // PyTorch default for conv/linear weights: U(+-1/sqrt(fan_in))
  LinearBias,        // PyTorch default linear bias: U(+-1/sqrt(fan_in))
  Ones,
  Zeros,
  HeNormalFanOut,    // N(0, sqrt(2 / (k*k*C_out))), NB101 port's conv init
  Normal001,         // N(0, 0.01), NB101 port's linear init
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

  size_t num_params() const;   // total trainable parameters (BN gamma/beta included)
  const Shape& shape(int id) const { return nodes.at(size_t(id)).out; }

 private:
  int push(Node n);
  int add_param(const std::string& name, std::vector<int> dims, InitKind init, int fan_in);
};

// Floating-point operations of one sample's forward pass: convolutions and linear layers (2 per MAC).
double forward_flops(const Graph& g);

}  // namespace naswot
