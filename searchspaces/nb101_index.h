// NAS-Bench-101 cells by index (NASWOT's order: ascending hash, docs/nb101.md) and by hash.
#pragma once
#include <string>
#include <vector>

#include "searchspaces/nb101.h"

namespace naswot::nb101 {

constexpr long kNumCells = 423624;

// All unique cells in index order, enumerated on first use (10-20 s; thread-safe) or read from the
// cell cache that the first enumeration writes (NASWOT_CACHE_DIR, else $XDG_CACHE_HOME/naswot or
// ~/.cache/naswot; NASWOT_CACHE_DIR=off turns the cache off).
const std::vector<HashedCell>& indexed_cells();
long index_of_hash(const std::string& hash);  // -1 when no cell has this hash
// Whether s has a graph hash's form: 32 lowercase hex digits.
bool is_graph_hash(const std::string& s);
// An index (0 .. 423623) or a 32-digit hash -> index; throws naswot::Error saying why not.
long resolve_index(const std::string& spec);

// The cell cache file: a versioned header, the cells, a SHA-256 trailer over everything before it.
// read_cell_cache returns nothing unless the file is complete, intact and well-formed (hashes strictly
// ascending, valid cells); write_cell_cache writes a temporary file and renames it, false on failure.
std::vector<HashedCell> read_cell_cache(const std::string& path);
bool write_cell_cache(const std::string& path, const std::vector<HashedCell>& cells);

// docs/nb101.md: the reference port's in-place `outputs += projection(input)` breaks the backward pass
// (score NaN) when the cell has the edge input -> output and exactly one interior vertex feeds the
// output, and that vertex is a convolution (whose ReLU output autograd still needs).
bool hits_reference_inplace_bug(const Cell& c);
inline constexpr const char* kReferenceInplaceFailure =
    "the reference port's in-place += on a ReLU output fails its backward pass (docs/nb101.md)";

}  // namespace naswot::nb101
