#!/usr/bin/env bash
# tests/gpu/opencl.sh: the OpenCL studies on one device, within a limit of
# wall-clock time (default 150 s).  tests/gpu/run.sh runs it on an NVIDIA
# GPU's OpenCL platform, in the same call as the CUDA check; by hand it
# runs on any device, PoCL's included (AR_CL_DEVICE=pocl AR_CL_N=512).
#
#   1. the ICD loader: libOpenCL.so.1 where the dynamic loader finds it,
#      else the CUDA toolkit's; the platform: the loader's own list, else,
#      where the NVIDIA driver's libnvidia-opencl.so.1 is there but no
#      ICD file names it, one made here (OCL_ICD_VENDORS);
#   2. the fault checks of tests/fixtures/opencl/faults.json on the
#      device: out of bounds, endless, __local memory and a work-group
#      beyond the device's, wrong, and good ones between;
#   3. the GEMM of kernels/gemm/opencl.json at M = N = K = AR_CL_N (4096):
#      the optimum of each GEMM replay dataset (RTX 3090, V100, K20,
#      measured by Kernel Tuner on those GPUs), then random proposals
#      while time lasts.
#
# Writes ONE JSON line on stdout (and to $OUT/opencl.json with OUT set,
# the records beside it); progress on stderr.  Needs no jq: a GPU node
# has few of our Debian packages.  Exit status: 0 when everything ran and
# every fault had its status, 1 otherwise ("errors" says what), 2 for bad
# usage.
#
# Environment: AR_BIN (the programs; default build/static/bin, else bin),
# AR_CL_DEVICE (ar-compile's --device; default the first GPU, else the
# first device), AR_CL_N, AR_CL_LIMIT_S, CUDA_HOME, OUT.
set -u
export LC_ALL=C

START=$SECONDS
LIMIT=${AR_CL_LIMIT_S:-150}
SIZE=${AR_CL_N:-4096}
case $LIMIT$SIZE in
*[!0-9]*) echo "usage: AR_CL_LIMIT_S and AR_CL_N are whole numbers" >&2; exit 2 ;;
esac
[ $# -eq 0 ] || { echo "usage: tests/gpu/opencl.sh (no operands; see its top)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ar-cl.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT
CACHE=$WORK/cache
ERRORS=()
DEVICE=""
DEV=()
[ -z "${AR_CL_DEVICE:-}" ] || DEV=(--device "$AR_CL_DEVICE")

say() { printf 'opencl-check [%3ds] %s\n' $((SECONDS - START)) "$*" >&2; }
left() { echo $((LIMIT - (SECONDS - START))); }
cap() {
	local l
	l=$(left)
	[ "$l" -lt "$1" ] || l=$1
	[ "$l" -ge 1 ] || l=1
	echo "$l"
}
tailof() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n "${2:-2}" | tr '\n' ' ' | tr -d '"\\' | sed 's/ *$//'; }
# The measurement's status (the last "status" of a record), a number, a
# string, the params.
rec_status() { sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p'; }
rec_num() { sed -n "s/.*[{,]\"$1\":\\(-\\{0,1\\}[0-9][-+0-9.eE]*\\).*/\\1/p" | head -n 1; }
rec_str() { sed -n "s/.*[{,]\"$1\":\"\\([^\"]*\\)\".*/\\1/p" | head -n 1; }
rec_params() { sed -n 's/.*"params":\({[^}]*}\).*/\1/p' | head -n 1; }

FAULTS_OK=false
FAULT_LINES=""
GEMM_N=0
GEMM_BEST=null
OPTIMA=""

finish() {
	local e first=1 s
	s=$(printf '{"ok":%s,"device":"%s","faults_as_expected":%s,"faults":[%s],' \
	    "$([ ${#ERRORS[@]} -eq 0 ] && echo true || echo false)" "$DEVICE" \
	    "$FAULTS_OK" "$FAULT_LINES")
	s=$s$(printf '"gemm":{"n":%s,"candidates":%s,"best":%s,"replay_optima":[%s]},"errors":[' \
	    "$SIZE" "$GEMM_N" "$GEMM_BEST" "$OPTIMA")
	for e in "${ERRORS[@]}"; do
		[ $first -eq 1 ] || s=$s,
		first=0
		s=$s\"${e//\"/\'}\"
	done
	s=$s$(printf '],"wall_s":%s}' $((SECONDS - START)))
	printf '%s\n' "$s"
	if [ -n "${OUT:-}" ]; then
		mkdir -p "$OUT" && printf '%s\n' "$s" >"$OUT/opencl.json"
		for f in "$WORK"/*.jsonl "$WORK"/*.err; do
			[ -e "$f" ] && cp "$f" "$OUT/opencl-$(basename "$f")"
		done
	fi
	[ ${#ERRORS[@]} -eq 0 ]
	exit
}
fail() { ERRORS+=("$1"); say "error: $1"; finish; }
trap 'ERRORS+=("interrupted"); finish' INT TERM

B=${AR_BIN:-}
[ -n "$B" ] || for d in "$ROOT/build/static/bin" "$ROOT/bin"; do
	[ -x "$d/ar-bench" ] && { B=$d; break; }
done
[ -n "$B" ] && [ -x "$B/ar-bench" ] || fail "no ar-* programs (set AR_BIN)"

# 1. The loader and the platform.
if [ -z "${AR_LIBOPENCL:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libOpenCL\.so\.1 '; then
	for c in "${CUDA_HOME:-/usr/local/cuda}" /usr/local/cuda; do
		for l in "$c/lib64/libOpenCL.so.1" "$c/lib/libOpenCL.so.1" \
		    "$c/targets/x86_64-linux/lib/libOpenCL.so.1"; do
			[ -e "$l" ] && { export AR_LIBOPENCL=$l; break 2; }
		done
	done
fi
if [ -z "${OCL_ICD_VENDORS:-}" ] && ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 &&
    ldconfig -p 2>/dev/null | grep -q 'libnvidia-opencl\.so\.1 '; then
	mkdir -p "$WORK/vendors"
	echo libnvidia-opencl.so.1 >"$WORK/vendors/nvidia.icd"
	export OCL_ICD_VENDORS=$WORK/vendors
fi
say "loader: ${AR_LIBOPENCL:-libOpenCL.so.1}; platforms: ${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}"

# 2. The fault checks.
FS=$WORK/faults.json
cp "$ROOT"/tests/fixtures/opencl/faults.json "$ROOT"/tests/fixtures/opencl/faults.cl \
    "$ROOT"/tests/fixtures/opencl/faults_ref.c "$WORK/"
"$B/ar-propose" -s "$FS" --strategy grid -n 100 >"$WORK/faults.in" 2>"$WORK/faults.err"
timeout "$(cap 120)" "$B/ar-compile" -s "$FS" "${DEV[@]}" --cache "$CACHE" \
    <"$WORK/faults.in" >"$WORK/faults-built.jsonl" 2>>"$WORK/faults.err" ||
    fail "ar-compile cannot build for the OpenCL device: $(tailof "$WORK/faults.err")"
DEVICE=$(rec_str device <"$WORK/faults-built.jsonl" | tr -d '"\\')
say "device: $DEVICE"
timeout "$(cap 120)" "$B/ar-bench" -s "$FS" "${DEV[@]}" --cache "$CACHE" \
    <"$WORK/faults-built.jsonl" >"$WORK/faults.jsonl" 2>>"$WORK/faults.err" ||
    ERRORS+=("ar-bench on the fault checks: $(tailof "$WORK/faults.err")")
# What each kind must end in, with the work-group the device allows
# (64); 8192 work-items are beyond any GPU's, and __local memory beyond
# the device is refused when built (NVIDIA) or before it runs (PoCL).
FAULTS_OK=true
while IFS= read -r r; do
	k=$(sed -n 's/.*"KIND":\([0-9]*\).*/\1/p' <<<"$r")
	w=$(sed -n 's/.*"WG":\([0-9]*\).*/\1/p' <<<"$r")
	got=$(rec_status <<<"$r" | tail -n 1)
	case $w:$k in
	*:5) want=compile_error ;;
	8192:*) want=invalid ;;
	*:0) want=ok ;;
	*:1) want=crash ;;
	*:2) want=timeout ;;
	*:3) want="invalid|compile_error" ;;
	*) want=wrong ;;
	esac
	[[ $got =~ ^($want)$ ]] || FAULTS_OK=false
	FAULT_LINES=$FAULT_LINES${FAULT_LINES:+,}$(printf '{"KIND":%s,"WG":%s,"want":"%s","got":"%s"}' \
	    "$k" "$w" "$want" "$got")
done <"$WORK/faults.jsonl"
[ -n "$FAULT_LINES" ] || FAULTS_OK=false
[ "$FAULTS_OK" = true ] || ERRORS+=("fault checks not as expected (see faults)")
say "faults as expected: $FAULTS_OK"

# 3. The GEMM: the replay datasets' optima, then random proposals.
GS=$ROOT/kernels/gemm/opencl.json
DEFS=(-D "M=$SIZE" -D "N=$SIZE" -D "K=$SIZE")
optimum() {
	printf '{"MWG":%s,"NWG":%s,"KWG":%s,"MDIMC":%s,"NDIMC":%s,"MDIMA":%s,"NDIMB":%s,"KWI":%s,"VWM":%s,"VWN":%s,"STRM":%s,"STRN":%s,"SA":%s,"SB":%s,"PRECISION":%s}\n' \
	    ${1//,/ }
}
{
	optimum 128,128,32,16,8,16,32,2,8,2,0,0,1,1,32
	optimum 64,128,32,16,8,16,32,2,4,4,0,0,1,1,32
	optimum 64,64,32,8,16,32,16,2,2,4,0,0,1,0,32
} | while IFS= read -r p; do
	"$B/ar-propose" -s "$GS" "${DEFS[@]}" --from - <<<"$p" 2>>"$WORK/gemm.err"
done >"$WORK/optima.in"
nrand=$(( $(left) / 8 ))
[ "$nrand" -ge 4 ] || nrand=4
"$B/ar-propose" -s "$GS" "${DEFS[@]}" -H "$WORK/optima.in" --strategy random --seed 1 \
    -n "$nrand" 2>>"$WORK/gemm.err" >"$WORK/random.in"
say "gemm at $SIZE: 3 replay optima, then $nrand random configurations"
cat "$WORK/optima.in" "$WORK/random.in" |
    timeout "$(cap 120)" "$B/ar-compile" -s "$GS" "${DEFS[@]}" "${DEV[@]}" --cache "$CACHE" \
    >"$WORK/gemm-built.jsonl" 2>>"$WORK/gemm.err"
budget=$(( $(left) - 5 ))
[ "$budget" -ge 10 ] || budget=10
timeout "$(cap "$budget")" "$B/ar-bench" -s "$GS" "${DEFS[@]}" "${DEV[@]}" --cache "$CACHE" \
    <"$WORK/gemm-built.jsonl" 2>>"$WORK/gemm.err" |
    "$B/ar-score" -s "$GS" "${DEFS[@]}" >"$WORK/gemm.jsonl" 2>>"$WORK/gemm.err"
GEMM_N=$(wc -l <"$WORK/gemm.jsonl")
i=0
for from in "RTX 3090" "V100" "K20"; do
	i=$((i + 1))
	r=$(sed -n "${i}p" "$WORK/gemm.jsonl")
	g=$(rec_num gflops <<<"$r")
	OPTIMA=$OPTIMA${OPTIMA:+,}$(printf '{"from":"%s","status":"%s","gflops":%s}' "$from" \
	    "$(rec_status <<<"$r" | tail -n 1)" "${g:-null}")
done
best=$(awk 'match($0, /"gflops":[-+0-9.eE]+/) && /"status":"ok"/ {
	g = substr($0, RSTART + 9, RLENGTH - 9) + 0
	if (!f || g > bg) { bg = g; bl = $0; f = 1 } } END { if (f) print bl }' "$WORK/gemm.jsonl")
if [ -n "$best" ]; then
	GEMM_BEST=$(printf '{"params":%s,"gflops":%s}' "$(rec_params <<<"$best")" "$(rec_num gflops <<<"$best")")
	say "gemm: $GEMM_N measured; best $(rec_num gflops <<<"$best") GFLOP/s"
else
	ERRORS+=("no GEMM configuration measured ok: $(tailof "$WORK/gemm.err")")
fi
finish
