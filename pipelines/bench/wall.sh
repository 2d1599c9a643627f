# shellcheck shell=bash
# Sourced by the benchmarks that time a command again and again
# (replay-load.sh, report.sh).
#
# wall_times CMD...: the wall times of $reps runs of CMD (its stdout
# dropped), in seconds, on one line.  reps is the caller's.
# shellcheck disable=SC2154
wall_times() {
	local i t0 t1 out=
	for ((i = 0; i < reps; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		out="$out $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.4f", d / 1e9 }')"
	done
	echo "${out# }"
}
