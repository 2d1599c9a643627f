#!/usr/bin/env bash
# Benchmark (issue 7): what a kernel gains by keeping its answers.  Four
# variants of a compute-bound kernel (y = 2x + a, done 3,000 times) are
# measured in one ar-bench run, with the study's bench settings left to
# their defaults: honest does the work every call; recall keeps answers
# in the process, keyed by the inputs' content; filed keeps them in a
# file, keyed the same way, and filed2 is a second variant that reads
# the first one's files.  Every answer is right, so only the times tell.
# Prints one JSON line per variant: its status and time_s, and its time
# over honest's.
#
# usage: pipelines/bench/memo.sh [TRIALS [INPUTS]]
#   TRIALS: bench.trials (default: unset); INPUTS: bench.inputs, shared or
#   variant (default: unset)
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/k.c" <<'KERNEL'
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#define honest 0
#define recall 1
#define filed 2
#define filed2 3
static void
work(const float *x, float *y, int n, float a)
{
	for (int r = 0; r < 3000; r++) {
		for (int i = 0; i < n; i++)
			y[i] = 2 * x[i] + a;
		__asm__ volatile("" ::: "memory");
	}
}
void
k(const float *x, float *y, int n, float a)
{
#if KIND == honest
	work(x, y, n, a);
#else
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = (const void *)x;
	for (size_t i = 0; i < (size_t)n * 4; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
#if KIND == recall
	static uint64_t keys[16];
	static float vals[16][1000];
	static int nk;
	for (int j = 0; j < nk; j++)
		if (keys[j] == h) {
			memcpy(y, vals[j], (size_t)n * 4);
			return;
		}
	work(x, y, n, a);
	if (nk < 16) {
		keys[nk] = h;
		memcpy(vals[nk++], y, (size_t)n * 4);
	}
#else
	char path[64];
	FILE *f;
	snprintf(path, sizeof(path), "memo-%016llx", (unsigned long long)h);
	if ((f = fopen(path, "rb")) != NULL) {
		size_t got = fread(y, 4, (size_t)n, f);
		fclose(f);
		if (got == (size_t)n)
			return;
	}
	work(x, y, n, a);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(y, 4, (size_t)n, f);
		fclose(f);
	}
#endif
#endif
}
KERNEL
cp tests/fixtures/bench/faults_ref.c "$dir/"
jq --argjson t "${1:-null}" --arg i "${2:-}" '.source = "k.c" | .entry = "k" |
    .params.KIND = ["honest", "recall", "filed", "filed2"] |
    .compile.flags = ["-O1"] | del(.bench) |
    if $t then .bench.trials = $t else . end |
    if $i != "" then .bench.inputs = $i else . end' \
    tests/fixtures/bench/cheats.json >"$dir/s.json"
root=$PWD
cd "$dir"
printf '{"params":{"KIND":"%s"}}\n' honest recall filed filed2 |
    "$root/bin/ar-compile" -s s.json --cache cache |
    "$root/bin/ar-bench" -s s.json --cache cache |
    jq -sc '(map(select(.params.KIND == "honest"))[0].time_s) as $h | .[] |
        {kind: .params.KIND, status, time_s, over_honest: (.time_s / $h)}'
