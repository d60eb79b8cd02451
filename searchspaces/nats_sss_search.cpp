// NATS-Bench SSS search-space adapter: FLOPs from the engine's own graph of each network.
#include "searchspaces/nats_sss_search.h"

namespace naswot::nats_sss {

double network_flops(long index) { return forward_flops(build(from_index(index), /*num_classes=*/10)); }

SearchSpaceSSS::SearchSpaceSSS(const AccuracyTable& table, const std::string& fitness_column,
                               const std::string& time_column)
    : TableSpace(table, kNumArchs, fitness_column, time_column, network_flops,
                 " (convert the official NATS-sss file with tools/convert_nb201.py)") {}

long SearchSpaceSSS::sample(SearchRng& rng) { return long(rng.below(kNumArchs)); }

long SearchSpaceSSS::mutate(long parent, SearchRng& rng) {
  Channels c = from_index(parent);
  const size_t layer = size_t(rng.below(kLayers));
  const int shift = 1 + int(rng.below(kChoices - 1));  // any of the other widths
  c.c[layer] = ((c.c[layer] / kStep - 1 + shift) % kChoices + 1) * kStep;
  return index_of(c);
}

}  // namespace naswot::nats_sss
