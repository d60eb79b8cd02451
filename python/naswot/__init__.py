"""naswot: neural architecture search without training.

Scores untrained networks of NAS-Bench-201, NAS-Bench-101 and NATS-Bench SSS by the NASWOT scores
(the Jacobian-covariance score and the Hamming-kernel log-determinant), in-process, with the
naswot CLI's options, defaults and bits.

    import naswot
    s = naswot.Scorer(space="nb201", batch=128, data="/path/to/data")
    s.score(1)                                  # dict(index, arch, score, status, reason, seconds, params)
    s.score_many(range(100), as_frame=True)     # a pandas.DataFrame
    naswot.read_run("run.db")                   # a score-space database as a DataFrame

The exact semantics of spaces and scores: docs/ in the naswot repository.
"""
import sqlite3

from ._core import Error, Interrupted, __version__, nb101_cell, nb201_arch, nb201_index
from ._core import Scorer as _Scorer

__all__ = ["Scorer", "Error", "Interrupted", "read_run", "nb201_arch", "nb201_index", "nb101_cell", "__version__"]


def _frame(rows):
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("as_frame=True and read_run need pandas (pip install naswot[pandas])") from e
    return pd.DataFrame(rows, columns=["index", "arch", "score", "status", "reason", "seconds", "params"])


class Scorer(_Scorer):
    __doc__ = _Scorer.__doc__

    def score_many(self, archs, as_frame=False):
        """Scores every architecture of an iterable (ints, numpy integers or arrays, strings) over the
        workers: a list of score() dicts in the order given, or with as_frame=True a pandas.DataFrame.
        Ctrl-C raises naswot.Interrupted, whose .results keeps the rows scored (None elsewhere)."""
        rows = super().score_many(archs)
        return _frame(rows) if as_frame else rows


def read_run(path):
    """A score-space run database as a pandas.DataFrame (index, arch, score, status, reason,
    seconds), ascending index; the run's identity (space, score, batch, seed, ...) in .attrs.
    NaN scores (reference_nan) read back as NaN."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        rows = con.execute("SELECT idx, arch, score, status, reason, seconds FROM scores ORDER BY idx").fetchall()
        identity = dict(con.execute("SELECT key, value FROM naswot_meta WHERE kind='identity'").fetchall())
    except sqlite3.Error as e:
        raise Error(f"{path} is not a naswot run database ({e})") from None
    df = _frame([(*r[:2], float("nan") if r[2] is None else r[2], *r[3:], None) for r in rows]).drop(columns="params")
    df.attrs.update(identity)
    return df
