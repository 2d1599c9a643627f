#!/usr/bin/env bash
# The architecture search of examples/nas against its anchors, on one
# split of the digits data set:
#
#   pipelines/bench/nas/run.sh        (EVALS=100, OUT=runs/bench-nas)
#
# 1. the search: tune.mk over examples/nas/study.json, EVALS evaluations
#    in rounds of 8, under nice -n 10 (its figures are accuracies and
#    parameter counts, not times), with the wall and CPU time it took
#    and the load average around it;
# 2. the anchors: anchor.py trains scikit-learn's MLPClassifier (its
#    defaults, random_state 0 to 4) and an RBF SVC (its defaults) on the
#    split that `mlp --dump-split` exports, checked row by row;
# 3. the Pareto front of the history (validation accuracy up, parameters
#    down; the records of rank 1 when ar-score ranks the whole history),
#    each point's test accuracy (the mean of the
#    three trainings the search made, from seeds 1 to 3), the test
#    accuracy of the same architecture trained again from seeds 4 to 6,
#    which the search never saw, and its inference latency measured again with
#    nothing else of ours running (flock /tmp/ar/bench.lock when it
#    exists; --epochs 0 trains nothing, the time of a forward pass does
#    not depend on the weights' values);
# 4. the verdict: does a point of the front beat MLPClassifier's test
#    accuracy (the mean over its five seeds) with fewer parameters, and
#    the gap to the SVC.
#
# A finished search is not run again (tune.mk does nothing), so running
# this twice reports the same front; remove OUT to start afresh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
nas=$root/examples/nas
OUT=${OUT:-$root/runs/bench-nas}
EVALS=${EVALS:-100}
DIGITS=${DIGITS:-/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz}
if [ -z "${BIN:-}" ]; then
	make -s -C "$root"
	BIN=$root/bin
fi
make -s -C "$nas"
python=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import sklearn' 2>/dev/null; then python=$p; break; fi
done
[ -n "$python" ] || { echo "run.sh: no python3 with sklearn (make deps installs python3-sklearn)" >&2; exit 2; }
mkdir -p "$OUT"

echo "== the search: $EVALS evaluations of examples/nas/study.json"
echo "load before: $(uptime)"
# shellcheck disable=SC2016
/usr/bin/time -f '%e s wall, %U s user, %S s system' -o "$OUT/time.txt" \
    nice -n 10 make -s -f "$root/pipelines/tune.mk" BIN="$BIN" \
    STUDY="$nas/study.json" OUT="$OUT" EVALS="$EVALS" BATCH="${BATCH:-8}" \
    ${STRATEGY:+STRATEGY="$STRATEGY"} ${SEED:+SEED="$SEED"}
echo "load after:  $(uptime)"
echo "search: $(cat "$OUT/time.txt") (this call; a finished search is not run again)"
h=$OUT/history.jsonl
echo "records: $(wc -l <"$h"), $(jq -s 'map(select(.status == "ok")) | length' "$h") ok"

echo
echo "== the anchors (scikit-learn on the same split)"
"$nas/mlp" --data "$DIGITS" --dump-split "$OUT/split.csv"
"$python" "$here/anchor.py" "$DIGITS" "$OUT/split.csv" >"$OUT/anchors.jsonl"
jq -r '[.model, (.seed // "-"), .val_acc, .test_acc, .params] | @tsv' \
    "$OUT/anchors.jsonl" |
    awk -F'\t' 'BEGIN { printf "%-14s %4s %8s %8s %7s\n", "model", "seed", "val", "test", "params" }
	{ printf "%-14s %4s %8.4f %8.4f %7d\n", $1, $2, $3, $4, $5 }'
mlp_test=$(jq -s 'map(select(.model == "MLPClassifier") | .test_acc) | add / length' "$OUT/anchors.jsonl")
mlp_best=$(jq -s 'map(select(.model == "MLPClassifier") | .test_acc) | max' "$OUT/anchors.jsonl")
mlp_params=$(jq -s 'map(select(.model == "MLPClassifier") | .params) | first' "$OUT/anchors.jsonl")
svc_test=$(jq -s 'map(select(.model == "SVC") | .test_acc) | first' "$OUT/anchors.jsonl")
printf 'MLPClassifier: test %.4f (mean of 5 seeds, best %.4f), %d parameters\n' \
    "$mlp_test" "$mlp_best" "$mlp_params"
printf 'SVC (RBF):     test %.4f\n' "$svc_test"

echo
echo "== the Pareto front of the history (val_acc up, params down)"
# The whole history ranked again by ar-score: rank 1 is the front.
"$BIN/ar-score" -s "$nas/study.json" "$h" |
    jq -sc 'map(select(.pareto == 1)) |
    sort_by([.output.params, .output.val_acc, .id]) | .[]' >"$OUT/front.jsonl"
# Each point again from three more training seeds (4 to 6); then the latency of
# every point measured again in one hold of the bench lock.
lock=/tmp/ar/bench.lock
[ -d /tmp/ar ] || lock=$OUT/bench.lock
jq -r '.params | ["--depth", .DEPTH, "--widths", "\(.W1),\(.W2),\(.W3)",
    "--act", .ACT, "--skip", .SKIP, "--dropout", .DROPOUT, "--lr", .LR,
    "--wd", .WD, "--batch", .BATCH, "--epochs", .EPOCHS] | map(tostring) | @tsv' \
    "$OUT/front.jsonl" >"$OUT/front-args.tsv"
: >"$OUT/front-seeds.txt"
while IFS=$'\t' read -r -a args; do
	nice -n 10 "$nas/mlp" --data "$DIGITS" "${args[@]}" --seed 4 --runs 3 |
	    jq -c .test_accs >>"$OUT/front-seeds.txt"
done <"$OUT/front-args.tsv"
# shellcheck disable=SC2016
flock "$lock" bash -c 'echo "latency measured from $(uptime)" >&2
	while IFS=$'"'\\t'"' read -r -a a; do
		"$0" --data "$1" "${a[@]}" --epochs 0 | jq .latency_s
	done' "$nas/mlp" "$DIGITS" <"$OUT/front-args.tsv" >"$OUT/front-latency.txt"
paste -d '\t' "$OUT/front.jsonl" "$OUT/front-seeds.txt" "$OUT/front-latency.txt" |
    while IFS=$'\t' read -r rec t lat; do
	jq -c --argjson t "$t" --argjson lat "$lat" \
	    '{id, params, out: .output, more_test: $t, latency_quiet_s: $lat}' <<<"$rec"
    done >"$OUT/front-more.jsonl"
printf '%7s %7s %7s %13s %10s %10s  %s\n' params val test "test s4-6" "lat us" "quiet us" architecture
jq -r '[.out.params, .out.val_acc, .out.test_acc, (.more_test | add / length),
    (.more_test | min), (.more_test | max), .out.latency_s * 1e6, .latency_quiet_s * 1e6,
    (.params | "depth \(.DEPTH) [\([.W1, .W2, .W3][:.DEPTH] | join(","))] \(.ACT) \(.SKIP) drop \(.DROPOUT) lr \(.LR) wd \(.WD) batch \(.BATCH) epochs \(.EPOCHS)")] | @tsv' \
    "$OUT/front-more.jsonl" |
    awk -F'\t' '{ printf "%7d %7.4f %7.4f %6.4f±%.3f %10.3f %10.3f  %s\n", $1, $2, $3, $4, ($6 - $5) / 2, $7, $8, $9 }'
echo "(val, test: the means of the search's trainings, seeds 1 to 3; test s4-6:
 the mean over training seeds 4 to 6, ± half their range;"
echo " lat us: measured during the search, quiet us: again under the bench lock)"
echo "load now: $(uptime)"

echo
echo "== the verdict"
jq -rs --argjson mt "$mlp_test" --argjson mb "$mlp_best" --argjson mp "$mlp_params" --argjson st "$svc_test" '
    (map(select(.out.params < $mp))) as $small |
    ($small | map(select(.out.test_acc > $mt))) as $win |
    ($small | map(select(.out.test_acc > $mb))) as $winbest |
    ($small | map(select((.more_test | add / length) > $mt))) as $winmore |
    (max_by(.out.test_acc)) as $top |
    "front points with fewer parameters than MLPClassifier (\($mp)): \($small | length) of \(length)",
    "  beating its mean test accuracy \($mt * 10000 | round / 10000) (seeds 1 to 3, as searched): \($win | length)" +
	(if ($win | length) > 0 then ", e.g. \($win | max_by(.out.test_acc) | "\(.out.params) parameters, test \(.out.test_acc * 10000 | round / 10000)")" else "" end),
    "  beating its best seed \($mb * 10000 | round / 10000): \($winbest | length)",
    "  beating its mean with the mean of seeds 4 to 6: \($winmore | length)",
    "target (a front point beats MLPClassifier'"'"'s test accuracy with fewer parameters): \(if ($win | length) > 0 then "met" else "missed" end)",
    "gap to the SVC (test \($st * 10000 | round / 10000)): the front'"'"'s best test accuracy \($top.out.test_acc * 10000 | round / 10000) (\($top.out.params) parameters) is \(($top.out.test_acc - $st) * 10000 | round / 100) points from it"' \
    "$OUT/front-more.jsonl"
