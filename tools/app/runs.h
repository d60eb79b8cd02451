// Run databases read back (merge, export, report, search --scores): the configuration and every row
// checked against the run's space before anything uses them.
#pragma once
#include <string>
#include <vector>

#include "engine/io/store.h"

namespace naswot {

struct CheckedRun {
  std::string path;
  RunConfig config;
  std::string space;                // nb201 | nb101 | nats-sss (runs older than the key: nb201)
  std::vector<std::string> scores;  // the run's scores in order (row.value(k) is scores[k])
  std::vector<ScoreRow> rows;       // ascending index
  std::string get(const std::string& key, const std::string& fallback) const;  // an identity value
};

// Opens a run database and checks it: a known space, score kind and batch; per row an index inside
// the space, the arch string of that index (NB101: a graph hash first), and a status that agrees with
// its score (ok: finite; degenerate: -inf; reference_nan: NaN), for each of the run's scores. naswot::Error names the
// database and the row otherwise, so a hand-edited or foreign database is refused rather than misreported.
CheckedRun read_run(const std::string& path);

// The position of score `by` among a run's scores (empty `by`: the first); naswot::Error listing them
// when it is not one of them. `where` names the run or the configuration, `option` the option given.
size_t score_position(const std::vector<std::string>& scores, const std::string& by, const std::string& where,
                      const std::string& option = "--by");

}  // namespace naswot
