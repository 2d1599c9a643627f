# shellcheck shell=bash
# Sourced by the benchmarks of pipelines/bench/scale/: the build, a
# temporary folder that is removed however the run ends, the bench lock,
# medians, and a run of tune.mk.
#
# The caller sets nothing; after sourcing, it has
#   root  the checkout            bin   the programs (O=, default build/scale)
#   dir   its temporary folder    lock  the file each timing holds (flock)
# and it adds what to undo to the array `undo` (commands run at exit, last
# first), e.g. undo+=("tests/loopback-ssh stop $dir/ssh").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
root=$PWD
o=${O:-build/scale}
make -s O="$o" -j2 all >&2
bin=$root/$o/bin
dir=$(mktemp -d "${TMPDIR:-/tmp}/ar-scale.XXXXXX")
# One timing at a time on a shared machine: every timed run holds this
# lock (LOCK=, by default /tmp/ar/bench.lock where /tmp/ar exists).
if [ -n "${LOCK:-}" ]; then lock=$LOCK
elif [ -d /tmp/ar ]; then lock=/tmp/ar/bench.lock
else lock=$dir/bench.lock; fi
undo=()
scale_cleanup() {
	local i
	for ((i = ${#undo[@]} - 1; i >= 0; i--)); do eval "${undo[i]}" || :; done
	rm -rf "$dir"
}
trap scale_cleanup EXIT
trap 'exit 130' INT TERM

# cpu_line: the processor, its cores and the load, for the head of the output.
cpu_line() {
	echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# load1: the load average of the last minute.
load1() { cut -d' ' -f1 /proc/loadavg; }

# median: the median of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ t[NR] = $1 } END { if (NR == 0) exit 1
	    printf "%.4f\n", NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2 }'
}

# since T0: the seconds from T0 ($EPOCHREALTIME) to now.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f\n", b - a }'; }

# timed CMD...: runs CMD holding the lock (stdout to /dev/null) and prints
# its wall seconds.
timed() {
	local t0 rc=0
	exec 7>>"$lock"
	flock 7
	t0=$EPOCHREALTIME
	"$@" >/dev/null || rc=$?
	since "$t0"
	exec 7>&-
	return $rc
}

# tune DIR ARG...: tune.mk on the study $study (default s.json, in DIR),
# in DIR, with the programs of this build; stderr to DIR/tune.err.
tune() {
	local d=$1
	shift
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$d" \
	    -f "$root/pipelines/tune.mk" BIN="$bin" STUDY="${study:-s.json}" "$@" 2>"$d/tune.err" ||
	    { echo "tune.mk failed in $d:" >&2; cat "$d/tune.err" >&2; return 1; }
}
