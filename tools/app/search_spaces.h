// The search command's view of each space: the benchmark table, the search-space adapter, bounds
// (--max-latency, --max-params), fitness, how training is charged and the reported columns.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/csv.h"
#include "engine/search.h"
#include "searchspaces/space.h"

namespace naswot {

// An upper bound on one per-architecture quantity (--max-latency, --max-params).
struct Bound {
  std::string what;                   // e.g. "lat_pixel3 <= 12 ms"
  std::function<double(long)> value;  // NaN never satisfies a bound
  double limit;
};

// A space as the search sees it: what it samples and trains, how training is charged, what the
// table reports of a chosen architecture (percent) and the best such value.
struct SpaceSearch {
  std::vector<std::shared_ptr<const void>> tables;  // read by `space` and `report`; outlive them
  std::unique_ptr<SearchSpace> space;
  std::unique_ptr<ConstrainedSpace> constrained;  // --max-latency / --max-params: the feasible architectures only
  std::string constraint;                         // and a line that says so
  std::string fitness;                            // the column REA and random search train for
  std::string fitness_note;                       // printed after it
  std::string budget_note;                        // how simulated training is charged
  std::vector<std::string> headers;
  std::vector<std::function<double(long)>> report;
  std::vector<double> optimum;  // NaN: no optimum row entry (costs)

  SearchSpace& searched() { return constrained ? static_cast<SearchSpace&>(*constrained) : *space; }
  bool allows(long i) const { return !constrained || constrained->allows(i); }
  // Limits searches and the optimum row to the architectures of [0, count) within every bound (call
  // before add_column); `name` names the space in the error when none is.
  void constrain(const std::vector<Bound>& bounds, long count, const std::string& name);
  // A report column: value(arch) of the chosen architectures; with `best`, the optimum over the allowed ones.
  void add_column(const std::string& header, std::function<double(long)> value, long count, bool best);
  // The same for `scale` x table column `name`.
  void add_column(const std::shared_ptr<const IndexedTable>& t, const std::string& header, const std::string& name,
                  long count, bool best, double scale = 1);
};

// --max-params M: millions of parameters (the benchmark's 10-class network); throws unless M > 0.
double parse_max_params(const std::string& text);

// What a search over a space does unless told otherwise: REA's population and tournament, and the
// budget of simulated training in seconds.
struct SearchDefaults {
  int population, tournament;
  long budget_seconds;
};
SearchDefaults search_defaults(const Space& space);

// The search's view of a space. dataset: cifar10 | cifar100 | imagenet16 (NB101: cifar10);
// max_latency: NB201's DEVICE=MS[,...] or ""; max_params: millions, 0 = no bound. Tables come from
// data_dir.
SpaceSearch space_search(const Space& space, const std::string& data_dir, const std::string& dataset,
                         const std::string& max_latency, double max_params);

}  // namespace naswot
