// Graph construction helpers with shape inference and parameter registration.
#include "engine/graph.h"

#include <iterator>
#include <string>

#include "engine/error.h"

namespace naswot {

namespace {
struct OpRow {
  const char* name;
  unsigned traits;
};
constexpr OpRow kGraphOps[] = {
#define NASWOT_GRAPH_OP(kind, name, traits) {name, traits},
#include "engine/graph_ops.def"
#undef NASWOT_GRAPH_OP
};
const OpRow& row(OpKind k) {
  const auto i = size_t(k);
  if (i >= std::size(kGraphOps)) fail("graph: unknown op kind " + std::to_string(i));
  return kGraphOps[i];
}
}  // namespace

const char* op_name(OpKind k) { return row(k).name; }
unsigned op_traits(OpKind k) { return row(k).traits; }

int Graph::push(Node n) {
  for (int in : n.inputs)
    if (in < 0 || in >= int(nodes.size())) fail("graph: input id out of range");
  nodes.push_back(std::move(n));
  return int(nodes.size()) - 1;
}

int Graph::add_param(const std::string& name, std::vector<int> dims, InitKind init, int fan_in) {
  Param p;
  p.name = name;
  p.dims = std::move(dims);
  p.size = 1;
  for (int d : p.dims) p.size *= size_t(d);
  p.offset = params.empty() ? 0 : params.back().offset + params.back().size;
  p.init = init;
  p.fan_in = fan_in;
  params.push_back(std::move(p));
  return int(params.size()) - 1;
}

void Graph::set_init(InitKind conv, InitKind linear_weight, InitKind linear_bias) {
  for (const Node& n : nodes) {
    if (n.op == OpKind::Conv2d) {
      params[size_t(n.weight)].init = conv;
      params[size_t(n.weight)].fan_out = n.out.c * n.kernel * n.kernel;
    }
    if (n.op == OpKind::Linear) {
      params[size_t(n.weight)].init = linear_weight;
      params[size_t(n.bias)].init = linear_bias;
    }
  }
}

size_t Graph::num_params() const { return params.empty() ? 0 : params.back().offset + params.back().size; }

int Graph::input(Shape s) {
  Node n;
  n.op = OpKind::Input;
  n.out = s;
  n.name = "input";
  return push(n);
}

int Graph::zero(Shape s) {
  Node n;
  n.op = OpKind::Zero;
  n.out = s;
  return push(n);
}

int Graph::conv2d(int x, int cout, int k, int stride, int pad, const std::string& name) {
  const Shape in = shape(x);
  Node n;
  n.op = OpKind::Conv2d;
  n.inputs = {x};
  n.kernel = k;
  n.stride = stride;
  n.pad = pad;
  n.out = {cout, (in.h + 2 * pad - k) / stride + 1, (in.w + 2 * pad - k) / stride + 1};
  if (n.out.h <= 0 || n.out.w <= 0) fail("graph: conv2d '" + name + "' output is empty");
  n.weight = add_param(name + ".weight", {cout, in.c, k, k}, InitKind::KaimingUniformA5, in.c * k * k);
  n.name = name;
  return push(n);
}

int Graph::batchnorm(int x, const std::string& name) {
  Node n;
  n.op = OpKind::BatchNorm;
  n.inputs = {x};
  n.out = shape(x);
  n.weight = add_param(name + ".weight", {n.out.c}, InitKind::Ones, 0);
  n.bias = add_param(name + ".bias", {n.out.c}, InitKind::Zeros, 0);
  n.name = name;
  return push(n);
}

int Graph::relu(int x, const std::string& name) {
  Node n;
  n.name = name;
  n.op = OpKind::ReLU;
  n.inputs = {x};
  n.out = shape(x);
  return push(n);
}

int Graph::add(std::vector<int> xs) {
  if (xs.empty()) fail("graph: add of nothing");
  if (xs.size() == 1) return xs[0];
  for (int x : xs)
    if (!(shape(x) == shape(xs[0]))) fail("graph: add of mismatched shapes");
  Node n;
  n.op = OpKind::Add;
  n.out = shape(xs[0]);
  n.inputs = std::move(xs);
  return push(n);
}

int Graph::avgpool3x3(int x) {
  Node n;
  n.op = OpKind::AvgPool3x3;
  n.inputs = {x};
  n.out = shape(x);
  return push(n);
}

int Graph::avgpool2x2(int x) {
  const Shape in = shape(x);
  Node n;
  n.op = OpKind::AvgPool2x2;
  n.inputs = {x};
  n.out = {in.c, in.h / 2, in.w / 2};
  return push(n);
}

int Graph::global_avgpool(int x) {
  Node n;
  n.op = OpKind::GlobalAvgPool;
  n.inputs = {x};
  n.out = {shape(x).c, 1, 1};
  return push(n);
}

int Graph::linear(int x, int out_features, const std::string& name) {
  const Shape in = shape(x);
  if (in.h != 1 || in.w != 1) fail("graph: linear expects a pooled input");
  Node n;
  n.op = OpKind::Linear;
  n.inputs = {x};
  n.out = {out_features, 1, 1};
  n.weight = add_param(name + ".weight", {out_features, in.c}, InitKind::KaimingUniformA5, in.c);
  n.bias = add_param(name + ".bias", {out_features}, InitKind::LinearBias, in.c);
  n.name = name;
  return push(n);
}

int Graph::maxpool(int x, int k, int stride, int pad, const std::string& name) {
  const Shape in = shape(x);
  Node n;
  n.op = OpKind::MaxPool;
  n.name = name;
  n.inputs = {x};
  n.kernel = k;
  n.stride = stride;
  n.pad = pad;
  n.out = {in.c, (in.h + 2 * pad - k) / stride + 1, (in.w + 2 * pad - k) / stride + 1};
  if (n.out.h <= 0 || n.out.w <= 0) fail("graph: maxpool output is empty");
  return push(n);
}

int Graph::concat(std::vector<int> xs) {
  if (xs.empty()) fail("graph: concat of nothing");
  if (xs.size() == 1) return xs[0];
  Node n;
  n.op = OpKind::Concat;
  n.out = {0, shape(xs[0]).h, shape(xs[0]).w};
  for (int x : xs) {
    if (shape(x).h != n.out.h || shape(x).w != n.out.w) fail("graph: concat of mismatched spatial shapes");
    n.out.c += shape(x).c;
  }
  n.inputs = std::move(xs);
  return push(n);
}

int Graph::channel_slice(int x, int channels) {
  const Shape in = shape(x);
  if (channels == in.c) return x;
  if (channels <= 0 || channels > in.c) fail("graph: channel slice out of range");
  Node n;
  n.op = OpKind::ChannelSlice;
  n.inputs = {x};
  n.out = {channels, in.h, in.w};
  return push(n);
}

double forward_flops(const Graph& g) {
  double f = 0;
  for (const Node& n : g.nodes) {
    if (n.op == OpKind::Conv2d) {
      const Shape& in = g.shape(n.inputs[0]);
      f += 2.0 * n.out.c * in.c * n.kernel * n.kernel * n.out.h * n.out.w;
    } else if (n.op == OpKind::Linear) {
      f += 2.0 * n.out.c * g.shape(n.inputs[0]).c;
    }
  }
  return f;
}

}  // namespace naswot
