// NAS-Bench-101 cells: validation and pruning as the benchmark does, the nasbench graph hash, parsing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "searchspaces/space.h"

namespace naswot::nb101 {

constexpr int kMaxVertices = 7;
constexpr int kMaxEdges = 9;
// Labels as the graph hash uses them: index in available_ops, input -1, output -2.
enum Label : int { Conv3x3 = 0, Conv1x1 = 1, MaxPool3x3 = 2, Input = -1, Output = -2 };

struct Cell {
  int V = 0;
  std::vector<uint8_t> adj;  // V x V, row-major, strictly upper-triangular: adj[i*V+j] = edge i -> j
  std::vector<int> labels;   // V labels, Input first, Output last
  bool edge(int i, int j) const { return adj[size_t(i) * V + j] != 0; }
  int num_edges() const;
  std::string matrix_string() const;  // rows joined by '/', e.g. 0111010/0000001/...
  std::string ops_string() const;     // comma-joined benchmark op names, input/output included
};

// Validates and prunes a cell exactly as NAS-Bench-101's ModelSpec + _check_spec (docs/nb101.md):
// vertices not on an input->output path are removed; a cell with more than 9 raw edges is accepted
// if pruning brings it to 9 or fewer. Throws naswot::Error saying what is wrong.
Cell make_cell(const std::vector<std::vector<int>>& matrix, const std::vector<int>& labels);

// The nasbench graph hash (§3): 32 lowercase hex digits, invariant under vertex renumbering.
std::string graph_hash(const Cell& c);

// "0111010/0000001/..." and "conv1x1,conv3x3,..." (interior ops, or all ops with input/output).
// Op names: conv3x3-bn-relu | conv3x3, conv1x1-bn-relu | conv1x1, maxpool3x3 | maxpool, input, output.
Cell parse_cell(const std::string& matrix, const std::string& ops);
int op_label(const std::string& name);

// All 423,624 unique cells (docs/nb101.md): full DAGs with <= 7 vertices and <= 9 edges, every labelling,
// deduplicated by hash; each hash's canonical representative is the first one in the benchmark
// generator's order. Returned sorted by hash (the index order NASWOT uses, §4.1).
struct HashedCell {
  std::string hash;
  Cell cell;
};
std::vector<HashedCell> enumerate_cells();

// compute_vertex_channels (docs/nb101.md): channels of every vertex for a module C_in -> C_out.
std::vector<int> vertex_channels(int c_in, int c_out, const Cell& c);

struct NetConfig {
  int stem = 16;        // NASWOT's scoring configuration; the benchmark's networks use 128
  int num_classes = 1;  // NASWOT scores with one output; the benchmark uses 10
  int stacks = 3, modules_per_stack = 3;
  int image = 32;
  // PyTorch's default initialisation (convolutions and the classifier U(+-1/sqrt(fan_in))), as
  // zero-cost-nas builds the network; default: the NASWOT port's (He-normal fan-out, N(0, 0.01)).
  bool pytorch_init = false;
};
// The PyTorch port's network (docs/nb101.md): stem conv-BN-ReLU, 3 stacks of 3 modules with 2x2
// max-pools between stacks, global average pool, linear. Vertex inputs are sums (input projection
// last), the output vertex concatenates its feeders and adds the input projection.
Graph build(const Cell& c, const NetConfig& cfg = {});
// The network a scoring setup asks for: its outputs, and NASWOT's or the suites' network.
NetConfig config_of(const NetShape& shape);
const char* op_name(int label);

}  // namespace naswot::nb101
