// NAS-Bench-201: benchmark index <-> arch string <-> six edge ops, and the TinyNetwork builder.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.h"

namespace naswot::nb201 {

constexpr int kNumArchs = 15625;
constexpr int kNumEdges = 6;
enum Op : int { None = 0, Skip = 1, Conv1x1 = 2, Conv3x3 = 3, AvgPool = 4 };
extern const std::array<const char*, 5> kOpNames;  // benchmark names, in op-id order

// Edges in string order: e0=(1<-0), e1=(2<-0), e2=(2<-1), e3=(3<-0), e4=(3<-1), e5=(3<-2).
struct Arch {
  std::array<int, kNumEdges> ops{};
  bool operator==(const Arch&) const = default;
};

int ordinal(const Arch& a);  // gen_all order: e0 most significant digit in base 5
Arch from_ordinal(int ordinal);
int index_of(const Arch& a);           // benchmark index (seed-88 shuffle of gen_all)
Arch from_index(int index);            // throws on index outside [0, 15625)
std::string to_string(const Arch& a);  // |op~0|+|op~0|op~1|+|op~0|op~1|op~2|
Arch parse(const std::string& s);      // throws naswot::Error with the reason
Arch resolve(const std::string& index_or_arch);
const std::vector<int>& index_to_ordinal_table();

struct NetConfig {
  int C = 16;           // stem channels
  int N = 5;            // cells per stage
  int num_classes = 1;  // NASWOT scores with a single output
  int image = 32;       // 32 for CIFAR, 16 for ImageNet16-120
};

// TinyNetwork: stem conv+BN, 3 stages of N cells with ResNet reduction blocks between them,
// BN+ReLU, global average pool, linear. 'none' edges are omitted (they add exact zeros).
Graph build(const Arch& a, const NetConfig& cfg = {});
// The same network with per-layer channels (3N + 2 layers: N cells, a reduction block, N cells, a
// reduction block, N cells; the stem has channels[0]), as NATS-Bench's DynamicShapeTinyNet: a cell
// whose input has other channels maps them on its node-0 edges (skip_connect: 1x1 conv + BN).
Graph build_layers(const Arch& a, const std::vector<int>& channels, int num_classes = 1, int image = 32);

}  // namespace naswot::nb201
