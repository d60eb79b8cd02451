// NATS-Bench's size search space (SSS): NB201's TinyNetwork with one cell per stage, a fixed cell, and
// each of its 5 layers' channels chosen from {8, 16, ..., 64}: 32,768 networks.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/io/csv.h"

namespace naswot::nats_sss {

constexpr long kNumArchs = 32768;
constexpr int kLayers = 5;              // cell, reduction block, cell, reduction block, cell
constexpr int kStep = 8, kChoices = 8;  // each layer's width: 8, 16, ..., 64
// The cell of every SSS network (NATS-Bench: the best cell of the topology space).
extern const char* const kCell;

struct Channels {
  std::array<int, kLayers> c{};
  bool operator==(const Channels&) const = default;
};

// The benchmark's index order: the last layer's choice varies fastest (0 = 8:8:8:8:8, 1 = 8:8:8:8:16).
Channels from_index(long index);  // throws naswot::Error outside [0, 32768)
long index_of(const Channels& c);
std::string to_string(const Channels& c);  // "8:16:24:32:64", as the benchmark writes it
Channels parse(const std::string& s);      // throws naswot::Error with the reason
Channels resolve(const std::string& index_or_channels);

// The network (stem of c[0] channels, cell c[0], reduction to c[1], cell c[2], reduction to c[3],
// cell c[4]; see nb201::build_layers), num_classes outputs, image x image inputs.
Graph build(const Channels& c, int num_classes = 1, int image = 32);

// DIR/nats_sss/nats_sss_accuracy.csv: index, arch_channels, then per dataset the parameter count and
// the 90-epoch test accuracy (%); every index once, its channels checked against this index order.
using AccuracyTable = IndexedTable;
AccuracyTable load_accuracy_table(const std::string& data_dir);

}  // namespace naswot::nats_sss
