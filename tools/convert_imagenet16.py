#!/usr/bin/env python3
"""ImageNet16-120 for naswot: the official 16x16 downsampled-ImageNet pickles -> OUT/train_120.bin.

The official training set (Chrabaszcz et al. 2017, "A Downsampled Variant of ImageNet as an Alternative
to the CIFAR datasets"; Imagenet16_train.zip from https://image-net.org/download-images) is ten pickles,
train_data_batch_1 .. train_data_batch_10, each a dict with 'data' (N x 768 uint8: the R, G and B
planes of a 16x16 image) and 'labels' (1 .. 1000). NAS-Bench-201's ImageNet16-120 keeps the images
of classes 1 .. 120 in file order, 151,700 of them, with labels shifted to 0 .. 119 (docs/nb201.md,
5.3). This writes them as records of 1 label byte + 768 pixel bytes (the CIFAR-10 binary layout at
16x16), which `naswot --dataset imagenet16` reads from DATA/imagenet16/train_120.bin:

    python3 tools/convert_imagenet16.py ~/Imagenet16_train "$NASWOT_DATA/imagenet16"

The files are checked against the MD5 sums NAS-Bench-201's loader checks (--no-md5 skips that, e.g.
for test fixtures). Pickles can run code when loaded: convert only files from the official source.
"""
import argparse
import hashlib
import os
import pickle
import sys

import numpy as np

CLASSES = 120
SIDE = 16
OFFICIAL = [  # (file, MD5), as NAS-Bench-201's ImageNet16 loader lists them
    ("train_data_batch_1", "27846dcaa50de8e21a7d1a35f30f0e91"),
    ("train_data_batch_2", "c7254a054e0e795c69120a5727050e3f"),
    ("train_data_batch_3", "4333d3df2e5ffb114b05d2ffc19b1e87"),
    ("train_data_batch_4", "1620cdf193304f4a92677b695d70d10f"),
    ("train_data_batch_5", "348b3c2fdbb3940c4e9e834affd3b18d"),
    ("train_data_batch_6", "6e765307c242a1b3d7d5ef9139b48945"),
    ("train_data_batch_7", "564926d8cbf8fc4818ba23d2faac7564"),
    ("train_data_batch_8", "f4755871f718ccb653440b9dd0ebac66"),
    ("train_data_batch_9", "bb6dd660c38c58552125b1a92f86b5d4"),
    ("train_data_batch_10", "8f03f34ac4b42271a294f91bf480f29b"),
]
FULL_COUNT = 151700  # images of classes 1..120 in the official files


class ConvertError(Exception):
    pass


def md5_of(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_batch(path):
    """(data N x 768 uint8, labels N int64) of one official pickle, validated."""
    try:
        with open(path, "rb") as f:
            entry = pickle.load(f, encoding="latin1")
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
        raise ConvertError(f"{path}: cannot read the pickle ({e})") from e
    if not isinstance(entry, dict) or "data" not in entry or "labels" not in entry:
        raise ConvertError(f"{path}: not an ImageNet16 batch (expected a dict with 'data' and 'labels')")
    data = np.asarray(entry["data"])
    labels = np.asarray(entry["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * SIDE * SIDE:
        raise ConvertError(f"{path}: 'data' is {data.dtype} {data.shape}, expected uint8 N x {3 * SIDE * SIDE}")
    if labels.shape != (data.shape[0],):
        raise ConvertError(f"{path}: {labels.size} labels for {data.shape[0]} images")
    if labels.size and (labels.min() < 1 or labels.max() > 1000):
        raise ConvertError(f"{path}: labels outside 1..1000 ({labels.min()}..{labels.max()})")
    return data, labels


def convert(src, out, check_md5=True):
    """Writes out/train_120.bin; returns the number of images written."""
    missing = [name for name, _ in OFFICIAL if not os.path.isfile(os.path.join(src, name))]
    if missing:
        raise ConvertError(f"{src}: missing {', '.join(missing)} (unpack Imagenet16_train.zip there)")
    if check_md5:
        for name, want in OFFICIAL:
            got = md5_of(os.path.join(src, name))
            if got != want:
                raise ConvertError(f"{os.path.join(src, name)}: MD5 {got}, expected {want} (a corrupt or "
                                   "different file; --no-md5 converts it anyway)")
    os.makedirs(out, exist_ok=True)
    dst = os.path.join(out, "train_120.bin")
    tmp = dst + ".partial"
    count = 0
    with open(tmp, "wb") as f:
        for name, _ in OFFICIAL:
            data, labels = read_batch(os.path.join(src, name))
            keep = (labels >= 1) & (labels <= CLASSES)
            records = np.empty((int(keep.sum()), 1 + data.shape[1]), dtype=np.uint8)
            records[:, 0] = labels[keep] - 1
            records[:, 1:] = data[keep]
            f.write(records.tobytes())
            count += records.shape[0]
    if count == 0:
        os.remove(tmp)
        raise ConvertError(f"{src}: no image of classes 1..{CLASSES}")
    if check_md5 and count != FULL_COUNT:
        os.remove(tmp)
        raise ConvertError(f"{src}: {count} images of classes 1..{CLASSES}, expected {FULL_COUNT}")
    os.replace(tmp, dst)
    return count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", help="folder with train_data_batch_1 .. train_data_batch_10")
    ap.add_argument("out", help="output folder, e.g. $NASWOT_DATA/imagenet16")
    ap.add_argument("--no-md5", action="store_true", help="skip the MD5 check of the official files")
    args = ap.parse_args()
    try:
        n = convert(args.src, args.out, check_md5=not args.no_md5)
    except ConvertError as e:
        print(f"convert_imagenet16: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {os.path.join(args.out, 'train_120.bin')}: {n} images of ImageNet16-{CLASSES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
