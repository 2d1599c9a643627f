#!/usr/bin/env bash
# Benchmark: the SGEMM micro-kernel alone, on data in L1, for several
# register tiles, against the core's FMA peak (microkernel.c), pinned to
# core 0.  One JSON line per tile, with its fraction of the peak; each
# figure is the best of 7 timings, repeated `rounds` times (the median of
# those bests is what BENCHMARKS.md quotes).
#
# usage: pipelines/bench/matmul-cpu/microkernel.sh [rounds] [VW:MR:NR:KC ...]
set -euo pipefail
cd "$(dirname "$0")/../../.."
rounds=${1:-3}
shift || true
tiles=("$@")
[ ${#tiles[@]} -gt 0 ] ||
	tiles=(16:4:64:192 16:6:64:128 16:8:48:256 16:12:32:256 16:14:32:256
	    16:28:16:512 16:30:16:512 8:12:16:256 8:6:32:256)
mkdir -p build/bench
echo "# $(lscpu | sed -n 's/^Model name: *//p'), pinned to core 0" >&2
for t in "${tiles[@]}"; do
	IFS=: read -r vw mr nr kc <<<"$t"
	exe=build/bench/microkernel-$vw-$mr-$nr-$kc
	cc -O3 -march=native -DVW="$vw" -DMR="$mr" -DNR="$nr" -DKC="$kc" \
	    -DMC="$mr" -DNC="$nr" -DKU=1 -o "$exe" \
	    pipelines/bench/matmul-cpu/microkernel.c
	for _ in $(seq "$rounds"); do
		taskset -c 0 "$exe"
	done
done
