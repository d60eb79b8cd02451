"""Oracle test for --sampler reference-v2 and --init reference-v2: the official v2.0 harness replayed.

PyTorch itself runs the harness's random steps (score_networks.py --trainval, nb201.md 5.3-5.4), written
here from docs/nb201.md: torch.manual_seed(seed) before the first network is built; per architecture a
reseed, then iter(DataLoader(..., sampler=a repeat-1 sampler over SubsetRandomSampler(train split)))
and one batch; the next network is built from whatever state that leaves. Checks, for two seeds:
  * the NB201 CIFAR-10 split from CPython's random.seed(1021) shuffle equals the data folder's
    nb201-cifar-split.json (train as listed, valid the rest);
  * the engine's batch image indices (export meta 'images') equal the DataLoader's, and for seed 1
    they start with the published vector 40134, 27076, 32545, ...;
  * the engine's normalised batch equals ToTensor + Normalize of those images bit for bit (the data
    folder has only data_batch_1.bin, so this test links it as all five batches: image i is stored
    image i mod 10,000 -- the indices are what is checked, and the pixels follow from them);
  * every parameter the engine exports equals, bit for bit, what nn.Conv2d / nn.Linear draw when
    nb201_torch.TinyNetwork is constructed in the harness's generator state (index 0: fresh seed;
    others: after the batch draw) -- and differs from the other state's (the state matters);
  * the engine's Hamming score (--relu-sites reference) equals the v2.0 procedure run on PyTorch's
    float32 forward of that network and batch (hooks on every ReLU, ReLU-Conv-BN ReLUs twice,
    slogdet of K) to 1e-6 relative, with the largest K entry difference (float32 near-ties) shown;
  * CIFAR-100 and ImageNet16-120 (--dataset): on full-size fake training sets (50,000 and 151,700
    images), the batch is the harness's -- CIFAR-100 through the CIFAR-10 split (the harness's substring
    test), ImageNet16-120 a randperm of all its images -- normalised with that dataset's constants, and
    the weights come from the generator state after that dataset's draws (2 + 151,699 for ImageNet16);
  * without all five batches the engine refuses the reference sampler with a clear message.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler, SubsetRandomSampler, TensorDataset

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nb201_torch as m  # noqa: E402

SPEC_SEED1 = [40134, 27076, 32545, 12770, 32511, 9400, 26010, 6846]
MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]
C100_MEAN = [129.3 / 255, 124.1 / 255, 112.4 / 255]
C100_STD = [68.2 / 255, 65.4 / 255, 70.4 / 255]
IM16_MEAN = [122.68 / 255, 116.66 / 255, 104.01 / 255]
IM16_STD = [63.22 / 255, 61.26 / 255, 65.09 / 255]


def python_split():
    idx = list(range(50000))
    random.seed(1021)
    random.shuffle(idx)
    return sorted(idx[:25000])


class RepeatOnce(Sampler):
    """Yields each index of the wrapped sampler once (the harness's repeat sampler with repeat 1)."""

    def __init__(self, inner):
        self.inner = inner

    def __iter__(self):
        for i in self.inner:
            yield i

    def __len__(self):
        return len(self.inner)


def harness_batch(pool, seed, batch, n_data=50000):
    """Reseed, then the first batch of a fresh DataLoader iterator: image indices; leaves the state."""
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(torch.arange(n_data)), batch_size=batch,
                        sampler=RepeatOnce(SubsetRandomSampler(pool)))
    (images,) = next(iter(loader))
    return images.tolist()


def harness_network(arch, pool, seed, batch, first, n_data=50000):
    if first:
        torch.manual_seed(seed)
    else:
        harness_batch(pool, seed, batch, n_data)
    return m.TinyNetwork(arch)


def normalised(pixels, images, mean=MEAN, std=STD):
    """ToTensor + Normalize of pixels[i mod len(pixels)] for i in images (the fake sets repeat their images)."""
    x = torch.from_numpy(pixels[[i % len(pixels) for i in images]]).float().div(255)
    mean = torch.tensor(mean, dtype=torch.float32)[:, None, None]
    std = torch.tensor(std, dtype=torch.float32)[:, None, None]
    return ((x - mean) / std).numpy()


def hook_logdet(model, batch):
    """The v2.0 score: codes (x > 0) at every hooked ReLU of a float32 forward, blocks counted twice."""
    B = batch.shape[0]
    K = np.zeros((B, B))

    def hook(x, in_block):
        c = (x.reshape(B, -1) > 0).double()
        K[:] += (2 if in_block else 1) * (c @ c.T + (1 - c) @ (1 - c).T).numpy()

    m.ACT.hook = hook
    try:
        with torch.no_grad():
            model.train()
            model(torch.from_numpy(batch))
    finally:
        m.ACT.hook = None
    return np.linalg.slogdet(K)[1], K


def read_meta(d):
    meta = {}
    with open(f"{d}/meta.txt") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition(" ")
            if k != "param":
                meta[k] = v
    return meta


def check_export(d, seed, index, want_images, pixels, pool, batch_size, dataset="cifar10", n_data=50000,
                 mean=MEAN, std=STD):
    """One export against the harness: images, pixels, weights (and their state dependence), score."""
    meta = read_meta(d)
    params = m.read_export(d)[1]
    flat = np.fromfile(f"{d}/params.f32", dtype="<f4")
    side = pixels.shape[-1]
    batch = np.fromfile(f"{d}/batch.f32", dtype="<f4").reshape(batch_size, 3, side, side)
    bad = []
    images = [int(i) for i in meta["images"].split()]
    if images != want_images:
        bad.append("images")
    if not np.array_equal(batch.view(np.uint32), normalised(pixels, images, mean, std).view(np.uint32)):
        bad.append("batch")
    model = harness_network(meta["arch"], pool, seed, batch_size, index == 0, n_data)
    other = harness_network(meta["arch"], pool, seed, batch_size, index != 0, n_data)
    own, alt = dict(model.named_parameters()), dict(other.named_parameters())
    same = differ = 0
    for name, off, dims in params:
        n = int(np.prod(dims))
        mine = own[name].detach().numpy().reshape(-1)
        if np.array_equal(flat[off:off + n].view(np.uint32), mine.view(np.uint32)):
            same += 1
        if not np.array_equal(mine, alt[name].detach().numpy().reshape(-1)):
            differ += 1
    if same != len(params):
        bad.append(f"params({len(params) - same} differ)")
    if differ == 0:
        bad.append("state-independent")
    s_t, K_t = hook_logdet(model, batch)
    K_e = np.fromfile(f"{d}/khamming.i64", dtype="<i8").reshape(batch_size, batch_size)
    s_e = float(meta["score"])
    rel = abs(s_e - s_t) / abs(s_t)
    if not rel <= 1e-6:
        bad.append("score")
    off_k = int(np.abs(K_e - K_t).max())
    print(f"{dataset:>10} {seed:>4} {index:>6} {str(images == want_images):>7} {'ok' if 'batch' not in bad else 'BAD':>6} "
          f"{same:>3}/{len(params):<3} {differ:>6} {off_k:>6} {s_e:14.6f} {s_t:14.6f} {rel:9.2e}")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--naswot", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    fake = os.path.join(args.work, "data", "cifar10")
    os.makedirs(fake)
    src = os.path.abspath(os.path.join(args.data, "cifar10", "data_batch_1.bin"))
    for k in range(1, 6):
        os.symlink(src, os.path.join(fake, f"data_batch_{k}.bin"))
    raw = np.fromfile(src, dtype=np.uint8).reshape(-1, 3073)
    pixels = raw[:, 1:].reshape(-1, 3, 32, 32)
    failures = []

    split = python_split()
    with open(os.path.join(args.data, "cifar10", "nb201-cifar-split.json")) as f:
        js = json.load(f)
    train = [int(i) for i in js["train"][1]]
    valid = sorted(int(i) for i in js["valid"][1])
    print(f"split: {len(split)} train indices, first {split[:6]}; json: {len(train)} train, {len(valid)} valid")
    if train != split or valid != sorted(set(range(50000)) - set(split)):
        failures.append("split != nb201-cifar-split.json")
    first = harness_batch(split, 1, 128)
    if first[:8] != SPEC_SEED1:
        failures.append(f"harness replay disagrees with the published vector: {first[:8]}")

    rng = random.Random(11)
    arches = [0, 1, 10, 123, 15624] + rng.sample(range(15625), 3)
    spec = ",".join(str(a) for a in arches)
    print(f"{'dataset':>10} {'seed':>4} {'index':>6} {'images':>7} {'batch':>6} {'params':>7} {'state':>6} {'K diff':>6} "
          f"{'engine':>14} {'pytorch':>14} {'rel':>9}")
    for seed in (1, 5):
        out = os.path.join(args.work, f"export_{seed}")
        cmd = [args.naswot, "score", "--backend", "cpu", "--space", "nb201", "--arch", spec, "--batch",
               str(args.batch), "--seed", str(seed), "--sampler", "reference-v2", "--init", "reference-v2",
               "--score", "hamming", "--relu-sites", "reference", "--data", os.path.dirname(fake), "--export", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        want_images = harness_batch(split, seed, args.batch)
        for index in arches:
            bad = check_export(os.path.join(out, str(index)), seed, index, want_images, pixels, split, args.batch)
            if bad:
                failures.append((seed, index, bad))

    # CIFAR-100 (the harness samples it through the CIFAR-10 split: its substring test) and ImageNet16-120
    # (every one of its 151,700 training images), on full-size fake training sets whose images repeat the
    # CIFAR-10 ones (ImageNet16: every other pixel of them). Seed 1; index 0 and later indices.
    for dataset, n_data, pool, mean, std in (
            ("cifar100", 50000, split, C100_MEAN, C100_STD),
            ("imagenet16", 151700, list(range(151700)), IM16_MEAN, IM16_STD)):
        root = os.path.join(args.work, dataset + "_data")
        os.makedirs(os.path.join(root, dataset))
        src = pixels if dataset == "cifar100" else np.ascontiguousarray(pixels[:, :, ::2, ::2])
        labels = 2 if dataset == "cifar100" else 1
        rec = np.zeros((n_data, labels + src[0].size), dtype=np.uint8)
        rec[:, labels - 1] = np.arange(n_data) % (100 if dataset == "cifar100" else 120)
        rec[:, labels:] = np.tile(src.reshape(len(src), -1), (n_data // len(src) + 1, 1))[:n_data]
        rec.tofile(os.path.join(root, dataset, "train.bin" if dataset == "cifar100" else "train_120.bin"))
        del rec
        out = os.path.join(args.work, f"export_{dataset}")
        subprocess.run([args.naswot, "score", "--backend", "cpu", "--space", "nb201", "--arch", "0,1,123,15624",
                        "--batch", str(args.batch), "--seed", "1", "--sampler", "reference-v2", "--init",
                        "reference-v2", "--score", "hamming", "--relu-sites", "reference", "--data", root,
                        "--dataset", dataset, "--export", out], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(root)
        want_images = harness_batch(pool, 1, args.batch, n_data)
        if dataset == "cifar100" and want_images != harness_batch(split, 1, args.batch):
            failures.append("cifar100: the harness's batch differs from CIFAR-10's (same split, same seed)")
        for index in (0, 1, 123, 15624):
            bad = check_export(os.path.join(out, str(index)), 1, index, want_images, src, pool, args.batch,
                               dataset, n_data, mean, std)
            if bad:
                failures.append((dataset, index, bad))

    # The real data folder has one training batch: the reference sampler must refuse it clearly.
    r = subprocess.run([args.naswot, "score", "--backend", "cpu", "--arch", "1", "--sampler", "reference-v2",
                        "--data", args.data], capture_output=True, text=True)
    if r.returncode != 2 or "all five official batches" not in r.stderr:
        failures.append(f"one-batch data: exit {r.returncode}, {r.stderr.strip()[:200]}")

    if failures:
        print("FAIL:", failures)
        return 1
    print("reference replay: batch indices, pixels, weights and scores match the PyTorch harness")
    return 0


if __name__ == "__main__":
    sys.exit(main())
