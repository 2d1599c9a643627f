#!/usr/bin/env bats
# tune.mk's HOSTS=: each round measured on other machines with GNU
# parallel over ssh (pipelines/hosts.sh).  The "hosts" are sshds on
# loopback ports that this suite starts with a throwaway key
# (tests/loopback-ssh); proposing, scoring and learning stay here, so the
# history must be the one a run on this machine alone makes, byte for
# byte but the "host" field and the timings, whatever happens to a host.

load helper

setup_file() {
	command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] ||
		skip "no sshd (Debian's openssh-server; make deps installs it)"
	"$ROOT/tests/loopback-ssh" start "$BATS_FILE_TMPDIR/ssh" w1 w2
}

teardown_file() {
	"$ROOT/tests/loopback-ssh" stop "$BATS_FILE_TMPDIR/ssh"
}

# tune ARG...: a run of the study s.json in the test's folder, OUT=out.
tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$BATS_TEST_TMPDIR" \
	    -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" STUDY=s.json \
	    SSH="ssh -F $BATS_FILE_TMPDIR/ssh/ssh_config" "$@"
}

# A command study: slow.sh X Y sleeps a little and prints v = (X - 3)^2 + Y,
# with the host it ran on (AR_HOST, from hosts.sh) and the records that
# AR_HISTORY held.  When the file "hold" names the host it runs on, it
# says so in "held" and waits there until it is killed ("any": whatever
# the host).
command_study() {
	{
		echo '#!/bin/sh'
		echo "d=$BATS_TEST_TMPDIR"
		cat <<-'EOF'
		if [ -e "$d/hold" ] && grep -qx -e any -e "${AR_HOST:-}" "$d/hold"; then
			echo "$1 $2" >"$d/held"
			sleep 60
		fi
		EOF
	} >"$BATS_TEST_TMPDIR/slow.sh"
	cat >>"$BATS_TEST_TMPDIR/slow.sh" <<-'EOF'
	sleep 0.1
	echo "{\"v\": $((($1 - 3) * ($1 - 3) + $2)), \"on\": \"${AR_HOST:-}\", \"seen\": $(cat "$AR_HISTORY" | wc -l)}"
	EOF
	chmod +x "$BATS_TEST_TMPDIR/slow.sh"
	printf '%s\n' '{"name": "slow", "backend": "command", "command": ["./slow.sh", "{X}", "{Y}"],
	    "params": {"X": [1, 2, 3, 4, 5, 6], "Y": [0, 1, 2, 3]},
	    "bench": {"warmup": 0, "repeat": 1}, "objective": "minimize output.v"}' \
	    >"$BATS_TEST_TMPDIR/s.json"
}

# same A B: the histories A and B hold the same records but for the host
# and the timings.
same() {
	diff <(jq -c 'del(.host, .time_s, .times, .cost_s, .output.on)' "$1") \
	    <(jq -c 'del(.host, .time_s, .times, .cost_s, .output.on)' "$2")
}

@test "a replay study over two hosts gives the one-host history, byte for byte but the host" {
	synth_study "$BATS_TEST_TMPDIR"
	run --separate-stderr tune EVALS=24 BATCH=8 OUT=one
	assert_success
	run --separate-stderr tune EVALS=24 BATCH=8 OUT=two HOSTS=2/w1,2/w2
	assert_success
	assert_output --partial "24 evaluations in 3 rounds"
	cmp "$BATS_TEST_TMPDIR/one/history.jsonl" \
	    <(sed 's/,"host":"[^"]*"//' "$BATS_TEST_TMPDIR/two/history.jsonl")
	run jq -r .host "$BATS_TEST_TMPDIR/two/history.jsonl"
	assert_equal "$(sort -u <<<"$output")" "$(printf '%s\n' w1 w2)"
	# The rounds are whole, in the proposals' order, one record each.
	[ "$(wc -l <"$BATS_TEST_TMPDIR/two/history.jsonl")" = 24 ]
	# One job a candidate: the same history again.
	run --separate-stderr tune EVALS=24 BATCH=8 OUT=three HOSTS=1/w1,1/w2 SLICE=1
	assert_success
	cmp "$BATS_TEST_TMPDIR/one/history.jsonl" \
	    <(sed 's/,"host":"[^"]*"//' "$BATS_TEST_TMPDIR/three/history.jsonl")
}

@test "a command study on the hosts: each record names the host that ran it, and AR_HISTORY reaches it" {
	command_study
	run --separate-stderr tune ROUNDS=2 BATCH=4 STRATEGY=grid OUT=out HOSTS=1/w1,1/w2 SLICE=1
	assert_success
	# The host ar-bench wrote is the one the program ran on.
	run jq -r 'select(.host != .output.on) | .id' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output ''
	run jq -r .host "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_equal "$(sort -u <<<"$output")" "$(printf '%s\n' w1 w2)"
	run jq -c '[.round, .output.seen]' "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_output "$(printf '%s\n' '[1,0]' '[1,0]' '[1,0]' '[1,0]' '[2,4]' '[2,4]' '[2,4]' '[2,4]')"
	run --separate-stderr tune ROUNDS=2 BATCH=4 STRATEGY=grid OUT=one
	assert_success
	same "$BATS_TEST_TMPDIR/one/history.jsonl" "$BATS_TEST_TMPDIR/out/history.jsonl"
}

# kill_host_when_held NAME: waits (in the background) until a candidate
# holds on host NAME, then kills that host's sshd and all it runs.
kill_host_when_held() {
	echo "$1" >"$BATS_TEST_TMPDIR/hold"
	(
		for _ in $(seq 300); do
			[ -e "$BATS_TEST_TMPDIR/held" ] && break
			sleep 0.1
		done
		"$ROOT/tests/loopback-ssh" kill "$BATS_TEST_TMPDIR/ssh" "$1"
	) 3>&- &
}

@test "a host killed mid-round: its candidates come back as crash records naming it, and the study goes on" {
	command_study
	"$ROOT/tests/loopback-ssh" start "$BATS_TEST_TMPDIR/ssh" k1 k2
	kill_host_when_held k2
	run --separate-stderr tune ROUNDS=2 BATCH=4 STRATEGY=grid OUT=out HOSTS=1/k1,1/k2 SLICE=1 \
	    SSH="ssh -F $BATS_TEST_TMPDIR/ssh/ssh_config"
	"$ROOT/tests/loopback-ssh" stop "$BATS_TEST_TMPDIR/ssh"
	assert_success
	h=$BATS_TEST_TMPDIR/out/history.jsonl
	# Nothing vanished: both rounds whole, in the grid's order.
	run jq -c '[.round, .params.X, .params.Y]' "$h"
	assert_output "$(printf '%s\n' '[1,1,0]' '[1,1,1]' '[1,1,2]' '[1,1,3]' '[2,2,0]' '[2,2,1]' '[2,2,2]' '[2,2,3]')"
	# The candidate held on k2 crashed with it, and says so.
	held=$(cat "$BATS_TEST_TMPDIR/held")
	run jq -r --argjson x "${held% *}" --argjson y "${held#* }" \
	    'select(.params.X == $x and .params.Y == $y) | [.status, .host, .error] | @tsv' "$h"
	assert_output "$(printf 'crash\tk2\tlost on host k2: its job ended with status 255 (ssh could not reach the host, or lost it)')"
	# Every crash is k2's; k1 measured the rest.
	run jq -r 'select(.status == "crash") | .host' "$h"
	assert_equal "$(sort -u <<<"$output")" k2
	run jq -r 'select(.status == "ok") | .host' "$h"
	assert_equal "$(sort -u <<<"$output")" k1
	run jq -s 'map(select(.status == "ok")) | length' "$h"
	[ "$output" -ge 1 ]
}

@test "with RETRIES=1 a host killed mid-round costs nothing: the history is the one-host run's" {
	command_study
	"$ROOT/tests/loopback-ssh" start "$BATS_TEST_TMPDIR/ssh" k1 k2
	kill_host_when_held k2
	run --separate-stderr tune ROUNDS=2 BATCH=4 STRATEGY=grid OUT=out HOSTS=1/k1,1/k2 SLICE=1 \
	    RETRIES=1 SSH="ssh -F $BATS_TEST_TMPDIR/ssh/ssh_config"
	"$ROOT/tests/loopback-ssh" stop "$BATS_TEST_TMPDIR/ssh"
	assert_success
	[ -e "$BATS_TEST_TMPDIR/held" ]
	rm "$BATS_TEST_TMPDIR/hold"
	run jq -r .status "$BATS_TEST_TMPDIR/out/history.jsonl"
	assert_equal "$(sort -u <<<"$output")" ok
	run --separate-stderr tune ROUNDS=2 BATCH=4 STRATEGY=grid OUT=one
	assert_success
	same "$BATS_TEST_TMPDIR/one/history.jsonl" "$BATS_TEST_TMPDIR/out/history.jsonl"
}

@test "a run killed mid-round resumes where it stopped, with the history of an uninterrupted run" {
	command_study
	# The round-2 candidate X=2 Y=1 holds until the run is killed.
	echo any >"$BATS_TEST_TMPDIR/hold"
	sed -i 's/^if \[ -e "$d\/hold" \]/if [ "$1 $2" = "2 1" ] \&\& [ -e "$d\/hold" ]/' "$BATS_TEST_TMPDIR/slow.sh"
	grep -q '"2 1"' "$BATS_TEST_TMPDIR/slow.sh"
	# The run in a session of its own, so that it dies whole.
	setsid bash -c 'echo $$ >"$0/pgid"; exec "$@" >/dev/null 2>&1' "$BATS_TEST_TMPDIR" \
	    env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -C "$BATS_TEST_TMPDIR" -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY=s.json SSH="ssh -F $BATS_FILE_TMPDIR/ssh/ssh_config" ROUNDS=3 BATCH=4 \
	    STRATEGY=grid OUT=out HOSTS=1/w1,1/w2 SLICE=1 3>&- &
	for _ in $(seq 300); do [ -e "$BATS_TEST_TMPDIR/held" ] && break; sleep 0.1; done
	[ -e "$BATS_TEST_TMPDIR/held" ]
	kill -KILL -- -"$(cat "$BATS_TEST_TMPDIR/pgid")"
	wait
	# What the killed run left: round 1, nothing of round 2.
	run ls "$BATS_TEST_TMPDIR/out/rounds"
	assert_output --regexp '^001.jsonl'
	[ ! -e "$BATS_TEST_TMPDIR/out/rounds/002.jsonl" ]
	# Its candidate on w2 still holds the lock; the next run waits for it.
	rm "$BATS_TEST_TMPDIR/hold"
	pkill -f "slow.sh 2 1" || :
	run --separate-stderr tune ROUNDS=3 BATCH=4 STRATEGY=grid OUT=out HOSTS=1/w1,1/w2 SLICE=1
	assert_success
	run --separate-stderr tune ROUNDS=3 BATCH=4 STRATEGY=grid OUT=one
	assert_success
	same "$BATS_TEST_TMPDIR/one/history.jsonl" "$BATS_TEST_TMPDIR/out/history.jsonl"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/out/history.jsonl")" = 12 ]
}

@test "no host can be reached: the round is not made, and the run says so and fails" {
	synth_study "$BATS_TEST_TMPDIR"
	run --separate-stderr tune EVALS=8 BATCH=8 OUT=out HOSTS=1/nowhere.invalid
	assert_failure
	assert_output ''
	[[ $stderr == "round 001 of 1: 8 proposals (auto)"* ]]
	[[ $stderr == *"hosts.sh: no host measured anything (every job failed; see the messages above): the round is not made"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/out/rounds/001.jsonl" ]
	run ls "$BATS_TEST_TMPDIR/out/rounds"
	assert_output ''
}

@test "hosts.sh refuses a usage it cannot run, with exit 2" {
	run --separate-stderr "$ROOT/pipelines/hosts.sh" -- ar-bench -s s.json </dev/null
	assert_failure 2
	assert_equal "$stderr" "hosts.sh: -S HOSTS is required"
	run --separate-stderr "$ROOT/pipelines/hosts.sh" -S : --slice 0 -- ar-bench </dev/null
	assert_failure 2
	assert_equal "$stderr" "hosts.sh: --slice 0 is neither auto nor a whole number above 0"
	run --separate-stderr "$ROOT/pipelines/hosts.sh" -S : -- ar-compile '|' </dev/null
	assert_failure 2
	assert_equal "$stderr" "hosts.sh: no pipeline after --"
	run --separate-stderr "$ROOT/pipelines/hosts.sh" -S : --frob -- ar-bench </dev/null
	assert_failure 2
	assert_equal "$stderr" "hosts.sh: unknown option '--frob' (see --help)"
	run "$ROOT/pipelines/hosts.sh" --help
	assert_success
	assert_line --index 0 "hosts.sh -- measures a round's proposals on several machines with GNU"
}

@test "gather.jq: each proposal once, in order; a partial line is no record; a lost one says how its job ended" {
	d=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":"a","params":{"X":1}}' '{"id":"b","params":{"X":2}}' \
	    '{"id":"c","params":{"X":3}}' '{"id":"d","params":{"X":4}}' \
	    '{"id":"e","params":{"X":5}}' >"$d/p"
	# Job 1 (a, b) printed b then a, and a line cut short; job 2 (c, d)
	# was killed after c; job 3 (e) never ran.  Numbers keep their text.
	printf '1\t%s\n' '{"id":"b","status":"ok","time_s":2.5e-5,"host":"x"}' \
	    '{"id":"a","status":"ok","time_s":1e-05}' '{"id":"a","sta' >"$d/out"
	printf '2\t%s\n' '{"id":"c","status":"wrong"}' >>"$d/out"
	printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n' >"$d/log"
	printf '1\t4/me@g1\t0\t0\t0\t0\t0\t0\tc\n2\tg2:2222\t0\t0\t0\t0\t-1\t9\tc\n' >>"$d/log"
	run jq -nr --argjson k 2 --rawfile jobs "$d/log" --rawfile out "$d/out" \
	    --arg here here -f "$ROOT/pipelines/gather.jq" "$d/p"
	assert_success
	assert_output "$(printf '%s\n' \
	    '{"id":"a","status":"ok","time_s":1e-05,"host":"g1"}' \
	    '{"id":"b","status":"ok","time_s":2.5e-5,"host":"x"}' \
	    '{"id":"c","status":"wrong","host":"g2:2222"}' \
	    '{"id":"d","params":{"X":4},"status":"crash","error":"lost on host g2:2222: its job was killed by signal 9","host":"g2:2222"}' \
	    '{"id":"e","params":{"X":5},"status":"crash","error":"lost on host unknown: its job never ran","host":"unknown"}')"
}

@test "hosts.sh: an option without its value gets the usage, with exit 2" {
	run --separate-stderr "$ROOT/pipelines/hosts.sh" -S
	assert_failure 2
	assert_equal "$stderr" "$(printf '%s\n' \
	    "usage: pipelines/hosts.sh -S HOSTS [--ssh COMMAND] [--slice K|auto] [--retries N]" \
	    "[--wd DIR] [--env NAME]... -- WORD... ['|' WORD...]...")"
}
