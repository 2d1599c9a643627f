#!/usr/bin/env bash
# Benchmark (issue 19): how many candidates a second the loop itself can
# absorb, where measuring costs nothing: the replay study of CLBlast's
# GEMM on the RTX 3090 (examples/replay/gemm_RTX_3090.json, 17,956
# configurations; each "measurement" is a look-up), ROUNDS rounds of
# BATCH proposals (default 5 x 1,000, STRATEGY=random), on a fresh OUT
# each time:
#
#   local  tune.mk as it is: ar-compile | ar-bench here
#   hosts  HOSTS=1/w1,1/w2 over loopback ssh (tests/loopback-ssh), SLICE
#          auto: each round in two jobs of BATCH/2
#
# Then where a round's time goes: the stages that tune.mk's run-round and
# its model and history targets run, each run directly with the inputs
# tune.mk gives them, round by round over the rounds of the first local
# run, each timed alone (the lock held) REPS times:
#
#   budget    the jq of tune.mk's `budget` over the earlier rounds (what
#             they spent; run-round reads it before anything else)
#   learn     ar-learn of the round before into the model of the rounds
#             before that (update-model), with its `jq .evals` of the
#             model and `wc -l` of the rounds
#   propose   ar-propose -H each earlier round -m the model -n BATCH
#   history   the earlier rounds concatenated into NNN.history.tmp
#   measure   ar-compile -j 2 | ar-bench here (local)
#   hosts     pipelines/hosts.sh over the two hosts (the whole of it) ...
#   parallel  ... of which GNU parallel (the command hosts.sh runs) ...
#   gather    ... and pipelines/gather.jq on parallel's output
#   score     ar-score --against NNN.history.tmp
#   check     the jq that counts the round's ok and scored records
# and, once a run, what does not grow with the rounds: `finished`,
# tune.mk on a study whose rounds are all made (make's reading of the
# rounds, the history, the model and the summary).  make's own part is
# the rest: the loop's time less the stages' and less `finished`.
#
# Prints a comment line with the processor and load, then JSON lines:
#   {"loop", "candidates", "rounds", "runs": [s...], "median_s", "candidates_per_s", "load"}
#   {"stage", "runs", "per_round_s": [median of round 1, 2, ...], "total_s"}
#   {"rest": "local"|"hosts", "make_s", "per_round_s"}
# Results in BENCHMARKS.md.
#
# usage: pipelines/bench/scale/absorb.sh
# environment: REPS (3), ROUNDS (5), BATCH (1000), STRATEGY (random),
#   STUDY (examples/replay/gemm_RTX_3090.json), O (build/scale), LOCK.
#   About 3 minutes on 2 cores.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"
reps=${REPS:-3} rounds=${ROUNDS:-5} batch=${BATCH:-1000}
strategy=${STRATEGY:-random}
study=$root/${STUDY:-examples/replay/gemm_RTX_3090.json}
src=$(jq -r .source "$study")
[ -e "$(dirname "$study")/$src" ] ||
    { echo "absorb.sh: the study's data $src is missing (../shared/datasets)" >&2; exit 1; }
evals=$((rounds * batch))

"$root/tests/loopback-ssh" start "$dir/ssh" w1 w2
undo+=("'$root/tests/loopback-ssh' stop '$dir/ssh'")
ssh="ssh -F $dir/ssh/ssh_config"
hosts=1/w1,1/w2
cpu_line >&2

declare -A loop
for c in local hosts; do
	case $c in
	local) args=() ;;
	hosts) args=(HOSTS="$hosts" SSH="$ssh") ;;
	esac
	load=$(load1)
	runs=()
	for ((r = 0; r < reps; r++)); do
		d=$dir/$c-$r
		mkdir -p "$d"
		runs+=("$(timed tune "$d" OUT=out EVALS=$evals BATCH="$batch" STRATEGY="$strategy" "${args[@]}")")
		[ "$(wc -l <"$d/out/history.jsonl")" = $evals ] ||
		    { echo "absorb.sh: $c made $(wc -l <"$d/out/history.jsonl") records, not $evals" >&2; exit 1; }
		# Every run makes the same history, but for the host.
		cmp -s <(sed 's/,"host":"[^"]*"//' "$d/out/history.jsonl") "$dir/local-0/out/history.jsonl" ||
		    { echo "absorb.sh: $c run $r made another history than local run 0" >&2; exit 1; }
	done
	m=$(printf '%s\n' "${runs[@]}" | median)
	loop[$c]=$m
	printf '{"loop":"%s","candidates":%d,"rounds":%d,"runs":[%s],"median_s":%s,"candidates_per_s":%s,"load":%s}\n' \
	    "$c" $evals "$rounds" "$(IFS=,; echo "${runs[*]}")" "$m" \
	    "$(awk -v n=$evals -v m="$m" 'BEGIN { printf "%.0f", n / m }')" "$load"
done

# The stages, round by round, with the inputs of the first local run.
src_out=$dir/local-0/out
w=$dir/stages
mkdir -p "$w"
export AR_HISTORY
declare -A sum
# stage NAME CMD...: times CMD (stdout to $w/NAME.out) REPS times, prints
# the median; the outputs must agree with what tune.mk made (checked by
# the caller).
stage() {
	local name=$1 i t0 rc runs=()
	shift
	for ((i = 0; i < reps; i++)); do
		[ "$name" != learn ] || [ ! -e "$w/model0.json" ] || cp "$w/model0.json" "$w/model.json"
		exec 7>>"$lock"
		flock 7
		t0=$EPOCHREALTIME
		rc=0
		"$@" >"$w/$name.out" || rc=$?
		runs+=("$(since "$t0")")
		exec 7>&-
		[ $rc = 0 ] || { echo "absorb.sh: stage $name failed ($rc)" >&2; exit 1; }
	done
	printf '%s\n' "${runs[@]}" | median
}
declare -A per
budget_jq=$(cat <<'EOF'
reduce inputs as $r ([0, 0]; [.[0] + 1, .[1] + (($r.cost_s | numbers) // 0)]) |
. + [if ($secs != null and .[1] >= $secs) then 0
    elif $evals != null then [$batch, $evals - .[0], 0] | sort | .[1]
    else $batch end] | map(tostring) | join(" ")
EOF
)
names=(budget learn propose history measure hosts parallel gather score check)
for n in "${names[@]}"; do per[$n]=; done
inner="set -o pipefail; [ \"\$PARALLEL_SSHHOST\" = : ] || export AR_HOST=\"\$PARALLEL_SSHHOST\";"
inner+=" $(printf '%q ' "$bin/ar-compile" -s "$study" -j 1 --cache "$w/cache" --variants "$w/variants") |"
inner+=" $(printf '%q ' "$bin/ar-bench" -s "$study" --cache "$w/cache" --variants "$w/variants")"
for ((k = 1; k <= rounds; k++)); do
	prev=() h=()
	for ((j = 1; j < k; j++)); do
		f=$src_out/rounds/$(printf %03d $j).jsonl
		prev+=("$f") h+=(-H "$f")
	done
	# tune.mk's budget (the same jq, with EVALS and BATCH).
	# shellcheck disable=SC2016
	t=$(stage budget bash -c 'cat "${@:4}" /dev/null | jq -rn --argjson batch "$1" \
	    --argjson evals "$2" --argjson secs null "$3"' _ "$batch" $evals "$budget_jq" "${prev[@]}")
	per[budget]+=" $t"
	[ "$(cut -d' ' -f3 "$w/budget.out")" = "$batch" ] ||
	    { echo "absorb.sh: round $k: the budget is $(cat "$w/budget.out")" >&2; exit 1; }
	# The model as update-model finds it before round k: up to date with
	# the rounds before k - 1, so that it learns round k - 1.
	# (Round 1's is a model of nothing, rebuilt.)
	rm -f "$w/model0.json" "$w/model.json"
	if [ $k -gt 1 ]; then
		cat "${prev[@]:0:k-2}" /dev/null |
		    "$bin/ar-learn" -s "$study" -m "$w/model0.json" --rebuild >/dev/null
		# shellcheck disable=SC2016
		t=$(stage learn bash -c 'jq -r ".evals // -1" "$2" >/dev/null; cat "${@:4}" | wc -l >/dev/null
		    "$1" -s "$3" -m "$2" "${@: -1}"' _ "$bin/ar-learn" "$w/model.json" "$study" "${prev[@]}")
	else
		t=$(stage learn "$bin/ar-learn" -s "$study" -m "$w/model.json" --rebuild /dev/null)
	fi
	per[learn]+=" $t"
	t=$(stage history cat "${prev[@]}" /dev/null)
	per[history]+=" $t"
	cp "$w/history.out" "$w/history.tmp"
	AR_HISTORY=$w/history.tmp
	t=$(stage propose "$bin/ar-propose" -s "$study" "${h[@]}" -m "$w/model.json" -n "$batch" \
	    --round $k --seed 0 --strategy "$strategy" --variants "$w/variants")
	per[propose]+=" $t"
	cmp -s <(jq -c '{id, params}' "$w/propose.out") \
	    <(jq -c '{id, params}' "$src_out/rounds/$(printf %03d $k).jsonl") ||
	    { echo "absorb.sh: round $k: ar-propose proposed other configurations than tune.mk" >&2; exit 1; }
	cp "$w/propose.out" "$w/proposals"
	# shellcheck disable=SC2016
	t=$(stage measure bash -o pipefail -c '"$1" -s "$2" -j 2 --cache "$3" --variants "$4" <"$5" |
	    "$6" -s "$2" --cache "$3" --variants "$4"' _ "$bin/ar-compile" "$study" "$w/cache" \
	    "$w/variants" "$w/proposals" "$bin/ar-bench")
	per[measure]+=" $t"
	cp "$w/measure.out" "$w/records"
	# shellcheck disable=SC2016
	t=$(stage hosts bash -c '"${@:2}" <"$1"' _ "$w/proposals" "$root/pipelines/hosts.sh" -S $hosts --ssh "$ssh" --wd "$dir" --env AR_HISTORY -- \
	    "$bin/ar-compile" -s "$study" -j 1 --cache "$w/cache" --variants "$w/variants" '|' \
	    "$bin/ar-bench" -s "$study" --cache "$w/cache" --variants "$w/variants")
	per[hosts]+=" $t"
	cmp -s <(sed 's/,"host":"[^"]*"//' "$w/hosts.out") "$w/records" ||
	    { echo "absorb.sh: round $k: hosts.sh made other records than the local pipeline:" >&2
	      diff <(sed 's/,"host":"[^"]*"//' "$w/hosts.out") "$w/records" | head -n 4 >&2; exit 1; }
	# hosts.sh's two parts: the command it gives GNU parallel, then gather.jq.
	slice=$(( (batch + 1) / 2 ))
	# shellcheck disable=SC2016
	t=$(stage parallel bash -c 'rm -f "$1/joblog"; parallel --pipe -N "$2" --keep-order --tagstring "{#}" \
	    --joblog "$1/joblog" --retries 1 -S "$3" --ssh "$4" --wd "$5" --env AR_HISTORY \
	    "bash -c $(printf %q "$6")" <"$1/proposals"' _ "$w" $slice $hosts "$ssh" "$dir" "$inner")
	per[parallel]+=" $t"
	cp "$w/parallel.out" "$w/results"
	t=$(stage gather jq -nr --argjson k $slice --rawfile jobs "$w/joblog" --rawfile out "$w/results" \
	    --arg here "$(hostname)" -f "$root/pipelines/gather.jq" "$w/proposals")
	per[gather]+=" $t"
	cmp -s <(sed 's/,"host":"[^"]*"//' "$w/gather.out") "$w/records" ||
	    { echo "absorb.sh: round $k: gather.jq on parallel's output is not what hosts.sh printed" >&2; exit 1; }
	t=$(stage score "$bin/ar-score" -s "$study" --against "$w/history.tmp" "$w/records")
	per[score]+=" $t"
	cmp -s "$w/score.out" "$src_out/rounds/$(printf %03d $k).jsonl" ||
	    { echo "absorb.sh: round $k: ar-score made another round than tune.mk" >&2; exit 1; }
	t=$(stage check jq -rn '[inputs] | [map(select(.status == "ok")),
	    map(select(.score | numbers))] | map(length) | @tsv' "$w/score.out")
	per[check]+=" $t"
done
for n in "${names[@]}"; do
	read -ra v <<<"${per[$n]}"
	sum[$n]=$(printf '%s\n' "${v[@]}" | awk '{ s += $1 } END { printf "%.4f", s }')
	printf '{"stage":"%s","runs":%d,"per_round_s":[%s],"total_s":%s}\n' "$n" "$reps" \
	    "$(IFS=,; echo "${v[*]}")" "${sum[$n]}"
done
finished=$(for ((i = 0; i < reps; i++)); do
	timed tune "$dir/local-0" OUT=out EVALS=$evals BATCH="$batch" STRATEGY="$strategy"
done | median)
printf '{"stage":"finished","runs":%d,"total_s":%s}\n' "$reps" "$finished"
for c in local hosts; do
	own=$(awk -v l="${loop[$c]}" -v f="$finished" -v a="${sum[learn]}" -v b="${sum[propose]}" \
	    -v h="${sum[history]}" -v m="${sum[$([ $c = local ] && echo measure || echo hosts)]}" \
	    -v s="${sum[score]}" -v k="${sum[check]}" -v g="${sum[budget]}" \
	    'BEGIN { printf "%.4f", l - f - a - b - h - m - s - k - g }')
	printf '{"rest":"%s","make_s":%s,"per_round_s":%s}\n' "$c" "$own" \
	    "$(awk -v o="$own" -v r="$rounds" 'BEGIN { printf "%.4f", o / r }')"
done
