// Rank statistics against reference values, SHA-256 test vectors, and the run store's guarantees.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/error.h"
#include "engine/sha256.h"
#include "engine/stats.h"
#include "engine/store.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::error_of;
namespace fs = std::filesystem;

TEST_CASE("Kendall tau-b and Spearman rho match SciPy's documented examples") {
  // scipy.stats.kendalltau([12, 2, 1, 12, 2], [1, 4, 7, 1, 0]) = -0.47140452079103173 (ties in both)
  CHECK(kendall_tau_b({12, 2, 1, 12, 2}, {1, 4, 7, 1, 0}) == doctest::Approx(-0.47140452079103173).epsilon(1e-14));
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
  CHECK(spearman_rho({1, 2, 3, 4, 5}, {5, 6, 7, 8, 7}) == doctest::Approx(0.8207826816681233).epsilon(1e-14));
  CHECK(kendall_tau_b({1, 2, 3}, {3, 2, 1}) == doctest::Approx(-1.0));
  // -inf scores (degenerate architectures) are ties, not NaNs.
  const double ninf = -INFINITY;
  CHECK(kendall_tau_b({ninf, ninf, 1, 2}, {1, 2, 3, 4}) == doctest::Approx(5.0 / std::sqrt(5.0 * 6.0)));
  CHECK(average_ranks({3, ninf, ninf, 1}) == std::vector<double>{4, 1.5, 1.5, 3});
}

TEST_CASE("SHA-256 test vectors") {
  CHECK(sha256_hex("", 0) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc", 3) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string m(1000000, 'a');
  CHECK(sha256_hex(m.data(), m.size()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 448 bits: padding spills
  CHECK(sha256_hex(two.data(), two.size()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

namespace {

RunConfig cfg(const std::string& batch) {
  RunConfig c;
  c.identity = {{"space", "nb201"}, {"batch", batch}, {"seed", "0"}};
  c.info = {{"device", "test"}};
  return c;
}

fs::path fresh(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("naswot_store_" + name);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(p.string() + suffix);
  return p;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

TEST_CASE("run store: round trip, resume, configuration identity") {
  const fs::path p = fresh("rt.db");
  {
    RunStore s = RunStore::open_for_run(p.string(), cfg("64"));
    s.put({7, "a7", -12.5, "ok", "", 0.1});
    s.put({3, "a3", -INFINITY, "degenerate", "zero variance", 0.2});
    CHECK_THROWS_AS(s.put({7, "a7", 1.0, "ok", "", 0.1}), Error);  // an index is stored once
  }
  RunStore s = RunStore::open_for_run(p.string(), cfg("64"));  // resume: same identity
  CHECK(s.done_indices() == std::vector<long>{3, 7});
  const auto rows = s.rows();
  REQUIRE(rows.size() == 2);
  CHECK(std::isinf(rows[0].score));
  CHECK(rows[0].score < 0);
  CHECK(rows[0].reason == "zero variance");
  CHECK(rows[1].score == -12.5);
  CHECK(s.config().info.at("device") == "test");
  const std::string e = error_of([&] { RunStore::open_for_run(p.string(), cfg("128")); });
  CHECK(e.find("batch: stored 64, requested 128") != std::string::npos);
}

TEST_CASE("run store: foreign or corrupt files are refused and left untouched") {
  const fs::path text = fresh("text.db");
  { std::ofstream(text) << "these are not the scores you are looking for\n"; }
  const std::string before = file_bytes(text);
  CHECK(error_of([&] { RunStore::open_for_run(text.string(), cfg("64")); }).find("not a naswot run database") !=
        std::string::npos);
  CHECK(file_bytes(text) == before);
  CHECK(error_of([&] { RunStore::open_existing("/nonexistent/run.db"); }).find("does not exist") != std::string::npos);
  const fs::path out = fresh("exists.db");
  { std::ofstream(out) << "x"; }
  CHECK(error_of([&] { RunStore::create_new(out.string(), cfg("64")); }).find("refusing to overwrite") !=
        std::string::npos);
}
