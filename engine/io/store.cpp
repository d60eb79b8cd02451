// SQLite-backed run store: schema, identity checks, crash-safe per-architecture inserts.
#include "engine/io/store.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>

#include "engine/error.h"

namespace naswot {
namespace {

constexpr const char* kFormat = "naswot-run-1";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const std::string& sql) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
      fail(std::string("database error: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s); }
  // true: a row is ready; false: done. A failing step (a corrupt page, a busy lock) throws rather than
  // ending the result early, so a damaged database never reads as a shorter run.
  bool next(sqlite3* db, const std::string& path) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(path + ": database error: " + sqlite3_errmsg(db));
  }
};

// A text column of the current row; NULL (a database not written by naswot) is an error naming the row.
std::string column_text(sqlite3_stmt* s, int col, const std::string& row) {
  const unsigned char* t = sqlite3_column_text(s, col);
  if (!t) fail(row + ": column '" + sqlite3_column_name(s, col) + "' is NULL; not a naswot run database");
  return reinterpret_cast<const char*>(t);
}

}  // namespace

RunStore::RunStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
RunStore::RunStore(RunStore&& o) noexcept : path_(std::move(o.path_)), db_(o.db_), cfg_(std::move(o.cfg_)) {
  o.db_ = nullptr;
}
RunStore::~RunStore() {
  if (db_) sqlite3_close(db_);
}

void RunStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail(path_ + ": database error: " + msg);
  }
}

namespace {

sqlite3* open_db(const std::string& path, bool create) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    fail("cannot open run database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 30000);  // shards writing into one file wait for each other
  return db;
}

// 0: empty database (no tables), 1: a naswot run database; throws for anything else.
int classify(sqlite3* db, const std::string& path) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table'", -1, &s, nullptr) != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    fail(path + " is not a naswot run database (" + msg + "); nothing was changed");
  }
  bool any = false, meta = false, scores = false;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(s, 0);
    const std::string name = t ? reinterpret_cast<const char*>(t) : "";
    any = true;
    meta |= name == "naswot_meta";
    scores |= name == "scores";
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE) {  // a damaged schema must not pass for an empty database
    const std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    fail(path + " is not a readable naswot run database (" + msg + "); nothing was changed");
  }
  if (!any) return 0;
  if (!meta || !scores) {
    sqlite3_close(db);
    fail(path + " is an SQLite database but not a naswot run database; nothing was changed");
  }
  return 1;
}

}  // namespace

void RunStore::load_config() {
  Stmt st(db_, "SELECT kind, key, value FROM naswot_meta");
  cfg_ = {};
  std::string format;
  while (st.next(db_, path_)) {
    const std::string where = path_ + ": naswot_meta";
    const std::string kind = column_text(st.s, 0, where), key = column_text(st.s, 1, where),
                      value = column_text(st.s, 2, where);
    if (kind == "format")
      format = value;
    else if (kind == "identity")
      cfg_.identity[key] = value;
    else
      cfg_.info[key] = value;
  }
  if (format != kFormat) fail(path_ + " has run-database format '" + format + "', this naswot reads '" + kFormat + "'");
}

void RunStore::write_config(const RunConfig& cfg) {
  exec("BEGIN IMMEDIATE");
  {
    Stmt st(db_, "INSERT OR REPLACE INTO naswot_meta(kind, key, value) VALUES (?, ?, ?)");
    auto put = [&](const char* kind, const std::string& k, const std::string& v) {
      sqlite3_bind_text(st.s, 1, kind, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 2, k.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 3, v.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(st.s) != SQLITE_DONE) fail(path_ + ": database error: " + sqlite3_errmsg(db_));
      sqlite3_reset(st.s);
    };
    put("format", "format", kFormat);
    for (const auto& [k, v] : cfg.identity) put("identity", k, v);
    for (const auto& [k, v] : cfg.info) put("info", k, v);
  }
  exec("COMMIT");
  cfg_ = cfg;
}

static const char* kSchema =
    "CREATE TABLE IF NOT EXISTS naswot_meta(kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY(kind, key));"
    "CREATE TABLE IF NOT EXISTS scores(idx INTEGER PRIMARY KEY, arch TEXT NOT NULL, score REAL,"
    " status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', seconds REAL NOT NULL);"
    // The second and later scores of a run of several (--score a,b,...), k = 1, 2, ... in the run's order.
    "CREATE TABLE IF NOT EXISTS more_scores(idx INTEGER NOT NULL, k INTEGER NOT NULL, score REAL,"
    " status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(idx, k));";

RunStore RunStore::open_for_run(const std::string& path, const RunConfig& cfg) {
  sqlite3* db = open_db(path, true);
  const int kind = classify(db, path);
  RunStore s(path, db);
  if (kind == 0) {
    s.exec("PRAGMA journal_mode=WAL");
    s.exec("PRAGMA synchronous=NORMAL");
    s.exec(kSchema);
    s.write_config(cfg);
    return s;
  }
  s.load_config();
  const std::string diff = config_differences(s.cfg_, cfg);
  if (!diff.empty())
    fail(path + " holds a run with a different configuration (" + diff +
         "); use another --out file, or the same options to continue that run");
  s.exec("PRAGMA synchronous=NORMAL");
  s.exec(kSchema);  // runs of engines before more_scores get the (empty) table
  return s;
}

RunStore RunStore::open_existing(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("run database " + path + " does not exist");
  sqlite3* db = open_db(path, false);
  if (classify(db, path) == 0) {
    sqlite3_close(db);
    fail(path + " is empty, not a naswot run database");
  }
  RunStore s(path, db);
  s.load_config();
  return s;
}

RunStore RunStore::create_new(const std::string& path, const RunConfig& cfg) {
  if (std::filesystem::exists(path)) fail(path + " already exists; refusing to overwrite it");
  RunStore s(path, open_db(path, true));
  s.exec("PRAGMA journal_mode=WAL");
  s.exec(kSchema);
  s.write_config(cfg);
  return s;
}

std::vector<long> RunStore::done_indices() const {
  Stmt st(db_, "SELECT idx FROM scores ORDER BY idx");
  std::vector<long> out;
  while (st.next(db_, path_)) out.push_back(long(sqlite3_column_int64(st.s, 0)));
  return out;
}

long RunStore::count() const {
  Stmt st(db_, "SELECT COUNT(*) FROM scores");
  return st.next(db_, path_) ? long(sqlite3_column_int64(st.s, 0)) : 0;
}

void RunStore::put_many(const std::vector<ScoreRow>& rows) {
  exec("BEGIN IMMEDIATE");
  {
    Stmt st(db_, "INSERT INTO scores(idx, arch, score, status, reason, seconds) VALUES (?, ?, ?, ?, ?, ?)");
    Stmt more(db_, "INSERT INTO more_scores(idx, k, score, status, reason) VALUES (?, ?, ?, ?, ?)");
    const auto failed = [&](const ScoreRow& r) {
      const std::string msg = sqlite3_errmsg(db_);
      exec("ROLLBACK");
      fail(path_ + ": cannot store index " + std::to_string(r.index) + ": " + msg);
    };
    for (const ScoreRow& r : rows) {
      sqlite3_bind_int64(st.s, 1, r.index);
      sqlite3_bind_text(st.s, 2, r.arch.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(st.s, 3, r.score);
      sqlite3_bind_text(st.s, 4, status_name(r.status), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 5, r.reason.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(st.s, 6, r.seconds);
      if (sqlite3_step(st.s) != SQLITE_DONE) failed(r);
      sqlite3_reset(st.s);
      for (size_t k = 0; k < r.more.size(); ++k) {
        sqlite3_bind_int64(more.s, 1, r.index);
        sqlite3_bind_int64(more.s, 2, long(k + 1));
        sqlite3_bind_double(more.s, 3, r.more[k].score);
        sqlite3_bind_text(more.s, 4, status_name(r.more[k].status), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(more.s, 5, r.more[k].reason.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(more.s) != SQLITE_DONE) failed(r);
        sqlite3_reset(more.s);
      }
    }
  }
  exec("COMMIT");
}

void RunStore::put(const ScoreRow& r) { put_many({r}); }

std::vector<ScoreRow> RunStore::rows() const {
  Stmt st(db_, "SELECT idx, arch, score, status, reason, seconds FROM scores ORDER BY idx");
  std::vector<ScoreRow> out;
  while (st.next(db_, path_)) {
    ScoreRow r;
    r.index = long(sqlite3_column_int64(st.s, 0));
    const std::string row = path_ + ": row " + std::to_string(r.index);
    r.arch = column_text(st.s, 1, row);
    // SQLite stores a NaN score (reference_nan) as NULL; read it back as NaN, not as 0.
    r.score = sqlite3_column_type(st.s, 2) == SQLITE_NULL ? std::nan("") : sqlite3_column_double(st.s, 2);
    const std::string status = column_text(st.s, 3, row);
    if (!parse_status(status, r.status))
      fail(row + ": unknown status '" + status + "' (expected ok, degenerate or reference_nan)");
    r.reason = column_text(st.s, 4, row);
    r.seconds = sqlite3_column_double(st.s, 5);
    out.push_back(std::move(r));
  }
  if (!has_table("more_scores")) return out;  // a run of an engine before runs of several scores
  Stmt more(db_, "SELECT idx, k, score, status, reason FROM more_scores ORDER BY idx, k");
  size_t at = 0;
  while (more.next(db_, path_)) {
    const long index = long(sqlite3_column_int64(more.s, 0));
    const std::string row = path_ + ": more_scores row " + std::to_string(index);
    while (at < out.size() && out[at].index < index) ++at;
    if (at == out.size() || out[at].index != index) fail(row + ": no such index in the scores table");
    ScoreEntry v;
    if (sqlite3_column_int64(more.s, 1) != long(out[at].more.size() + 1))
      fail(row + ": its scores are not numbered 1, 2, ...");
    v.score = sqlite3_column_type(more.s, 2) == SQLITE_NULL ? std::nan("") : sqlite3_column_double(more.s, 2);
    const std::string status = column_text(more.s, 3, row);
    if (!parse_status(status, v.status))
      fail(row + ": unknown status '" + status + "' (expected ok, degenerate or reference_nan)");
    v.reason = column_text(more.s, 4, row);
    out[at].more.push_back(std::move(v));
  }
  return out;
}

bool RunStore::has_table(const std::string& name) const {
  Stmt st(db_, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='" + name + "'");
  return st.next(db_, path_);
}

std::string config_differences(const RunConfig& stored, const RunConfig& requested) {
  std::string out;
  auto note = [&](const std::string& k, const std::string& a, const std::string& b) {
    if (!out.empty()) out += "; ";
    out += k + ": stored " + (a.empty() ? "(none)" : a) + ", requested " + (b.empty() ? "(none)" : b);
  };
  for (const auto& [k, v] : stored.identity) {
    auto it = requested.identity.find(k);
    const std::string r = it == requested.identity.end() ? "" : it->second;
    if (r != v) note(k, v, r);
  }
  for (const auto& [k, v] : requested.identity)
    if (!stored.identity.count(k)) note(k, "", v);
  return out;
}

}  // namespace naswot
