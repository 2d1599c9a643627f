#!/usr/bin/env bash
# hosts.sh -- measures a round's proposals on several machines with GNU
# parallel: what tune.mk runs in place of `ar-compile | ar-bench` when it
# is given HOSTS=.
#
#   pipelines/hosts.sh -S HOSTS [--ssh COMMAND] [--slice K|auto] [--retries N]
#       [--wd DIR] [--env NAME]... -- WORD... ['|' WORD...]...
#
# Standard input is the round's proposals (ar-propose's JSON lines);
# standard output the records the pipeline after `--` makes of them, one
# for each proposal and in the proposals' order, as if it had run here.
# The pipeline is argument vectors, stages separated by a word `|`:
#
#   -- /opt/ar/bin/ar-compile -s s.json -j 1 '|' /opt/ar/bin/ar-bench -s s.json
#
# GNU parallel hands the proposals out K at a time (--slice) to the hosts
# -S names, in its --sshlogin syntax ("4/gpu1,4/gpu2": 4 jobs at once on
# each; ":" is this machine), and each job runs the pipeline
# there, in DIR (--wd, by default this folder's path: the hosts see the
# study at the same path, on a shared file system or a copy), with the
# variables --env names (AR_HISTORY, for one) set as they are here.  The
# proposals reach the hosts on the pipeline's standard input, never in a
# command line.  The words are quoted for the remote shell with printf %q.
#
# A job costs a login over ssh and the programs' start (for a C study,
# ar-bench builds the reference): 0.3 s for the login alone on a quiet
# machine here, most of it the key exchange's CPU.  So the logins to a
# host share one connection, which stays open a minute after its last
# use, for the next round (ssh's ControlMaster=auto, ControlPersist=60,
# the socket in ~/.ssh/ar-%C); a --ssh that names a Control option of
# its own is left as it is.  And --slice auto (the default) gives each
# job slot one job:
# K is the proposals divided by the slots, those HOSTS names ("4/gpu1"
# is 4; a host without a count is 1, ":" without one this machine's
# cores).  --slice 1 balances best (a slow candidate holds up only
# itself), for candidates that take long beside that cost.
#
# A job that failed (its host died: ssh's status 255; it was killed; a
# program of the pipeline failed or is missing there) is retried on
# another host up to --retries N times (0 by default); a proposal still
# without a record then becomes a "crash" record naming the host and how
# its job ended (gather.jq), so that a host that dies mid-round costs its
# candidates, never the round.  The "host" field of each record is the
# host that measured it, as HOSTS names it (":" is this machine's name).
# When no job ended well with a record (no host could be reached, the
# programs are missing everywhere), this prints nothing and exits 1, so
# that tune.mk makes no round of it and the next run measures it again.
#
# Exit status: 0 the round is measured (failed candidates are data);
# 1 no host measured anything, or parallel itself failed; 2 usage.
set -euo pipefail
me=hosts.sh
here=$(cd "$(dirname "$0")" && pwd)

# usage: the synopsis above, on stderr, for a usage that cannot run.
usage() {
	sed -n '6,7p' "$0" | sed 's/^# *//; 1s/^/usage: /' >&2
	exit 2
}

hosts= ssh=ssh slice=auto retries=0 wd=$PWD envs=()
while [ $# -gt 0 ]; do
	case $1 in
	-S) [ $# -ge 2 ] || usage; hosts=$2; shift 2 ;;
	--ssh) [ $# -ge 2 ] || usage; ssh=$2; shift 2 ;;
	--slice) [ $# -ge 2 ] || usage; slice=$2; shift 2 ;;
	--retries) [ $# -ge 2 ] || usage; retries=$2; shift 2 ;;
	--wd) [ $# -ge 2 ] || usage; wd=$2; shift 2 ;;
	--env) [ $# -ge 2 ] || usage; envs+=(--env "$2"); shift 2 ;;
	-h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	*) echo "$me: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ -n "$hosts" ] || { echo "$me: -S HOSTS is required" >&2; exit 2; }
[ $# -gt 0 ] && [ "$1" != '|' ] && [ "${!#}" != '|' ] ||
	{ echo "$me: no pipeline after --" >&2; exit 2; }
[[ $slice =~ ^([1-9][0-9]*|auto)$ ]] || { echo "$me: --slice $slice is neither auto nor a whole number above 0" >&2; exit 2; }
[[ $retries =~ ^[0-9]+$ ]] || { echo "$me: --retries $retries is not a whole number" >&2; exit 2; }
command -v parallel >/dev/null || { echo "$me: GNU parallel is not installed (make deps)" >&2; exit 1; }

# The pipeline as one command line for the remote shell: each word quoted,
# the stages joined by pipes, run by bash with pipefail so that a stage
# that failed (a program missing there) fails the job, which is then
# retried or its proposals recorded as lost; and AR_HOST set to the
# host's name as HOSTS gives it (parallel's $PARALLEL_SSHHOST; ":", this
# machine, keeps its own), which ar-bench writes in each record.
inner='set -o pipefail; [ "$PARALLEL_SSHHOST" = : ] || export AR_HOST="$PARALLEL_SSHHOST";'
for w; do
	if [ "$w" = '|' ]; then inner+=" |"; else inner+=" $(printf %q "$w")"; fi
done
cmd="bash -c $(printf %q "$inner")"

case $ssh in
*Control*) ;;
*)
	home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
	mkdir -p -m 700 "$home/.ssh"
	ssh+=" -o ControlMaster=auto -o ControlPersist=60 -o ControlPath=$home/.ssh/ar-%C"
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ar-hosts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/proposals"
[ -s "$tmp/proposals" ] || exit 0
if [ "$slice" = auto ]; then
	slots=0
	IFS=, read -ra logins <<<"$hosts"
	for l in "${logins[@]}"; do
		if [[ $l =~ ^([0-9]+)/ ]]; then slots=$((slots + BASH_REMATCH[1]))
		elif [ "$l" = : ]; then slots=$((slots + $(nproc)))
		else slots=$((slots + 1)); fi
	done
	n=$(wc -l <"$tmp/proposals")
	slice=$(( (n + slots - 1) / slots ))
fi

# --retries counts tries, the first included.  parallel's own status is
# the number of jobs that failed: gather.jq makes them crash records.
rc=0
parallel --pipe -N "$slice" --keep-order --tagstring '{#}' \
	--joblog "$tmp/joblog" --retries $((retries + 1)) \
	-S "$hosts" --ssh "$ssh" --wd "$wd" "${envs[@]}" \
	"$cmd" <"$tmp/proposals" >"$tmp/results" || rc=$?
if [ ! -s "$tmp/joblog" ] || [ "$rc" -gt 100 ]; then
	echo "$me: GNU parallel failed (status $rc)" >&2
	exit 1
fi
if ! awk -F '\t' 'NR > 1 && $7 == 0 && $8 == 0 { ok = 1 } END { exit !ok }' "$tmp/joblog" ||
    ! grep -q $'\t{' "$tmp/results"; then
	echo "$me: no host measured anything (every job failed; see the messages above):" \
	    "the round is not made" >&2
	exit 1
fi
jq -nr --argjson k "$slice" --rawfile jobs "$tmp/joblog" --rawfile out "$tmp/results" \
	--arg here "$(hostname)" -f "$here/gather.jq" "$tmp/proposals"
