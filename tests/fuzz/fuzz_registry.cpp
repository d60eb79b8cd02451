// The fuzz targets' table, the one-input runner and the scratch files they share.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <typeinfo>

#include "engine/error.h"
#include "tests/fuzz/fuzz_targets.h"

namespace naswot::fuzz {

void nb201_arch(const uint8_t*, size_t);
void sss_arch(const uint8_t*, size_t);
void nb101_cell(const uint8_t*, size_t);
void cli_args(const uint8_t*, size_t);
void table_csv(const uint8_t*, size_t);
void image_file(const uint8_t*, size_t);
void cell_cache(const uint8_t*, size_t);
void run_db(const uint8_t*, size_t);
void network_fusion(const uint8_t*, size_t);

const std::vector<Target>& targets() {
  static const std::vector<Target> t = {
      {"nb201_arch", nb201_arch, "NB201 --arch: index or arch string; round trip, build"},
      {"sss_arch", sss_arch, "NATS-Bench SSS --arch: index or channels; round trip, build"},
      {"nb101_cell", nb101_cell, "NB101 --matrix/--ops (first line / rest); prune, hash, re-parse, build"},
      {"cli_args", cli_args, "command-line options (one per line), integers, index lists, option values"},
      {"table_csv", table_csv, "a benchmark table CSV keyed by index"},
      {"image_file", image_file, "a CIFAR-10 / CIFAR-100 / ImageNet16 training file (first byte: which), then batches"},
      {"cell_cache", cell_cache, "the NB101 cell cache (header and SHA-256 trailer added unless byte 0 is odd)"},
      {"run_db", run_db, "a run database edited by SQL, then read back as merge/export/report/search do"},
      {"network_fusion", network_fusion, "an NB201 index or NB101 cell, shrunk: fused = plain schedule bit for bit"},
  };
  return t;
}

const Target* find_target(const std::string& name) {
  for (const Target& t : targets())
    if (name == t.name) return &t;
  return nullptr;
}

void fuzz_bug(const std::string& what) {
  std::fprintf(stderr, "naswot fuzz: BUG: %s\n", what.c_str());
  std::abort();
}

bool run_one(const Target& t, const uint8_t* data, size_t size) {
  try {
    t.fn(data, size);
    return true;
  } catch (const Error&) {
    return false;  // refused with a message: what bad input should get
  } catch (const std::exception& e) {
    fuzz_bug(std::string(t.name) + ": escaped as " + typeid(e).name() + " (not naswot::Error): " + e.what());
  }
}

std::string scratch_path(const char* suffix) {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/naswot-fuzz-" + std::to_string(::getpid()) + suffix;
}

void write_file(const std::string& path, const void* data, size_t size) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f.write(static_cast<const char*>(data), std::streamsize(size)) || !f.flush())
    fuzz_bug("cannot write the scratch file " + path);
}

}  // namespace naswot::fuzz
