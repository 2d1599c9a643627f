#!/usr/bin/env bash
# make demo: tunes the BLIS-style SGEMM of kernels/sgemm/ on this CPU
# through the whole loop, propose | compile | bench | score, round by
# round (pipelines/tune.mk), at N=1024 with every core, then measures the
# best configuration found again beside OpenBLAS's cblas_sgemm on the same
# problem, and prints both with the naive reference.  It ends by writing
# the page of the history, OUT/report.html (ar-report(1)), and printing
# its path.  About a minute on a 2-core machine.  Without OpenBLAS
# (libopenblas-dev, `make deps`) it says so and prints the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
study=kernels/sgemm/cpu.json
out=runs/demo
rounds=${ROUNDS:-8} batch=${BATCH:-8} n=${N:-1024}
threads=$(nproc)
defs="-D M=$n -D N=$n -D K=$n -D MAXT=$threads"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)

# A demo starts over; the build cache stays, so a second demo compiles less.
rm -rf "$out/rounds" "$out/history.jsonl" "$out/model.json" "$out/learn.jsonl" "$out/report.html"
echo "== tuning $study (N=$n, up to $threads threads) on ${cpu:-this CPU}: $rounds rounds of $batch"
start=$(date +%s.%N)
tune() {
	make -s -f pipelines/tune.mk STUDY=$study OUT=$out ROUNDS="$rounds" \
	    BATCH="$batch" SEED=1 DEFS="$defs" "$@"
}
tune
end=$(date +%s.%N)

# report: the page of the history (the rounds are made: tune.mk only
# writes it), and where it is.
report() {
	echo
	tune report
	echo "report: $out/report.html    (open it in a browser; as text: bin/ar-report -s $study $defs --text $out/history.jsonl)"
}

echo
echo "== where the time went"
jq -s --argjson wall "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -r '
    (map(.compile.seconds // 0) | add) as $c |
    (map((.cost_s // 0) - (.compile.seconds // 0)) | add) as $b |
    "wall \($wall * 100 | round / 100) s for \(length) candidates; " +
    "compiling \($c * 100 | round / 100) s, measuring \($b * 100 | round / 100) s " +
    "(summed over candidates; stages overlap in the pipe)"' "$out/history.jsonl"

echo
if [ "$(jq -r '.best // empty' "$out/model.json")" = "" ]; then
	echo "nothing measured ok"
	report
	exit 0
fi
echo "== best against OpenBLAS and the naive reference (sgemm_ref.c), N=$n, same machine, measured again"
# The best record is measured again with more runs, not taken as it stands.
# shellcheck disable=SC2086
again=$(jq -c '.best.params' "$out/model.json" |
    bin/ar-propose -s $study $defs --from - |
    bin/ar-compile -s $study $defs --cache "$out/cache" |
    bin/ar-bench -s $study $defs --cache "$out/cache" --warmup 2 --repeat 11 |
    bin/ar-score -s $study $defs)
jq -r '"best:      \(.metrics.gflops * 10 | round / 10) GFLOP/s  (\(.params | to_entries | map("\(.key)=\(.value)") | join(" ")))"' <<<"$again"
ours=$(jq -r .metrics.gflops <<<"$again")
mkdir -p build/bench
if cc -O2 -o build/bench/openblas_sgemm \
    pipelines/bench/matmul-cpu/openblas_sgemm.c -lopenblas 2>/dev/null; then
	# OpenBLAS 0.3.21 does not know the newest Xeons and falls back to
	# SSE3 kernels; where the processor has AVX-512 and the environment
	# chose nothing, its AVX-512 kernels are measured too.
	cores=("")
	if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo; then
		cores+=(SkylakeX)
	fi
	for k in "${cores[@]}"; do
		env ${k:+OPENBLAS_CORETYPE=$k} OPENBLAS_NUM_THREADS="$threads" \
		    build/bench/openblas_sgemm "$n" "$n" "$n" 2 11 |
		    jq -r --argjson ours "$ours" '"OpenBLAS:  \(.gflops * 10 | round / 10) GFLOP/s  (cblas_sgemm, \(.core) kernels, \(.threads) threads; best / OpenBLAS = \($ours / .gflops * 100 | round / 100))"'
	done
else
	echo "OpenBLAS:  not installed (libopenblas-dev; make deps)"
fi
jq -r '"reference: \(.metrics.ref_gflops * 10 | round / 10) GFLOP/s  (speedup of the best \(.metrics.speedup * 10 | round / 10)x)"' <<<"$again"
echo
echo "history: $out/history.jsonl    try: jq -c 'select(.status == \"ok\") | [.metrics.gflops, .params]' $out/history.jsonl | sort -rn | head"
report
