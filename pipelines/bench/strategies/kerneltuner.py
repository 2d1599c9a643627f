"""Kernel Tuner's strategies on a replay study, in its simulation mode.

usage: kerneltuner.py --study examples/replay/NAME.json --strategy S
                      [--seeds A:B] [--budgets 25,50,...]

Runs Kernel Tuner (installed by kerneltuner.sh into a throwaway virtual
environment) with simulation_mode=True on the study's cache file, once per
seed and budget: its strategies take max_fevals as an input (a cooling
schedule, a number of generations), so a run of 400 is no run of 100
continued.  Kernel Tuner may evaluate more than max_fevals configurations
(its issues #141 and #206); only its first N distinct evaluations count,
N the budget, the same count as the autoresearch figures.

Writes one JSON line per seed, as sim.c does:
  {"tool": "kerneltuner-VERSION", "dataset", "strategy", "seed",
   "budgets": [...], "a": [fraction of optimum after each budget],
   "evals": [distinct configurations it evaluated in that run],
   "seconds": [wall time of that run]}
"""

import argparse
import gzip
import importlib.metadata
import json
import os
import random
import sys
import tempfile
import time
import warnings

import numpy as np

import kernel_tuner
import kernel_tuner.util
from constraint import FunctionConstraint
from kernel_tuner import tune_kernel

# Kernel Tuner reads and parses the whole cache file on every call of
# tune_kernel; here it is one file for hundreds of calls, which it never
# changes in simulation mode (the runner copies each record it returns),
# so it is read once.
_read_cache = kernel_tuner.util.read_cache
_cache_of = {}


def _read_cache_once(cachefile, open_cache=True):
    if cachefile not in _cache_of:
        _cache_of[cachefile] = _read_cache(cachefile, open_cache)
    return _cache_of[cachefile]


kernel_tuner.util.read_cache = _read_cache_once


def load_cache(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        text = f.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Kernel Tuner writes the closing braces only when it finishes.
        return json.loads(text.rstrip().rstrip(",") + "}}")


def optimum(cache):
    times = [r["time"] for r in cache["cache"].values()
             if isinstance(r.get("time"), (int, float)) and r["time"] < 1e20]
    return min(times)


def replayable(cache, path):
    """The cache as Kernel Tuner 1.x reads it, written to path.

    Older files lack fields that Kernel Tuner now requires (LESSONS.md: it
    could not replay three of its own older files); they are filled in
    from what the file says, and nothing measured is changed."""
    c = {k: v for k, v in cache.items() if k != "cache"}
    c.setdefault("problem_size", [1])
    c.setdefault("objective", "time")
    c.setdefault("device_name", "")
    # "cache" last: Kernel Tuner takes a file that does not end in "}}}"
    # for one cut off while it ran, and closes it again.
    c["cache"] = cache["cache"]
    with open(path, "w") as f:
        json.dump(c, f)
    return c


def run_once(cache, cachepath, keys, strategy, budget, seed):
    """One tuning run; the first `budget` distinct configurations it
    evaluated, in order, as cache keys."""
    random.seed(seed)
    np.random.seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results, _ = tune_kernel(
            cache["kernel_name"], "/* replayed */", cache["problem_size"], [],
            cache["tune_params"], restrictions=cache["__restriction__"],
            cache=cachepath, simulation_mode=True, strategy=strategy,
            strategy_options={"max_fevals": budget}, quiet=True,
            verbose=False, seed=seed)
    seen, order = set(), []
    for r in results:
        key = ",".join(str(r[k]) for k in keys)
        if key not in seen:
            seen.add(key)
            order.append(key)
    return order


def fraction(cache, order, opt):
    best = None
    for key in order:
        t = cache["cache"][key].get("time")
        if isinstance(t, (int, float)) and t < 1e20 and (best is None or t < best):
            best = t
    return 0.0 if best is None else opt / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--study", required=True)
    ap.add_argument("--strategy", required=True)
    ap.add_argument("--seeds", default="0:19")
    ap.add_argument("--budgets", default="25,50,100,200,400")
    op = ap.parse_args()
    with open(op.study) as f:
        study = json.load(f)
    src = os.path.join(os.path.dirname(op.study), study["source"])
    dataset = os.path.basename(src).split(".json")[0]
    cache = load_cache(src)
    opt = optimum(cache)
    keys = cache["tune_params_keys"]
    budgets = [int(b) for b in op.budgets.split(",")]
    s0, s1 = (int(x) for x in op.seeds.split(":"))
    tool = "kerneltuner-" + importlib.metadata.version("kernel_tuner")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, dataset + ".json")
        cache = replayable(cache, path)
        # The space is every key of the file, failures included, as in the
        # replay study (Kernel Tuner's own tune_cache leaves failures out,
        # which makes its space smaller than the one that was measured).
        valid = frozenset(cache["cache"].keys())

        def inspace(*values):
            return ",".join(str(v) for v in values) in valid

        cache["__restriction__"] = [FunctionConstraint(inspace)]
        for seed in range(s0, s1 + 1):
            a, evals, secs = [], [], []
            for b in budgets:
                t0 = time.time()
                order = run_once(cache, path, keys, op.strategy, b, seed)
                secs.append(round(time.time() - t0, 3))
                evals.append(len(order))
                a.append(fraction(cache, order[:b], opt))
            print(json.dumps({"tool": tool, "dataset": dataset,
                              "strategy": op.strategy, "seed": seed,
                              "budgets": budgets, "a": a, "evals": evals,
                              "seconds": secs}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
