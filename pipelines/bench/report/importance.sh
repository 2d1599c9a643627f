#!/usr/bin/env bash
# Interpretability, measured (issue 18): does the importance ranking that
# ar-report computes from a short search agree with the one of the whole
# space?  For each replay study of examples/replay:
#
#   truth     every valid configuration, brute-forced (ar-propose
#             --strategy grid with a budget of the whole space, through
#             ar-compile, ar-bench and ar-score on the replay backend),
#             ranked by `ar-report --importance data`: group means of the
#             measured values, exact for the whole space;
#   estimate  the history of pipelines/tune.mk (STRATEGY auto, EVALS 100,
#             BATCH 8, SEED 0 .. SEEDS-1), ranked by `ar-report` with its
#             default, --importance gp.
#
# Both rankings are read from the "importance (...): P1 0.41, P2 0.22, ..."
# line of `ar-report --text`, which lists only the parameters with more
# than one value (those with one explain nothing, and are left out).
# Spearman's rank correlation of the two, per study and seed: ranks from
# the shares as printed (three decimals), ties given their average rank, so
# that two parameters both at 0.000 count as tied on either side; and, as
# a second figure, ranks from the order of the line (ties broken as
# ar-report sorts them).  Printed: one line per study (its seeds and
# their mean), the mean over every study and seed, and the worst study
# by its mean over seeds.  Target (issue 18): mean >= 0.8.
#
#   pipelines/bench/report/importance.sh
#   SEEDS=2 DATASETS='MI50_convolution_15x15 pnpoly_RTX_3090' \
#       pipelines/bench/report/importance.sh
#
# Environment:
#   SEEDS (5)  EVALS (100)  BATCH (8)  STRATEGY (auto)
#   DATASETS    names of examples/replay/NAME.json (all of them)
#   METHOD      --importance of the estimate (gp)
#   JOBS        tune.mk runs at a time (the number of cores)
#   AR_BIN      the programs (else built in build/bench/bin)
#   OUT         where runs and results go (build/bench/importance); a
#               history that is there is not made again
#
# Needs the cache files of examples/replay (its README) and python3.
# Time (2-core AMD EPYC, shared): about 6 s a tune.mk run and 1 s a
# brute force, 7 minutes for the 60 runs of the default.
set -euo pipefail
cd "$(dirname "$0")/../../.."
seeds=${SEEDS:-5} evals=${EVALS:-100} batch=${BATCH:-8}
strategy=${STRATEGY:-auto} method=${METHOD:-gp}
out=${OUT:-build/bench/importance}
jobs=${JOBS:-$(nproc)}
if [ -z "${AR_BIN:-}" ]; then
	make -s O=build/bench all
	AR_BIN=$PWD/build/bench/bin
fi
export PATH="$AR_BIN:$PATH"
if [ -z "${DATASETS:-}" ]; then
	DATASETS=$(cd examples/replay && ls *.json | sed 's/\.json$//')
fi
mkdir -p "$out/full" "$out/runs"
command -v python3 >/dev/null || { echo "importance.sh: python3 not found" >&2; exit 1; }
echo "# $(date -u +%FT%TZ) $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d ' ' -f 1-3 /proc/loadavg)" >&2
start=$SECONDS

# The brute forces, one after another (a second each).
for d in $DATASETS; do
	s=examples/replay/$d.json f=$out/full/$d.jsonl
	[ -e "$f" ] && continue
	n=$(ar-propose -s "$s" --count)
	ar-propose -s "$s" --strategy grid -n "$n" | ar-compile -s "$s" |
	    ar-bench -s "$s" | ar-score -s "$s" >"$f.tmp"
	[ "$(wc -l <"$f.tmp")" -eq "$n" ] ||
	    { echo "importance.sh: $d: not $n records" >&2; exit 1; }
	mv "$f.tmp" "$f"
done

# The searches, JOBS at a time; tune.mk resumes or skips what is made.
for d in $DATASETS; do
	for ((k = 0; k < seeds; k++)); do
		r=$out/runs/$d.$strategy.e$evals.b$batch.s$k
		[ -e "$r/history.jsonl" ] && continue
		printf '%s\0' "make -s -f pipelines/tune.mk STUDY=examples/replay/$d.json \
STRATEGY=$strategy EVALS=$evals BATCH=$batch SEED=$k OUT=$r BIN=$AR_BIN >$r.log 2>&1 \
|| { cat $r.log >&2; exit 255; }"
	done
done | xargs -0 -r -P "$jobs" -I{} bash -c {}

# The importance lines: "NAME truth|SEED LINE".
lines=$out/lines.$strategy.e$evals.b$batch.$method.txt
for d in $DATASETS; do
	s=examples/replay/$d.json
	printf '%s truth %s\n' "$d" "$(ar-report -s "$s" --text \
	    --importance data "$out/full/$d.jsonl" | grep '^importance')"
	for ((k = 0; k < seeds; k++)); do
		h=$out/runs/$d.$strategy.e$evals.b$batch.s$k/history.jsonl
		printf '%s %s %s\n' "$d" "$k" "$(ar-report -s "$s" --text \
		    --importance "$method" "$h" | grep '^importance')"
	done
done >"$lines"

python3 - "$lines" <<'EOF'
import sys

def parse(line):
    # "importance (gp, 100 ok): A 0.41, B 0.22; pair A x B 0.05"
    if ':' not in line or line.startswith('importance none'):
        return None
    body = line.split(':', 1)[1].split(';')[0]
    return [(w.split()[0], float(w.split()[1]))
            for w in body.split(',') if w.strip()]

def ranks(v):
    o = sorted(range(len(v)), key=lambda i: v[i])
    r, i = [0.0] * len(v), 0
    while i < len(o):
        j = i
        while j + 1 < len(o) and v[o[j + 1]] == v[o[i]]:
            j += 1
        for k in range(i, j + 1):
            r[o[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    c = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    da = sum((x - ma) ** 2 for x in a) ** 0.5
    db = sum((y - mb) ** 2 for y in b) ** 0.5
    return c / (da * db) if da > 0 and db > 0 else float('nan')

truth, est, order = {}, {}, []
for l in open(sys.argv[1]):
    d, k, line = l.rstrip('\n').split(' ', 2)
    if k == 'truth':
        truth[d] = parse(line)
        order.append(d)
    else:
        est.setdefault(d, []).append((k, parse(line)))

def rho(t, e, by_order):
    names = [n for n, _ in t]
    pe = dict(e)
    if by_order:
        pos = {n: -i for i, (n, _) in enumerate(e)}
        return pearson(ranks([-i for i in range(len(t))]),
                       ranks([pos[n] for n in names]))
    return pearson(ranks([v for _, v in t]), ranks([pe[n] for n in names]))

for by_order, title in ((False, 'shares as printed, ties averaged'),
                        (True, 'order of the line')):
    print(f'# Spearman, {title}')
    allr, means = [], {}
    for d in order:
        t, rs = truth[d], []
        for k, e in est.get(d, []):
            if t is None or e is None or set(n for n, _ in t) != \
                    set(n for n, _ in e):
                print(f'{d} seed {k}: no ranking to compare', file=sys.stderr)
                continue
            rs.append(rho(t, e, by_order))
        good = [r for r in rs if r == r]
        allr += good
        means[d] = sum(good) / len(good) if good else float('nan')
        print(f'{d:26s} {len(t):2d} params  ' +
              ' '.join(f'{r:5.2f}' for r in rs) + f'  mean {means[d]:.3f}')
    worst = min(means, key=lambda d: means[d])
    print(f'mean {sum(allr) / len(allr):.3f} over {len(allr)} runs; '
          f'worst {worst} {means[worst]:.3f}')
EOF
echo "# $((SECONDS - start)) s; load $(cut -d ' ' -f 1-3 /proc/loadavg); lines in $lines" >&2
