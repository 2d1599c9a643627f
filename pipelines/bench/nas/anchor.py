#!/usr/bin/env python3
"""The anchors of the architecture search (examples/nas): scikit-learn's
MLPClassifier with its defaults and an RBF SVC with its defaults, trained
on exactly the split that the C trainer uses.

    anchor.py DIGITS_CSV SPLIT_CSV [SEEDS]

SPLIT_CSV is what `examples/nas/mlp --dump-split FILE` writes (row, set,
label for every row of the data set in file order).  The labels it holds
are checked against those read here from DIGITS_CSV, row by row, and the
three parts must cover every row once, so both programs provably see the
same rows in the same parts.  The features are standardised on the
training rows as mlp does (mean and population standard deviation; a
constant feature is only centred), with StandardScaler.

MLPClassifier's defaults leave random_state unset, which makes it differ
from run to run; here it is set to each of SEEDS (default 0,1,2,3,4) so
that the figures can be reproduced, and nothing else is changed.  Prints
one JSON line per model and seed: its validation and test accuracy and
its parameter count (for MLPClassifier its coefs_ and intercepts_; for
the SVC the numbers it keeps to predict: support vectors, dual
coefficients and intercepts, a size rather than trained weights).
"""
import csv
import gzip
import json
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def fail(msg):
    print(f"anchor.py: {msg}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: anchor.py digits.csv.gz split.csv [seed,...]",
              file=sys.stderr)
        return 2
    data_path, split_path = argv[1], argv[2]
    seeds = [int(s) for s in argv[3].split(",")] if len(argv) == 4 else \
        [0, 1, 2, 3, 4]
    opener = gzip.open if data_path.endswith(".gz") else open
    with opener(data_path, "rt") as f:
        data = np.loadtxt(f, delimiter=",")
    x, y = data[:, :64], data[:, 64].astype(int)
    with open(split_path) as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(y):
        fail(f"{split_path}: {len(rows)} rows, the data set has {len(y)}")
    part = {"train": [], "val": [], "test": []}
    for i, r in enumerate(rows):
        if r["row"] != str(i) or r["label"] != str(y[i]):
            fail(f"{split_path}:{i + 2}: row {r['row']} label {r['label']}"
                 f" is not row {i} label {y[i]} of {data_path}")
        if r["set"] not in part:
            fail(f"{split_path}:{i + 2}: unknown set '{r['set']}'")
        part[r["set"]].append(i)
    idx = {k: np.array(v) for k, v in part.items()}
    scaler = StandardScaler().fit(x[idx["train"]])
    xs = {k: scaler.transform(x[v]) for k, v in idx.items()}
    ys = {k: y[v] for k, v in idx.items()}
    sizes = {k: len(v) for k, v in idx.items()}

    def report(model, name, extra):
        t = time.perf_counter()
        model.fit(xs["train"], ys["train"])
        fit_s = time.perf_counter() - t
        out = {"model": name, **extra,
               "val_acc": float(model.score(xs["val"], ys["val"])),
               "test_acc": float(model.score(xs["test"], ys["test"])),
               "fit_s": round(fit_s, 3), "sizes": sizes}
        return model, out

    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            m, out = report(MLPClassifier(random_state=seed),
                            "MLPClassifier", {"seed": seed})
        out["params"] = int(sum(c.size for c in m.coefs_) +
                            sum(b.size for b in m.intercepts_))
        out["iterations"] = int(m.n_iter_)
        print(json.dumps(out), flush=True)
    m, out = report(SVC(), "SVC", {})
    out["params"] = int(m.support_vectors_.size + m.dual_coef_.size +
                        m.intercept_.size)
    out["support_vectors"] = int(m.support_vectors_.shape[0])
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
