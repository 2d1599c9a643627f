# shellcheck shell=bash
# Sourced by run.sh and transfer.sh (not run): what a tuning of the
# OpenCL GEMM study does the same way in both, so that a history of one
# can stand for the other's (transfer.sh's cold start is run.sh's
# tuning at N=1024 when that exists).  Sources ../matmul-cpu/common.sh
# (NICE, best_of) first, so it too is sourced before anything else.
# shellcheck source=pipelines/bench/matmul-cpu/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../matmul-cpu/common.sh"

study=${STUDY:-kernels/gemm/opencl.json}
evals=${EVALS:-200} batch=${BATCH:-8} strategy=${STRATEGY:-auto}
seed=${SEED:-1}
tune_bench=${TUNE_BENCH:---repeat 3} min_gflops=${MIN_GFLOPS:-8}
# shellcheck disable=SC2034 # used by the scripts that source this
out=${OUT:-runs/bench-opencl}
lock=${LOCK-/tmp/ar/bench.lock}
dev=()
[ -z "${DEVICE:-}" ] || dev=(--device "$DEVICE")

# use_bin: bin, the programs: BIN, else bin/ made by `make` (in the
# repository's root, where the scripts run).
use_bin() {
	if [ -z "${BIN:-}" ]; then
		make -s all
		bin=bin
	else
		bin=$BIN
	fi
}

# tune_timeout N: ar-bench's --timeout in a tuning at N: TIMEOUT, or
# CODEGEN_S (2) and the time of the GEMM at MIN_GFLOPS (8).  ar-bench
# gives every run the same limit, the warm-up included, and on PoCL the
# first launch of a kernel makes its machine code (0.3 s quiet, over 1 s
# while other work shares the cores): a limit of 1 s made three of 16
# configurations at N=256, where a run takes a millisecond, `timeout`.
tune_timeout() {
	echo "${TIMEOUT:-$(awk -v n="$1" -v g="$min_gflops" -v c="${CODEGEN_S:-2}" \
	    'BEGIN { printf "%.3g\n", c + 2 * n * n * n / (g * 1e9) }')}"
}

# tune_mk N DIR [VAR=VALUE...] [GOAL]: pipelines/tune.mk on the study at
# M = N = K = N into DIR, with the settings every tuning here shares.
# DIR/tune.args records the settings, so that transfer.sh takes a
# tuning for its cold start only when it was made as its warm one is.
tune_args() {
	echo "$study N=$1 $evals $batch $strategy $seed $(tune_timeout "$1") $tune_bench ${dev[*]}"
}
tune_mk() {
	local n=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	tune_args "$n" >"$dir/tune.args"
	make -s -f pipelines/tune.mk STUDY="$study" OUT="$dir" \
	    DEFS="-D M=$n -D N=$n -D K=$n" EVALS="$evals" BATCH="$batch" \
	    BIN="$bin" STRATEGY="$strategy" SEED="$seed" \
	    BENCH="${dev[*]} --timeout $(tune_timeout "$n") $tune_bench" "$@"
}

# hold, release: LOCK taken and given back, on a descriptor of this
# shell's that the programs it runs meanwhile inherit.  A script that
# holds it must not be run under flock(1) on the same file: it would
# wait for itself.
lockfd=
hold() {
	[ -n "$lock" ] || return 0
	exec {lockfd}>>"$lock"
	flock "$lockfd"
}
release() {
	[ -n "$lockfd" ] || return 0
	exec {lockfd}>&-
	lockfd=
}
