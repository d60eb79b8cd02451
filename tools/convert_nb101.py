#!/usr/bin/env python3
"""Converts the official NAS-Bench-101 TFRecord files into naswot's table DIR/nb101/nb101_accuracy.csv.

Sources (download links in the README, "Data"):
  nasbench_only108.tfrecord   every cell trained 3 times for 108 epochs (499 MB)
  nasbench_full.tfrecord      also 4, 12 and 36 epochs (1.9 GB); give both or either

Read without TensorFlow: TFRecord framing (8-byte little-endian length, 4-byte length CRC, payload,
4-byte payload CRC; the CRCs are not checked, a damaged record fails to decode instead), each payload
the JSON list [hash, epochs, adjacency, ops, base64 ModelMetrics], ModelMetrics decoded from its
protobuf wire format (nasbench/lib/model_metrics.proto: evaluation_data = 1, trainable_parameters = 2;
EvaluationData: training_time = 2, validation_accuracy = 4, test_accuracy = 5). As the nasbench API
does, a run's final metrics are evaluation_data[2] (the evaluation after the last epoch).

Columns (a "single run" is a cell's first run at that epoch budget in file order, the nasbench API's
computed_statistics[hash][epochs][0]): hash, test_acc_108_single_run, val_acc_E_single_run for every
epoch budget E present, training_time_108, trainable_params. With training_time_108 for every cell,
naswot's NB101 search charges each evaluation its measured time (no FLOPs model is needed).

Usage: convert_nb101.py TFRECORD [TFRECORD ...] -o DATA_DIR    (writes DATA_DIR/nb101/nb101_accuracy.csv)
"""
import argparse
import base64
import binascii
import json
import os
import struct
import sys

NUM_CELLS = 423624


class ConvertError(Exception):
    pass


def records(path):
    """Payloads of a TFRecord file, with a clear error for a truncated one."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ConvertError(f"cannot open {path}: {e}") from None
    with f:
        n = 0
        while True:
            head = f.read(12)
            if not head:
                return
            if len(head) < 12:
                raise ConvertError(f"{path}: truncated after record {n}")
            (length,) = struct.unpack("<Q", head[:8])
            body = f.read(length + 4)
            if len(body) < length + 4:
                raise ConvertError(f"{path}: record {n} is truncated ({len(body)} of {length + 4} bytes)")
            yield n, body[:length]
            n += 1


def varint(buf, pos):
    shift = result = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """(field number, wire type, value) of a protobuf message; LEN values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            if pos + 8 > len(buf):
                raise ValueError("truncated fixed64")
            (value,) = struct.unpack("<d", buf[pos:pos + 8])
            pos += 8
        elif wire == 2:
            n, pos = varint(buf, pos)
            if pos + n > len(buf):
                raise ValueError("truncated length-delimited field")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == 5:
            if pos + 4 > len(buf):
                raise ValueError("truncated fixed32")
            (value,) = struct.unpack("<f", buf[pos:pos + 4])
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield num, wire, value


def model_metrics(raw):
    """(list of EvaluationData dicts, trainable_parameters) from serialized ModelMetrics."""
    evals, params = [], None
    for num, wire, value in fields(raw):
        if num == 1 and wire == 2:
            ev = {}
            for n, w, v in fields(value):
                if w == 1 and n in (1, 2, 3, 4, 5):
                    ev[("current_epoch", "training_time", "train_accuracy", "validation_accuracy",
                        "test_accuracy")[n - 1]] = v
            evals.append(ev)
        elif num == 2 and wire == 0:
            params = value
    return evals, params


def convert(paths, out_dir):
    cells = {}  # hash -> {"params": int, epochs: [(val, test, time), ...]}
    for path in paths:
        for n, payload in records(path):
            try:
                h, epochs, adjacency, ops, metrics = json.loads(payload.decode("utf-8"))
                evals, params = model_metrics(base64.b64decode(metrics, validate=True))
                final = evals[2]
                run = (final["validation_accuracy"], final["test_accuracy"], final["training_time"])
            except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError, binascii.Error) as e:
                raise ConvertError(f"{path}: record {n} is not a NAS-Bench-101 entry ({type(e).__name__}: {e})") from None
            if not (isinstance(h, str) and len(h) == 32 and all(c in "0123456789abcdef" for c in h)):
                raise ConvertError(f"{path}: record {n}: {h!r} is not a graph hash")
            cell = cells.setdefault(h, {"params": params})
            cell.setdefault(int(epochs), []).append(run)
    if not cells:
        raise ConvertError("no records in " + ", ".join(paths))
    budgets = sorted({e for c in cells.values() for e in c if e != "params"})
    if 108 not in budgets:
        raise ConvertError("no 108-epoch runs: give nasbench_only108.tfrecord or nasbench_full.tfrecord")
    os.makedirs(os.path.join(out_dir, "nb101"), exist_ok=True)
    path = os.path.join(out_dir, "nb101", "nb101_accuracy.csv")
    cols = ["test_acc_108_single_run"] + [f"val_acc_{e}_single_run" for e in budgets] + \
           ["training_time_108", "trainable_params"]
    missing108 = 0
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("hash," + ",".join(cols) + "\n")
        for h in sorted(cells):
            c = cells[h]
            first = {e: c[e][0] for e in budgets if e in c}
            r108 = first.get(108)
            missing108 += r108 is None
            vals = [r108[1] if r108 else None] + [first[e][0] if e in first else None for e in budgets] + \
                   [r108[2] if r108 else None, c["params"]]
            f.write(h + "," + ",".join("" if v is None else repr(float(v)) if not isinstance(v, int) else str(v)
                                       for v in vals) + "\n")
    os.replace(tmp, path)
    note = "" if len(cells) == NUM_CELLS else f" (NAS-Bench-101 has {NUM_CELLS}: naswot will refuse this table)"
    print(f"wrote {path}: {len(cells)} cells{note}, epoch budgets {budgets}"
          + (f"; {missing108} cells without a 108-epoch run" if missing108 else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tfrecord", nargs="+")
    ap.add_argument("-o", "--out", required=True, help="data directory (the table goes to OUT/nb101/)")
    args = ap.parse_args()
    try:
        convert(args.tfrecord, args.out)
    except ConvertError as e:
        print(f"convert_nb101: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
