// 'score' (a few architectures, printed) and 'score-space' (a resumable run into a database).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include "engine/error.h"
#include "engine/io/progress.h"
#include "engine/rng.h"
#include "tools/commands.h"
#include "tools/interrupt.h"
#include "tools/scoring_setup.h"
#ifdef NASWOT_HAVE_MPI
#include "tools/score_space_mpi.h"
#endif

namespace naswot {
namespace {

// --indices / --sample K / all, then --shard i/n (every n-th of the selection, starting at i).
// resolve maps one index spec (a number, or an arch string / hash) to an index of the space.
std::vector<int> select_indices(const cli::Args& a, uint64_t seed, int space_size,
                                const std::function<long(const std::string&)>& resolve) {
  std::vector<int> sel;
  if (a.has("indices") && a.has("sample")) fail("use either --indices or --sample, not both");
  if (a.has("indices")) {
    for (const std::string& s : cli::expand_arch_list(a.all("indices"), space_size)) sel.push_back(int(resolve(s)));
    std::sort(sel.begin(), sel.end());
    sel.erase(std::unique(sel.begin(), sel.end()), sel.end());
  } else if (a.has("sample")) {
    const int k = int(a.get_int("sample", 0, 1, space_size));  // at most the space
    std::vector<int> perm(static_cast<size_t>(space_size));
    for (int i = 0; i < space_size; ++i) perm[size_t(i)] = i;
    const uint64_t key = stream_key(seed, 0x5A3D1E);
    for (int i = 0; i < k; ++i) std::swap(perm[size_t(i)], perm[size_t(i) + below(key, i, uint64_t(space_size - i))]);
    sel.assign(perm.begin(), perm.begin() + k);
    std::sort(sel.begin(), sel.end());
  } else {
    for (int i = 0; i < space_size; ++i) sel.push_back(i);
  }
  if (a.has("shard")) {
    const std::string s = a.get("shard");
    int i = -1, n = 0;
    char extra = 0;
    if (std::sscanf(s.c_str(), "%d/%d%c", &i, &n, &extra) != 2 || n < 1 || i < 0 || i >= n)
      fail("--shard expects i/n with 0 <= i < n, got '" + s + "'");
    std::vector<int> mine;
    for (size_t p = 0; p < sel.size(); ++p)
      if (int(p % size_t(n)) == i) mine.push_back(sel[p]);
    sel.swap(mine);
  }
  return sel;
}

// The header's columns after `seconds` for a run of several scores: each further score and its status.
std::string more_columns(const ScoringSetup& setup) {
  std::string out;
  for (size_t k = 1; k < setup.score_kinds.size(); ++k) {
    const std::string name = score_kind_name(setup.score_kinds[k]);
    out += "\t" + name + "\t" + name + "_status";
  }
  return out;
}

// A score as printed: 6 decimals, or 10 significant digits when large (synflow reaches 1e50).
std::string score_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, std::fabs(v) < 1e9 || !std::isfinite(v) ? "%.6f" : "%.9e", v);
  return buf;
}

// One line: the first columns, then each further score; reasons go to stderr, named by `who`.
void print_row(const ScoreRow& r, const std::string& arch, const std::string& who, const ScoringSetup& setup) {
  std::printf("%ld\t%s\t%s\t%s\t%zu\t%.3f", r.index, arch.c_str(), score_text(r.score).c_str(), status_name(r.status),
              r.params, r.seconds);
  for (const ScoreEntry& v : r.more) std::printf("\t%s\t%s", score_text(v.score).c_str(), status_name(v.status));
  std::printf("\n");
  std::fflush(stdout);
  for (size_t k = 0; k <= r.more.size(); ++k)
    if (const ScoreEntry v = r.value(k); !v.reason.empty())
      std::fprintf(stderr, "# %s%s %s: %s\n", who.c_str(),
                   r.more.empty() ? "" : (" " + std::string(score_kind_name(setup.score_kinds[k]))).c_str(),
                   status_name(v.status), v.reason.c_str());
}

void print_nb101_row(const ScoreRow& r, const ScoringSetup& setup) {
  std::string arch = r.arch;
  for (char& ch : arch)
    if (ch == ' ') ch = '\t';
  print_row(r, arch, arch.substr(0, 32), setup);
}

}  // namespace

int cmd_score(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kScore);
  const Space& space = space_named(a.get("space"));
  if (space.id() == SpaceId::Nb101) {
    // Cells as --arch HASH|INDEX|RANGE (looked up in the enumeration) and/or --matrix/--ops pairs.
    const auto mats = a.all("matrix"), ops = a.all("ops");
    if (mats.size() != ops.size()) fail("--space nb101: give --matrix and --ops in pairs");
    std::vector<nb101::Cell> cells;
    for (size_t i = 0; i < mats.size(); ++i) cells.push_back(nb101::parse_cell(mats[i], ops[i]));
    std::vector<long> indices;
    for (const std::string& s : cli::expand_arch_list(a.all("arch"), int(space.size())))
      indices.push_back(space.resolve(s));
    if (cells.empty() && indices.empty())
      fail("--space nb101: give cells as --arch HASH|INDEX|RANGE or --matrix 0111010/0000001/... --ops conv1x1,...");
    ScoringSetup setup = make_scoring_setup(a);
    std::fprintf(stderr, "%s\n", setup.banner().c_str());
    std::printf("index\thash\tmatrix\tops\tscore\tstatus\tparams\tseconds%s\n", more_columns(setup).c_str());
    for (const nb101::Cell& c : cells) print_nb101_row(setup.score(c, a.get("export")), setup);
    for (long i : indices) print_nb101_row(setup.score_index(i, 0, a.get("export")), setup);
    return 0;
  }
  const std::vector<std::string> specs = cli::expand_arch_list(a.all("arch"), int(space.size()));
  if (specs.empty()) fail("no architecture given: use --arch INDEX|RANGE|ARCH_STRING|all");
  // Resolve every architecture before any work, so a typo fails fast.
  std::vector<long> indices;
  for (const std::string& s : specs) indices.push_back(space.resolve(s));
  const std::string export_dir = a.get("export"), sigma_dir = a.get("dump-sigma");
  if (!sigma_dir.empty()) std::filesystem::create_directories(sigma_dir);
  ScoringSetup setup = make_scoring_setup(a);
  if (!sigma_dir.empty() && std::none_of(setup.score_kinds.begin(), setup.score_kinds.end(), is_jacobian_score))
    fail("--dump-sigma needs --score jacob_cov or jacob_cov_zc");
  std::fprintf(stderr, "%s\n", setup.banner().c_str());
  std::printf("index\tarch\tscore\tstatus\tparams\tseconds%s\n", more_columns(setup).c_str());
  for (long index : indices) {
    std::vector<double> sigma;
    const ScoreRow r = setup.score_index(index, 0, export_dir, sigma_dir.empty() ? nullptr : &sigma);
    print_row(r, r.arch, "index " + std::to_string(r.index), setup);
    if (!sigma.empty()) {
      // Sigma_J as float64, batch x batch row-major, for histograms like the paper's Figure 1.
      const std::string path = sigma_dir + "/" + std::to_string(r.index) + ".sigma.f64";
      std::FILE* f = std::fopen(path.c_str(), "wb");
      const bool ok = f && std::fwrite(sigma.data(), sizeof(double), sigma.size(), f) == sigma.size();
      if (f) std::fclose(f);
      if (!ok) fail("cannot write " + path);
    }
  }
  return 0;
}

int cmd_score_space(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kScoreSpace);
  const std::string out = a.get("out");
  if (out.empty()) fail("score-space needs --out FILE.db (the run database; rerun the same command to resume)");
  const uint64_t seed = uint64_t(a.get_int("seed"));
  if (a.has("sample-seed") && !a.has("sample")) fail("--sample-seed applies to --sample");
  // The same sample under several --seed values (weights and batch) needs a seed of its own.
  const uint64_t sample_seed = uint64_t(a.get_int("sample-seed", long(seed)));
  const Space& space = space_named(a.get("space"));
  const std::vector<int> sel =
      select_indices(a, sample_seed, int(space.size()), [&](const std::string& s) { return space.resolve(s); });
#ifdef NASWOT_HAVE_MPI
  const bool mpi = mpi_launched();
  if (mpi && (a.has("workers") || a.has("streams")))
    fail("under mpirun the ranks are the workers: use more ranks (-n) and --threads, not --workers/--streams");
  const int local_rank = mpi ? node_local_rank_from_env() : -1;  // picks a rank's GPU
#else
  const bool mpi = false;
  const int local_rank = -1;
#endif
  ScoringSetup setup = make_scoring_setup(a, mpi ? ScoringUse::Rank : ScoringUse::Many, local_rank);
  if (!sel.empty()) space.arch(sel[0]);  // NB101: enumerate before the timed loop and the worker threads
#ifdef NASWOT_HAVE_MPI
  if (mpi) return score_space_mpi(setup, sel, out);
#endif
  RunStore store = RunStore::open_for_run(out, setup.run_config());
  const std::vector<long> done_v = store.done_indices();
  const std::set<long> done(done_v.begin(), done_v.end());
  std::vector<int> todo;
  for (int i : sel)
    if (!done.count(i)) todo.push_back(i);
  std::fprintf(stderr, "%s\n# %s: %zu selected, %zu already stored, %zu to score\n", setup.banner().c_str(),
               out.c_str(), sel.size(), sel.size() - todo.size(), todo.size());
  if (todo.empty()) return 0;
  Progress progress(long(sel.size()), long(sel.size() - todo.size()), "score-space");
  long degenerate = 0, unscorable = 0;
  double flops = 0;
  const auto t0 = std::chrono::steady_clock::now();
  // Each worker (--workers) takes the next index and its row is committed at once, so a kill loses at
  // most the architectures in flight; scores do not depend on which worker ran them.
  // Ctrl-C: the workers finish the architectures in flight, which are stored; a rerun continues.
  const std::atomic<bool>& stop = stop_on_sigint();
  size_t scored = 0;
  setup.score_many(
      std::vector<long>(todo.begin(), todo.end()),
      [&](size_t, const ScoreRow& r) {
        store.put(r);
        ++scored;
        degenerate += r.status == ScoreStatus::Degenerate;
        unscorable += r.status == ScoreStatus::ReferenceNan;
        flops += r.flops;
        progress.tick();
      },
      &stop);
  progress.finish();
  if (stop) {
    std::fprintf(stderr,
                 "# interrupted: %zu of %zu scored now, %ld architectures stored in %s; rerun the same command "
                 "to continue\n",
                 scored, todo.size(), store.count(), out.c_str());
    return kInterruptedExit;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string nan_note = unscorable ? ", " + std::to_string(unscorable) + " reference_nan" : "";
  std::fprintf(stderr, "# done: %zu scored now (%ld degenerate%s), %ld architectures in %s\n", todo.size(), degenerate,
               nan_note.c_str(), store.count(), out.c_str());
  if (const long split = setup.split_groups())
    std::fprintf(stderr,
                 "# %ld --lockstep group%s did not fit in memory and %s scored in halves (the same scores; a "
                 "smaller --lockstep avoids the retries)\n",
                 split, split == 1 ? "" : "s", split == 1 ? "was" : "were");
  // Throughput of this invocation's scoring loop (set-up excluded); FLOPs of convolutions and linear
  // layers, forward and input-gradient.
  std::fprintf(stderr, "# throughput: %zu architectures in %.3f s = %.2f arch/s, %.3f TFLOP/s (%d worker%s)\n",
               todo.size(), secs, double(todo.size()) / secs, flops / secs * 1e-12, int(setup.workers.size()),
               setup.workers.size() > 1 ? "s" : "");
  return 0;
}

}  // namespace naswot
