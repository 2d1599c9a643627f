#!/usr/bin/env bash
# nightly.sh: one night of a study, as cron or a systemd timer runs it
# (examples/cron/README.md).  It goes on with the study where the last
# night left it (pipelines/tune.mk resumes from the rounds it finds), waits
# for a run still at work on the same folder (tune.mk's lock on OUT), then
# prints the summary (with ar-report --text's facts) and the report's
# path on stdout, which cron mails and systemd keeps in the journal, and
# appends the same to OUT/nightly.log.  Exit 0, or tune.mk's status.
#
#   nightly.sh                     the settings of the file below
#   STUDY=S OUT=D nightly.sh        or of the environment
#
# Settings, from the environment, else from the file $AR_NIGHTLY (default
# ~/.config/autoresearch/nightly.env), whose lines NAME=VALUE are read as
# data, never run:
#   STUDY    the study spec (required), relative to the project or absolute
#   OUT      the study's folder (runs/nightly-NAME of the study)
#   NIGHT    evaluations to add each night (64), unless
#   EVALS    a total: the nights go on until the study has that many
#   SECONDS_BUDGET, BATCH, STRATEGY, SEED, DEFS, BENCH, JOBS, BIN: as
#            tune.mk's SECONDS, BATCH, ... (SECONDS is bash's own clock,
#            hence the name); BIN, the programs, is the clone's bin/
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
keys='STUDY OUT NIGHT EVALS SECONDS_BUDGET BATCH STRATEGY SEED DEFS BENCH JOBS BIN'

# The file's settings, for those the environment does not give.
conf=${AR_NIGHTLY:-${HOME:-/nonexistent}/.config/autoresearch/nightly.env}
if [ -f "$conf" ]; then
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in '' | '#'*) continue ;; esac
		name=${line%%=*} value=${line#*=}
		if [ "$name" = "$line" ] || [[ " $keys " != *" $name "* ]]; then
			echo "nightly.sh: $conf:$n: not one of $keys as NAME=VALUE: $line" >&2
			exit 2
		fi
		# Quotes around the whole value, as systemd's EnvironmentFile takes.
		case $value in \"*\" | \'*\') value=${value:1:${#value}-2} ;; esac
		[ -n "${!name+set}" ] || printf -v "$name" '%s' "$value"
	done <"$conf"
fi
if [ -z "${STUDY:-}" ]; then
	echo "nightly.sh: no STUDY: set it in $conf or the environment" >&2
	exit 2
fi
[ -f "$STUDY" ] || { echo "nightly.sh: STUDY '$STUDY': no such file" >&2; exit 2; }
BIN=${BIN:-$root/bin}
if [ ! -x "$BIN/ar-report" ]; then
	echo "nightly.sh: $BIN has no programs: run make in $root first" >&2
	exit 1
fi
name=$(basename "$STUDY" .json)
OUT=${OUT:-runs/nightly-$name}
mkdir -p "$OUT"
case $OUT in /*) abs=$OUT ;; *) abs=$root/$OUT ;; esac

# The budget of tonight: a total, or what the history holds plus a night.
if [ -n "${EVALS:-}" ]; then
	budget=$EVALS
else
	done_=0
	[ -f "$OUT/history.jsonl" ] && done_=$(grep -c . "$OUT/history.jsonl" || true)
	budget=$((done_ + ${NIGHT:-64}))
fi
vars=(STUDY="$STUDY" OUT="$OUT" EVALS="$budget" BIN="$BIN")
for k in BATCH STRATEGY SEED DEFS BENCH JOBS; do
	[ -z "${!k:-}" ] || vars+=("$k=${!k}")
done
[ -z "${SECONDS_BUDGET:-}" ] || vars+=("SECONDS=$SECONDS_BUDGET")

log=$OUT/nightly.log
{
	echo "== $(date -u '+%Y-%m-%dT%H:%M:%SZ') nightly $STUDY on $(uname -n): up to $budget evaluations in $OUT"
	status=0
	# One run, so one hold of the lock, for the rounds, the summary and
	# the page.
	make -s -f pipelines/tune.mk "${vars[@]}" summary report </dev/null 2>&1 ||
	    status=$?
	[ "$status" -ne 0 ] || echo "report: $abs/report.html"
	[ "$status" -eq 0 ] || echo "nightly.sh: tune.mk ended with status $status"
	exit "$status"
} | tee -a "$log"
