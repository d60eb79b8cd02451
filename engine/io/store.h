// Run store: an SQLite database (WAL) holding a run's configuration and one row per scored architecture.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "engine/score_jacob.h"

struct sqlite3;

namespace naswot {

// Keys that define a run: scores from runs that differ in any of them must not be mixed.
struct RunConfig {
  std::map<std::string, std::string>
      identity;                             // space, score, batch, seed, augment, num_classes, data, engine, backend
  std::map<std::string, std::string> info;  // device, threads, ... (recorded, not compared)
};

// One score of an architecture with its status (a run of several scores keeps one per score).
struct ScoreEntry {
  double score = 0;  // -inf when degenerate, NaN when reference_nan
  ScoreStatus status = ScoreStatus::Ok;
  std::string reason;
};

struct ScoreRow {
  long index = 0;
  std::string arch;
  double score = 0;  // -inf when degenerate, NaN when reference_nan
  ScoreStatus status = ScoreStatus::Ok;
  std::string reason;
  double seconds = 0;
  size_t params = 0;  // trainable parameters (reported, not stored)
  double flops = 0;   // forward + input-gradient FLOPs of the whole batch (reported, not stored)
  // A run of several scores (--score a,b,...): score/status/reason hold the first, `more` the others in
  // the run's order.
  std::vector<ScoreEntry> more;
  // Score k of the row (0: the first).
  ScoreEntry value(size_t k) const { return k == 0 ? ScoreEntry{score, status, reason} : more.at(k - 1); }
};

class RunStore {
 public:
  // Creates path with cfg, or opens it and checks that its identity equals cfg's (clear error listing
  // the differences otherwise). A file that is not a naswot run database is refused untouched.
  static RunStore open_for_run(const std::string& path, const RunConfig& cfg);
  // Opens an existing run database (report, export, merge inputs).
  static RunStore open_existing(const std::string& path);
  // Creates a new database; refuses to overwrite an existing file.
  static RunStore create_new(const std::string& path, const RunConfig& cfg);

  RunStore(RunStore&&) noexcept;
  RunStore& operator=(RunStore&&) = delete;
  ~RunStore();

  const RunConfig& config() const { return cfg_; }
  const std::string& path() const { return path_; }
  std::vector<long> done_indices() const;
  void put(const ScoreRow& r);  // one transaction: a row is either fully stored or absent
  void put_many(const std::vector<ScoreRow>& rows);
  std::vector<ScoreRow> rows() const;  // ordered by index
  long count() const;

 private:
  RunStore(std::string path, sqlite3* db);
  void exec(const std::string& sql) const;
  bool has_table(const std::string& name) const;
  void load_config();
  void write_config(const RunConfig& cfg);
  std::string path_;
  sqlite3* db_ = nullptr;
  RunConfig cfg_;
};

// "key: stored X, requested Y" for each differing identity key; empty when equal.
std::string config_differences(const RunConfig& stored, const RunConfig& requested);

}  // namespace naswot
