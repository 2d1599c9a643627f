# Sourced by run.sh and split.sh (not run): what both do the same way.
#
# NICE (none): the benchmark's priority against the rest of the machine.
# This kernel groups CPU time by session (sched_autogroup), so nice alone
# does nothing against other sessions' work: the script is run again in a
# session of its own (setsid), and that session gets NICE
# (/proc/self/autogroup) as well as the script itself.  OpenBLAS and ours
# run in it alike.  Sourced before anything else, with no arguments, so
# that "$0" "$@" are the script's.
if [ -n "${NICE:-}" ] && [ -z "${RUN_SH_SESSION:-}" ]; then
	RUN_SH_SESSION=1 exec setsid -w "$0" "$@"
fi
if [ -n "${NICE:-}" ]; then
	[ ! -e /proc/self/autogroup ] || echo "$NICE" >/proc/self/autogroup
	renice -n "$NICE" -p $$ >/dev/null
fi

# best_of DIR [CONFIRM]: the record a case's tuning found best, on stdout
# ("null" when there is none): tune.mk's confirmed best where
# DIR/confirm.jsonl holds one and CONFIRM is not 0, else the history's
# best score.
best_of() {
	if [ "${2:-1}" != 0 ] && [ -s "$1/confirm.jsonl" ]; then
		jq -c -s '[.[] | select(.confirm.status == "ok")] | first' "$1/confirm.jsonl"
	else
		jq -c -s '[.[] | select(.status == "ok")] | max_by(.score)' "$1/history.jsonl"
	fi
}
