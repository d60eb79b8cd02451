// Fuzz targets over files naswot reads: benchmark tables, image files, the NB101 cell cache and run
// databases (edited with SQL, then read back the ways merge, export, report, search and resume do).
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/error.h"
#include "engine/io/csv.h"
#include "engine/io/images.h"
#include "engine/io/sha256.h"
#include "engine/io/store.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tools/app/runs.h"

namespace naswot::fuzz {

void table_csv(const uint8_t* d, size_t n) {
  const std::string path = scratch_path(".csv");
  write_file(path, d, n);
  constexpr long kCount = 4;
  const IndexedTable t =
      load_indexed_table(path, "fuzz table", "arch", kCount, [](long i) { return "a" + std::to_string(i); });
  NASWOT_FUZZ_CHECK(t.values.size() == size_t(kCount), "rows");
  for (const auto& row : t.values) {
    NASWOT_FUZZ_CHECK(row.size() == t.columns.size(), "columns");
    for (double v : row) NASWOT_FUZZ_CHECK(!std::isinf(v), "an infinite table value");
  }
}

void image_file(const uint8_t* d, size_t n) {
  if (n == 0) return;
  const Dataset which[] = {Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16};
  ImageSet set;
  set.dataset = which[d[0] % 3];
  set.side = dataset_side(set.dataset);
  const std::string path = scratch_path(".bin");
  write_file(path, d + 1, n - 1);
  read_image_file(path, set);
  const int classes = set.dataset == Dataset::Cifar10 ? 10 : set.dataset == Dataset::Cifar100 ? 100 : 120;
  NASWOT_FUZZ_CHECK(set.n > 0 && set.pixels.size() == size_t(set.n) * set.image_bytes(), "pixel count");
  NASWOT_FUZZ_CHECK(set.labels.size() == size_t(set.n), "label count");
  for (uint8_t l : set.labels) NASWOT_FUZZ_CHECK(l < classes, "label out of range");
  for (Augment mode : {Augment::None, Augment::FlipCrop, Augment::AugmentOne}) {
    const int batch = std::min(set.n, 3);  // a larger batch than the file holds is refused
    const std::vector<float> b = make_batch(set, batch, n, mode);
    NASWOT_FUZZ_CHECK(b.size() == size_t(batch) * set.image_bytes(), "batch size");
    for (float v : b) NASWOT_FUZZ_CHECK(std::isfinite(v), "a non-finite pixel");
  }
}

void cell_cache(const uint8_t* d, size_t n) {
  // Byte 0 even: the rest is the body after the header, and a valid trailer is added (random bytes
  // would almost never pass the SHA-256 check and so never reach the parser); odd: the whole file.
  std::string bytes;
  if (n > 0 && d[0] % 2 == 0) {
    bytes.assign("NASWOT-NB101-1\n", 16);  // nb101_index.cpp's kCacheMagic, its NUL included
    bytes.append(reinterpret_cast<const char*>(d + 1), n - 1);
    bytes += sha256_hex(bytes.data(), bytes.size());
  } else if (n > 0) {
    bytes.assign(reinterpret_cast<const char*>(d + 1), n - 1);
  }
  const std::string path = scratch_path(".cells");
  write_file(path, bytes.data(), bytes.size());
  for (const nb101::HashedCell& hc : nb101::read_cell_cache(path)) {
    const nb101::Cell& c = hc.cell;
    NASWOT_FUZZ_CHECK(c.V >= 2 && c.V <= nb101::kMaxVertices && c.adj.size() == size_t(c.V) * c.V, "cell size");
    NASWOT_FUZZ_CHECK(c.labels.size() == size_t(c.V), "labels");
    NASWOT_FUZZ_CHECK(hc.hash.size() == 32, "hash");
    nb101::graph_hash(c);
  }
}

namespace {

// The edits a fuzz input may make: rows and tables of the database itself, nothing outside it.
int authorise(void*, int action, const char*, const char*, const char*, const char*) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
    case SQLITE_CREATE_TABLE:
    case SQLITE_DROP_TABLE:
    case SQLITE_ALTER_TABLE:
    case SQLITE_CREATE_INDEX:
    case SQLITE_DROP_INDEX:
    case SQLITE_CREATE_VIEW:
    case SQLITE_DROP_VIEW:
    case SQLITE_FUNCTION:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
    case SQLITE_RECURSIVE: return SQLITE_OK;
    default: return SQLITE_DENY;  // ATTACH, PRAGMA, ...
  }
}

int stop_long_queries(void* steps) { return ++*static_cast<long*>(steps) > 2000; }

RunConfig template_config() {
  RunConfig cfg;
  cfg.identity = {{"space", "nb201"},   {"score", "jacob_cov"}, {"batch", "8"},     {"seed", "0"}, {"augment", "none"},
                  {"num_classes", "1"}, {"engine", "fuzz"},     {"backend", "cpu"}, {"data", "x"}};
  cfg.info = {{"device", "fuzz"}};
  return cfg;
}

// A small, valid NB201 run database as bytes (made once per process).
const std::string& template_db() {
  static const std::string bytes = [] {
    const std::string path = scratch_path("-template.db");
    std::remove(path.c_str());
    {
      RunStore s = RunStore::create_new(path, template_config());
      std::vector<ScoreRow> rows;
      for (int i : {0, 1, 10, 15624}) {
        ScoreRow r;
        r.index = i;
        r.arch = nb201::to_string(nb201::from_index(i));
        r.score = i == 10 ? -INFINITY : -100.0 - i;
        r.status = i == 10 ? ScoreStatus::Degenerate : ScoreStatus::Ok;
        r.seconds = 0.5;
        rows.push_back(r);
      }
      s.put_many(rows);
    }
    std::ifstream f(path, std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::remove(path.c_str());
    return b;
  }();
  return bytes;
}

}  // namespace

void run_db(const uint8_t* d, size_t n) {
  const std::string sql(reinterpret_cast<const char*>(d), n);
  std::string lower = sql;
  for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (lower.find("vacuum") != std::string::npos) return;  // VACUUM INTO writes files elsewhere
  const std::string path = scratch_path(".db");
  for (const char* s : {"", "-wal", "-shm", "-journal"}) std::remove((path + s).c_str());
  write_file(path, template_db().data(), template_db().size());
  {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      fuzz_bug("cannot open the copy");
    sqlite3_set_authorizer(db, authorise, nullptr);
    long steps = 0;
    sqlite3_progress_handler(db, 1000, stop_long_queries, &steps);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 16);
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);  // errors leave the edits made so far
    sqlite3_close_v2(db);
  }
  // Resuming a run into it (score-space --out): the same configuration or a refusal.
  try {
    RunStore s = RunStore::open_for_run(path, template_config());
    NASWOT_FUZZ_CHECK(long(s.done_indices().size()) == s.count(), "done indices vs the row count");
  } catch (const Error&) {
  }
  const CheckedRun run = read_run(path);
  long previous = -1;
  for (const ScoreRow& r : run.rows) {
    NASWOT_FUZZ_CHECK(r.index > previous, "rows out of order");
    previous = r.index;
    NASWOT_FUZZ_CHECK(r.status != ScoreStatus::Ok || std::isfinite(r.score), "ok with a non-finite score");
  }
}

}  // namespace naswot::fuzz
