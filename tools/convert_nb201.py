#!/usr/bin/env python3
"""Converts the official NAS-Bench-201 / NATS-Bench topology benchmark files into naswot's table
DIR/nb201/nb201_accuracy.csv (index, arch, accuracies in %, parameters in millions, and the 12-epoch
schedule's training + validation seconds that NB201's own searches charge: *_time_12).

Sources (any one of them; download links in the README, "Data"):
  NAS-Bench-201-v1_0-e61699.pth, NAS-Bench-201-v1_1-096897.pth   (torch.load: needs PyTorch)
  NATS-tss-v1_0-3ffb9.pickle.pbz2                                 (one bz2-compressed pickle)
  NATS-tss-v1_0-3ffb9-simple/                                     (meta.pickle.pbz2 + one file per arch)

Layout read (the benchmark API's, AutoDL-Projects / NATS-Bench): 'meta_archs' lists the arch strings
by index; each architecture has, per training schedule ('12' / '200' epochs; 'less' / 'full' in the
NAS-Bench-201 .pth files), an ArchResults state dict whose 'all_results'[(dataset, seed)] holds
'eval_acc1es'{'<set>@<last epoch>': accuracy} and 'params'; a column is the mean over the seeds the
API lists in 'dataset_seed' (what the API returns with is_random=False). A value the source lacks
(NAS-Bench-201 v1.0 has 12-epoch results for cifar10-valid only) is left empty.

NATS-Bench's size space (NATS-sss-v1_0-50262-simple/ or .pickle.pbz2: 32,768 channel strings) goes to
DATA_DIR/nats_sss/nats_sss_accuracy.csv: per dataset the parameter count and the test
accuracy after the 90-epoch schedule (CIFAR-10 ori-test, CIFAR-100 and ImageNet16-120 x-test), then
what NATS-Bench's searches train for: the 12-epoch validation accuracy (cifar10-valid, cifar100 and
ImageNet16-120 x-valid) and its training + validation seconds (time_12ep_*).

Usage: convert_nb201.py SOURCE -o DATA_DIR    (writes DATA_DIR/nb201/nb201_accuracy.csv or
                                                DATA_DIR/nats_sss/nats_sss_accuracy.csv)
"""
import argparse
import bz2
import os
import pickle
import re
import sys

NUM_ARCHS = 15625
# column -> (schedule, dataset, evaluation set); params_m_c10 is read separately.
COLUMNS = [
    ("c10_test_200", "200", "cifar10", "ori-test"),
    ("c10valid_val_200", "200", "cifar10-valid", "x-valid"),
    ("c10valid_test_200", "200", "cifar10-valid", "ori-test"),
    ("c100_val_200", "200", "cifar100", "x-valid"),
    ("c100_test_200", "200", "cifar100", "x-test"),
    ("im16_val_200", "200", "ImageNet16-120", "x-valid"),
    ("im16_test_200", "200", "ImageNet16-120", "x-test"),
    ("c10valid_val_12", "12", "cifar10-valid", "x-valid"),
    ("c10_test_12", "12", "cifar10", "ori-test"),
    ("c100_val_12", "12", "cifar100", "x-valid"),
    ("c100_test_12", "12", "cifar100", "x-test"),
    ("im16_val_12", "12", "ImageNet16-120", "x-valid"),
    ("im16_test_12", "12", "ImageNet16-120", "x-test"),
]
# The benchmark's simulate_train_eval cost of the 12-epoch schedule (train-all-time + valid-per-time:
# all training epochs plus one validation pass), per dataset a search can use; mean over seeds.
TIME_COLUMNS = [("c10valid_time_12", "cifar10-valid"), ("c100_time_12", "cifar100"), ("im16_time_12", "ImageNet16-120")]
ARCH_RE = re.compile(r"^\|[a-z0-9_]+~0\|\+\|[a-z0-9_]+~0\|[a-z0-9_]+~1\|\+\|[a-z0-9_]+~0\|[a-z0-9_]+~1\|[a-z0-9_]+~2\|$")


class ConvertError(Exception):
    pass


def load_pbz2(path):
    try:
        with bz2.open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as e:
        raise ConvertError(f"cannot read {path}: {e}") from None


def by_schedule(infos, where):
    """{'12': ArchResults dict, '200': ...} from either key convention."""
    if not isinstance(infos, dict):
        raise ConvertError(f"{where}: expected a dict of training schedules, found {type(infos).__name__}")
    out = {}
    for key, sd in infos.items():
        name = {"less": "12", "full": "200"}.get(str(key), str(key))
        out[name] = sd
    return out


def load_source(src):
    """(meta_archs, function index -> {schedule: ArchResults state dict})."""
    if os.path.isdir(src):
        meta_path = os.path.join(src, "meta.pickle.pbz2")
        if not os.path.isfile(meta_path):
            raise ConvertError(f"{src} is a directory without meta.pickle.pbz2 (expected NATS-tss-*-simple or NATS-sss-*-simple)")
        archs = load_pbz2(meta_path).get("meta_archs")

        def arch_infos(i):
            for name in (f"{i:06d}.pickle.pbz2", f"{i}.pickle.pbz2"):
                p = os.path.join(src, name)
                if os.path.isfile(p):
                    return by_schedule(load_pbz2(p), p)
            raise ConvertError(f"{src}: no file for architecture {i} ({i:06d}.pickle.pbz2)")

        return archs, arch_infos
    if not os.path.isfile(src):
        raise ConvertError(f"{src} does not exist")
    if src.endswith(".pbz2"):
        data = load_pbz2(src)
    else:
        try:
            import torch  # NAS-Bench-201 .pth files are torch.save'd
        except ImportError:
            raise ConvertError(f"{src} is a torch.save file: reading it needs PyTorch (python3-torch)") from None
        try:
            data = torch.load(src, map_location="cpu")
        except Exception as e:  # noqa: BLE001 - torch raises many kinds for a damaged file
            raise ConvertError(f"cannot read {src}: {e}") from None
    if not isinstance(data, dict) or "meta_archs" not in data or "arch2infos" not in data:
        raise ConvertError(f"{src}: not a NAS-Bench-201 / NATS-Bench file (no meta_archs / arch2infos)")
    table = data["arch2infos"]

    def arch_infos(i):
        if i not in table:
            raise ConvertError(f"{src}: architecture {i} has no results")
        return by_schedule(table[i], f"{src} architecture {i}")

    return data["meta_archs"], arch_infos


def mean_over_seeds(sd, dataset, value):
    seeds = sd.get("dataset_seed", {}).get(dataset)
    if not seeds:
        return None
    vals = []
    for seed in seeds:
        v = value(sd["all_results"][(dataset, seed)])
        if v is None:
            return None
        vals.append(float(v))
    return sum(vals) / len(vals)


def accuracy(result, setname):
    key = f"{setname}@{int(result['epochs']) - 1}"  # after the last epoch
    return result.get("eval_acc1es", {}).get(key)


def train_and_valid_seconds(result):
    """sum of train_times over the epochs + the mean x-valid evaluation time, or None without times."""
    epochs, tt, et = int(result["epochs"]), result.get("train_times"), result.get("eval_times")
    if not tt or not et:
        return None
    try:
        return sum(float(tt[i]) for i in range(epochs)) + sum(float(et[f"x-valid@{i}"]) for i in range(epochs)) / epochs
    except KeyError:
        return None


# NATS-Bench's size space (NATS-sss-v1_0-50262*): 32,768 channel strings, the 90-epoch schedule.
SSS_ARCHS = 32768
SSS_RE = re.compile(r"^\d+:\d+:\d+:\d+:\d+$")
def param_count(r):  # the API's params are in millions; the table holds the count
    return None if r.get("params") is None else round(float(r["params"]) * 1e6)


SSS_COLUMNS = [  # column -> (schedule, dataset, value of one trial)
    ("params_c10", "90", "cifar10", param_count),
    ("test_acc_90ep_c10", "90", "cifar10", lambda r: accuracy(r, "ori-test")),
    ("params_c100", "90", "cifar100", param_count),
    ("test_acc_90ep_c100", "90", "cifar100", lambda r: accuracy(r, "x-test")),
    ("params_im16", "90", "ImageNet16-120", param_count),
    ("test_acc_90ep_im16", "90", "ImageNet16-120", lambda r: accuracy(r, "x-test")),
    # NATS-Bench's REA and random search (simulate_train_eval, hp '12'): fitness and cost per dataset.
    ("val_acc_12ep_c10valid", "12", "cifar10-valid", lambda r: accuracy(r, "x-valid")),
    ("val_acc_12ep_c100", "12", "cifar100", lambda r: accuracy(r, "x-valid")),
    ("val_acc_12ep_im16", "12", "ImageNet16-120", lambda r: accuracy(r, "x-valid")),
    ("time_12ep_c10valid", "12", "cifar10-valid", train_and_valid_seconds),
    ("time_12ep_c100", "12", "cifar100", train_and_valid_seconds),
    ("time_12ep_im16", "12", "ImageNet16-120", train_and_valid_seconds),
]


def topology_row(infos):
    row = []
    for name, sched, dataset, setname in COLUMNS:
        sd = infos.get(sched)
        row.append(None if sd is None else mean_over_seeds(sd, dataset, lambda r, s=setname: accuracy(r, s)))
    sd = infos.get("200")
    row.append(None if sd is None else mean_over_seeds(sd, "cifar10-valid", lambda r: r.get("params")))
    sd = infos.get("12")
    for _, dataset in TIME_COLUMNS:
        row.append(None if sd is None else mean_over_seeds(sd, dataset, train_and_valid_seconds))
    return row


def size_row(infos):
    row = [None if infos.get(sched) is None else mean_over_seeds(infos[sched], dataset, value)
           for _, sched, dataset, value in SSS_COLUMNS]
    return [v if v is None or not name.startswith("params") else round(v)
            for v, (name, _, _, _) in zip(row, SSS_COLUMNS)]


def convert(src, out_dir):
    archs, arch_infos = load_source(src)
    n = 0 if archs is None else len(archs)
    if n == SSS_ARCHS and SSS_RE.match(str(archs[0])):  # the size space
        sub, name, pattern, header = "nats_sss", "nats_sss_accuracy.csv", SSS_RE, "index,arch_channels"
        names, make_row = [c[0] for c in SSS_COLUMNS], size_row
    elif n == NUM_ARCHS:
        sub, name, pattern, header = "nb201", "nb201_accuracy.csv", ARCH_RE, "index,arch"
        names = [c[0] for c in COLUMNS] + ["params_m_c10"] + [c[0] for c in TIME_COLUMNS]
        make_row = topology_row
    else:
        raise ConvertError(f"{src}: {n} architectures, expected {NUM_ARCHS} (topology) or {SSS_ARCHS} (size space)")
    os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    path = os.path.join(out_dir, sub, name)
    empty = [0] * len(names)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(header + "," + ",".join(names) + "\n")
        for i in range(n):
            arch = str(archs[i])
            if not pattern.match(arch):
                raise ConvertError(f"{src}: architecture {i} is not a {sub} architecture string: {arch!r}")
            infos = arch_infos(i)
            try:
                row = make_row(infos)
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                raise ConvertError(f"{src}: architecture {i}: unexpected layout ({type(e).__name__}: {e})") from None
            for k, v in enumerate(row):
                empty[k] += v is None
            f.write(f"{i},{arch}," + ",".join("" if v is None else repr(v) for v in row) + "\n")
    os.replace(tmp, path)
    gaps = ", ".join(f"{c} {e}" for c, e in zip(names, empty) if e)
    print(f"wrote {path}: {n} architectures" + (f"; empty cells: {gaps}" if gaps else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("-o", "--out", required=True, help="data directory (the table goes to OUT/nb201/ or OUT/nats_sss/)")
    args = ap.parse_args()
    try:
        convert(args.source, args.out)
    except ConvertError as e:
        print(f"convert_nb201: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
