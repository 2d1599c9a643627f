#!/usr/bin/env bash
# Benchmark: build the valid space of a study of 10 parameters with 8 values
# each (8^10 = 1,073,741,824 combinations) and 5 constraints, on one core,
# with constraint pruning (as ar-propose does) and with plain enumeration.
# Target (issue 2): under 5 s with pruning.  Results in BENCHMARKS.md.
#
# usage: pipelines/bench/space.sh [repeats] [plain-limit-seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
mkdir -p build/bench
cc -O2 -std=c11 -Ilib -D_GNU_SOURCE pipelines/bench/space_count.c \
    obj/libar.a -ljansson -lcsv -lcrypto -lm -o build/bench/space_count
study=pipelines/bench/space/study.json
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; pinned to core 0" >&2
taskset -c 0 build/bench/space_count "$study" "${1:-5}" "${2:-60}"
# ar-propose itself, end to end: load, build, count.
for i in 1 2 3; do
	/usr/bin/time -f '{"method":"ar-propose --count","seconds":%e,"max_rss_kb":%M}' \
	    taskset -c 0 bin/ar-propose -s "$study" --count >/dev/null
done
