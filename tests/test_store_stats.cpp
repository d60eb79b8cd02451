// Rank statistics against reference values, SHA-256 test vectors, and the run store's guarantees.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "engine/error.h"
#include "engine/io/csv.h"
#include "engine/io/sha256.h"
#include "engine/io/store.h"
#include "engine/stats.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"
#include "tools/app/runs.h"

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

TEST_CASE("Kendall tau-b in O(n log n) equals the pair count, bit for bit (ties, infinities, sizes)") {
  std::mt19937 gen(9);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 2 + gen() % (trial < 250 ? 40 : 3000);
    const int levels = 1 + int(gen() % 12);  // few levels: many ties; one level: a constant sample (NaN)
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = trial % 3 ? double(gen() % unsigned(levels)) : std::ldexp(double(gen()), -20);
      y[i] = double(gen() % unsigned(levels + 3));
      if (gen() % 17 == 0) x[i] = -INFINITY;  // degenerate architectures
    }
    CAPTURE(trial);
    CAPTURE(n);
    const double fast = kendall_tau_b(x, y), slow = kendall_tau_b_quadratic(x, y);
    if (std::isnan(slow))
      CHECK(std::isnan(fast));
    else
      CHECK(std::memcmp(&fast, &slow, sizeof(double)) == 0);
  }
  CHECK(error_of([] { kendall_tau_b({1, NAN, 3}, {1, 2, 3}); }).find("NaN at position 1") != std::string::npos);
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
    s.put({7, "a7", -12.5, ScoreStatus::Ok, "", 0.1});
    s.put({3, "a3", -INFINITY, ScoreStatus::Degenerate, "zero variance", 0.2});
    CHECK_THROWS_AS(s.put({7, "a7", 1.0, ScoreStatus::Ok, "", 0.1}), Error);  // an index is stored once
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

TEST_CASE("run store: a NaN score (reference_nan) reads back as NaN, not as SQLite's NULL -> 0") {
  const fs::path p = fresh("nan.db");
  RunStore s = RunStore::create_new(p.string(), cfg("8"));
  s.put({4, "a4", std::nan(""), ScoreStatus::ReferenceNan, "cannot score", 0});
  s.put({5, "a5", -3.0, ScoreStatus::Ok, "", 0.1});
  const auto rows = s.rows();
  REQUIRE(rows.size() == 2);
  CHECK(std::isnan(rows[0].score));
  CHECK(rows[1].score == -3.0);
}

TEST_CASE("run store: a run of several scores keeps each score and status per row") {
  const fs::path p = fresh("more.db");
  RunConfig c = cfg("8");
  c.identity["score"] = "grad_norm,snip,params";
  {
    RunStore s = RunStore::create_new(p.string(), c);
    ScoreRow a{2, nb201::to_string(nb201::from_index(2)), 1.5, ScoreStatus::Ok, "", 0.1, 0, 0, {}};
    a.more = {{-INFINITY, ScoreStatus::Degenerate, "not finite"}, {1234, ScoreStatus::Ok, ""}};
    ScoreRow b{1, nb201::to_string(nb201::from_index(1)), 0.25, ScoreStatus::Ok, "", 0.1, 0, 0, {}};
    b.more = {{7, ScoreStatus::Ok, ""}, {99, ScoreStatus::Ok, ""}};
    s.put_many({a, b});
  }
  const CheckedRun run = read_run(p.string());
  CHECK(run.scores == std::vector<std::string>{"grad_norm", "snip", "params"});
  REQUIRE(run.rows.size() == 2);
  CHECK(run.rows[0].index == 1);
  CHECK(run.rows[0].value(1).score == 7);
  CHECK(run.rows[0].value(2).score == 99);
  CHECK(run.rows[1].value(0).score == 1.5);
  CHECK(run.rows[1].value(1).status == ScoreStatus::Degenerate);
  CHECK(run.rows[1].value(1).reason == "not finite");
  CHECK(run.rows[1].value(2).score == 1234);
  // A stored further score whose status disagrees with its value is refused, naming the score.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.string().c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "UPDATE more_scores SET score=3 WHERE idx=2 AND k=1", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  CHECK(error_of([&] { read_run(p.string()); }).find("row 2: snip: status degenerate with score 3") !=
        std::string::npos);
}

namespace {

// A valid NB201 run of three rows (ok, degenerate, reference_nan) at path, then `sql` applied to it.
void nb201_run(const fs::path& p, const std::string& sql) {
  RunConfig c = cfg("8");
  c.identity["score"] = "jacob_cov";
  {
    RunStore s = RunStore::create_new(p.string(), c);
    s.put({1, nb201::to_string(nb201::from_index(1)), -7.5, ScoreStatus::Ok, "", 0.1});
    s.put({10, nb201::to_string(nb201::from_index(10)), -INFINITY, ScoreStatus::Degenerate, "J = 0", 0.1});
    s.put({12, nb201::to_string(nb201::from_index(12)), std::nan(""), ScoreStatus::ReferenceNan, "", 0});
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.string().c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

}  // namespace

TEST_CASE("read_run: a run's rows are checked against its space") {
  const fs::path p = fresh("checked.db");
  nb201_run(p, "");
  const CheckedRun run = read_run(p.string());
  CHECK(run.space == "nb201");
  REQUIRE(run.rows.size() == 3);
  CHECK(std::isnan(run.rows[2].score));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"UPDATE scores SET status='fine' WHERE idx=1", "row 1: unknown status 'fine'"},
      {"UPDATE scores SET score=0 WHERE idx=10", "row 10: status degenerate with score 0"},
      {"UPDATE scores SET score=NULL WHERE idx=1", "row 1: status ok with score nan"},
      {"UPDATE scores SET score=1.5 WHERE idx=12", "row 12: status reference_nan with score 1.5"},
      {"UPDATE scores SET idx=-2 WHERE idx=1", "row -2: index outside the space (0..15624)"},
      {"UPDATE scores SET idx=2 WHERE idx=1", "row 2: arch '|"},
      {"UPDATE scores SET seconds=-1 WHERE idx=1", "row 1: scoring time -1"},
      {"UPDATE naswot_meta SET value='nb999' WHERE key='space'", "unknown space 'nb999'"},
      {"UPDATE naswot_meta SET value='foo' WHERE key='score'", "unknown score 'foo'"},
      {"UPDATE naswot_meta SET value='jacob_cov,jacob_cov' WHERE key='score'", "'jacob_cov' is named twice"},
      // A run of two scores whose rows hold one.
      {"UPDATE naswot_meta SET value='jacob_cov,hamming' WHERE key='score'", "row 1: 1 scores stored for a run of 2"},
      {"UPDATE naswot_meta SET value='1' WHERE key='batch'", "batch size '1'"},
      {"DROP TABLE scores; CREATE TABLE scores(idx INTEGER PRIMARY KEY, arch, score, status, reason, seconds);"
       "INSERT INTO scores VALUES(3, NULL, 0, 'ok', '', 0)",
       "row 3: column 'arch' is NULL"},
      {"UPDATE naswot_meta SET value='nats-sss' WHERE key='space'", "channels '|"},
  };
  for (const auto& [sql, expected] : cases) {
    CAPTURE(sql);
    fs::remove(p);
    nb201_run(p, sql);
    const std::string e = error_of([&] { read_run(p.string()); });
    CHECK(e.find(expected) != std::string::npos);
    CHECK(e.find(p.string()) == 0);  // the message names the database
  }
}

TEST_CASE("benchmark tables: whole-cell numbers, every index once") {
  const fs::path p = fresh("table.csv");
  const auto load = [&](const std::string& body) {
    { std::ofstream(p) << "index,arch,acc\n" << body; }
    return load_indexed_table(p.string(), "test table", "arch", 3, [](long i) { return "a" + std::to_string(i); });
  };
  const IndexedTable t = load("0,a0,91.5\n2,a2,nan\n1,a1,\n");
  CHECK(t.values[0][0] == 91.5);
  CHECK(std::isnan(t.values[1][0]));  // an empty cell: unknown
  CHECK(std::isnan(t.values[2][0]));  // an explicit nan: unknown too
  CHECK(error_of([&] { load("0,a0,91.5x\n1,a1,1\n2,a2,1\n"); }).find(":2: bad number '91.5x'") != std::string::npos);
  CHECK(error_of([&] { load("0,a0,inf\n1,a1,1\n2,a2,1\n"); }).find("bad number 'inf'") != std::string::npos);
  CHECK(error_of([&] { load("0,a0,1\n1,a1,1\n1,a1,2\n2,a2,1\n"); }).find(":4: index 1 appears twice") !=
        std::string::npos);
  CHECK(error_of([&] { load("0,a0,1\n1x,a1,1\n2,a2,1\n"); }).find("bad index '1x'") != std::string::npos);
  CHECK(error_of([&] { load("0,a0,1\n2,a2,1\n"); }).find("index 1 is missing") != std::string::npos);
}
