// Index <-> hash for NAS-Bench-101, backed by the enumeration (no benchmark file needed).
#include "searchspaces/nb101_index.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "engine/error.h"
#include "engine/io/sha256.h"

namespace naswot::nb101 {
namespace {

// Bump when the enumeration's meaning changes, so older caches are not read.
constexpr char kCacheMagic[16] = "NASWOT-NB101-1\n";
constexpr size_t kDigest = 64;  // hex SHA-256

std::string cache_path() {
  const char* dir = std::getenv("NASWOT_CACHE_DIR");
  if (dir && std::strcmp(dir, "off") == 0) return "";
  std::string d;
  if (dir && *dir)
    d = dir;
  else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    d = std::string(x) + "/naswot";
  else if (const char* h = std::getenv("HOME"); h && *h)
    d = std::string(h) + "/.cache/naswot";
  else
    return "";
  return d + "/nb101_cells.bin";
}

bool valid_cell(const Cell& c) {
  if (c.V < 2 || c.V > kMaxVertices || c.adj.size() != size_t(c.V) * c.V || c.labels.size() != size_t(c.V))
    return false;
  if (c.labels.front() != Input || c.labels.back() != Output) return false;
  for (int v = 1; v < c.V - 1; ++v)
    if (c.labels[v] < Conv3x3 || c.labels[v] > MaxPool3x3) return false;
  for (int i = 0; i < c.V; ++i)
    for (int j = 0; j <= i; ++j)
      if (c.adj[size_t(i) * c.V + j]) return false;  // strictly upper-triangular
  return true;
}

}  // namespace

std::vector<HashedCell> read_cell_cache(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return {};
  std::string bytes(size_t(f.tellg()), '\0');
  if (!f.seekg(0) || !f.read(bytes.data(), std::streamsize(bytes.size()))) return {};
  if (bytes.size() < sizeof kCacheMagic + 8 + kDigest ||
      bytes.compare(0, sizeof kCacheMagic, kCacheMagic, sizeof kCacheMagic))
    return {};
  const size_t body = bytes.size() - kDigest;
  if (sha256_hex(bytes.data(), body) != bytes.substr(body)) return {};
  size_t at = sizeof kCacheMagic;
  uint64_t count = 0;
  std::memcpy(&count, bytes.data() + at, 8);
  at += 8;
  std::vector<HashedCell> cells;
  for (uint64_t k = 0; k < count; ++k) {
    if (at + 33 > body) return {};
    HashedCell hc;
    hc.hash = bytes.substr(at, 32);
    hc.cell.V = static_cast<unsigned char>(bytes[at + 32]);
    at += 33;
    const size_t V = size_t(hc.cell.V);
    if (V > size_t(kMaxVertices) || at + V * V + V > body) return {};
    hc.cell.adj.assign(bytes.begin() + long(at), bytes.begin() + long(at + V * V));
    at += V * V;
    for (size_t v = 0; v < V; ++v) hc.cell.labels.push_back(static_cast<signed char>(bytes[at + v]));
    at += V;
    if (!valid_cell(hc.cell) || (!cells.empty() && !(cells.back().hash < hc.hash))) return {};
    cells.push_back(std::move(hc));
  }
  if (at != body) return {};
  return cells;
}

bool write_cell_cache(const std::string& path, const std::vector<HashedCell>& cells) {
  std::string bytes(kCacheMagic, sizeof kCacheMagic);
  const uint64_t count = cells.size();
  bytes.append(reinterpret_cast<const char*>(&count), 8);
  for (const HashedCell& hc : cells) {
    bytes += hc.hash;
    bytes += char(hc.cell.V);
    bytes.append(hc.cell.adj.begin(), hc.cell.adj.end());
    for (int l : hc.cell.labels) bytes += char(static_cast<signed char>(l));
  }
  bytes += sha256_hex(bytes.data(), bytes.size());
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());  // per process (MPI ranks)
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f.write(bytes.data(), std::streamsize(bytes.size())) || !f.flush()) {
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::filesystem::rename(tmp, path, ec);  // atomic: readers see the old file or the whole new one
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

const std::vector<HashedCell>& indexed_cells() {
  static const std::vector<HashedCell> cells = [] {
    const std::string path = cache_path();
    if (!path.empty()) {
      std::vector<HashedCell> c = read_cell_cache(path);
      if (long(c.size()) == kNumCells) return c;
    }
    std::fprintf(stderr, "# enumerating the 423,624 NAS-Bench-101 cells for the index (10-20 s, once%s)\n",
                 path.empty() ? "" : "; then cached");
    std::vector<HashedCell> c = enumerate_cells();
    if (long(c.size()) != kNumCells) fail("NB101 enumeration gave " + std::to_string(c.size()) + " cells");
    if (!path.empty() && !write_cell_cache(path, c))
      std::fprintf(stderr, "# note: could not write the NB101 cell cache %s\n", path.c_str());
    return c;
  }();
  return cells;
}

long index_of_hash(const std::string& hash) {
  const auto& cells = indexed_cells();
  const auto it = std::lower_bound(cells.begin(), cells.end(), hash,
                                   [](const HashedCell& c, const std::string& h) { return c.hash < h; });
  return it != cells.end() && it->hash == hash ? long(it - cells.begin()) : -1;
}

bool is_graph_hash(const std::string& s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

long resolve_index(const std::string& spec) {
  if (!spec.empty() && spec.size() <= 7 && spec.find_first_not_of("0123456789") == std::string::npos) {
    const long i = std::stol(spec);
    if (i >= kNumCells) fail("NB101 index " + spec + " is out of range (0 .. 423623)");
    return i;
  }
  if (is_graph_hash(spec)) {
    const long i = index_of_hash(spec);
    if (i < 0) fail("no NAS-Bench-101 cell has the hash " + spec);
    return i;
  }
  fail("'" + spec + "' is neither an NB101 index (0 .. 423623) nor a 32-digit lowercase hex graph hash");
}

bool hits_reference_inplace_bug(const Cell& c) {
  const int out = c.V - 1;
  if (c.V < 3 || !c.edge(0, out)) return false;
  int feeders = 0, feeder = -1;
  for (int v = 1; v < out; ++v)
    if (c.edge(v, out)) ++feeders, feeder = v;
  return feeders == 1 && (c.labels[size_t(feeder)] == Conv3x3 || c.labels[size_t(feeder)] == Conv1x1);
}

}  // namespace naswot::nb101
