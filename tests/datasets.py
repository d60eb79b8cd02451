"""--dataset cifar100 | imagenet16: the converter, the images networks see, and networks on them.

Checks:
  * tools/convert_imagenet16.py on synthetic pickles in the official format (ten train_data_batch_k
    dicts, labels 1..200 so that the class filter matters) writes what NAS-Bench-201's ImageNet16
    loader with use_num_of_class_only=120 yields (vstack in file order, keep labels 1..120, label - 1),
    record by record; a missing file, a broken pickle and a wrong MD5 are clear errors.
  * The batch: with CIFAR-100 (the data folder's 20-image fixture as train.bin) and ImageNet16-120
    (the converted file), the exported batch equals ToTensor + Normalize with that dataset's constants
    (nb201.md 5.1) of the exported image indices, bit for bit. With flip-crop each image is one of the
    horizontal flips and crops of the zero-padded original (padding 4 at 32x32, 2 at 16x16), and the
    crops vary.
  * Networks: NB201 on CIFAR-100 (32x32) and on ImageNet16-120 (16x16), NATS-Bench SSS on 16x16: the
    Jacobian and score of each export against PyTorch by check_nb201's criteria.
  * Runs: the dataset is part of a run's identity (a CIFAR-10 run into a CIFAR-100 database is refused),
    and `report` heads its top-k table with that dataset's test accuracy;
    a search replaying scores from another dataset's images says so; a live search scores on its
    --dataset's images; no files, corrupt labels and --space nb101 are clear errors.
"""
import argparse
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "oracle"))
import check_nb201  # noqa: E402
import nb201_torch as m  # noqa: E402

CONSTANTS = {  # (mean, std) x 255, nb201.md 5.1
    "cifar100": ([129.3, 124.1, 112.4], [68.2, 65.4, 70.4]),
    "imagenet16": ([122.68, 116.66, 104.01], [63.22, 61.26, 65.09]),
}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(naswot, *args, expect=0):
    r = subprocess.run([naswot, *args], capture_output=True, text=True)
    if r.returncode != expect:
        print(r.stdout[-2000:], r.stderr[-2000:])
        raise SystemExit(f"naswot {' '.join(args)}: exit {r.returncode}, expected {expect}")
    return r


def normalise(pixels_u8, dataset):
    """ToTensor + Normalize in float32 as torchvision computes it (N x 3 x S x S uint8)."""
    mean, std = CONSTANTS[dataset]
    x = pixels_u8.astype(np.float32) / np.float32(255)
    mu = np.array([v / 255 for v in mean], dtype=np.float32)[None, :, None, None]
    sd = np.array([v / 255 for v in std], dtype=np.float32)[None, :, None, None]
    return (x - mu) / sd


def read_export(d):
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            meta.setdefault(k, v)
    b, c, h, w = (int(x) for x in meta["batch"].split())
    batch = np.fromfile(os.path.join(d, "batch.f32"), dtype="<f4").reshape(b, c, h, w)
    return meta, [int(i) for i in meta["images"].split()], batch


def write_official_pickles(src, rng, per_file=30):
    """Ten train_data_batch_k pickles in the official layout; returns what the NB201 loader keeps."""
    os.makedirs(src, exist_ok=True)
    datas, labels = [], []
    for k in range(1, 11):
        data = rng.integers(0, 256, size=(per_file, 768), dtype=np.uint8)
        lab = [int(v) for v in rng.integers(1, 201, size=per_file)]
        with open(os.path.join(src, f"train_data_batch_{k}"), "wb") as f:
            pickle.dump({"data": data, "labels": lab, "mean": data.mean(0)}, f, protocol=2)
        datas.append(data)
        labels.extend(lab)
    data = np.vstack(datas).reshape(-1, 3, 16, 16)
    keep = [i for i, lab in enumerate(labels) if 1 <= lab <= 120]
    return data[keep], np.array([labels[i] - 1 for i in keep], dtype=np.uint8)


def test_converter(work, rng):
    conv = [sys.executable, os.path.join(HERE, "..", "tools", "convert_imagenet16.py")]
    src = os.path.join(work, "official")
    want_px, want_lab = write_official_pickles(src, rng)
    out = os.path.join(work, "data", "imagenet16")
    r = subprocess.run(conv + [src, out, "--no-md5"], capture_output=True, text=True)
    check(r.returncode == 0, f"convert_imagenet16 runs ({r.stderr.strip()[:200]})")
    rec = np.fromfile(os.path.join(out, "train_120.bin"), dtype=np.uint8).reshape(-1, 769)
    check(rec.shape[0] == len(want_lab) and 0 < rec.shape[0] < 300,
          f"converter keeps the {len(want_lab)} images of classes 1..120 of 300 (wrote {rec.shape[0]})")
    check(np.array_equal(rec[:, 0], want_lab), "converted labels are the loader's labels - 1, in file order")
    check(np.array_equal(rec[:, 1:].reshape(-1, 3, 16, 16), want_px), "converted pixels are the loader's images")
    # Errors: the MD5 of a synthetic file, a broken pickle, a missing file.
    r = subprocess.run(conv + [src, os.path.join(work, "md5")], capture_output=True, text=True)
    check(r.returncode == 2 and "MD5" in r.stderr, f"wrong MD5 refused ({r.stderr.strip()[:120]})")
    bad = os.path.join(work, "bad")
    shutil.copytree(src, bad)
    with open(os.path.join(bad, "train_data_batch_3"), "wb") as f:
        f.write(b"not a pickle")
    r = subprocess.run(conv + [bad, os.path.join(work, "bad_out"), "--no-md5"], capture_output=True, text=True)
    check(r.returncode == 2 and "train_data_batch_3" in r.stderr and "pickle" in r.stderr,
          f"broken pickle named ({r.stderr.strip()[:120]})")
    check(not os.path.exists(os.path.join(work, "bad_out", "train_120.bin")), "no output left after an error")
    os.remove(os.path.join(bad, "train_data_batch_7"))
    r = subprocess.run(conv + [bad, os.path.join(work, "bad_out"), "--no-md5"], capture_output=True, text=True)
    check(r.returncode == 2 and "missing train_data_batch_7" in r.stderr, f"missing file named ({r.stderr.strip()[:120]})")
    return rec


def check_batches(naswot, data, dataset, pixels):
    side = pixels.shape[-1]
    pad = side // 8
    ex = os.path.join(os.path.dirname(data), f"batch_{dataset}")
    run(naswot, "score", "--backend", "cpu", "--dataset", dataset, "--data", data, "--arch", "1", "--batch", "16",
        "--seed", "3", "--export", ex + "_plain")
    meta, images, batch = read_export(os.path.join(ex + "_plain", "1"))
    check(meta.get("dataset") == dataset and batch.shape == (16, 3, side, side) and len(set(images)) == 16,
          f"{dataset}: export names the dataset, 16 distinct images of {side}x{side}")
    check(np.array_equal(batch.view(np.uint32), normalise(pixels[images], dataset).view(np.uint32)),
          f"{dataset}: batch = ToTensor + Normalize with the dataset's constants, bit for bit")
    run(naswot, "score", "--backend", "cpu", "--dataset", dataset, "--data", data, "--arch", "1", "--batch", "16",
        "--seed", "3", "--augment", "flip-crop", "--export", ex + "_aug")
    _, images, batch = read_export(os.path.join(ex + "_aug", "1"))
    def choice(src, got):  # the (flip, oy, ox) whose crop of the padded source is `got`, bit for bit
        for flip in (False, True):
            padded = np.pad(src[:, :, ::-1] if flip else src, ((0, 0), (pad, pad), (pad, pad)))
            for oy in range(2 * pad + 1):
                for ox in range(2 * pad + 1):
                    crop = normalise(padded[None, :, oy:oy + side, ox:ox + side], dataset)[0]
                    if np.array_equal(crop.view(np.uint32), got.view(np.uint32)):
                        return flip, oy, ox
        return None

    found = [choice(pixels[i], batch[b]) for b, i in enumerate(images)]
    choices = set(found) - {None}
    found = sum(c is not None for c in found)
    check(found == 16 and len(choices) > 4,
          f"{dataset}: every flip-crop image is a flip and {pad}-pixel-padded crop of its source "
          f"({found}/16, {len(choices)} distinct choices)")


def check_networks(naswot, work, data, dataset, space, archs):
    out = os.path.join(work, f"net_{dataset}_{space}")
    args = ["score", "--backend", "cpu", "--space", space, "--dataset", dataset, "--data", data, "--batch", "16",
            "--seed", "5", "--export", out]
    for a in archs:
        args += ["--arch", a]
    run(naswot, *args)
    for d in sorted(os.listdir(out)):
        bad, _, line = check_nb201.check_export(os.path.join(out, d), m.load_model, f"{dataset[:5]} {d}")
        print(line)
        check(not bad, f"{dataset} {space} {d}: Jacobian and score vs PyTorch {bad}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    rng = np.random.default_rng(2026)
    data = os.path.join(a.work, "data")

    rec = test_converter(a.work, rng)
    os.makedirs(os.path.join(data, "cifar100"))
    shutil.copy(os.path.join(a.data, "cifar100", "test_0-19.bin"), os.path.join(data, "cifar100", "train.bin"))
    for table in ("nb201", "nats_sss"):
        os.symlink(os.path.abspath(os.path.join(a.data, table)), os.path.join(data, table))
    c100 = np.fromfile(os.path.join(data, "cifar100", "train.bin"), dtype=np.uint8).reshape(-1, 3074)

    check_batches(a.naswot, data, "cifar100", c100[:, 2:].reshape(-1, 3, 32, 32))
    check_batches(a.naswot, data, "imagenet16", rec[:, 1:].reshape(-1, 3, 16, 16))
    check_networks(a.naswot, a.work, data, "cifar100", "nb201", ["1", "100", "8000"])
    check_networks(a.naswot, a.work, data, "imagenet16", "nb201",
                   ["1", "100", "8000", "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|"
                    "nor_conv_1x1~1|avg_pool_3x3~2|"])
    check_networks(a.naswot, a.work, data, "imagenet16", "nats-sss", ["8:8:8:8:8", "64:64:64:64:64", "16:40:8:64:24"])

    # Identity: a CIFAR-100 run's database refuses a CIFAR-10 run, and the reverse order too.
    db = os.path.join(a.work, "c100.db")
    run(a.naswot, "score-space", "--backend", "cpu", "--dataset", "cifar100", "--data", data, "--batch", "8",
        "--indices", "1-3", "--out", db)
    r = run(a.naswot, "score-space", "--backend", "cpu", "--data", a.data, "--batch", "8", "--indices", "1-3",
            "--out", db, expect=2)
    check("dataset" in r.stderr, f"a CIFAR-10 run into a CIFAR-100 database is refused ({r.stderr.strip()[:160]})")
    r = run(a.naswot, "report", db, "--data", a.data)
    check("Top architectures by score, c100_test_200" in r.stdout, "report's top-k column is the scored dataset's")
    # Search: replayed scores from ImageNet16-120 images for a CIFAR-10 search are labelled as such.
    # The six smallest SSS networks (<= 20,000 parameters) make a complete database for --max-params 0.02.
    idx = []
    with open(os.path.join(a.data, "nats_sss", "nats_sss_accuracy.csv")) as f:
        head = f.readline().rstrip("\n").split(",")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split(",")))
            if float(row["params_c10"]) <= 20000:
                idx.append(row["index"])
    im_db = os.path.join(a.work, "im16.db")
    run(a.naswot, "score-space", "--backend", "cpu", "--space", "nats-sss", "--dataset", "imagenet16", "--data", data,
        "--batch", "8", "--indices", ",".join(idx), "--out", im_db)
    r = run(a.naswot, "search", "--space", "nats-sss", "--algo", "best-of-n", "-N", "3", "--runs", "2",
            "--max-params", "0.02", "--scores", im_db, "--data", data)
    r2 = run(a.naswot, "report", im_db, "--data", a.data)
    check("Top architectures by score, test_acc_90ep_im16" in r2.stdout, "SSS report's top-k column is ImageNet16's")
    check(len(idx) == 6 and "scored on imagenet16 images" in r.stdout,
          f"replayed ImageNet16-120 scores in a CIFAR-10 search are labelled ({len(idx)} networks)")
    r = run(a.naswot, "search", "--space", "nats-sss", "--algo", "best-of-n", "-N", "3", "--runs", "1",
            "--max-params", "0.02", "--scores", im_db, "--data", data, "--dataset", "imagenet16")
    check("scored on" not in r.stdout, "no label when the datasets agree")
    r = run(a.naswot, "search", "--space", "nats-sss", "--algo", "best-of-n", "-N", "2", "--runs", "1",
            "--max-params", "0.02", "--batch", "8", "--data", data, "--dataset", "imagenet16", "--backend", "cpu")
    check(f"{len(rec)} imagenet16 images" in r.stdout, "a live ImageNet16-120 search scores on its images")

    # Errors.
    r = run(a.naswot, "score", "--dataset", "cifar100", "--data", a.work, "--arch", "1", expect=2)
    check("no CIFAR-100 training images" in r.stderr and "cifar-100-binary.tar.gz" in r.stderr,
          f"missing CIFAR-100 says where to get it ({r.stderr.strip()[:100]})")
    r = run(a.naswot, "search", "--algo", "best-of-n", "-N", "3", "--dataset", "cifar100", "--data", a.data, expect=2)
    check("no CIFAR-100 training images" in r.stderr and "--scores RUN.db" in r.stderr,
          "a live CIFAR-100 search without its images points to replaying other scores")
    r = run(a.naswot, "score", "--dataset", "imagenet16", "--data", a.work, "--arch", "1", expect=2)
    check("convert_imagenet16.py" in r.stderr, "missing ImageNet16-120 names the converter")
    corrupt = os.path.join(a.work, "corrupt")
    os.makedirs(os.path.join(corrupt, "cifar100"))
    raw = c100.copy()
    raw[4, 0] = 25  # coarse labels are 0..19
    raw.tofile(os.path.join(corrupt, "cifar100", "train.bin"))
    r = run(a.naswot, "score", "--dataset", "cifar100", "--data", corrupt, "--arch", "1", "--batch", "4", expect=2)
    check("record 4 has label 25" in r.stderr, f"corrupt CIFAR-100 label named ({r.stderr.strip()[:120]})")
    r = run(a.naswot, "score", "--space", "nb101", "--dataset", "imagenet16", "--data", data, "--arch", "1", expect=2)
    check("CIFAR-10 benchmark" in r.stderr, "NB101 refuses other datasets")
    r = run(a.naswot, "score", "--dataset", "cifar100", "--data", data, "--arch", "1", "--batch", "8",
            "--sampler", "reference-v2", expect=2)
    check("all 50000 images" in r.stderr, f"the reference sampler needs the full CIFAR-100 set ({r.stderr.strip()[:100]})")

    if failures:
        print(f"FAIL: {len(failures)} checks: {failures}")
        return 1
    print("datasets: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
