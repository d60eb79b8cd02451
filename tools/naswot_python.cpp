// The Python module `naswot` (pybind11): a Scorer over tools/app/scoring.h, so a NAS method written
// in Python scores candidates in-process, with the CLI's options, defaults and bits.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/error.h"
#include "tools/app/scoring.h"
#include "tools/scoring_setup.h"

namespace py = pybind11;
using namespace naswot;

namespace {

// kinds: the configuration's scores; "scores" and "statuses" map each name to its value.
py::dict row_dict(const ScoreRow& r, const std::vector<ScoreKind>& kinds) {
  py::dict d, scores, statuses;
  for (size_t k = 0; k < kinds.size(); ++k) {
    scores[score_kind_name(kinds[k])] = r.value(k).score;
    statuses[score_kind_name(kinds[k])] = status_name(r.value(k).status);
  }
  d["scores"] = scores;
  d["statuses"] = statuses;
  d["index"] = r.index;
  d["arch"] = r.arch;
  d["score"] = r.score;
  d["status"] = status_name(r.status);
  d["reason"] = r.reason;
  d["seconds"] = r.seconds;
  d["params"] = r.params;
  return d;
}

// An architecture as Python hands it over: an int index, or a string the CLI's --arch would take.
std::string arch_spec(const py::handle& a) {
  if (py::isinstance<py::bool_>(a)) throw Error("an architecture is an index or a string, not a bool");
  if (py::isinstance<py::int_>(a)) return std::to_string(a.cast<long>());
  // numpy integers (np.int64(5), the elements of an index array) and anything else with __index__.
  if (PyIndex_Check(a.ptr()) && !py::isinstance<py::float_>(a))
    return std::to_string(py::int_(py::reinterpret_borrow<py::object>(a)).cast<long>());
  if (py::isinstance<py::str>(a)) return a.cast<std::string>();
  throw Error("an architecture is an index (int) or a string, not " + std::string(py::str(a.get_type())));
}

// An NB101 matrix as the CLI takes it: a string of 0/1 rows joined by '/', or a list of 0/1 rows.
std::string matrix_text(const py::handle& m) {
  if (py::isinstance<py::str>(m)) return m.cast<std::string>();
  std::string s;
  for (const py::handle& row : m) {
    if (!s.empty()) s += '/';
    for (const py::handle& v : row) {
      if (!py::isinstance<py::int_>(v)) throw Error("an NB101 matrix holds 0 and 1 (ints)");
      const long x = v.cast<long>();
      if (x != 0 && x != 1) throw Error("an NB101 matrix holds 0 and 1, not " + std::to_string(x));
      s += char('0' + x);
    }
  }
  return s;
}

// NB101 ops as the CLI takes them: a comma-joined string or a list of op names.
std::string ops_text(const py::handle& o) {
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  std::string s;
  for (const py::handle& v : o) s += (s.empty() ? "" : ",") + py::str(v).cast<std::string>();
  return s;
}

// naswot.Interrupted, made at import (never destroyed: Python may outlive static destructors).
py::object& interrupted_type() {
  static py::object* t = new py::object();
  return *t;
}

class Scorer {
  // Runs f without the GIL (other Python threads run while this one scores), one call at a time on
  // this Scorer's workers. Defined first: its return type is deduced.
  template <class F>
  auto locked(F&& f) {
    const py::gil_scoped_release release;
    const std::lock_guard<std::mutex> lock(mu_);
    return f();
  }

 public:
  explicit Scorer(const cli::Args& options) : setup_(make_scoring_setup(options, ScoringUse::Many)) {}
  py::dict score(const py::handle& arch) {
    const std::string spec = arch_spec(arch);
    return row_dict(locked([&] { return setup_.score_arch(spec); }), setup_.score_kinds);
  }
  py::dict score_cell(const py::handle& matrix, const py::handle& ops) {
    const std::string m = matrix_text(matrix), o = ops_text(ops);
    return row_dict(locked([&] { return setup_.score_cell(m, o); }), setup_.score_kinds);
  }
  // Ctrl-C: the workers stop between architectures and naswot.Interrupted (a KeyboardInterrupt)
  // carries what was scored, in the order given (None where not scored).
  py::list score_many(const py::iterable& archs) {
    std::vector<long> indices;
    for (const py::handle& a : archs) indices.push_back(setup_.index_of(arch_spec(a)));
    std::vector<std::optional<ScoreRow>> rows(indices.size());
    std::atomic<bool> stop{false};
    const std::thread::id caller = std::this_thread::get_id();
    locked([&] {
      setup_.score_many(
          indices,
          [&](size_t k, const ScoreRow& r) {
            rows[k] = r;
            // Python runs signal handlers on its main thread: the caller's, which drives worker 0.
            if (std::this_thread::get_id() != caller) return;
            const py::gil_scoped_acquire gil;
            if (PyErr_CheckSignals() != 0) stop = true;  // the KeyboardInterrupt stays set
          },
          &stop);
    });
    py::list out;
    for (const auto& r : rows) out.append(r ? py::object(row_dict(*r, setup_.score_kinds)) : py::object(py::none()));
    if (stop) {
      PyErr_Clear();
      py::object e = interrupted_type()(
          "interrupted: " +
          std::to_string(std::count_if(rows.begin(), rows.end(), [](const auto& r) { return bool(r); })) + " of " +
          std::to_string(rows.size()) + " architectures scored (in .results)");
      e.attr("results") = out;
      PyErr_SetObject(e.get_type().ptr(), e.ptr());
      throw py::error_already_set();
    }
    return out;
  }
  std::string banner() const { return setup_.banner().substr(2); }
  std::string backend() const { return setup_.backend().name(); }
  std::string device() const { return setup_.backend().device(); }
  int workers() const { return int(setup_.workers.size()); }

 private:
  ScoringSetup setup_;
  std::mutex mu_;
};

}  // namespace

// The module's name: naswot (the in-tree build, build/python) or _core (inside the pip package,
// whose naswot/__init__.py adds the Python layer).
#ifndef NASWOT_PY_MODULE
#define NASWOT_PY_MODULE naswot
#endif

PYBIND11_MODULE(NASWOT_PY_MODULE, m) {
  m.doc() =
      "Neural architecture search without training: Sigma_J / Hamming scores of NAS-Bench-201 and "
      "NAS-Bench-101 networks (the naswot engine, in-process)";
  m.attr("__version__") = NASWOT_VERSION;
  py::register_exception<Error>(m, "Error", PyExc_ValueError);
  // Ctrl-C during score_many: a KeyboardInterrupt whose .results holds what was scored.
  interrupted_type() = py::reinterpret_steal<py::object>(PyErr_NewExceptionWithDoc(
      "naswot.Interrupted", "Ctrl-C during score_many; .results: the rows scored, None where not.",
      PyExc_KeyboardInterrupt, nullptr));
  m.attr("Interrupted") = interrupted_type();
  py::class_<Scorer>(m, "Scorer", R"(Scores architectures of one configuration; arguments mirror the CLI's options.

Scorer(space="nb201", batch=128, seed=0, augment="none", dataset=None, data=None, num_classes=1, score="jacob_cov",
       relu_sites=None, backend="auto", threads=0, precision=None, sigma_solver=None,
       sigma_precision=None, nb101_inplace=None, fusion=None, sampler=None, init=None, workers=1,
       lockstep=1, conv_kernels=None, nb101_network=None)

score(arch) -> dict(index, arch, score, status, reason, seconds, params, scores, statuses); arch: an index or a string
(NB201 arch string, NB101 hash, SSS channels; Python or numpy integers). score_many(archs) -> list of
such dicts, in order, scored over the workers (archs: any iterable, e.g. a numpy array of indices);
Ctrl-C stops it between architectures with naswot.Interrupted, whose .results keeps what was
scored; lockstep=N (jacob_cov, hamming) scores N architectures at a time per worker (neighbours in the
space's lockstep order; the list keeps the order given), with the same scores.
score="snip,synflow,params" computes several scores in one pass: "score" is the first, "scores"
and "statuses" map every name to its value and status. The keyword arguments are naswot score's
scoring options (naswot score --help), '-' written '_'. Bad options or architectures raise
naswot.Error (a ValueError).)")
      .def(py::init([](const py::kwargs& kwargs) {
        // Keyword arguments are the CLI's scoring options (python_name = --python-name): the
        // same option table, checks and messages; None means not given.
        std::map<std::string, std::string> options;
        for (const auto& [k, v] : kwargs) {
          if (v.is_none()) continue;
          std::string name = py::str(k);
          std::replace(name.begin(), name.end(), '_', '-');
          if (py::isinstance<py::bool_>(v) && !v.cast<bool>()) continue;  // a flag left off
          if (py::isinstance<py::float_>(v))
            fail("option " + std::string(py::str(k)) + ": " + std::string(py::str(v)) + " is not an integer");
          options[name] = py::str(v);
        }
        // One backend unless asked (score() uses the first), where the CLI's GPU default is 4.
        if (!options.count("workers") && !options.count("streams")) options["workers"] = "1";
        return new Scorer(scoring_args(options));
      }))
      .def("score", &Scorer::score, py::arg("arch"),
           "Scores one architecture: an index (int or numpy integer), an NB201 arch string, an NB101 hash or "
           "SSS channels. Returns dict(index, arch, score, status, reason, seconds, params, scores, statuses).")
      .def("score_many", &Scorer::score_many, py::arg("archs"),
           "Scores every architecture of an iterable over the workers; a list of score() dicts in the order "
           "given. Ctrl-C raises naswot.Interrupted, whose .results keeps the rows scored (None elsewhere).")
      .def("score_cell", &Scorer::score_cell, py::arg("matrix"), py::arg("ops"),
           "NB101 (space=\"nb101\"): any valid cell, matrix as '0111010/...' or a list of 0/1 rows, ops as "
           "'conv3x3,...' or a list (with or without input/output); index -1 as the CLI prints it.")
      .def_property_readonly("backend", &Scorer::backend)
      .def_property_readonly("device", &Scorer::device)
      .def_property_readonly("workers", &Scorer::workers)
      .def("__repr__", [](const Scorer& s) { return "<naswot.Scorer " + s.banner() + ">"; });
  // Naming architectures, for search code that mutates arch strings or keeps indices.
  m.def(
      "nb201_arch", [](int index) { return nb201::to_string(nb201::from_index(index)); }, py::arg("index"),
      "The NB201 arch string of a benchmark index (0 .. 15624).");
  m.def(
      "nb201_index", [](const std::string& arch) { return nb201::index_of(nb201::resolve(arch)); }, py::arg("arch"),
      "The benchmark index of an NB201 arch string (validated).");
  m.def(
      "nb101_cell",
      [](const py::handle& spec) {
        const long index = nb101::resolve_index(arch_spec(spec));
        const nb101::HashedCell& c = nb101::indexed_cells().at(size_t(index));
        py::dict d;
        d["index"] = index;
        d["hash"] = c.hash;
        d["matrix"] = c.cell.matrix_string();
        d["ops"] = c.cell.ops_string();
        return d;
      },
      py::arg("spec"),
      "An NB101 cell by index (0 .. 423623) or graph hash: dict(index, hash, matrix, ops). The first call "
      "enumerates the space (or reads its cache).");
}
