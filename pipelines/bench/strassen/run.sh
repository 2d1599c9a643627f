#!/bin/bash
# run.sh [SCHEME] -- one level of a 2x2 scheme (default: the discovery
# example's Strassen) over the tuned SGEMM of kernels/sgemm, against the
# plain tuned SGEMM, at N = 4096 and 8192; and the same over OpenBLAS's
# cblas_sgemm, as context.  Each kernel, plain and inside the scheme, is
# the same object file: the same parameters, compiled once.
#
#   SIZES="4096 8192"   the N to run
#   REPEAT=3            runs of each (plain and scheme in turn) at N > 4096,
#   REPEAT_SMALL=5      and at N <= 4096; medians
#   CONFIGS="tuned:1 tuned:2 openblas:1 openblas:2"   kernel:threads
#   SGEMM="VW=8 ..."    kernels/sgemm's parameters; default: the best of
#                       runs/xform/sgemm-one (pipelines/bench/xform/
#                       template.sh) where it exists, else the best that
#                       BENCHMARKS.md records from it (issue 16)
#
# The timing holds /tmp/ar/bench.lock (one timing at a time on a shared
# machine), one kernel and thread count at a time.  One thread runs
# pinned to core 0.  OMP_WAIT_POLICY=passive for every run: an OpenMP
# thread that spins between parallel regions (libgomp's default) takes
# the core from the thread doing the scheme's sums of blocks and from
# OpenBLAS's threads, and on this 2-core machine shared with other jobs
# it made both the plain kernel and the scheme several times slower on
# two threads (measured: scheme 9 GFLOP/s instead of 79 at N=1024).
# Results: runs/strassen/results.jsonl, and a table.
set -euo pipefail
cd "$(dirname "$0")/../../.."
scheme=${1:-examples/discovery/schemes/strassen.json}
[ -e "$scheme" ] || scheme=examples/discovery/codegen/strassen.json
SIZES=${SIZES:-4096 8192}
REPEAT=${REPEAT:-3}
REPEAT_SMALL=${REPEAT_SMALL:-5}
CONFIGS=${CONFIGS:-tuned:1 tuned:2 openblas:1 openblas:2}
CC=${CC:-cc}
out=runs/strassen
b=$out/build
mkdir -p $b
hist=runs/xform/sgemm-one/history.jsonl
if [ -z "${SGEMM:-}" ] && [ -s $hist ]; then
	SGEMM=$(jq -rs 'map(select(.status == "ok")) | min_by(.time_s) |
	    .params | del(.THREADS, .PAR) | to_entries |
	    map("\(.key)=\(.value)") | join(" ")' $hist)
fi
SGEMM=${SGEMM:-VW=8 MR=4 NR=16 KC=512 MC=840 NC=2048 KU=8 PF=0}
defs=$(for kv in $SGEMM; do printf -- '-D %s ' "$kv"; done)
flags="-O3 -march=native -fopenmp"

make -s -C examples/discovery/codegen scheme2c
gen=examples/discovery/codegen/scheme2c
$gen -o $b/scheme_tuned.c "$scheme"
$gen --kernel blas_sgemm --name scheme_blas -o $b/scheme_blas.c "$scheme"
for t in 1 2; do
	par=$([ $t = 1 ] && echo 0 || echo "${PAR:-0}")
	$CC $flags $defs -D THREADS=$t -D PAR=$par -c -o $b/sgemm$t.o kernels/sgemm/sgemm.c
	$CC -std=c11 $flags -c -o $b/scheme_tuned.o $b/scheme_tuned.c
	$CC -std=c11 $flags -c -o $b/scheme_blas.o $b/scheme_blas.c
	$CC -std=c11 $flags -Wall -Wextra -Werror -D TUNED_THREADS=$t -o $b/bench$t \
	    pipelines/bench/strassen/bench.c $b/scheme_tuned.o $b/scheme_blas.o $b/sgemm$t.o -lopenblas -lm
done

echo "== strassen over sgemm, $(date -u +%FT%TZ), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scheme: $scheme ($(jq -r '"\(.n)x\(.m)x\(.p) rank \(.rank) field \(.field)"' "$scheme"))"
echo "kernels/sgemm: $SGEMM, $CC $flags ($($CC --version | head -1))"
echo "openblas: $(readlink -f /usr/lib/x86_64-linux-gnu/libopenblas.so.0)"
: >$out/results.jsonl
for c in $CONFIGS; do
	k=${c%:*} t=${c#*:}
	pin=$([ $t = 1 ] && echo "taskset -c 0" || echo "")
	echo "-- $k on $t thread(s): waiting for the bench lock, load $(cut -d' ' -f1-3 /proc/loadavg)"
	flock /tmp/ar/bench.lock bash -c '
		echo "   lock held $(date -u +%T), load $(cut -d" " -f1-3 /proc/loadavg)" >&2
		for n in '"$SIZES"'; do
			r='$REPEAT'; [ $n -le 4096 ] && r='$REPEAT_SMALL'
			OMP_WAIT_POLICY=passive OMP_NUM_THREADS='$t' '"$pin"' '$b'/bench'$t' '$k' '$t' $n $r
		done
		echo "   released $(date -u +%T), load $(cut -d" " -f1-3 /proc/loadavg)" >&2' |
	    tee -a $out/results.jsonl
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "Wall: median seconds of the runs, GFLOP/s = 2N^3 / t for both (the scheme credited with"
echo "the standard algorithm's flops).  CPU: median CPU seconds of the process, all its threads."
echo "Errors on $(jq -s '.[0].samples' $out/results.jsonl) sampled entries against a double dot product: max |C-R|/|R|; max |C-R| / max |R|."
echo
echo "| N | kernel | threads | plain s | plain GFLOP/s | scheme s | scheme GFLOP/s | speedup | plain CPU s | scheme CPU s | CPU speedup | max rel err plain / scheme | norm rel err plain / scheme |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
jq -r '"| \(.N) | \(.kernel) | \(.threads) | \(.plain_median_s) | \(.plain_gflops) | \(.scheme_median_s) | \(.scheme_gflops) | \(.speedup * 1000 | round / 1000) | \(.plain_cpu_median_s) | \(.scheme_cpu_median_s) | \(.cpu_speedup * 1000 | round / 1000) | \(.plain_max_rel_err) / \(.scheme_max_rel_err) | \(.plain_norm_rel_err) / \(.scheme_norm_rel_err) |"' $out/results.jsonl
