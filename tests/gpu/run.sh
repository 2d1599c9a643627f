#!/usr/bin/env bash
# tests/gpu/run.sh: the GPU check, on a machine with an NVIDIA GPU, in one
# run and within a hard limit of wall-clock time (default 450 s):
#
#   1. the programs: $AR_BIN, else the portable build/static/bin of
#      `make static` (it needs only glibc, and CUDA loaded at run time),
#      else bin/, else `make` when the libraries are there;
#   2. the GPU, as ar-bench sees it (no GPU: a clear message, exit 1);
#   3. the fault checks: every variant of tests/fixtures/bench/gpufaults.json
#      (an out-of-bounds write, an infinite loop, a block too large, a
#      kernel not in the module, shared memory beyond the device, ...)
#      must end with its status, and a good variant after each fault ok;
#   4. cuBLAS's cublasSgemm at M = N = K = 4096 (cublas_sgemm.c, built
#      here), timed as ar-bench times a kernel;
#   5. the SGEMM of kernels/sgemm/cuda.json on the same problem: seed
#      configurations, then proposals, measured while time lasts;
#   6. the energy of the best configuration (ar-bench --energy);
#   7. the OpenCL studies on the GPU's OpenCL platform (tests/gpu/opencl.sh:
#      the fault checks, the GEMM at the same size), in what is left of
#      the AR_GPU_OPENCL_S seconds (default 120; 0: none) kept for them;
#
# and writes ONE JSON summary (device, best configuration, its GFLOP/s,
# cuBLAS's, their ratio, candidates measured, the faults' statuses, wall
# time) on stdout, and to $OUT/summary.json when OUT is set, with the
# records beside it.  Progress goes to stderr.  Exit status: 0 when
# everything ran and every fault had its status, 1 otherwise (the
# summary's "errors" say what), 2 for bad usage.
#
# Environment: OUT, AR_BIN, AR_GPU_LIMIT_S (the limit, seconds),
# AR_GPU_N (the size, 4096), AR_GPU_STRATEGY (ar-propose's, random),
# AR_GPU_BATCH (the fewest proposals, 8), AR_GPU_OPENCL_S, CUDA_HOME.
set -u
# Empty arrays under set -u need bash 4.4.
[ "${BASH_VERSINFO[0]}${BASH_VERSINFO[1]}" -ge 44 ] 2>/dev/null || set +u
export LC_ALL=C

START=$SECONDS
LIMIT=${AR_GPU_LIMIT_S:-450}
SIZE=${AR_GPU_N:-4096}
STRATEGY=${AR_GPU_STRATEGY:-random}
BATCH=${AR_GPU_BATCH:-8}
CL_S=${AR_GPU_OPENCL_S:-120}
# Kept back from the tuning for what follows it: the energy run (its own
# reference on the processor, the runs, the windows), the OpenCL studies
# and the summary.
RESERVE=$((80 + CL_S))
case $LIMIT$SIZE$BATCH$CL_S in
*[!0-9]*) echo "usage: AR_GPU_LIMIT_S, AR_GPU_N, AR_GPU_BATCH and AR_GPU_OPENCL_S are whole numbers" >&2
	exit 2 ;;
esac
[ $# -eq 0 ] || { echo "usage: tests/gpu/run.sh (no operands; see the comment at its top)" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
FAULTS=$ROOT/tests/fixtures/bench/gpufaults.json
STUDY=$ROOT/kernels/sgemm/cuda.json
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ar-gpu.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
CACHE=$WORK/cache
ERRORS=()
NOTES=()

say() { printf 'gpu-check [%3ds] %s\n' $((SECONDS - START)) "$*" >&2; }
left() { echo $((LIMIT - (SECONDS - START))); }
# cap S: S seconds, or what is left of the limit if less (at least 1).
cap() {
	local l
	l=$(left)
	[ "$l" -lt "$1" ] || l=$1
	[ "$l" -ge 1 ] || l=1
	echo "$l"
}
# The last non-empty lines of a file, on one line.
tailof() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n "${2:-3}" | tr '\n' ' ' | sed 's/ *$//'; }

# jstr S: S as a JSON string.
jstr() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/ }
	s=${s//$'\n'/ }
	s=${s//$'\r'/ }
	s=$(printf '%s' "$s" | tr -d '\000-\037')
	printf '"%s"' "$s"
}
# jnum S: S when it is a JSON number, else null.
jnum() {
	if [[ ${1:-} =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; then
		printf '%s' "$1"
	else
		printf 'null'
	fi
}
# jarr S...: the strings as a JSON array.
jarr() {
	local first=1 s
	printf '['
	for s in "$@"; do
		[ $first -eq 1 ] || printf ','
		first=0
		jstr "$s"
	done
	printf ']'
}

# Fields of the compact records the programs write.  A record holds
# "status" twice (compile's, then the measurement's): the last is the
# measurement's.
rec_status() { sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p'; }
rec_num() { sed -n "s/.*[{,]\"$1\":\\(-\\{0,1\\}[0-9][-+0-9.eE]*\\).*/\\1/p" | head -n 1; }
rec_str() { sed -n "s/.*[{,]\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }
rec_params() { sed -n 's/.*"params":\({[^}]*}\).*/\1/p' | head -n 1; }

# The best record ok (highest gflops) of the files given.
best_record() {
	cat "$@" 2>/dev/null | awk '
	{
		s = $0; st = ""
		while (match(s, /"status":"[a-z_]*"/)) {
			st = substr(s, RSTART + 10, RLENGTH - 11)
			s = substr(s, RSTART + RLENGTH)
		}
		if (st != "ok" || !match($0, /"gflops":[-+0-9.eE]+/))
			next
		g = substr($0, RSTART + 9, RLENGTH - 9) + 0
		if (!found || g > bg) { bg = g; bl = $0; found = 1 }
	}
	END { if (found) print bl }'
}

# What the summary holds, filled as the run goes.
DEVICE="" DRIVER="" BINDIR="" COMPILER="nvrtc"
FAULT_KINDS=(ok oob ok hang ok big shmem noentry fat nowrite mutate ok)
FAULT_WANT=(ok crash ok timeout ok invalid invalid invalid invalid wrong wrong ok)
FAULT_GOT=()
FAULTS_PASS=false
CUBLAS_JSON=null CUBLAS_GFLOPS="" ENERGY="" OPENCL_JSON=null

summary() {
	local files=("$WORK"/tune/*.jsonl) best="" n=0 st counts="" k
	local bparams=null btime="" bgflops="" bid="" ratio=null i ok=true per=""
	declare -A count=()

	if [ -e "${files[0]}" ]; then
		best=$(best_record "${files[@]}")
		while IFS= read -r st; do
			[ -n "$st" ] || continue
			n=$((n + 1))
			count[$st]=$(( ${count[$st]:-0} + 1 ))
		done < <(cat "${files[@]}" | rec_status)
	fi
	if [ ${#count[@]} -gt 0 ]; then
		for k in "${!count[@]}"; do
			counts="$counts${counts:+,}$(jstr "$k"):${count[$k]}"
		done
	fi
	if [ -n "$best" ]; then
		bparams=$(rec_params <<<"$best")
		btime=$(rec_num time_s <<<"$best")
		bgflops=$(rec_num gflops <<<"$best")
		bid=$(rec_str id <<<"$best")
	fi
	if [ -n "$bgflops" ] && [ -n "$CUBLAS_GFLOPS" ]; then
		ratio=$(awk -v a="$bgflops" -v b="$CUBLAS_GFLOPS" \
		    'BEGIN { if (b > 0) printf "%.4f", a / b; else print "null" }')
	fi
	# What measuring one candidate cost, compile excluded: the median,
	# which leaves out the first, that paid for the reference.
	if [ -e "${files[0]}" ]; then
		per=$(cat "${files[@]}" | awk '
		    match($0, /[{,]"cost_s":[-+0-9.eE]+/) {
			c = substr($0, RSTART + 10, RLENGTH - 10) + 0
			s = 0
			if (match($0, /"seconds":[-+0-9.eE]+/))
				s = substr($0, RSTART + 10, RLENGTH - 10) + 0
			print c - s
		    }' | sort -g | awk '{ v[NR] = $1 } END {
			if (NR % 2) printf "%.3f", v[(NR + 1) / 2]
			else if (NR) printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2
		    }')
	fi
	[ ${#ERRORS[@]} -eq 0 ] || ok=false
	printf '{"ok":%s,"device":%s,"driver":%s,"programs":%s,"compiler":%s,' \
	    "$ok" "$(jstr "$DEVICE")" "$(jstr "$DRIVER")" "$(jstr "$BINDIR")" \
	    "$(jstr "$COMPILER")"
	printf '"study":"kernels/sgemm/cuda.json","problem":{"M":%s,"N":%s,"K":%s},' \
	    "$SIZE" "$SIZE" "$SIZE"
	printf '"strategy":%s,"candidates":%s,"statuses":{%s},"bench_s_median":%s,' \
	    "$(jstr "$STRATEGY")" "$n" "$counts" "$(jnum "$per")"
	printf '"best":{"id":%s,"params":%s,"time_s":%s,"gflops":%s,"energy_j":%s},' \
	    "$( [ -n "$bid" ] && jstr "$bid" || echo null)" "${bparams:-null}" \
	    "$(jnum "$btime")" "$(jnum "$bgflops")" "$(jnum "$ENERGY")"
	printf '"cublas":%s,"cublas_gflops":%s,"ratio":%s,' "$CUBLAS_JSON" \
	    "$(jnum "$CUBLAS_GFLOPS")" "$ratio"
	printf '"faults":['
	for i in "${!FAULT_KINDS[@]}"; do
		[ "$i" -eq 0 ] || printf ','
		printf '{"kind":"%s","want":"%s","got":%s}' "${FAULT_KINDS[$i]}" \
		    "${FAULT_WANT[$i]}" "$( [ -n "${FAULT_GOT[$i]:-}" ] &&
		    jstr "${FAULT_GOT[$i]}" || echo null)"
	done
	printf '],"faults_as_expected":%s,"opencl":%s,' "$FAULTS_PASS" "$OPENCL_JSON"
	printf '"wall_s":%s,"limit_s":%s,"errors":%s,"notes":%s}\n' \
	    $((SECONDS - START)) "$LIMIT" "$(jarr "${ERRORS[@]}")" \
	    "$(jarr "${NOTES[@]}")"
}

# Writes the summary (and, with OUT, the records and logs) and exits.
finish() {
	local s
	s=$(summary)
	printf '%s\n' "$s"
	if [ -n "${OUT:-}" ]; then
		mkdir -p "$OUT" && printf '%s\n' "$s" >"$OUT/summary.json"
		cp "$WORK"/*.jsonl "$WORK"/*.err "$WORK"/*.log "$OUT/" 2>/dev/null
		[ ! -d "$WORK/tune" ] || cat "$WORK"/tune/*.jsonl >"$OUT/tune.jsonl" 2>/dev/null
	fi
	say "done: ${#ERRORS[@]} error(s)"
	[ ${#ERRORS[@]} -eq 0 ]
	exit
}
fail() {
	ERRORS+=("$1")
	say "error: $1"
	finish
}
trap 'ERRORS+=("interrupted"); finish' INT TERM

# 1. The programs.
usable() {
	local t
	for t in ar-propose ar-compile ar-bench ar-score ar-learn; do
		[ -x "$1/$t" ] && "$1/$t" --version >/dev/null 2>&1 || return 1
	done
}
why_not=""
for d in ${AR_BIN:-} "$ROOT/build/static/bin" "$ROOT/bin"; do
	if usable "$d"; then
		BINDIR=$d
		break
	fi
	[ ! -e "$d/ar-bench" ] || why_not="$d/ar-bench: $("$d/ar-bench" --version 2>&1 | head -n 1)"
done
if [ -z "$BINDIR" ] && command -v make >/dev/null && command -v cc >/dev/null; then
	say "no usable programs; building them with make"
	if timeout "$(cap 180)" make -C "$ROOT" -j"$(nproc 2>/dev/null || echo 4)" all \
	    >"$WORK/make.log" 2>&1 && usable "$ROOT/bin"; then
		BINDIR=$ROOT/bin
	else
		why_not="make failed: $(tailof "$WORK/make.log" 2)"
	fi
fi
[ -n "$BINDIR" ] || fail "no usable ar-* programs (carry build/static/bin from 'make static', or set AR_BIN)${why_not:+: $why_not}"
say "programs: $BINDIR"
B=$BINDIR

# 2. The GPU, as ar-bench sees it: its probe runs on a cuda study with
# no records.
if ! probe=$(timeout "$(cap 150)" "$B/ar-bench" -s "$FAULTS" </dev/null 2>&1); then
	fail "no usable GPU: ${probe:-the probe of ar-bench timed out}"
fi
if command -v nvidia-smi >/dev/null; then
	DRIVER=$(timeout 20 nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1)
	DEVICE=$(timeout 20 nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
fi
command -v cc >/dev/null || fail "no C compiler (cc): the studies' references are C, built here"
JOBS=$(nproc 2>/dev/null || echo 4)

# 3. The fault checks.  A bad build (no NVRTC) tries nvcc.
say "fault checks: ${FAULT_KINDS[*]}"
for k in "${FAULT_KINDS[@]}"; do
	printf '{"study":"bench-gpufaults","params":{"KIND":"%s"}}\n' "$k"
done >"$WORK/faults.in"
COPTS=()
if ! timeout "$(cap 120)" "$B/ar-compile" -s "$FAULTS" -j "$JOBS" --cache "$CACHE" \
    <"$WORK/faults.in" >"$WORK/faults-built.jsonl" 2>"$WORK/faults-compile.err"; then
	NOTES+=("NVRTC: $(tailof "$WORK/faults-compile.err" 2)")
	COPTS=(--nvcc)
	COMPILER=nvcc
	timeout "$(cap 180)" "$B/ar-compile" -s "$FAULTS" -j "$JOBS" "${COPTS[@]}" \
	    --cache "$CACHE" <"$WORK/faults.in" >"$WORK/faults-built.jsonl" \
	    2>"$WORK/faults-compile.err" ||
	    fail "ar-compile cannot build for the GPU: $(tailof "$WORK/faults-compile.err" 2)"
fi
timeout "$(cap 200)" "$B/ar-bench" -s "$FAULTS" --cache "$CACHE" --timeout 2 --progress \
    <"$WORK/faults-built.jsonl" >"$WORK/faults.jsonl" 2>"$WORK/faults.err"
rc=$?
[ $rc -eq 0 ] || ERRORS+=("ar-bench on the fault checks exited $rc: $(tailof "$WORK/faults.err" 2)")
mapfile -t FAULT_GOT < <(rec_status <"$WORK/faults.jsonl")
FAULTS_PASS=true
for i in "${!FAULT_KINDS[@]}"; do
	[ "${FAULT_GOT[$i]:-}" = "${FAULT_WANT[$i]}" ] || FAULTS_PASS=false
	[ -n "${FAULT_GOT[$i]:-}" ] || FAULT_GOT[i]=""
done
[ "$FAULTS_PASS" = true ] ||
    ERRORS+=("fault checks: got '${FAULT_GOT[*]}', wanted '${FAULT_WANT[*]}' (see faults.jsonl)")
[ -n "$DEVICE" ] || DEVICE=$(head -n 1 "$WORK/faults.jsonl" | rec_str host)
say "faults: ${FAULT_GOT[*]} ($FAULTS_PASS)"

# 4. cuBLAS first, so that a run cut short still compares.
CUDA=${CUDA_HOME:-}
if [ -z "$CUDA" ]; then
	for c in /usr/local/cuda "$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x/x)")")"; do
		[ -e "$c/include/cublas_v2.h" ] && { CUDA=$c; break; }
	done
fi
if [ -n "$CUDA" ] && [ -e "$CUDA/include/cublas_v2.h" ]; then
	libdir=$CUDA/lib64
	[ -d "$libdir" ] || libdir=$CUDA/lib
	if timeout "$(cap 120)" cc -O2 -I"$CUDA/include" -o "$WORK/cublas_sgemm" \
	    "$ROOT/tests/gpu/cublas_sgemm.c" -L"$libdir" -Wl,-rpath,"$libdir" \
	    -lcublas -lcudart -lm >"$WORK/cublas-build.log" 2>&1; then
		say "cuBLAS: cublasSgemm at $SIZE"
		if out=$(timeout "$(cap 120)" "$WORK/cublas_sgemm" "$SIZE" "$SIZE" "$SIZE" 20 \
		    2>"$WORK/cublas.err") && [ -n "$out" ]; then
			CUBLAS_JSON=$out
			CUBLAS_GFLOPS=$(rec_num gflops <<<"$out")
			say "cuBLAS: $CUBLAS_GFLOPS GFLOP/s"
		else
			ERRORS+=("cublas_sgemm failed: $(tailof "$WORK/cublas.err" 2)")
		fi
	else
		ERRORS+=("cannot build cublas_sgemm: $(tailof "$WORK/cublas-build.log" 2)")
	fi
else
	ERRORS+=("no CUDA toolkit with cuBLAS headers (set CUDA_HOME)")
fi

# 5. The tuning, by the pipe by hand: seed configurations known to suit
# SGEMM on large GPUs (each validated alone: one the study no longer
# allows is dropped), then proposals of the strategy, all in one stream,
# so that the reference, which does the GPU's work on the processor, runs
# once.  ar-bench measures until the time is up and is stopped there: it
# writes each record whole as soon as it is measured, so what was
# measured is kept.
DEFS=(-D "M=$SIZE" -D "N=$SIZE" -D "K=$SIZE")
mkdir -p "$WORK/tune"
seeds='{"BM":128,"BN":128,"BK":8,"TM":8,"TN":8,"VEC":4,"PAD":4,"DBUF":1,"MINB":1}
{"BM":128,"BN":128,"BK":16,"TM":8,"TN":8,"VEC":4,"PAD":4,"DBUF":1,"MINB":1}
{"BM":128,"BN":64,"BK":16,"TM":8,"TN":4,"VEC":4,"PAD":4,"DBUF":1,"MINB":2}
{"BM":64,"BN":128,"BK":16,"TM":4,"TN":8,"VEC":4,"PAD":4,"DBUF":1,"MINB":2}
{"BM":256,"BN":128,"BK":8,"TM":16,"TN":8,"VEC":4,"PAD":4,"DBUF":1,"MINB":1}
{"BM":128,"BN":256,"BK":8,"TM":8,"TN":16,"VEC":4,"PAD":4,"DBUF":1,"MINB":1}
{"BM":64,"BN":64,"BK":8,"TM":4,"TN":4,"VEC":4,"PAD":4,"DBUF":1,"MINB":2}
{"BM":128,"BN":128,"BK":32,"TM":8,"TN":8,"VEC":4,"PAD":4,"DBUF":0,"MINB":1}'
while IFS= read -r p; do
	"$B/ar-propose" -s "$STUDY" "${DEFS[@]}" --from - <<<"$p" 2>>"$WORK/propose.err"
done <<<"$seeds" >"$WORK/seeds.jsonl"
# The seeds are built first: their build time tells how many proposals
# can be built and measured in the time there is.
t0=$SECONDS
timeout "$(cap 180)" "$B/ar-compile" -s "$STUDY" "${DEFS[@]}" "${COPTS[@]}" \
    -j "$JOBS" --cache "$CACHE" <"$WORK/seeds.jsonl" >"$WORK/seeds-built.jsonl" \
    2>>"$WORK/tune-compile.err"
nseeds=$(wc -l <"$WORK/seeds-built.jsonl")
per_build=$(( (SECONDS - t0 + 1) * 10 / (nseeds > 0 ? nseeds : 1) ))	# tenths
# About what fits: a candidate costs about 3 s at 4096 (its worker, the
# copies, the checks), and the reference, on the processor, comes first.
budget=$(( $(left) - RESERVE - 40 - nseeds * 3 ))
nprop=$(( budget * 10 / (30 + per_build) ))
[ "$nprop" -ge "$BATCH" ] || nprop=$BATCH
say "tuning: $nseeds seeds built, $((per_build / 10)).$((per_build % 10))s each; $nprop proposals ($STRATEGY)"
"$B/ar-propose" -s "$STUDY" "${DEFS[@]}" -H "$WORK/seeds.jsonl" -n "$nprop" \
    --seed 1 --strategy "$STRATEGY" 2>>"$WORK/propose.err" |
    timeout "$(cap $(( (nprop * per_build) / 10 + 30 )))" "$B/ar-compile" -s "$STUDY" \
    "${DEFS[@]}" "${COPTS[@]}" -j "$JOBS" --cache "$CACHE" >"$WORK/proposals-built.jsonl" \
    2>>"$WORK/tune-compile.err"
budget=$(( $(left) - RESERVE ))
[ "$budget" -ge 30 ] || budget=30
say "tuning: measuring $nseeds seeds and $(wc -l <"$WORK/proposals-built.jsonl") proposals within ${budget}s"
cat "$WORK/seeds-built.jsonl" "$WORK/proposals-built.jsonl" |
    timeout "$(cap "$budget")" "$B/ar-bench" -s "$STUDY" "${DEFS[@]}" --cache "$CACHE" \
    --progress 2>>"$WORK/tune.err" |
    "$B/ar-score" -s "$STUDY" "${DEFS[@]}" >"$WORK/tune/tune.jsonl" 2>>"$WORK/tune-score.err"
best=$(best_record "$WORK"/tune/*.jsonl)
say "tuning: $(wc -l <"$WORK/tune/tune.jsonl") candidates measured; best $(rec_num gflops <<<"$best") GFLOP/s"
[ -n "$best" ] || ERRORS+=("no configuration measured ok: $(tailof "$WORK/tune.err" 3)")

# 6. The energy of the best, measured again with --energy.
if [ -n "$best" ] && [ "$(left)" -gt 20 ]; then
	say "energy of the best configuration"
	rec_params <<<"$best" | "$B/ar-propose" -s "$STUDY" "${DEFS[@]}" --from - 2>>"$WORK/propose.err" |
	    timeout "$(cap 120)" "$B/ar-compile" -s "$STUDY" "${DEFS[@]}" "${COPTS[@]}" --cache "$CACHE" 2>>"$WORK/energy.err" |
	    timeout "$(cap 150)" "$B/ar-bench" -s "$STUDY" "${DEFS[@]}" --cache "$CACHE" --energy \
	    >"$WORK/energy.jsonl" 2>>"$WORK/energy.err"
	ENERGY=$(rec_num energy_j <"$WORK/energy.jsonl")
	if [ -n "$ENERGY" ]; then
		say "energy: $ENERGY J a run"
	else
		NOTES+=("no energy: $(tailof "$WORK/energy.err" 2)")
	fi
fi

# 7. The OpenCL studies, on the GPU's OpenCL platform.
if [ "$CL_S" -gt 0 ] && [ "$(left)" -gt 30 ]; then
	say "OpenCL: the fault checks and the GEMM at $SIZE"
	out=$(AR_BIN=$B AR_CL_N=$SIZE AR_CL_LIMIT_S=$(( $(left) - 10 )) \
	    AR_CL_DEVICE=${AR_CL_DEVICE:-nvidia} "$ROOT/tests/gpu/opencl.sh" \
	    2>"$WORK/opencl.log")
	rc=$?
	[ -n "$out" ] && OPENCL_JSON=$out
	[ $rc -eq 0 ] || ERRORS+=("OpenCL check failed: $(tailof "$WORK/opencl.log" 2)")
fi
finish
