#!/usr/bin/env bash
# Benchmark: what an id costs (space_id, pipelines/bench/ids.c), over every
# valid configuration of a study, pinned to one core; the median of
# `repeats` passes.  bo checks each unseen configuration of a listed space
# against the history by its id, so this is part of its overhead
# (overhead.sh).  "check" must not change between builds: the ids are
# the record contract.  Results in BENCHMARKS.md.  To compare with an
# earlier commit, run this script from a worktree of it.
#
# usage: pipelines/bench/ids.sh [repeats] [study...]
#        (default 7, examples/replay/gemm_RTX_3090.json)
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s O=build/bench build/bench/obj/libar.a
# shellcheck disable=SC2046
cc -std=c11 -O2 -Wall -Wextra -Werror -Ilib -D_GNU_SOURCE pipelines/bench/ids.c \
    build/bench/obj/libar.a $(sed -n 's/^LDLIBS = //p' Makefile) -o build/bench/ids
reps=${1:-7}
shift || true
[ $# -gt 0 ] || set -- examples/replay/gemm_RTX_3090.json
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; pinned to core 0; load $(cut -d' ' -f1 /proc/loadavg)" >&2
for s in "$@"; do
	taskset -c 0 build/bench/ids "$s" "$reps"
done
