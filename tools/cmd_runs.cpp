// 'merge', 'export' and 'report': working with run databases written by score-space.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>

#include "engine/error.h"
#include "engine/io/csv.h"
#include "engine/io/images.h"
#include "engine/io/store.h"
#include "engine/stats.h"
#include "searchspaces/nats_sss.h"
#include "searchspaces/nb101_bench.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"
#include "searchspaces/nb201_bench.h"
#include "searchspaces/space.h"
#include "tools/app/runs.h"
#include "tools/cli_args.h"
#include "tools/commands.h"
#include "tools/doc.h"

namespace naswot {

namespace {

// Every score and status of two rows of one architecture, bit for bit.
bool same_scores(const ScoreRow& a, const ScoreRow& b) {
  if (a.more.size() != b.more.size()) return false;
  for (size_t k = 0; k <= a.more.size(); ++k) {
    const ScoreEntry x = a.value(k), y = b.value(k);
    if (x.status != y.status || std::memcmp(&x.score, &y.score, sizeof(double)) != 0) return false;
  }
  return true;
}

}  // namespace

int cmd_merge(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kMerge);
  const std::string out = a.get("out");
  if (out.empty() || a.positional.empty()) fail("usage: naswot merge A.db B.db ... --out OUT.db");
  std::vector<CheckedRun> in;
  for (const std::string& p : a.positional) in.push_back(read_run(p));
  for (size_t i = 1; i < in.size(); ++i) {
    const std::string diff = config_differences(in[0].config, in[i].config);
    if (!diff.empty())
      fail("cannot merge " + in[i].path + " into a run with " + in[0].path + ": configurations differ (" + diff + ")");
  }
  std::map<long, ScoreRow> all;
  for (const CheckedRun& s : in)
    for (const ScoreRow& r : s.rows) {
      auto [it, fresh] = all.emplace(r.index, r);
      // Scores are deterministic, so the same architecture must agree bit for bit across inputs.
      if (!fresh && !same_scores(it->second, r))
        fail("inputs disagree on index " + std::to_string(r.index) + " (" + std::to_string(it->second.score) + " vs " +
             std::to_string(r.score) + " in " + s.path + "): not the same run");
    }
  RunConfig cfg = in[0].config;
  cfg.info["merged_from"] = std::to_string(in.size()) + " databases";
  RunStore dst = RunStore::create_new(out, cfg);
  std::vector<ScoreRow> rows;
  for (auto& [i, r] : all) rows.push_back(std::move(r));
  dst.put_many(rows);
  std::fprintf(stderr, "# merged %zu databases: %zu architectures into %s\n", in.size(), rows.size(), out.c_str());
  return 0;
}

int cmd_export(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kExport);
  if (a.positional.size() != 1) fail("usage: naswot export RUN.db [--out FILE.csv]");
  const CheckedRun s = read_run(a.positional[0]);
  FILE* f = stdout;
  if (a.has("out")) {
    f = std::fopen(a.get("out").c_str(), "w");
    if (!f) fail("cannot write " + a.get("out"));
  }
  // RFC 4180 (NB101's arch holds its comma-joined ops); the reason is always quoted.
  // A run of several scores: each further score's value, status and reason after the first's columns.
  std::fprintf(f, "index,arch,score,status,seconds,reason");
  for (size_t k = 1; k < s.scores.size(); ++k)
    std::fprintf(f, ",%s,%s_status,%s_reason", s.scores[k].c_str(), s.scores[k].c_str(), s.scores[k].c_str());
  std::fprintf(f, "\n");
  for (const ScoreRow& r : s.rows) {
    std::fprintf(f, "%ld,%s,%.17g,%s,%.6f,%s", r.index, csv_field(r.arch).c_str(), r.score, status_name(r.status),
                 r.seconds, csv_field(r.reason, true).c_str());
    for (const ScoreEntry& v : r.more)
      std::fprintf(f, ",%.17g,%s,%s", v.score, status_name(v.status), csv_field(v.reason, true).c_str());
    std::fprintf(f, "\n");
  }
  if (f != stdout) std::fclose(f);
  return 0;
}

namespace {

// Order of architectures by score, best first; ties (e.g. all degenerate at -inf) by index.
std::vector<size_t> by_score(const std::vector<ScoreRow>& rows) {
  std::vector<size_t> o(rows.size());
  std::iota(o.begin(), o.end(), 0);
  std::stable_sort(o.begin(), o.end(), [&](size_t x, size_t y) { return rows[x].score > rows[y].score; });
  return o;
}

}  // namespace

namespace {

// Accuracy columns joined to the rows of a run: values[i] belongs to rows[i] (NaN where unknown).
struct Joined {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;
  long space_size = 0;
  std::string top_column;  // the headline accuracy for the top-k table
  double top_scale = 1;    // to percent
};

Joined join_nb201(const std::vector<ScoreRow>& rows, const std::string& data_dir) {
  const nb201::AccuracyTable t = nb201::load_accuracy_table(data_dir);
  Joined j{t.columns, {}, nb201::kNumArchs, "c10_test_200", 1};
  for (const ScoreRow& r : rows) j.values.push_back(t.values.at(size_t(r.index)));
  // Measured latencies too, where the data directory has them (lat_<device> columns, milliseconds).
  if (std::filesystem::exists(data_dir + "/nb201/nb201_latency_ms.csv")) {
    const nb201::AccuracyTable lat = nb201::load_latency_table(data_dir);
    j.columns.insert(j.columns.end(), lat.columns.begin(), lat.columns.end());
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& v = lat.values.at(size_t(rows[i].index));
      j.values[i].insert(j.values[i].end(), v.begin(), v.end());
    }
  }
  return j;
}

Joined join_nats_sss(const std::vector<ScoreRow>& rows, const std::string& data_dir) {
  const nats_sss::AccuracyTable t = nats_sss::load_accuracy_table(data_dir);
  Joined j{t.columns, {}, nats_sss::kNumArchs, "test_acc_90ep_c10", 1};
  for (const ScoreRow& r : rows) j.values.push_back(t.values.at(size_t(r.index)));
  return j;
}

// Columns that measure an architecture's size or cost rather than its accuracy.
bool is_cost_column(const std::string& name) {
  return name.rfind("params", 0) == 0 || name.rfind("lat_", 0) == 0 || name == "trainable_params" ||
         name == "flops_thop" || name.find("_time") != std::string::npos;
}

Joined join_nb101(const std::vector<ScoreRow>& rows, const std::string& data_dir) {
  const nb101::AccuracyTable t = nb101::load_accuracy_table(data_dir);
  Joined j{t.columns, {}, nb101::kNumCells, "test_acc_108_single_run", 100};
  for (const ScoreRow& r : rows) {
    const std::vector<double>* v = t.find(r.arch.substr(0, r.arch.find(' ')));
    if (!v)
      fail("run row " + std::to_string(r.index) + ": hash " + r.arch.substr(0, 32) + " is not in the NB101 table");
    j.values.push_back(*v);
  }
  return j;
}

// A run loaded for reporting: rows with a score (NaN rows counted and left out), joined to the benchmark's
// columns, the headline column set to the test accuracy of the dataset whose images were scored.
struct ReportedRun : CheckedRun {
  long unscorable = 0;  // NaN scores: cells the reference cannot score (--nb101-inplace reference)
  Joined J;
};

ReportedRun load_run(const std::string& path, const std::string& benchmark, const std::string& data_dir) {
  ReportedRun run{read_run(path)};
  const std::string bench = benchmark.empty() ? run.space : benchmark;
  const Space* space = nullptr;
  for (const Space* s : all_spaces())
    if (bench == s->name()) space = s;
  if (!space) fail("unknown --benchmark '" + bench + "' (supported: nb201, nb101, nats-sss)");
  if (bench != run.space) fail(run.path + " is a " + run.space + " run, not " + bench);
  for (const ScoreRow& r : run.rows) run.unscorable += std::isnan(r.score);
  std::erase_if(run.rows, [](const ScoreRow& r) { return std::isnan(r.score); });
  if (run.rows.size() < 2) fail(run.path + " holds fewer than two scored architectures");
  const std::string dataset = run.get("dataset", "cifar10");
  const std::string tag = dataset == "cifar100" ? "c100" : "im16";
  switch (space->id()) {
    case SpaceId::Nb201:
      run.J = join_nb201(run.rows, data_dir);
      if (dataset != "cifar10") run.J.top_column = tag + "_test_200";
      break;
    case SpaceId::Nb101: run.J = join_nb101(run.rows, data_dir); break;
    case SpaceId::NatsSss:
      run.J = join_nats_sss(run.rows, data_dir);
      if (dataset != "cifar10") run.J.top_column = "test_acc_90ep_" + tag;
      break;
  }
  return run;
}

// Every stored score of a run's rows (values[k][i] is rows[i]'s score k), with `ensemble`'s mean-rank
// ensemble as one more ("mean_rank"): each architecture's mean over the listed scores of its rank
// (1 = lowest, ties and degenerate -inf share their mean rank), so higher is better, as for every score.
struct RunScores {
  std::vector<std::string> names;
  std::vector<std::vector<ScoreEntry>> values;
};

RunScores run_scores(const ReportedRun& run, const std::string& ensemble) {
  RunScores out{run.scores, std::vector<std::vector<ScoreEntry>>(run.scores.size())};
  for (size_t k = 0; k < run.scores.size(); ++k)
    for (const ScoreRow& r : run.rows) out.values[k].push_back(r.value(k));
  if (ensemble.empty()) return out;
  std::vector<double> mean(run.rows.size(), 0.0);
  const std::vector<std::string> members = split_csv(ensemble);
  for (const std::string& name : members) {
    const size_t k = score_position(run.scores, name.empty() ? "(empty)" : name, run.path, "--ensemble");
    std::vector<double> v;
    for (const ScoreEntry& e : out.values[k]) v.push_back(e.score);
    const std::vector<double> ranks = average_ranks(v);
    for (size_t i = 0; i < mean.size(); ++i) mean[i] += ranks[i];
  }
  out.names.push_back("mean_rank");
  out.values.emplace_back();
  for (double m : mean) out.values.back().push_back({m / double(members.size()), ScoreStatus::Ok, ""});
  return out;
}

// The run's rows ranked by score `by` of `scores` (its score and status in each row's first place).
void rank_by(ReportedRun& run, const RunScores& scores, const std::string& by) {
  const size_t k = score_position(scores.names, by, run.path + (by == "mean_rank" ? " (without --ensemble)" : ""));
  for (size_t i = 0; i < run.rows.size(); ++i) {
    run.rows[i].score = scores.values[k][i].score;
    run.rows[i].status = scores.values[k][i].status;
  }
}

// Spearman rho of proxies published elsewhere, as --published FILE gives them: a CSV with header
// score,space,dataset,spearman,source. Keyed by "score space dataset".
std::map<std::string, std::pair<double, std::string>> load_published(const std::string& path) {
  std::map<std::string, std::pair<double, std::string>> out;
  if (path.empty()) return out;
  std::ifstream f(path);
  if (!f) fail("cannot read --published " + path);
  std::string line;
  if (!std::getline(f, line) ||
      split_csv(line) != std::vector<std::string>{"score", "space", "dataset", "spearman", "source"})
    fail(path + ": expected the header score,space,dataset,spearman,source");
  for (long n = 2; std::getline(f, line); ++n) {
    if (line.empty()) continue;
    const std::vector<std::string> c = split_csv(line);
    const std::string where = path + ": line " + std::to_string(n);
    if (c.size() != 5) fail(where + ": expected 5 fields");
    out[c[0] + " " + c[1] + " " + c[2]] = {csv_number(c[3], where), c[4]};
  }
  return out;
}

// (score, value of column c) over a run's rows that have a value; ok_only: degenerate rows left out.
void column_pairs(const ReportedRun& run, size_t c, bool ok_only, std::vector<double>& sc, std::vector<double>& v) {
  for (size_t i = 0; i < run.rows.size(); ++i)
    if (!std::isnan(run.J.values[i][c]) && (!ok_only || run.rows[i].status == ScoreStatus::Ok))
      sc.push_back(run.rows[i].score), v.push_back(run.J.values[i][c]);
}

std::string mean_std(const std::vector<double>& v) {
  double m = 0, q = 0;
  for (double x : v) m += x;
  m /= double(v.size());
  for (double x : v) q += (x - m) * (x - m);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f ± %.4f", m, v.size() > 1 ? std::sqrt(q / double(v.size() - 1)) : 0.0);
  return buf;
}

// Several runs of one space (other seeds, batches, augmentations, datasets): each run's rank correlation
// with its headline accuracy, the mean and spread over runs, and how far the runs' rankings agree.
int report_runs(const std::vector<std::string>& paths, const std::string& benchmark, const std::string& data_dir,
                const std::string& by, Format format) {
  std::vector<ReportedRun> runs;
  for (const std::string& p : paths) {
    runs.push_back(load_run(p, benchmark, data_dir));
    rank_by(runs.back(), run_scores(runs.back(), ""), by);
  }
  const std::string space = runs[0].space;
  for (const ReportedRun& r : runs)
    if (r.space != space)
      fail("cannot report " + r.path + " (" + r.space + ") with " + runs[0].path + " (" + space +
           "): runs of one space only");
  Doc doc("naswot report: " + std::to_string(runs.size()) + " runs of " + space);
  doc.text(
      "Each run's rank correlation with the test accuracy of the dataset it scored on (degenerate\n"
      "architectures included, ranked last and tied with each other).");
  Table& per_run = doc.table("runs", {"run", "score", "seed", "batch", "augment", "dataset", "scored", "degenerate",
                                      "column", "Kendall tau", "Spearman rho"});
  std::vector<double> taus, rhos;
  for (const ReportedRun& r : runs) {
    long degenerate = 0;
    for (const ScoreRow& row : r.rows) degenerate += row.status != ScoreStatus::Ok;
    std::vector<double> sc, acc;
    for (size_t c = 0; c < r.J.columns.size(); ++c)
      if (r.J.columns[c] == r.J.top_column) column_pairs(r, c, false, sc, acc);
    const double tau = sc.size() >= 2 ? kendall_tau_b(sc, acc) : NAN,
                 rho = sc.size() >= 2 ? spearman_rho(sc, acc) : NAN;
    if (!std::isnan(tau)) taus.push_back(tau), rhos.push_back(rho);
    per_run.rows.push_back({cell(r.path), cell(r.scores[score_position(r.scores, by, r.path)]),
                            cell(r.get("seed", "?")), cell(r.get("batch", "?")), cell(r.get("augment", "none")),
                            cell(r.get("dataset", "cifar10")), cell(long(r.rows.size())), cell(degenerate),
                            cell(r.J.top_column), cell(tau, 4), cell(rho, 4)});
  }
  if (!taus.empty())
    doc.text("Over " + std::to_string(taus.size()) + " runs: Kendall tau " + mean_std(taus) + ", Spearman rho " +
             mean_std(rhos) + " (mean ± sample standard deviation).");
  doc.text(
      "Agreement between runs: Kendall tau-b of their scores over the architectures both scored\n"
      "(degenerate ones tied last); the number of those architectures in brackets.");
  std::vector<std::string> columns = {"run"};
  for (size_t j = 0; j < runs.size(); ++j) columns.push_back(std::to_string(j + 1));
  Table& agreement = doc.table("agreement", columns);
  std::vector<std::map<long, double>> by_index(runs.size());
  for (size_t i = 0; i < runs.size(); ++i)
    for (const ScoreRow& row : runs[i].rows) by_index[i][row.index] = row.score;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<Cell> row = {cell(std::to_string(i + 1) + ": " + runs[i].path)};
    for (size_t j = 0; j < runs.size(); ++j) {
      if (j <= i) {
        row.push_back(missing());
        continue;
      }
      std::vector<double> a, b;
      for (const auto& [index, score] : by_index[i])
        if (auto it = by_index[j].find(index); it != by_index[j].end()) a.push_back(score), b.push_back(it->second);
      Cell c = a.size() >= 2 ? cell(kendall_tau_b(a, b), 4) : missing();
      c.text = (a.size() >= 2 ? c.text : "n/a") + " (" + std::to_string(a.size()) + ")";
      row.push_back(c);
    }
    agreement.rows.push_back(row);
  }
  doc.print(format);
  return 0;
}

}  // namespace

int cmd_report(int argc, char** argv) {
  const cli::Args a = cli::parse(argc, argv, cli::kReport);
  if (a.positional.empty())
    fail("usage: naswot report RUN.db [RUN2.db ...] [--benchmark nb201|nb101|nats-sss] [--data DIR]");
  const std::string data_dir = resolve_data_dir(a.given("data"));
  const Format format = parse_format(a.get("format"));
  if (a.positional.size() > 1) {
    if (a.has("ensemble")) fail("--ensemble applies to the report of one run");
    return report_runs(a.positional, a.get("benchmark"), data_dir, a.get("by"), format);
  }
  ReportedRun run = load_run(a.positional[0], a.get("benchmark"), data_dir);
  const RunScores scores = run_scores(run, a.get("ensemble"));
  const std::string by = a.get("by");
  rank_by(run, scores, by);
  const auto published = load_published(a.get("published"));
  const auto& id = run.config.identity;
  const std::vector<ScoreRow>& rows = run.rows;
  const long unscorable = run.unscorable;
  const Joined& J = run.J;
  long degenerate = 0;
  for (const ScoreRow& r : rows) degenerate += r.status != ScoreStatus::Ok;

  Doc doc("naswot report: " + run.path);
  for (const auto& [k, v] : id) doc.fact(k, v);
  for (const auto& [k, v] : run.config.info) doc.fact(k, v);
  std::string counts = std::to_string(rows.size() + size_t(unscorable)) + " of " + std::to_string(J.space_size) +
                       " architectures scored, " + std::to_string(degenerate) + " degenerate (score -inf)";
  if (unscorable)
    counts += ", " + std::to_string(unscorable) + " left out with score NaN (the reference code cannot score them)";
  doc.text(counts + ".");
  const int col = [&] {  // the headline column
    for (size_t c = 0; c < J.columns.size(); ++c)
      if (J.columns[c] == J.top_column) return int(c);
    return -1;
  }();
  if (scores.names.size() > 1) {
    doc.text("Each score's rank correlation with " + J.top_column +
             " (degenerate architectures included, ranked last and tied)" +
             (published.empty() ? "" : "; published: Spearman rho as --published gives it") + ".");
    Table& t = doc.table("scores", {"score", "degenerate", "Kendall tau", "Spearman rho", "published rho", "source"});
    for (size_t k = 0; k < scores.names.size() && col >= 0; ++k) {
      std::vector<double> sc, acc;
      long bad = 0;
      for (size_t i = 0; i < rows.size(); ++i) {
        bad += scores.values[k][i].status != ScoreStatus::Ok;
        if (!std::isnan(J.values[i][size_t(col)]))
          sc.push_back(scores.values[k][i].score), acc.push_back(J.values[i][size_t(col)]);
      }
      const auto pub = published.find(scores.names[k] + " " + run.space + " " + run.get("dataset", "cifar10"));
      const bool has_pub = pub != published.end();
      t.rows.push_back({cell(scores.names[k]), cell(bad), cell(sc.size() >= 2 ? kendall_tau_b(sc, acc) : NAN, 4),
                        cell(sc.size() >= 2 ? spearman_rho(sc, acc) : NAN, 4),
                        has_pub ? cell(pub->second.first, 3) : missing(),
                        has_pub ? cell(pub->second.second) : missing()});
    }
    doc.text(
        "Agreement between the scores: Kendall tau-b of each pair over the architectures (degenerate ones tied last).");
    std::vector<std::string> columns = {"score"};
    for (const std::string& n : scores.names) columns.push_back(n);
    Table& agree = doc.table("score_agreement", columns);
    for (size_t k = 0; k < scores.names.size(); ++k) {
      std::vector<Cell> row = {cell(scores.names[k])};
      std::vector<double> x;
      for (const ScoreEntry& e : scores.values[k]) x.push_back(e.score);
      for (size_t j = 0; j < scores.names.size(); ++j) {
        std::vector<double> y;
        for (const ScoreEntry& e : scores.values[j]) y.push_back(e.score);
        row.push_back(j <= k ? missing() : cell(kendall_tau_b(x, y), 4));
      }
      agree.rows.push_back(row);
    }
    doc.text("The tables below rank by " + scores.names[score_position(scores.names, by, run.path)] + " (--by).");
  }
  doc.text(
      "Rank correlation of the score with each accuracy column. 'all': degenerate architectures\n"
      "included, ranked last and tied with each other; 'ok only': degenerate ones left out.");
  Table& corr = doc.table("correlation", {"column", "Kendall tau (all)", "Spearman rho (all)", "Kendall tau (ok only)",
                                          "Spearman rho (ok only)", "n"});
  bool costs = false;
  for (size_t c = 0; c < J.columns.size(); ++c) {
    const std::string& name = J.columns[c];
    if (is_cost_column(name)) {
      costs = true;
      continue;
    }
    std::vector<double> sc, acc, sc_ok, acc_ok;
    column_pairs(run, c, false, sc, acc);
    column_pairs(run, c, true, sc_ok, acc_ok);
    if (sc.size() < 2) continue;
    const bool ok2 = sc_ok.size() >= 2;
    corr.rows.push_back({cell(name), cell(kendall_tau_b(sc, acc), 4), cell(spearman_rho(sc, acc), 4),
                         cell(ok2 ? kendall_tau_b(sc_ok, acc_ok) : NAN, 4),
                         cell(ok2 ? spearman_rho(sc_ok, acc_ok) : NAN, 4), cell(long(sc.size()))});
  }
  if (costs) {
    doc.text(
        "Rank correlation of the score with size and cost (degenerate architectures left out): how much\n"
        "of the ranking a parameter count, a training time or a device's latency would give as well.");
    Table& cost = doc.table("costs", {"column", "Kendall tau", "Spearman rho", "n"});
    for (size_t c = 0; c < J.columns.size(); ++c) {
      if (!is_cost_column(J.columns[c])) continue;
      std::vector<double> sc, v;
      column_pairs(run, c, true, sc, v);
      if (sc.size() >= 2)
        cost.rows.push_back(
            {cell(J.columns[c]), cell(kendall_tau_b(sc, v), 4), cell(spearman_rho(sc, v), 4), cell(long(sc.size()))});
    }
  }
  if (col >= 0) {
    auto acc = [&](size_t i) { return J.values[i][size_t(col)] * J.top_scale; };
    const std::vector<size_t> order = by_score(rows);
    doc.text("Top architectures by score, " + J.top_column + " (%):");
    Table& top = doc.table("top", {"top k", "mean", "best", "best index"});
    for (size_t k : {size_t(1), size_t(10), size_t(100)}) {
      if (k > order.size()) break;
      double sum = 0, best = -1;
      long best_i = -1;
      for (size_t j = 0; j < k; ++j) {
        const double v = acc(order[j]);
        sum += v;
        if (v > best) best = v, best_i = rows[order[j]].index;
      }
      top.rows.push_back({cell(long(k)), cell(sum / double(k), 2), cell(best, 2), cell(best_i)});
    }
    size_t best_pos = 0;
    for (size_t j = 0; j < order.size(); ++j)
      if (acc(order[j]) > acc(order[best_pos])) best_pos = j;
    const ScoreRow& b = rows[order[best_pos]];
    char line[256];
    std::snprintf(line, sizeof line, "Best scored architecture by %s: index %ld (%.2f%%), score rank %zu of %zu.",
                  J.top_column.c_str(), b.index, acc(order[best_pos]), best_pos + 1, rows.size());
    doc.text(line);
  }
  doc.print(format);
  return 0;
}

}  // namespace naswot
