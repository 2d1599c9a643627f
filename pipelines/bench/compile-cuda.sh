#!/usr/bin/env bash
# Benchmark: compile throughput of the cuda backend (issue 5).  The same N
# distinct variants of one kernel are built into cubins by NVRTC inside
# ar-compile and by one nvcc process per variant (--nvcc), both through
# ar-compile -j 1 into a fresh cache, alternating in one run (NVRTC, nvcc,
# NVRTC, ...) so that the load of a shared machine falls on both alike.
# Target: NVRTC at least 5 times the variants per second of nvcc.
#
# Prints one JSON line per run,
#   {"method", "study", "arch", "variants", "ok", "seconds", "cpu_s",
#    "variants_per_s"}
# (seconds: wall time of the whole ar-compile run; cpu_s: its user and
# system time, the compilers' included), then a summary line with the
# medians and their ratios.  Results in BENCHMARKS.md.
#
# usage: pipelines/bench/compile-cuda.sh [study] [variants] [repeats] [arch]
#   defaults: kernels/reduce/cuda.json (the test fixture where it is
#   missing), 40, 3, sm_90.  AR_BIN names other programs than bin/'s.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${AR_BIN:-}" ]; then
	make -s all
	AR_BIN=bin
fi
study=${1:-kernels/reduce/cuda.json}
[ -e "$study" ] || study=tests/fixtures/compile/cuda-k.json
n=${2:-40}
reps=${3:-3}
arch=${4:-sm_90}
dir=build/bench/compile-cuda
rm -rf "$dir"
mkdir -p "$dir"

"$AR_BIN/ar-propose" -s "$study" -n "$n" --seed 1 >"$dir/variants.jsonl"
n=$(wc -l <"$dir/variants.jsonl")
echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores;" \
    "$(nvcc --version | grep release);" \
    "$n variants of $study for $arch" >&2

# run METHOD REP [OPTION]: one ar-compile run into a cache of its own.
run() {
	local out=$dir/$1-$2.jsonl
	/usr/bin/time -o "$dir/$1-$2.time" -f '%e %U %S' "$AR_BIN/ar-compile" \
	    -s "$study" --arch "$arch" -j 1 --cache "$dir/cache-$1-$2" \
	    ${3:+"$3"} "$dir/variants.jsonl" >"$out"
	tail -n 1 "$dir/$1-$2.time" | awk -v m="$1" -v s="$study" -v a="$arch" -v n="$n" \
	    -v ok="$(jq -s 'map(select(.compile.status == "ok")) | length' "$out")" \
	    '{ printf "{\"method\":\"%s\",\"study\":\"%s\",\"arch\":\"%s\",\"variants\":%d,\"ok\":%d,\"seconds\":%s,\"cpu_s\":%.2f,\"variants_per_s\":%.3f}\n",
	        m, s, a, n, ok, $1, $2 + $3, n / $1 }' | tee -a "$dir/runs.jsonl"
}

for i in $(seq "$reps"); do
	run nvrtc "$i"
	run nvcc "$i" --nvcc
done

jq -s -c '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor]
	    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def of(m; f): map(select(.method == m) | f) | median;
	{method: "summary", study: .[0].study, arch: .[0].arch,
	 variants: .[0].variants, repeats: (length / 2),
	 nvrtc_variants_per_s: of("nvrtc"; .variants_per_s),
	 nvcc_variants_per_s: of("nvcc"; .variants_per_s),
	 nvrtc_cpu_s: of("nvrtc"; .cpu_s), nvcc_cpu_s: of("nvcc"; .cpu_s)}
	| .ratio = (.nvrtc_variants_per_s / .nvcc_variants_per_s * 100 | round / 100)
	| .cpu_ratio = (.nvcc_cpu_s / .nvrtc_cpu_s * 100 | round / 100)' \
    "$dir/runs.jsonl"
