// NB101 cell validation/pruning and hashing, following the nasbench library's semantics.
#include "searchspaces/nb101.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "engine/error.h"
#include "engine/io/md5.h"

namespace naswot::nb101 {

int Cell::num_edges() const {
  int e = 0;
  for (uint8_t v : adj) e += v;
  return e;
}

std::string Cell::matrix_string() const {
  std::string s;
  for (int i = 0; i < V; ++i) {
    if (i) s += '/';
    for (int j = 0; j < V; ++j) s += edge(i, j) ? '1' : '0';
  }
  return s;
}

std::string Cell::ops_string() const {
  std::string s;
  for (int i = 0; i < V; ++i) {
    if (i) s += ',';
    s += op_name(labels[size_t(i)]);
  }
  return s;
}

int op_label(const std::string& n) {
  if (n == "conv3x3-bn-relu" || n == "conv3x3") return Conv3x3;
  if (n == "conv1x1-bn-relu" || n == "conv1x1") return Conv1x1;
  if (n == "maxpool3x3" || n == "maxpool") return MaxPool3x3;
  if (n == "input" || n == "in") return Input;
  if (n == "output" || n == "out") return Output;
  fail("unknown NAS-Bench-101 op '" + n + "' (ops are conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3)");
}

const char* op_name(int label) {
  switch (label) {
    case Conv3x3: return "conv3x3-bn-relu";
    case Conv1x1: return "conv1x1-bn-relu";
    case MaxPool3x3: return "maxpool3x3";
    case Input: return "input";
    case Output: return "output";
  }
  return "?";
}

Cell make_cell(const std::vector<std::vector<int>>& m, const std::vector<int>& labels) {
  const int V = int(m.size());
  if (V < 2) fail("a NAS-Bench-101 cell needs at least 2 vertices (input and output)");
  if (V > 64) fail("NAS-Bench-101 cell matrix is too large (" + std::to_string(V) + " vertices)");
  for (int i = 0; i < V; ++i)
    if (int(m[size_t(i)].size()) != V)
      fail("NAS-Bench-101 matrix is not square: row " + std::to_string(i) + " has " +
           std::to_string(m[size_t(i)].size()) + " entries, expected " + std::to_string(V));
  if (int(labels.size()) != V)
    fail("NAS-Bench-101 ops/matrix size mismatch: " + std::to_string(V) + " vertices but " +
         std::to_string(labels.size()) + " ops");
  for (int i = 0; i < V; ++i)
    for (int j = 0; j < V; ++j) {
      const int v = m[size_t(i)][size_t(j)];
      if (v != 0 && v != 1) fail("NAS-Bench-101 matrix entries must be 0 or 1");
      if (v && j <= i)
        fail("NAS-Bench-101 matrix is not strictly upper-triangular: edge " + std::to_string(i) + " -> " +
             std::to_string(j));
    }
  // Prune: keep the vertices reachable from the input that also reach the output.
  std::vector<char> fwd(static_cast<size_t>(V), 0), bwd(static_cast<size_t>(V), 0);
  fwd[0] = 1;
  for (int i = 0; i < V; ++i)
    if (fwd[size_t(i)])
      for (int j = i + 1; j < V; ++j)
        if (m[size_t(i)][size_t(j)]) fwd[size_t(j)] = 1;
  bwd[size_t(V - 1)] = 1;
  for (int j = V - 1; j >= 0; --j)
    if (bwd[size_t(j)])
      for (int i = 0; i < j; ++i)
        if (m[size_t(i)][size_t(j)]) bwd[size_t(i)] = 1;
  std::vector<int> keep;
  for (int v = 0; v < V; ++v)
    if (fwd[size_t(v)] && bwd[size_t(v)]) keep.push_back(v);
  if (V - int(keep.size()) > V - 2) fail("NAS-Bench-101 cell is disconnected: no path from the input to the output");
  Cell c;
  c.V = int(keep.size());
  c.adj.assign(size_t(c.V) * c.V, 0);
  for (int a = 0; a < c.V; ++a) {
    c.labels.push_back(labels[size_t(keep[size_t(a)])]);
    for (int b = 0; b < c.V; ++b)
      c.adj[size_t(a) * c.V + b] = uint8_t(m[size_t(keep[size_t(a)])][size_t(keep[size_t(b)])]);
  }
  if (c.V > kMaxVertices) fail("NAS-Bench-101 cell has " + std::to_string(c.V) + " vertices after pruning (at most 7)");
  if (c.num_edges() > kMaxEdges)
    fail("NAS-Bench-101 cell has " + std::to_string(c.num_edges()) + " edges after pruning (at most 9)");
  if (c.labels.front() != Input) fail("NAS-Bench-101 cell: the first op must be input");
  if (c.labels.back() != Output) fail("NAS-Bench-101 cell: the last op must be output");
  for (int v = 1; v + 1 < c.V; ++v)
    if (c.labels[size_t(v)] < 0) fail("NAS-Bench-101 cell: input/output used as an interior op");
  return c;
}

std::string graph_hash(const Cell& c) {
  const int V = c.V;
  std::vector<std::string> h(static_cast<size_t>(V));
  for (int v = 0; v < V; ++v) {
    int out = 0, in = 0;
    for (int w = 0; w < V; ++w) out += c.edge(v, w), in += c.edge(w, v);
    char buf[48];  // Python's str() of the tuple (out, in, label)
    std::snprintf(buf, sizeof buf, "(%d, %d, %d)", out, in, c.labels[size_t(v)]);
    h[size_t(v)] = md5_hex(buf);
  }
  std::vector<std::string> next(static_cast<size_t>(V)), in_h, out_h;
  for (int round = 0; round < V; ++round) {
    for (int v = 0; v < V; ++v) {
      in_h.clear();
      out_h.clear();
      for (int w = 0; w < V; ++w) {
        if (c.edge(w, v)) in_h.push_back(h[size_t(w)]);
        if (c.edge(v, w)) out_h.push_back(h[size_t(w)]);
      }
      std::sort(in_h.begin(), in_h.end());
      std::sort(out_h.begin(), out_h.end());
      std::string s;
      for (const auto& x : in_h) s += x;
      s += '|';
      for (const auto& x : out_h) s += x;
      s += '|';
      s += h[size_t(v)];
      next[size_t(v)] = md5_hex(s);
    }
    h.swap(next);
  }
  std::sort(h.begin(), h.end());
  std::string list = "[";  // Python's str() of a list of strings
  for (size_t i = 0; i < h.size(); ++i) {
    list += i ? ", '" : "'";
    list += h[i];
    list += '\'';
  }
  list += ']';
  return md5_hex(list);
}

Cell parse_cell(const std::string& matrix, const std::string& ops) {
  std::vector<std::vector<int>> m(1);
  for (char ch : matrix) {
    if (ch == '/' || ch == ';')
      m.emplace_back();
    else if (ch == '0' || ch == '1')
      m.back().push_back(ch - '0');
    else if (ch != ' ')
      fail("NAS-Bench-101 --matrix: unexpected character '" + std::string(1, ch) + "' (rows of 0/1 separated by '/')");
  }
  std::vector<int> labels;
  size_t start = 0;
  for (;;) {
    const size_t comma = ops.find(',', start);
    labels.push_back(op_label(ops.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (labels.size() + 2 == m.size() && (labels.empty() || labels.front() != Input)) {  // interior ops only
    labels.insert(labels.begin(), Input);
    labels.push_back(Output);
  }
  return make_cell(m, labels);
}

namespace {

// Insertion sort of at most 7 digests (lexicographic on the 32 hex chars).
void sort_small(const char** a, int n) {
  for (int i = 1; i < n; ++i)
    for (int j = i; j > 0 && std::memcmp(a[j - 1], a[j], 32) > 0; --j) std::swap(a[j - 1], a[j]);
}

// graph_hash without allocations in the loop: hashes live in fixed 32-char slots.
void fast_hash(int V, const uint8_t* adj, const int* labels, char* out) {
  char h[kMaxVertices][32], next[kMaxVertices][32];
  char buf[2 * kMaxVertices * 32 + 40];
  for (int v = 0; v < V; ++v) {
    int o = 0, in = 0;
    for (int w = 0; w < V; ++w) o += adj[v * V + w], in += adj[w * V + v];
    const int n = std::snprintf(buf, sizeof buf, "(%d, %d, %d)", o, in, labels[v]);
    md5_hex(buf, size_t(n), h[v]);
  }
  for (int round = 0; round < V; ++round) {
    for (int v = 0; v < V; ++v) {
      const char* ins[kMaxVertices];
      const char* outs[kMaxVertices];
      int ni = 0, no = 0;
      for (int w = 0; w < V; ++w) {
        if (adj[w * V + v]) ins[ni++] = h[w];
        if (adj[v * V + w]) outs[no++] = h[w];
      }
      sort_small(ins, ni);
      sort_small(outs, no);
      size_t len = 0;
      for (int k = 0; k < ni; ++k) std::memcpy(buf + len, ins[k], 32), len += 32;
      buf[len++] = '|';
      for (int k = 0; k < no; ++k) std::memcpy(buf + len, outs[k], 32), len += 32;
      buf[len++] = '|';
      std::memcpy(buf + len, h[v], 32), len += 32;
      md5_hex(buf, len, next[v]);
    }
    std::memcpy(h, next, sizeof h);
  }
  const char* sorted[kMaxVertices];
  for (int v = 0; v < V; ++v) sorted[v] = h[v];
  sort_small(sorted, V);
  size_t len = 0;
  buf[len++] = '[';
  for (int v = 0; v < V; ++v) {
    if (v) buf[len++] = ',', buf[len++] = ' ';
    buf[len++] = '\'';
    std::memcpy(buf + len, sorted[v], 32), len += 32;
    buf[len++] = '\'';
  }
  buf[len++] = ']';
  md5_hex(buf, len, out);
}

}  // namespace

std::vector<HashedCell> enumerate_cells() {
  // Full DAG patterns in the generator's order: V ascending, then the edge bitmask ascending, where
  // edge x -> y (x < y) is bit x + y(y-1)/2.
  struct Pattern {
    int V;
    std::vector<uint8_t> adj;
  };
  std::vector<Pattern> patterns;
  for (int V = 2; V <= kMaxVertices; ++V) {
    const int nbits = V * (V - 1) / 2;
    for (uint32_t bits = 0; bits < (1u << nbits); ++bits) {
      if (__builtin_popcount(bits) > kMaxEdges) continue;
      std::vector<uint8_t> adj(size_t(V) * V, 0);
      for (int y = 1; y < V; ++y)
        for (int x = 0; x < y; ++x)
          if (bits >> (x + y * (y - 1) / 2) & 1) adj[size_t(x) * V + y] = 1;
      bool full = true;  // every vertex but the output has an out-edge, every vertex but the input an in-edge
      for (int v = 0; v < V && full; ++v) {
        int o = 0, in = 0;
        for (int w = 0; w < V; ++w) o += adj[size_t(v) * V + w], in += adj[size_t(w) * V + v];
        if ((v < V - 1 && o == 0) || (v > 0 && in == 0)) full = false;
      }
      if (full) patterns.push_back({V, std::move(adj)});
    }
  }
  std::vector<size_t> first(patterns.size() + 1, 0);
  for (size_t p = 0; p < patterns.size(); ++p) {
    size_t n = 1;
    for (int k = 0; k < patterns[p].V - 2; ++k) n *= 3;
    first[p + 1] = first[p] + n;
  }
  std::vector<std::array<char, 32>> hashes(first.back());
  // Labellings in itertools.product order: the last interior vertex varies fastest.
  auto labelling = [](int V, size_t code, int* labels) {
    labels[0] = Input;
    labels[V - 1] = Output;
    for (int v = V - 2; v >= 1; --v) labels[v] = int(code % 3), code /= 3;
  };
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t p = 0; p < patterns.size(); ++p) {
    int labels[kMaxVertices];
    for (size_t i = first[p]; i < first[p + 1]; ++i) {
      labelling(patterns[p].V, i - first[p], labels);
      fast_hash(patterns[p].V, patterns[p].adj.data(), labels, hashes[i].data());
    }
  }
  // First occurrence wins, in generator order.
  std::unordered_map<std::string, size_t> seen;
  seen.reserve(1 << 20);
  std::vector<HashedCell> out;
  for (size_t p = 0; p < patterns.size(); ++p)
    for (size_t i = first[p]; i < first[p + 1]; ++i) {
      std::string h(hashes[i].data(), 32);
      if (!seen.emplace(h, out.size()).second) continue;
      HashedCell hc;
      hc.hash = std::move(h);
      hc.cell.V = patterns[p].V;
      hc.cell.adj = patterns[p].adj;
      hc.cell.labels.resize(size_t(hc.cell.V));
      labelling(hc.cell.V, i - first[p], hc.cell.labels.data());
      out.push_back(std::move(hc));
    }
  std::sort(out.begin(), out.end(), [](const HashedCell& a, const HashedCell& b) { return a.hash < b.hash; });
  return out;
}

std::vector<int> vertex_channels(int c_in, int c_out, const Cell& c) {
  const int V = c.V;
  std::vector<int> vc(size_t(V), 0);
  vc[0] = c_in;
  vc[size_t(V - 1)] = c_out;
  if (V == 2) return vc;
  int d = 0;
  for (int v = 1; v < V - 1; ++v) d += c.edge(v, V - 1);
  const int base = c_out / d;
  int rem = c_out % d;
  for (int v = 1; v < V - 1; ++v)
    if (c.edge(v, V - 1)) {
      vc[size_t(v)] = base + (rem > 0 ? 1 : 0);
      if (rem > 0) --rem;
    }
  for (int v = V - 3; v >= 1; --v) {
    if (c.edge(v, V - 1)) continue;
    for (int w = v + 1; w < V - 1; ++w)
      if (c.edge(v, w)) vc[size_t(v)] = std::max(vc[size_t(v)], vc[size_t(w)]);
  }
  int feed = 0;
  for (int v = 1; v < V - 1; ++v) {
    if (vc[size_t(v)] <= 0) fail("NB101: a vertex got no channels (" + c.matrix_string() + ")");
    if (c.edge(v, V - 1)) feed += vc[size_t(v)];
  }
  if (feed != c_out) fail("NB101: vertex channels do not add up to the module's output");
  return vc;
}

namespace {

int conv_bn_relu(Graph& g, int x, int cout, int k, const std::string& name) {
  const int h = g.batchnorm(g.conv2d(x, cout, k, 1, k / 2, name + ".conv"), name + ".bn");
  return g.relu(h, name + ".relu");
}

int truncate(Graph& g, int x, int channels) {
  const int have = g.shape(x).c;
  if (have != channels && have != channels + 1)
    fail("NB101: cannot truncate " + std::to_string(have) + " channels to " + std::to_string(channels));
  return g.channel_slice(x, channels);
}

int module(Graph& g, int x, int c_out, const Cell& c, const std::string& name) {
  const int V = c.V;
  const std::vector<int> vc = vertex_channels(g.shape(x).c, c_out, c);
  std::vector<int> t(size_t(V), -1);
  t[0] = x;
  for (int v = 1; v < V - 1; ++v) {
    std::vector<int> in;
    for (int src = 1; src < v; ++src)
      if (c.edge(src, v)) in.push_back(truncate(g, t[size_t(src)], vc[size_t(v)]));
    if (c.edge(0, v)) in.push_back(conv_bn_relu(g, x, vc[size_t(v)], 1, name + ".proj" + std::to_string(v)));
    const int vin = g.add(in);
    const std::string vn = name + ".v" + std::to_string(v);
    switch (c.labels[size_t(v)]) {
      case Conv3x3: t[size_t(v)] = conv_bn_relu(g, vin, vc[size_t(v)], 3, vn); break;
      case Conv1x1: t[size_t(v)] = conv_bn_relu(g, vin, vc[size_t(v)], 1, vn); break;
      default: t[size_t(v)] = g.maxpool(vin, 3, 1, 1, vn + ".maxpool"); break;
    }
  }
  std::vector<int> feeders;
  for (int v = 1; v < V - 1; ++v)
    if (c.edge(v, V - 1)) feeders.push_back(t[size_t(v)]);
  const auto proj_out = [&] { return conv_bn_relu(g, x, c_out, 1, name + ".proj" + std::to_string(V - 1)); };
  if (feeders.empty()) return proj_out();
  const int out = g.concat(feeders);
  return c.edge(0, V - 1) ? g.add({out, proj_out()}) : out;
}

}  // namespace

NetConfig config_of(const NetShape& shape) {
  NetConfig c;
  c.num_classes = shape.num_classes;
  if (shape.nb101_suite) {
    c.stem = 128;
    c.pytorch_init = true;
  }
  return c;
}

Graph build(const Cell& c, const NetConfig& cfg) {
  Graph g;
  int h = g.input({3, cfg.image, cfg.image});
  h = conv_bn_relu(g, h, cfg.stem, 3, "stem");
  int C = cfg.stem, m = 0;
  for (int s = 0; s < cfg.stacks; ++s) {
    if (s > 0) {
      h = g.maxpool(h, 2, 2, 0, "stack" + std::to_string(s) + ".pool");
      C *= 2;
    }
    for (int k = 0; k < cfg.modules_per_stack; ++k) h = module(g, h, C, c, "cells." + std::to_string(m++));
  }
  g.output = g.linear(g.global_avgpool(h), cfg.num_classes, "classifier");
  if (cfg.pytorch_init)
    g.set_init(InitKind::KaimingUniformA5, InitKind::KaimingUniformA5, InitKind::LinearBias);
  else
    g.set_init(InitKind::HeNormalFanOut, InitKind::Normal001, InitKind::Zeros);
  return g;
}

}  // namespace naswot::nb101
