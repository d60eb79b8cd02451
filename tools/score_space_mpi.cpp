// MPI distribution of score-space (built with -DNASWOT_MPI=ON). Rank 0 opens the run database, checks
// every rank's configuration (including data checksums) against it, and broadcasts what is left to do;
// rank r scores items r, r+size, ... (--lockstep K: runs of K neighbours in the space's lockstep order,
// dealt in turn); rows are sent to rank 0, which commits each as it arrives, so a killed job resumes
// like a single-process run.
#include "tools/score_space_mpi.h"

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>

#include "engine/error.h"
#include "engine/io/progress.h"
#include "searchspaces/space.h"

namespace naswot {
namespace {

constexpr int kTagRow = 1, kTagDone = 2;

// A row as bytes: index, seconds, then each score as (score, status, reason), every string length-prefixed.
std::string pack(const ScoreRow& r) {
  std::string b;
  const auto put = [&](const void* p, size_t n) { b.append(static_cast<const char*>(p), n); };
  const auto put_text = [&](const std::string& t) {
    const size_t n = t.size();
    put(&n, sizeof n);
    b += t;
  };
  const size_t n_scores = r.more.size() + 1;
  put(&r.index, sizeof r.index);
  put(&r.seconds, sizeof r.seconds);
  put_text(r.arch);
  put(&n_scores, sizeof n_scores);
  for (size_t k = 0; k < n_scores; ++k) {
    const ScoreEntry v = r.value(k);
    put(&v.score, sizeof v.score);
    put_text(status_name(v.status));
    put_text(v.reason);
  }
  return b;
}

ScoreRow unpack(const std::string& b) {
  size_t at = 0;
  const auto get = [&](void* p, size_t n) {
    if (at + n > b.size()) fail("mpi: a truncated row");
    std::memcpy(p, b.data() + at, n);
    at += n;
  };
  const auto get_text = [&] {
    size_t n = 0;
    get(&n, sizeof n);
    if (at + n > b.size()) fail("mpi: a truncated row");
    at += n;
    return b.substr(at - n, n);
  };
  ScoreRow r;
  size_t n_scores = 0;
  get(&r.index, sizeof r.index);
  get(&r.seconds, sizeof r.seconds);
  r.arch = get_text();
  get(&n_scores, sizeof n_scores);
  for (size_t k = 0; k < n_scores; ++k) {
    ScoreEntry v;
    get(&v.score, sizeof v.score);
    if (!parse_status(get_text(), v.status)) fail("mpi: a row with an unknown status");
    v.reason = get_text();
    if (k == 0)
      r.score = v.score, r.status = v.status, r.reason = v.reason;
    else
      r.more.push_back(std::move(v));
  }
  return r;
}

std::string bcast_string(std::string s, int root) {
  long n = long(s.size());
  MPI_Bcast(&n, 1, MPI_LONG, root, MPI_COMM_WORLD);
  s.resize(size_t(n));
  MPI_Bcast(s.data(), int(n), MPI_CHAR, root, MPI_COMM_WORLD);
  return s;
}

// Every rank learns whether any rank failed, and rank 0 prints the first message.
bool all_ok(const std::string& err, int rank) {
  int bad = err.empty() ? 0 : 1, any = 0;
  MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (bad) std::fprintf(stderr, "naswot: error (rank %d): %s\n", rank, err.c_str());
  return any == 0;
}

// The indices rank `rank` of `size` scores: every size-th one of `todo`; with --lockstep K, runs of K
// neighbours in the space's lockstep order dealt to the ranks in turn (each rank's groups then merge
// as well as one process's would).
std::vector<long> rank_share(const ScoringSetup& setup, const std::vector<int>& todo, int rank, int size) {
  const std::vector<long> all(todo.begin(), todo.end());
  std::vector<long> share;
  if (setup.lockstep <= 1) {
    for (size_t j = size_t(rank); j < all.size(); j += size_t(size)) share.push_back(all[j]);
    return share;
  }
  const std::vector<size_t> order = lockstep_order(*setup.space, all);
  const size_t K = size_t(setup.lockstep), step = K * size_t(size);
  for (size_t c = K * size_t(rank); c < order.size(); c += step)
    for (size_t j = c; j < std::min(c + K, order.size()); ++j) share.push_back(all[order[j]]);
  return share;
}

std::string identity_text(const RunConfig& c) {
  std::string s;
  for (const auto& [k, v] : c.identity) s += k + "=" + v + "\n";
  return s;
}

}  // namespace

bool mpi_launched() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char* s = std::getenv(v); s && std::atoi(s) > 1) return true;
  return false;
}

int node_local_rank_from_env() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "PMI_LOCAL_RANK", "SLURM_LOCALID"})
    if (const char* s = std::getenv(v); s && *s && std::strspn(s, "0123456789") == std::strlen(s)) return std::atoi(s);
  return -1;
}

int score_space_mpi(ScoringSetup& setup, const std::vector<int>& sel, const std::string& out) {
  int provided = 0, rank = 0, size = 1;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);  // MPI only from the main thread
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  auto finish = [&](int code) {
    MPI_Finalize();
    return code;
  };

  // Each rank says where it runs; the node-local rank that chose its GPU (from the launcher's
  // environment) is checked against MPI's own view of the node.
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  int local = 0;
  MPI_Comm_rank(node, &local);
  MPI_Comm_free(&node);
  const int env_local = node_local_rank_from_env();
  std::fprintf(stderr, "# rank %d of %d, node-local rank %d: %s\n", rank, size, local,
               setup.backend().device().c_str());
  if (setup.backend().name() == "cuda" && env_local != local)
    std::fprintf(stderr,
                 "naswot: warning (rank %d): the launcher's node-local rank (%d) is not MPI's (%d), so GPUs may "
                 "be shared unevenly; launch with mpirun or srun, which set it\n",
                 rank, env_local, local);

  const RunConfig cfg = setup.run_config();
  std::string err;
  const std::string root_identity = bcast_string(identity_text(cfg), 0);
  if (identity_text(cfg) != root_identity)
    err = "this rank's configuration differs from rank 0's (different data files or options?)";
  if (!all_ok(err, rank)) return finish(2);

  std::optional<RunStore> store;
  std::vector<int> todo;
  if (rank == 0) {
    try {
      store.emplace(RunStore::open_for_run(out, cfg));
      const std::vector<long> done_v = store->done_indices();
      const std::set<long> done(done_v.begin(), done_v.end());
      for (int i : sel)
        if (!done.count(i)) todo.push_back(i);
    } catch (const Error& e) {
      err = e.what();
    }
  }
  if (!all_ok(err, rank)) return finish(2);
  long n = long(todo.size());
  MPI_Bcast(&n, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  todo.resize(size_t(n));
  MPI_Bcast(todo.data(), int(n), MPI_INT, 0, MPI_COMM_WORLD);
  if (rank == 0)
    std::fprintf(stderr, "%s\n# %s: %zu selected, %zu already stored, %zu to score on %d ranks\n",
                 setup.banner().c_str(), out.c_str(), sel.size(), sel.size() - todo.size(), todo.size(), size);

  // This rank's share, scored through score_many on its one worker (--lockstep: groups of neighbours).
  const std::vector<long> share = rank_share(setup, todo, rank, size);
  if (rank != 0) {
    setup.score_many(share, [&](size_t, const ScoreRow& r) {
      const std::string msg = pack(r);
      MPI_Send(msg.data(), int(msg.size()), MPI_CHAR, 0, kTagRow, MPI_COMM_WORLD);
    });
    MPI_Send(nullptr, 0, MPI_CHAR, 0, kTagDone, MPI_COMM_WORLD);
    return finish(0);
  }

  Progress progress(long(sel.size()), long(sel.size() - todo.size()), "score-space");
  int finished = 0;
  auto receive = [&](bool block) {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      if (block)
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st), flag = 1;
      else
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag) return;
      int len = 0;
      MPI_Get_count(&st, MPI_CHAR, &len);
      std::string buf(size_t(len), '\0');
      MPI_Recv(buf.data(), len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (st.MPI_TAG == kTagDone) {
        ++finished;
      } else {
        store->put(unpack(buf));
        progress.tick();
      }
      if (block) return;
    }
  };
  setup.score_many(share, [&](size_t, const ScoreRow& r) {
    store->put(r);
    progress.tick();
    receive(false);
  });
  while (finished < size - 1) receive(true);
  progress.finish();
  std::fprintf(stderr, "# done: %zu scored now on %d ranks, %ld architectures in %s\n", todo.size(), size,
               store->count(), out.c_str());
  return finish(0);
}

}  // namespace naswot
