// NB101 cell validation/pruning and hashing, following the nasbench library's semantics.
#include "searchspaces/nb101.h"

#include <algorithm>
#include <cstdio>

#include "engine/error.h"
#include "engine/md5.h"

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
  if (V - int(keep.size()) > V - 2)
    fail("NAS-Bench-101 cell is disconnected: no path from the input to the output");
  Cell c;
  c.V = int(keep.size());
  c.adj.assign(size_t(c.V) * c.V, 0);
  for (int a = 0; a < c.V; ++a) {
    c.labels.push_back(labels[size_t(keep[size_t(a)])]);
    for (int b = 0; b < c.V; ++b) c.adj[size_t(a) * c.V + b] = uint8_t(m[size_t(keep[size_t(a)])][size_t(keep[size_t(b)])]);
  }
  if (c.V > kMaxVertices)
    fail("NAS-Bench-101 cell has " + std::to_string(c.V) + " vertices after pruning (at most 7)");
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
    if (ch == '/' || ch == ';') m.emplace_back();
    else if (ch == '0' || ch == '1') m.back().push_back(ch - '0');
    else if (ch != ' ') fail("NAS-Bench-101 --matrix: unexpected character '" + std::string(1, ch) +
                             "' (rows of 0/1 separated by '/')");
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

}  // namespace naswot::nb101
