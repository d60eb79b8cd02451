// NAS-Bench-201 encoding (CPython's random.shuffle, engine/reference_rng.h) and TinyNetwork graph builder.
#include "searchspaces/nb201.h"

#include "engine/error.h"
#include "engine/reference_rng.h"

namespace naswot::nb201 {

const std::array<const char*, 5> kOpNames = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

namespace {

struct Tables {
  std::vector<int> index_to_ordinal, ordinal_to_index;
};

const Tables& tables() {
  static const Tables t = [] {
    Tables t;
    t.index_to_ordinal.resize(kNumArchs);
    for (int i = 0; i < kNumArchs; ++i) t.index_to_ordinal[i] = i;
    PyRandom(88).shuffle(t.index_to_ordinal);  // AutoDL's generate_meta_info: random.seed(88); shuffle
    t.ordinal_to_index.resize(kNumArchs);
    for (int i = 0; i < kNumArchs; ++i) t.ordinal_to_index[t.index_to_ordinal[i]] = i;
    return t;
  }();
  return t;
}

}  // namespace

const std::vector<int>& index_to_ordinal_table() { return tables().index_to_ordinal; }

int ordinal(const Arch& a) {
  int p = 0;
  for (int op : a.ops) p = p * 5 + op;
  return p;
}

Arch from_ordinal(int p) {
  Arch a;
  for (int k = kNumEdges - 1; k >= 0; --k) {
    a.ops[k] = p % 5;
    p /= 5;
  }
  return a;
}

int index_of(const Arch& a) { return tables().ordinal_to_index[ordinal(a)]; }

Arch from_index(int index) {
  if (index < 0 || index >= kNumArchs)
    fail("NAS-Bench-201 index " + std::to_string(index) + " is out of range [0, " + std::to_string(kNumArchs - 1) +
         "]");
  return from_ordinal(tables().index_to_ordinal[index]);
}

std::string to_string(const Arch& a) {
  std::string s;
  int e = 0;
  for (int node = 1; node <= 3; ++node) {
    if (node > 1) s += "+";
    s += "|";
    for (int src = 0; src < node; ++src) s += std::string(kOpNames[a.ops[e++]]) + "~" + std::to_string(src) + "|";
  }
  return s;
}

Arch parse(const std::string& s) {
  auto bad = [&](const std::string& why) -> Error {
    return Error("invalid NAS-Bench-201 arch string '" + s + "': " + why +
                 " (expected e.g. |nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|)");
  };
  std::vector<std::string> groups;
  size_t start = 0;
  for (;;) {
    const size_t plus = s.find('+', start);
    groups.push_back(s.substr(start, plus == std::string::npos ? std::string::npos : plus - start));
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (groups.size() != 3)
    throw bad("found " + std::to_string(groups.size()) + " node groups separated by '+', a cell has 3");
  Arch a;
  int e = 0;
  for (int node = 1; node <= 3; ++node) {
    const std::string& g = groups[node - 1];
    if (g.size() < 2 || g.front() != '|' || g.back() != '|')
      throw bad("node " + std::to_string(node) + "'s group must start and end with '|'");
    std::vector<std::string> edges;
    size_t p = 1;
    while (p < g.size()) {
      const size_t q = g.find('|', p);
      edges.push_back(g.substr(p, q - p));
      p = q + 1;
    }
    if (int(edges.size()) != node)
      throw bad("node " + std::to_string(node) + " has " + std::to_string(edges.size()) + " incoming edges, needs " +
                std::to_string(node) + " (one from each earlier node): 6 edges in all");
    for (int src = 0; src < node; ++src) {
      const std::string& tok = edges[src];
      const size_t tilde = tok.find('~');
      if (tilde == std::string::npos) throw bad("edge '" + tok + "' lacks '~<source node>'");
      const std::string name = tok.substr(0, tilde), from = tok.substr(tilde + 1);
      if (from != std::to_string(src))
        throw bad("edge '" + tok + "' of node " + std::to_string(node) + " should come from node " +
                  std::to_string(src) + " (sources are listed in ascending order)");
      int op = -1;
      for (int k = 0; k < 5; ++k)
        if (name == kOpNames[k]) op = k;
      if (op < 0)
        throw bad("unknown op '" + name + "'; ops are none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3");
      a.ops[e++] = op;
    }
  }
  return a;
}

Arch resolve(const std::string& spec) {
  if (spec.empty()) fail("empty architecture");
  if (spec.find_first_not_of("0123456789") == std::string::npos) {
    if (spec.size() > 9) fail("NAS-Bench-201 index " + spec + " is out of range [0, 15624]");
    return from_index(std::stoi(spec));
  }
  if (spec[0] == '-' && spec.find_first_not_of("0123456789", 1) == std::string::npos)
    fail("NAS-Bench-201 index " + spec + " is out of range [0, 15624]");
  return parse(spec);
}

namespace {

struct Builder {
  Graph& g;
  int reluconvbn(int relu_in, int cout, int k, int stride, int pad, const std::string& name) {
    g.nodes[relu_in].relu_in_block = true;
    const int c = g.conv2d(relu_in, cout, k, stride, pad, name + ".conv");
    return g.batchnorm(c, name + ".bn");
  }
  int resblock(int x, int cout, const std::string& name) {
    int a = reluconvbn(g.relu(x, name + ".conv_a.relu"), cout, 3, 2, 1, name + ".conv_a");
    int b = reluconvbn(g.relu(a, name + ".conv_b.relu"), cout, 3, 1, 1, name + ".conv_b");
    int s = g.conv2d(g.avgpool2x2(x), cout, 1, 1, 0, name + ".downsample.conv");
    return g.add({s, b});  // shortcut first, as in the reference
  }
  // InferCell: edges out of node 0 map the input's channels to cout, the others cout to cout.
  int cell(int x, const Arch& a, int cout, const std::string& name) {
    const int C = cout;
    const bool widen = g.shape(x).c != cout;
    std::array<int, 4> node{x, -1, -1, -1};
    std::array<int, 4> relu_of{-1, -1, -1, -1};  // one ReLU per source node, shared by its conv edges
    int e = 0;
    for (int i = 1; i <= 3; ++i) {
      std::vector<int> terms;
      for (int j = 0; j < i; ++j, ++e) {
        const std::string en = name + ".e" + std::to_string(e);
        const int src = node[j];
        switch (a.ops[e]) {
          case None: break;
          case Skip:
            if (j == 0 && widen)  // FactorizedReduce at stride 1: conv 1x1 + BN, no ReLU
              terms.push_back(g.batchnorm(g.conv2d(src, C, 1, 1, 0, en + ".conv"), en + ".bn"));
            else if (g.nodes[src].op != OpKind::Zero)
              terms.push_back(src);
            break;
          case Conv1x1:
          case Conv3x3: {
            if (relu_of[j] < 0) {
              relu_of[j] = g.relu(src, name + ".relu" + std::to_string(j));
              g.nodes[relu_of[j]].relu_modules = 0;
            }
            ++g.nodes[relu_of[j]].relu_modules;  // one nn.ReLU per conv edge in the reference network
            const int k = a.ops[e] == Conv1x1 ? 1 : 3;
            terms.push_back(reluconvbn(relu_of[j], C, k, 1, k / 2, en));
            break;
          }
          case AvgPool:
            if (j == 0 && widen) fail("nb201: avg_pool_3x3 out of a cell's input needs equal channels");
            if (g.nodes[src].op != OpKind::Zero) terms.push_back(g.avgpool3x3(src));
            break;
        }
      }
      const Shape in = g.shape(x);
      node[i] = terms.empty() ? g.zero({C, in.h, in.w}) : g.add(terms);
    }
    return node[3];
  }
};

}  // namespace

Graph build(const Arch& a, const NetConfig& cfg) {
  if (cfg.C <= 0 || cfg.N < 0) fail("nb201: invalid network configuration");
  std::vector<int> channels;  // N cells of C, a reduction to 2C, N cells, a reduction to 4C, N cells
  for (int stage = 0; stage < 3; ++stage) channels.insert(channels.end(), size_t(cfg.N + (stage > 0)), cfg.C << stage);
  return build_layers(a, channels, cfg.num_classes, cfg.image);
}

Graph build_layers(const Arch& a, const std::vector<int>& channels, int num_classes, int image) {
  if (channels.size() % 3 != 2 || num_classes <= 0 || image < 4 || image % 4 != 0)
    fail("nb201: invalid network configuration");
  for (int c : channels)
    if (c <= 0) fail("nb201: invalid network configuration");
  for (int op : a.ops)
    if (op < 0 || op > 4) fail("nb201: op id out of range");
  const size_t N = channels.size() / 3;
  Graph g;
  Builder b{g};
  int h = g.input({3, image, image});
  h = g.batchnorm(g.conv2d(h, channels[0], 3, 1, 1, "stem.conv"), "stem.bn");
  for (size_t k = 0; k < channels.size(); ++k) {
    const std::string name = "cells." + std::to_string(k);
    h = k == N || k == 2 * N + 1 ? b.resblock(h, channels[k], name) : b.cell(h, a, channels[k], name);
  }
  h = g.relu(g.batchnorm(h, "lastact.bn"), "lastact.relu");
  g.output = g.linear(g.global_avgpool(h), num_classes, "classifier");
  return g;
}

}  // namespace naswot::nb201
