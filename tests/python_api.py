#!/usr/bin/env python3
"""The Python module (tools/naswot_python.cpp): the CLI's scores bit for bit for NB201 indices and arch
strings and NB101 hashes, numpy indices, score_many over workers = one at a time, Ctrl-C during
score_many keeping what was scored, Python threads sharing a Scorer, and bad options or
architectures raising naswot.Error (a ValueError).
Usage: python_api.py MODULE_DIR NASWOT_BIN DATA_DIR"""
import math
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, sys.argv[1])
import naswot  # noqa: E402

naswot_bin, data = sys.argv[2], sys.argv[3]
fails = 0


def check(what, ok):
    global fails
    print(("ok: " if ok else "FAIL: ") + what)
    fails += not ok


def cli_scores(space, indices, tmp, *extra):
    """{index: (score, status)} of a score-space run of these indices at batch 16."""
    db = os.path.join(tmp, f"{space}{len(extra)}.db")
    subprocess.run([naswot_bin, "score-space", "--space", space, "--indices", ",".join(map(str, indices)),
                    "--batch", "16", "--data", data, "--out", db, *extra], check=True, capture_output=True)
    return {i: (s, st) for i, s, st in sqlite3.connect(db).execute("select idx, score, status from scores")}


with tempfile.TemporaryDirectory() as tmp:
    s = naswot.Scorer(batch=16, data=data)
    r1 = s.score(1)
    by_string = s.score(r1["arch"])
    check("an arch string and its index give the same row", by_string == {**r1, "seconds": by_string["seconds"]})
    rows = {r["index"]: (r["score"], r["status"]) for r in (s.score(i) for i in (1, 10, 4321))}
    check("NB201: Python scores = score-space scores, bit for bit (degenerate 10 included)",
          rows == cli_scores("nb201", [1, 10, 4321], tmp))
    check("a degenerate network says why", s.score(10)["reason"] != "" and s.score(10)["score"] == -math.inf)

    many = naswot.Scorer(batch=16, data=data, workers=3)
    archs = [4321, 1, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", 10, 77]
    got = many.score_many(archs)
    check("score_many over 3 workers = one at a time, in the order given",
          [(r["index"], r["score"], r["status"]) for r in got] ==
          [(r["index"], r["score"], r["status"]) for r in (s.score(a) for a in archs)])
    got = naswot.Scorer(batch=16, data=data, lockstep=3).score_many(archs)
    check("score_many with lockstep=3 = one at a time, in the order given",
          [(r["index"], r["score"], r["status"]) for r in got] ==
          [(r["index"], r["score"], r["status"]) for r in (s.score(a) for a in archs)])

    out = [None] * 4  # two Python threads share one Scorer: calls take turns, results stay exact
    ts = [threading.Thread(target=lambda k=k: out.__setitem__(k, s.score([1, 77, 4321, 10][k]))) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    check("Python threads sharing a Scorer get the sequential scores",
          [(r["index"], r["score"]) for r in out] == [(r["index"], r["score"]) for r in (s.score(a) for a in (1, 77, 4321, 10))])

    # numpy integers and index arrays, as NAS code holds them.
    import numpy as np
    check("numpy integers and an index array are architectures",
          s.score(np.int64(4321))["score"] == rows[4321][0] and
          [r["index"] for r in s.score_many(np.array([10, 1]))] == [10, 1])

    # Ctrl-C during score_many stops between architectures; naswot.Interrupted (a KeyboardInterrupt)
    # keeps what was scored, each row equal to scoring it alone.
    import signal
    rows_before = []
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        s.score_many(range(200))
        check("Ctrl-C interrupts score_many", False)
    except naswot.Interrupted as e:
        done_rows = [r for r in e.results if r is not None]
        check(f"Ctrl-C interrupts score_many ({len(done_rows)} of 200 scored, kept in .results)",
              isinstance(e, KeyboardInterrupt) and 0 < len(done_rows) < 200 and len(e.results) == 200)
        check("the kept rows equal scoring them alone",
              all(r["score"] == s.score(r["index"])["score"] or r["status"] != "ok" for r in done_rows[:3]))
    timer.cancel()

    # The GIL is released while scoring: this thread keeps running during a long call (with the GIL
    # held it would stall for the whole call).
    slow = naswot.Scorer(batch=64, data=data)
    done = []
    t = threading.Thread(target=lambda: done.append(slow.score_many([1, 77, 4321, 9000])))
    start = last = time.perf_counter()
    gap = 0.0
    t.start()
    while t.is_alive():
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
    total = time.perf_counter() - start
    check(f"Python runs while scoring (longest stall {gap:.3f} s of a {total:.2f} s call)", done and gap < 0.5 * total)

    ref = naswot.Scorer(batch=16, data=data, seed=1, init="reference-v2")
    check("init='reference-v2' reaches the engine: score-space --init reference-v2's scores (index 0 included)",
          {i: (r["score"], r["status"]) for i, r in ((i, ref.score(i)) for i in (0, 1))} ==
          cli_scores("nb201", [0, 1], tmp, "--seed", "1", "--init", "reference-v2")
          and ref.score(1)["score"] != naswot.Scorer(batch=16, data=data, seed=1).score(1)["score"])

    multi = naswot.Scorer(batch=8, data=data, score="snip,synflow,params").score(77)
    check("score='snip,synflow,params': every score by name, each = that score alone",
          list(multi["scores"]) == ["snip", "synflow", "params"] and multi["score"] == multi["scores"]["snip"]
          and all(multi["scores"][k] == naswot.Scorer(batch=8, data=data, score=k).score(77)["score"]
                  and multi["statuses"][k] == "ok" for k in ("snip", "synflow", "params")))

    sss = naswot.Scorer(space="nats-sss", batch=16, data=data)
    check("NATS-Bench SSS: by channels = by index, and = score-space's scores",
          sss.score("8:16:24:32:64")["score"] == sss.score(671)["score"]
          and {i: (sss.score(i)["score"], sss.score(i)["status"]) for i in (671, 32767)} ==
          cli_scores("nats-sss", [671, 32767], tmp))

    s101 = naswot.Scorer(space="nb101", batch=16, data=data)
    h = s101.score(7)
    check("NB101: by hash = by index", s101.score(h["arch"].split()[0])["score"] == h["score"])
    check("NB101: Python scores = score-space scores",
          {h["index"]: (h["score"], h["status"])} == cli_scores("nb101", [7], tmp))

    check("nb201_arch / nb201_index name the same architectures",
          all(naswot.nb201_index(naswot.nb201_arch(i)) == i for i in (0, 1, 10, 4321, 15624))
          and naswot.nb201_arch(1) == r1["arch"])
    c = naswot.nb101_cell(h["arch"].split()[0])
    check("nb101_cell by hash = by index, with the scorer's matrix and ops",
          c == naswot.nb101_cell(7) and c["index"] == 7 and h["arch"] == f"{c['hash']} {c['matrix']} {c['ops']}")

    rows = [list(map(int, r)) for r in c["matrix"].split("/")]
    by_cell = [s101.score_cell(c["matrix"], c["ops"]), s101.score_cell(rows, c["ops"].split(",")[1:-1])]
    check("NB101 score_cell (string and list forms) = score by index, bit for bit",
          all(x["score"] == h["score"] and x["index"] == -1 for x in by_cell))

    def raises(what, f, text):
        try:
            f()
        except naswot.Error as e:
            check(what, text in str(e) and isinstance(e, ValueError))
            return
        check(what + " (nothing raised)", False)

    raises("a malformed arch string raises naswot.Error", lambda: s.score("|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|"), "unknown op")
    raises("an index out of range raises", lambda: s.score(15625), "out of range")
    raises("a float is not an architecture", lambda: s.score(1.0), "not <class 'float'>")
    raises("an unknown backend raises", lambda: naswot.Scorer(backend="tpu", data=data), "unknown backend 'tpu'")
    raises("an option that does not apply raises", lambda: naswot.Scorer(relu_sites="each", data=data),
           "--relu-sites applies to --score hamming only")
    raises("nb201_arch out of range raises", lambda: naswot.nb201_arch(15625), "out of range")
    raises("nb201_index of a malformed string raises", lambda: naswot.nb201_index("|x|"), "")
    raises("nb101_cell of an unknown hash raises", lambda: naswot.nb101_cell("0" * 32), "")
    raises("an invalid NB101 cell raises", lambda: s101.score_cell([[0, 1], [0, 0]], ["conv9x9"]), "")
    raises("score_cell on an NB201 scorer raises", lambda: s.score_cell("01/00", "conv3x3"), "needs --space nb101")
    raises("a missing data directory raises", lambda: naswot.Scorer(data=os.path.join(tmp, "none")), "")
    raises("dataset= is passed through: CIFAR-100 images are looked for", lambda: naswot.Scorer(dataset="cifar100", data=data),
           "no CIFAR-100 training images")

print("all Python API checks passed" if fails == 0 else f"{fails} Python API checks FAILED")
sys.exit(1 if fails else 0)
