#!/usr/bin/env bats
# pipelines/slurm/round, and tune.mk's SLURM=1, against a real Slurm: the
# suite starts a one-node cluster of its own (pipelines/slurm/localcluster:
# munged, slurmctld and slurmd from Debian's munge and slurm-wlm, on
# localhost, in a temporary folder) and stops it at the end.  A round
# measured as a job array must give the history a run on this machine
# alone gives, byte for byte but "host" and the timings, whatever happens
# to a task: one that dies is submitted again, a run killed while its
# array runs resumes without submitting it again.

load helper

setup_file() {
	local p
	for p in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
		command -v "$p" >/dev/null ||
			skip "no $p (Debian's slurm-wlm and munge; make deps installs them)"
	done
	# A short path: the cluster's sockets live there.
	AR_SLURM_TEST=$(mktemp -d /tmp/ar-slurm.XXXXXX)
	export AR_SLURM_TEST
	SLURM_CONF=$("$ROOT/pipelines/slurm/localcluster" start "$AR_SLURM_TEST/cluster" --cpus 8 --gpus 2)
	export SLURM_CONF
}

teardown_file() {
	[ -n "${AR_SLURM_TEST:-}" ] || return 0
	"$ROOT/pipelines/slurm/localcluster" stop "$AR_SLURM_TEST/cluster"
	rm -rf "$AR_SLURM_TEST"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	node=$(hostname -s)
	B=${AR_BIN:-$ROOT/bin}
}

# tune ARG...: a run of the study s.json in the test's folder.
tune() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$BATS_TEST_TMPDIR" \
	    -f "$ROOT/pipelines/tune.mk" BIN="$B" STUDY=s.json "$@"
}

# round ARG...: slurm/round on the study s.json, measuring with the
# programs under test, the round's folder r (the options before --).
round() {
	"$ROOT/pipelines/slurm/round" -s s.json -d "$BATS_TEST_TMPDIR/r" "$@" -- \
	    "$B/ar-compile" -s s.json -j 1 --cache cache '|' \
	    "$B/ar-bench" -s s.json --cache cache
}

# A command study: prog.sh X sleeps 0.2 s and prints a time of X ms.  When
# the file "kill" holds X, the task that measures X cancels itself
# (scancel of its own task, as a pre-emption would end it), once: the file
# goes first.  (scancel of the task's $SLURM_JOB_ID does nothing here.)
command_study() {
	cat >prog.sh <<-'EOF'
	#!/bin/sh
	sleep 0.2
	if [ -e kill ] && [ "$(cat kill)" = "$1" ] && rm kill 2>/dev/null; then
		scancel "${SLURM_ARRAY_JOB_ID}_$SLURM_ARRAY_TASK_ID"
		sleep 30
	fi
	echo "{\"time_s\": 0.00$1}"
	EOF
	chmod +x prog.sh
	echo '{"name": "cmd", "backend": "command", "command": ["./prog.sh", "{X}"],
	  "params": {"X": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, "objective": "minimize time_s",
	  "bench": {"warmup": 0, "repeat": 1, "timeout_s": 20}}' >s.json
}

# The fields that differ between two measurements of the same record.
same() { jq -c 'del(.host, .cost_s)' "$@"; }

@test "a replay study under SLURM=1 makes the history of a run on one host, each record measured on the node" {
	synth_study "$BATS_TEST_TMPDIR"
	run tune EVALS=24 BATCH=8 OUT=one
	assert_success
	run tune EVALS=24 BATCH=8 OUT=slurm SLURM=1
	assert_success
	assert_output --partial 'slurm/round: submitted job'
	[ "$(wc -l <slurm/history.jsonl)" = 24 ]
	# Byte for byte, but the host: a replay's cost_s is the file's.
	cmp one/history.jsonl <(sed 's/,"host":"[^"]*"//' slurm/history.jsonl)
	run jq -r .host slurm/history.jsonl
	assert_output "$(yes "$node" | head -n 24)"
	# Three rounds, one array each; the folders keep only the job ids and
	# the joblog.
	for r in 001 002 003; do
		[ "$(wc -l <slurm/rounds/$r.slurm/jobs)" = 1 ]
		[ "$(ls slurm/rounds/$r.slurm)" = "$(printf 'joblog\njobs')" ]
	done
}

@test "a task that dies is submitted again, and the round is whole; with --retries 0 its candidate is a crash on the node" {
	command_study
	ar-propose -s s.json -n 6 >props
	ar-compile -s s.json -j 1 --cache cache <props | ar-bench -s s.json --cache cache >ref
	x=$(jq -r '.params.X' props | sed -n 3p)
	echo "$x" >kill
	run --separate-stderr round --retries 2 <props
	assert_success
	[ ! -e kill ]
	diff <(same ref) <(same <<<"$output")
	[ "$(jq -r .host <<<"$output" | sort -u)" = "$node" ]
	# The second array held only the task that died, the third of six.
	[ "$(wc -l <r/jobs)" = 2 ]
	[ "$(sed -n 2p r/jobs | cut -f2)" = 2 ]
	[[ $stderr == *"1 task lost, submitting again (retry 1 of 2)"* ]]

	echo "$x" >kill
	run --separate-stderr round --retries 0 <props
	assert_success
	[ "$(wc -l <r/jobs)" = 1 ]
	diff <(same ref | sed 3d) <(same <<<"$output" | sed 3d)
	run jq -c 'select(.params.X == '"$x"') | [.status, .host, .error]' <<<"$output"
	assert_output --regexp '^\["crash","'"$node"'","lost on host '"$node"': .*; Slurm: CANCELLED .* after 1 submissions"\]$'
	# Its log is kept, the others' go.
	[ "$(cd r/log && ls)" = "2.$(cut -f1 r/jobs).log" ]
}

@test "a run killed while its array runs resumes: the same array, no second submission, the history of an uninterrupted run" {
	command_study
	run tune EVALS=12 BATCH=6 OUT=one
	assert_success
	setsid env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$BATS_TEST_TMPDIR" \
	    -f "$ROOT/pipelines/tune.mk" BIN="$B" STUDY=s.json EVALS=12 BATCH=6 \
	    OUT=slurm SLURM=1 >first.out 2>&1 3>&- &
	pid=$!
	# Round 2's array submitted: kill the whole run at once.
	for i in $(seq 200); do
		[ -s slurm/rounds/002.slurm/jobs ] && break
		sleep 0.05
	done
	[ -s slurm/rounds/002.slurm/jobs ]
	kill -KILL -- -"$pid"
	wait "$pid" || :
	job=$(cut -f1 slurm/rounds/002.slurm/jobs)
	[ ! -e slurm/rounds/002.jsonl ]
	run squeue -h -j "$job" -o %i
	assert_success
	refute_output ''
	run tune EVALS=12 BATCH=6 OUT=slurm SLURM=1
	assert_success
	assert_output --partial 'slurm/round: resuming the round'
	refute_output --partial 'submitted job'
	[ "$(cut -f1 slurm/rounds/002.slurm/jobs)" = "$job" ]
	diff <(same one/history.jsonl) <(same slurm/history.jsonl)
}

@test "a study of backend cuda asks a GPU a task, its time limit from the study's, and --sbatch adds options as words" {
	echo '{"name": "gpu", "backend": "cuda", "compile": {"timeout_s": 30},
	  "bench": {"warmup": 1, "repeat": 2, "timeout_s": 5}}' >s.json
	printf '{"id":"a","x":"$(touch pwned) ; `id`"}\n{"id":"b"}\n{"id":"c"}\n' >props
	# Slices of 2: (2 * (30 + 3 * 5) * 1.25 + 60) / 60 = 2.9, so 3 minutes.
	run --separate-stderr "$ROOT/pipelines/slurm/round" -s s.json -d r --slice 2 \
	    --retries 0 --sbatch "--comment='a b' --job-name=\"x y\"" -- cat '|' grep -v '"c"' <props
	assert_success
	[ ! -e pwned ]
	[ "$(jq -c 'del(.host)' <<<"$output" | head -n 2)" = "$(head -n 2 props | jq -c .)" ]
	run jq -c '[.id, .status, .host]' <<<"$output"
	assert_line --index 2 --regexp '^\["c","crash","'"$node"'"\]$'
	run scontrol -o show job "$(cut -f1 r/jobs)"
	assert_line --index 0 --partial 'JobName=x y '
	assert_line --index 0 --partial 'Comment=a b '
	assert_line --index 0 --partial 'TimeLimit=00:03:00 '
	assert_line --index 0 --regexp 'TresPerNode=gres:gpu:1'
}

@test "sbatch missing or refusing, or the controller gone: status 1, a message, nothing on stdout" {
	synth_study "$BATS_TEST_TMPDIR"
	ar-propose -s s.json -n 3 >props
	mkdir fake
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/fake" /bin/bash "$ROOT/pipelines/slurm/round" \
	    -s s.json -d r -- cat <props
	assert_failure 1
	assert_output ''
	[[ $stderr == *"slurm/round: sbatch not found"* ]]

	printf '#!/bin/sh\necho "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2\nexit 1\n' >fake/sbatch
	chmod +x fake/sbatch
	PATH=$BATS_TEST_TMPDIR/fake:$PATH run --separate-stderr round <props
	assert_failure 1
	assert_output ''
	[[ $stderr == *"slurm/round: sbatch refused the array: sbatch: error: Batch job submission failed: Invalid partition name specified"* ]]

	# The array is submitted, then squeue finds no controller.
	rm fake/sbatch
	printf '#!/bin/sh\necho "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2\nexit 1\n' >fake/squeue
	chmod +x fake/squeue
	AR_SLURM_UNREACHABLE=1 PATH=$BATS_TEST_TMPDIR/fake:$PATH run --separate-stderr round <props
	assert_failure 1
	assert_output ''
	[[ $stderr == *"slurm/round: the controller did not answer for 1 s: slurm_load_jobs error: Unable to contact slurm controller (connect failure)"* ]]

	# Every task lost: a pipeline that cannot start.
	run --separate-stderr "$ROOT/pipelines/slurm/round" -s s.json -d r2 --retries 1 -- ./missing <props
	assert_failure 1
	assert_output ''
	[[ $stderr == *"slurm/round: every task was lost (2 submissions)"* ]]
	[[ $stderr == *"missing"* ]]

	run --separate-stderr "$ROOT/pipelines/slurm/round" -d r -- cat <props
	assert_failure 2
	[[ $stderr == *"slurm/round: -s STUDY is required"* ]]
	run --separate-stderr "$ROOT/pipelines/slurm/round" -s s.json -d r --slice 0 -- cat <props
	assert_failure 2
	run --separate-stderr "$ROOT/pipelines/slurm/round" -s s.json -d r --sbatch "-p 'x" -- cat <props
	assert_failure 2
	[[ $stderr == *"unmatched quote"* ]]
}
