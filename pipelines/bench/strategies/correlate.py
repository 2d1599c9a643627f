"""How alike two GPUs' tuning landscapes are, for the transfer benchmark.

usage: python3 pipelines/bench/strategies/correlate.py [DATASETS_DIR]

For each pair of cache files of one kernel (convolution_milo, dedispersion_milo,
GEMM) under DATASETS_DIR/raw (default ../shared/datasets), over the
configurations both measured: the Pearson and Spearman correlation of the
log times, Spearman's within the best tenth of the second GPU, and how each
GPU's best configuration fares on the other (optimum / its time there).
Standard library only.
"""
import gzip
import json
import math
import sys

FAMILIES = [
    ["GEMM_K20_mean32", "GEMM_V100_mean32", "gemm_RTX_3090"],
    ["convolution_milo_A100", "convolution_milo_A4000", "convolution_milo_MI250X"],
    ["dedispersion_milo_A100", "dedispersion_milo_A4000", "dedispersion_milo_MI250X"],
]


def load(path):
    with gzip.open(path, "rt") as f:
        cache = json.load(f)["cache"]
    out = {}
    for key, rec in cache.items():
        t = rec.get("time")
        if isinstance(t, (int, float)) and 0 < t < 1e10:
            out[key] = math.log(t)
    return out


def ranks(v):
    order = sorted(range(len(v)), key=v.__getitem__)
    r = [0] * len(v)
    for j, i in enumerate(order):
        r[i] = j
    return r


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sa = math.sqrt(sum((x - ma) ** 2 for x in a))
    sb = math.sqrt(sum((y - mb) ** 2 for y in b))
    return sum((x - ma) * (y - mb) for x, y in zip(a, b)) / sa / sb


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets"
    print("| GPU a | GPU b | common | Pearson | Spearman | Spearman, b's best tenth "
          "| a's best on b | b's best on a |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for fam in FAMILIES:
        data = {d: load("%s/raw/%s.json.gz" % (root, d)) for d in fam}
        for i, a in enumerate(fam):
            for b in fam[i + 1:]:
                keys = [k for k in data[a] if k in data[b]]
                x = [data[a][k] for k in keys]
                y = [data[b][k] for k in keys]
                cut = sorted(y)[len(y) // 10]
                top = [j for j in range(len(keys)) if y[j] <= cut]
                ba = min(range(len(keys)), key=x.__getitem__)
                bb = min(range(len(keys)), key=y.__getitem__)
                print("| %s | %s | %d | %.2f | %.2f | %.2f | %.3f | %.3f |" % (
                    a, b, len(keys), pearson(x, y), pearson(ranks(x), ranks(y)),
                    pearson(ranks([x[j] for j in top]), ranks([y[j] for j in top])),
                    math.exp(y[bb] - y[ba]), math.exp(x[ba] - x[bb])))


if __name__ == "__main__":
    main()
