#!/usr/bin/env bash
# Benchmark: this tree beside an earlier commit, for a change that must
# move neither behaviour nor speed (issue 15's restructuring).  REV is
# built in a worktree of its own (build/compare/REV); then, one job at a
# time, each PART:
#
#   proposals   make demo's rounds (runs/demo, made first when missing)
#               proposed again, round by round, by REV's and this tree's
#               ar-learn --rebuild and ar-propose with tune.mk's flags:
#               the models and proposals must be byte for byte the same,
#               and the ids those the demo proposed
#   strategies  strategies/run.sh with SEEDS (3) in both trees: the tables
#               and results must be identical, and every run file but for
#               the path of its prior, which names the tree
#   stages, overhead, propose
#               that script in both trees, alternating, REPS times each
#   csv         `ar-score --csv` over stages.sh's 100k-record history,
#               PAIRS alternating pairs under /usr/bin/time: user CPU
#
# Results in BENCHMARKS.md ("One house (issue 15)").
#
# usage: pipelines/bench/compare.sh REV [PART...]   (default: every part)
# environment: SEEDS (3), REPS (2), PAIRS (7)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: pipelines/bench/compare.sh REV [PART...]" >&2; exit 2; }
rev=$(git rev-parse --short "$1")
shift
parts=${*:-proposals strategies stages overhead propose csv}
seeds=${SEEDS:-3} reps=${REPS:-2} pairs=${PAIRS:-7}
dir=build/compare
old=$dir/$rev
mkdir -p $dir
# The replay studies name their cache files in ../shared beside the
# checkout: the same place, seen from the worktree two folders down.
[ ! -d ../shared ] || ln -sfn ../../../shared $dir/shared
if [ ! -d "$old" ]; then
	git worktree add -q --detach "$old" "$rev"
fi
make -s -C "$old" all
make -s all
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $rev against $(git rev-parse --short HEAD) and the working tree"

proposals() {
	local study=kernels/sgemm/cpu.json n=1024 r k v same=0 differ=0
	local defs=(-D M=$n -D N=$n -D K=$n -D MAXT="$(nproc)")
	[ -n "$(ls runs/demo/rounds/*.jsonl 2>/dev/null)" ] ||
	    pipelines/demo.sh >/dev/null
	local rounds=(runs/demo/rounds/*.jsonl) out=$dir/proposals
	mkdir -p $out
	for ((r = 1; r <= ${#rounds[@]}; r++)); do
		local h=() prev=()
		for ((k = 1; k < r; k++)); do
			h+=(-H "${rounds[k-1]}")
			prev+=("${rounds[k-1]}")
		done
		for v in old new; do
			local bin=bin
			[ $v = new ] || bin=$old/bin
			rm -f $out/m.$v.json
			cat "${prev[@]}" /dev/null |
			    $bin/ar-learn -s $study -m $out/m.$v.json --rebuild >/dev/null
			$bin/ar-propose -s $study "${defs[@]}" "${h[@]}" \
			    -m $out/m.$v.json -n 8 --round $r --seed 1 \
			    --strategy auto >$out/p.$v.$r.jsonl
		done
		if cmp -s $out/m.old.json $out/m.new.json &&
		    cmp -s $out/p.old.$r.jsonl $out/p.new.$r.jsonl &&
		    cmp -s <(jq -r .id $out/p.new.$r.jsonl) <(jq -r .id "${rounds[r-1]}"); then
			same=$((same + 1))
		else
			differ=$((differ + 1))
			echo "round $r differs"
		fi
	done
	echo "proposals: $same rounds the same, $differ differ"
}

strategies() {
	local a=$PWD/$dir/strategies-old b=$PWD/$dir/strategies-new f g base
	local differ=0 n=0
	rm -rf $a $b
	(cd "$old" && SEEDS=$seeds OUT=$a \
	    pipelines/bench/strategies/run.sh >/dev/null 2>&1)
	SEEDS=$seeds OUT=$b pipelines/bench/strategies/run.sh >/dev/null 2>&1
	diff $a/table.*.md $b/table.*.md >/dev/null &&
	    echo "strategies: the tables are identical" ||
	    echo "strategies: the tables DIFFER"
	cmp -s <(jq -cS . $a/results.*.jsonl) <(jq -cS . $b/results.*.jsonl) &&
	    echo "strategies: the results are identical" ||
	    echo "strategies: the results DIFFER"
	# A file's name ends in the simulator's hash, which differs.
	for f in $a/runs/*.jsonl $a/prior/*.jsonl; do
		base=${f#$a/}
		g=$(ls $b/"${base%.*.jsonl}".*.jsonl | head -n 1)
		n=$((n + 1))
		cmp -s <(jq -cS 'del(.prior)' "$f") <(jq -cS 'del(.prior)' "$g") ||
		    differ=$((differ + 1))
	done
	echo "strategies: $n run and prior files, $differ differ (the prior's path aside)"
}

# both SCRIPT ARGS...: the script in REV's tree, then in this one, REPS
# times, with the load before each.
both() {
	local i t
	for i in $(seq "$reps"); do
		for t in "$old" .; do
			echo "== $1 $([ "$t" = . ] && echo new || echo "$rev") rep $i load $(load)"
			(cd "$t" && "pipelines/bench/$@") 2>&1 | grep -v '^#'
		done
	done
}

csv() {
	local study=build/bench/stages-study.json hist=build/bench/history-100k.jsonl i v
	[ -s $study ] && [ -s $hist ] || pipelines/bench/stages.sh 1 >/dev/null 2>&1
	echo "== csv: $pairs pairs of ar-score --csv, user CPU seconds, load $(load)"
	for i in $(seq "$pairs"); do
		for v in old new; do
			local bin=bin
			[ $v = new ] || bin=$old/bin
			/usr/bin/time -f "$v %U" $bin/ar-score -s $study --csv $hist \
			    2>&1 >/dev/null | tail -n 1
		done
	done | awk '{ t[$1] = t[$1] " " $2 } END { print "old:" t["old"]; print "new:" t["new"] }'
}

for p in $parts; do
	case $p in
	proposals) proposals ;;
	strategies) strategies ;;
	stages) both stages.sh 5 ;;
	overhead) both overhead.sh 7 ;;
	propose) both propose.sh ;;
	csv) csv ;;
	*) echo "compare.sh: no part '$p'" >&2; exit 2 ;;
	esac
done
