#!/usr/bin/env bash
# pip install . into a fresh virtual environment (build requirements and numpy/pandas from PyPI, the
# portable kernels, no CUDA to keep it short), then a scoring script run outside the source tree:
# numpy indices, as_frame, read_run of a CLI run, errors, docstrings and type stubs.
set -euo pipefail
naswot=$1
data=$2
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -m venv "$tmp/venv"
NASWOT_CUDA=OFF "$tmp/venv/bin/pip" install --quiet --disable-pip-version-check "$src[pandas]" >"$tmp/pip.log" 2>&1 ||
  { tail -40 "$tmp/pip.log"; echo "FAIL: pip install ."; exit 1; }
echo "ok: pip install . into a fresh virtual environment"
"$naswot" score-space --space nb201 --indices 1,10,77 --batch 16 --backend cpu --data "$data" --out "$tmp/run.db" 2>/dev/null
cd "$tmp"  # not the source tree: the installed package is what is imported
"$tmp/venv/bin/python" - "$data" "$tmp/run.db" <<'PY'
import math, os, sqlite3, sys
import numpy as np
import naswot

data, db = sys.argv[1], sys.argv[2]
assert "site-packages" in naswot.__file__, naswot.__file__
pkg = os.path.dirname(naswot.__file__)
assert os.path.exists(os.path.join(pkg, "__init__.pyi")) and os.path.exists(os.path.join(pkg, "py.typed"))
assert "numpy integer" in naswot.Scorer.score.__doc__ and "as_frame" in naswot.Scorer.score_many.__doc__
s = naswot.Scorer(batch=16, backend="cpu", data=data, workers=2)
cli = {i: (sc, st) for i, sc, st in sqlite3.connect(db).execute("select idx, score, status from scores")}
r = s.score(np.int64(1))
# The wheel's portable kernels round differently from the CLI's native ones (another run identity):
# close, not equal.
assert r["status"] == "ok" and abs(r["score"] - cli[1][0]) <= 1e-3 * abs(cli[1][0]), (r, cli[1])
df = s.score_many(np.array([10, 77, 1]), as_frame=True)
assert list(df["index"]) == [10, 77, 1] and list(df["status"]) == ["degenerate", "ok", "ok"], df
assert df["score"].iloc[0] == -math.inf
run = naswot.read_run(db)
assert list(run["index"]) == [1, 10, 77] and run.attrs["space"] == "nb201" and run.attrs["batch"] == "16", run
assert [tuple(x) for x in run[["score", "status"]].itertuples(index=False)] == [cli[i] for i in (1, 10, 77)]
for bad in (lambda: s.score(15625), lambda: naswot.read_run(os.path.join(os.getcwd(), "none.db"))):
    try:
        bad()
        raise AssertionError("no error")
    except naswot.Error:
        pass
print("ok: the installed package scores (numpy indices, as_frame), reads runs, raises naswot.Error, has stubs")
PY
