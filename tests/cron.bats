#!/usr/bin/env bats
# examples/cron: the nightly run of a study, as cron and the systemd timer
# start it.  The service's ExecStart and the crontab's command run as those
# would: no terminal (setsid), no standard input, a minimal environment
# (cron's: HOME, LOGNAME, SHELL, PATH=/usr/bin:/bin), with the settings in
# ~/.config/autoresearch/nightly.env of a throwaway HOME whose
# ~/autoresearch is this clone.  The study is a replay of the synthetic
# cache file of tests/fixtures/replay, so a night takes a second or two.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	H=$T/home
	mkdir -p "$H/.config/autoresearch"
	ln -s "$ROOT" "$H/autoresearch"
	synth_study "$T"
	BIN=$(cd "${AR_BIN:-$ROOT/bin}" && pwd)
	cat >"$H/.config/autoresearch/nightly.env" <<-EOF
	# a comment, then the settings
	STUDY=$T/s.json
	OUT=$T/out
	NIGHT=24
	BATCH=8
	STRATEGY=random
	BIN=$BIN
	EOF
}

# as_cron COMMAND...: COMMAND with no terminal, no input and cron's
# environment; its output in $T/stdout and $T/stderr, its status in $status.
as_cron() {
	status=0
	setsid -w env -i HOME="$H" LOGNAME=nobody SHELL=/bin/sh PATH=/usr/bin:/bin \
	    "$@" </dev/null >"$T/stdout" 2>"$T/stderr" || status=$?
}

# The service's ExecStart, %h being the throwaway HOME.
exec_start() {
	sed -n 's/^ExecStart=//p' "$ROOT/examples/cron/autoresearch-nightly.service" |
	    sed "s#%h#$H#g"
}

@test "the timer's service runs a night with no terminal, no input and a bare environment" {
	local cmd
	cmd=$(exec_start)
	[ -n "$cmd" ] || fail "no ExecStart in the service"
	as_cron $cmd
	[ "$status" -eq 0 ] || fail "status $status: $(cat "$T/stderr" "$T/stdout")"
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 24 ]
	run cat "$T/stdout"
	assert_line --regexp '^== .* nightly .*/s\.json on .*: up to 24 evaluations in '
	assert_line --regexp '^best of 24 evaluations'
	assert_line --regexp '^importance \(gp, [0-9]+ ok\): '
	assert_line "report: $T/out/report.html"
	[ -s "$T/out/report.html" ]
	# The log holds what was printed.
	cmp "$T/stdout" "$T/out/nightly.log"
}

@test "the crontab's line runs the next night, which goes on where the last stopped" {
	local cmd
	cmd=$(grep -v '^#' "$ROOT/examples/cron/crontab" | grep -v '=' | grep . |
	    awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }')
	[ "$cmd" = '$HOME/autoresearch/examples/cron/nightly.sh' ] || fail "the command: $cmd"
	grep -q '^MAILTO=' "$ROOT/examples/cron/crontab"
	as_cron /bin/sh -c "$cmd"
	[ "$status" -eq 0 ] || fail "night 1: status $status: $(cat "$T/stderr")"
	cp "$T/out/history.jsonl" "$T/night1.jsonl"
	as_cron /bin/sh -c "$cmd"
	[ "$status" -eq 0 ] || fail "night 2: status $status: $(cat "$T/stderr")"
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 48 ]
	# Night 2 kept night 1 and measured none of it again.
	cmp "$T/night1.jsonl" <(head -n 24 "$T/out/history.jsonl")
	[ "$(jq -r .id "$T/out/history.jsonl" | sort -u | wc -l)" -eq 48 ]
	[ "$(grep -c '^== .* nightly ' "$T/out/nightly.log")" -eq 2 ]
	grep -q 'up to 48 evaluations' "$T/out/nightly.log"
}

@test "two nights at once take turns through the study's lock, and a total ends the study" {
	local cmd a b
	cmd=$(exec_start)
	echo EVALS=32 >>"$H/.config/autoresearch/nightly.env"
	# Both start before either holds the lock.
	( setsid -w env -i HOME="$H" LOGNAME=nobody PATH=/usr/bin:/bin $cmd </dev/null >"$T/a" 2>&1 ) &
	a=$!
	( setsid -w env -i HOME="$H" LOGNAME=nobody PATH=/usr/bin:/bin $cmd </dev/null >"$T/b" 2>&1 ) &
	b=$!
	wait "$a" || fail "first: $(cat "$T/a")"
	wait "$b" || fail "second: $(cat "$T/b")"
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 32 ]
	[ "$(jq -r .id "$T/out/history.jsonl" | sort -u | wc -l)" -eq 32 ]
	# Whole rounds only, each one once.
	[ "$(cat "$T"/out/rounds/*.jsonl | wc -l)" -eq 32 ]
	as_cron $cmd
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$T/out/history.jsonl")" -eq 32 ]
}

@test "bad settings are one message and status 2; a missing study too" {
	echo 'STUDY=$(touch '"$T"'/owned)' >"$T/bad.env"
	echo 'RM=-rf /' >>"$T/bad.env"
	as_cron env AR_NIGHTLY="$T/bad.env" "$ROOT/examples/cron/nightly.sh"
	[ "$status" -eq 2 ]
	run cat "$T/stderr"
	assert_output "nightly.sh: $T/bad.env:2: not one of STUDY OUT NIGHT EVALS SECONDS_BUDGET BATCH STRATEGY SEED DEFS BENCH JOBS BIN as NAME=VALUE: RM=-rf /"
	[ ! -e "$T/out" ] && [ ! -e "$T/owned" ]
	printf 'STUDY=%s\n' "$T/none.json" >"$T/none.env"
	as_cron env AR_NIGHTLY="$T/none.env" "$ROOT/examples/cron/nightly.sh"
	[ "$status" -eq 2 ]
	run cat "$T/stderr"
	assert_output "nightly.sh: STUDY '$T/none.json': no such file"
}

@test "systemd reads the service and the timer" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	mkdir -p "$T/run"
	chmod 700 "$T/run"
	run env HOME="$H" XDG_RUNTIME_DIR="$T/run" systemd-analyze --user verify \
	    "$ROOT/examples/cron/autoresearch-nightly.service" \
	    "$ROOT/examples/cron/autoresearch-nightly.timer"
	assert_success
	assert_output ''
}
