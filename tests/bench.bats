#!/usr/bin/env bats
# ar-bench: measurement of good variants, every fault a candidate can
# have (each one a KIND of tests/fixtures/bench/faults.c), the artifact
# check, the command backend, the record's fields, CSV, and bad input;
# the cuda backend without a GPU, with a fake driver that behaves as the
# faults of tests/fixtures/bench/gpufaults.cu would on a GPU, and on a
# real GPU when there is one.

load helper

B=$FIX/bench
FAULTS=$B/faults.json

GPU=$B/gpufaults.json
GPUKINDS="ok oob hang nowrite mutate big shmem noentry fat"

setup_file() {
	export CACHE=$BATS_FILE_TMPDIR/cache
	# Every variant the tests use, built once for the whole file.
	kinds ok segv hang nowrite signwrong mutate quits aborts mark broken chatty |
	    ar-compile -s "$FAULTS" --cache "$CACHE" >"$BATS_FILE_TMPDIR/all.jsonl"
	# The cuda variants, where NVRTC is there to build them (for sm_90,
	# whatever the machine has), and the fake driver.
	mkdir -p "$BATS_FILE_TMPDIR/fake"
	cc -shared -fPIC -O1 -o "$BATS_FILE_TMPDIR/fake/libcuda.so.1" \
	    "$B/fakecuda.c" || true
	gpukinds $GPUKINDS | ar-compile -s "$GPU" --arch sm_90 --cache "$CACHE" \
	    >"$BATS_FILE_TMPDIR/gpu.jsonl" 2>"$BATS_FILE_TMPDIR/gpu.err" ||
	    rm -f "$BATS_FILE_TMPDIR/gpu.jsonl"
}

# kinds KIND...: records of faults.json, one per KIND, as ar-propose
# --from would take them (no id: the tests write them by hand).
kinds() {
	local k
	for k in "$@"; do
		printf '{"study":"bench-faults","params":{"KIND":"%s"}}\n' "$k"
	done
}

# gpukinds KIND...: records of gpufaults.json, one per KIND.
gpukinds() {
	local k
	for k in "$@"; do
		printf '{"study":"bench-gpufaults","params":{"KIND":"%s"}}\n' "$k"
	done
}

# compiled KIND...: the compiled records of those kinds, in that order.
compiled() {
	local k
	for k in "$@"; do
		jq -c --arg k "$k" 'select(.params.KIND == $k)' \
		    "$BATS_FILE_TMPDIR/all.jsonl"
	done
}

bench() {
	ar-bench -s "$FAULTS" --cache "$CACHE" "$@"
}

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr ar-bench --help
	assert_success
	assert_output --partial "usage: ar-bench -s study"
	assert_output --partial "--keep-going"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run ar-bench --version
	assert_success
	assert_output --regexp '^ar-bench [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no study is a usage error with the synopsis on stderr" {
	run --separate-stderr ar-bench --repeat 3
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-bench: no study given (-s)"* ]]
	[[ $stderr == *"usage: ar-bench -s study"* ]]
}

@test "counts and seconds that are not are usage errors" {
	run --separate-stderr bench --repeat 0
	assert_failure 2
	[[ $stderr == *"--repeat: '0' is not an integer of at least 1"* ]]
	run --separate-stderr bench --warmup -1
	assert_failure 2
	[[ $stderr == *"--warmup: '-1' is not an integer of at least 0"* ]]
	run --separate-stderr bench --timeout 0
	assert_failure 2
	[[ $stderr == *"--timeout: '0' is not a number of seconds"* ]]
	run --separate-stderr bench --seed x
	assert_failure 2
	[[ $stderr == *"--seed: 'x' is not an integer"* ]]
}

@test "reading the standard input twice is a usage error" {
	run --separate-stderr bench - - </dev/null
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-bench: the standard input can be read only once"* ]]
	[[ $stderr == *"usage: ar-bench -s study"* ]]
}

@test "a good variant is ok, with its times, its errors and the reference's time" {
	run --separate-stderr bench < <(compiled ok)
	assert_success
	assert_jsonl
	run jq -r '[.status, (.time_s > 0), .times.n, (.times.min <= .times.median),
	    (.times.sd >= 0), (.verify.max_abs_err <= 1e-6),
	    (.verify.max_rel_err <= 1e-5), (.ref_time_s > 0),
	    (.cost_s >= .compile.seconds), (.host | length > 0), has("error")]
	    | @tsv' <<<"$output"
	assert_output "$(printf 'ok\ttrue\t3\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue\tfalse')"
}

@test "the fields come after the input's, in the documented order" {
	run bench < <(compiled ok | jq -c '{user: 1} + . + {note: "kept"}')
	assert_success
	run jq -c 'keys_unsorted' <<<"$output"
	assert_output '["user","study","params","artifact","compile","note","status","time_s","times","verify","ref_time_s","cost_s","host","device"]'
}

@test "host is the machine's name and device its processor" {
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null |
	    head -n 1 | sed 's/[[:space:]]*$//')
	run --separate-stderr bench < <(compiled ok segv)
	assert_success
	run jq -r '[.status, .host, .device] | @tsv' <<<"$output"
	assert_output "$(printf '%s\t%s\t%s\n' ok "$(uname -n)" "${cpu:-$(uname -m)}" \
	    crash "$(uname -n)" "${cpu:-$(uname -m)}")"
}

@test "the fields of an earlier measurement are replaced, not repeated" {
	run bench < <(compiled ok | jq -c '. + {status: "timeout", error: "old", time_s: 99}')
	assert_success
	run jq -r '[.status, (.time_s < 99), has("error")] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\ttrue\tfalse')"
}

@test "a kernel that segfaults is a crash, and the next record is still measured" {
	run --separate-stderr bench < <(compiled segv ok)
	assert_success
	assert_jsonl
	run jq -r '[.params.KIND, .status, .error // "-", has("time_s")] | @tsv' <<<"$output"
	assert_output "$(printf 'segv\tcrash\tkilled by signal 11 (Segmentation fault)\tfalse\nok\tok\t-\ttrue')"
}

@test "a kernel that never returns is a timeout after about the timeout" {
	local t0 t1
	t0=$(date +%s.%N)
	run --separate-stderr bench --timeout 0.5 < <(compiled hang ok)
	t1=$(date +%s.%N)
	assert_success
	run jq -r '[.status, .error // "-"] | @tsv' <<<"$output"
	assert_output "$(printf 'timeout\trun 1 of 4 did not return within 0.5 s\nok\t-')"
	# The hang cost half a second, not the backstop's several.
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 3) }'
}

@test "a kernel that writes nothing is wrong: its output is still the poison" {
	run bench < <(compiled nowrite)
	assert_success
	run jq -r '[.status, (.verify.max_abs_err == null), (.time_s > 0)] | @tsv' <<<"$output"
	assert_output "$(printf 'wrong\ttrue\ttrue')"
	run jq -r .error <<<"$(bench < <(compiled nowrite))"
	assert_output --regexp "^output 'y' differs from the reference in 4 of 4 runs; in run 1 \(input set 1\): 1000 of 1000 elements, the first at \[0\]: nan, expected "
}

# faults.c's signwrong is right unless x[0] < 0.  With --seed 3 the three
# input sets start with x[0] = +0.632, -0.346 and +0.888 (args_seed and
# rng fix them), so only the second set shows the fault: checked on one
# set, as the last assertion shows, it would pass.
@test "a kernel that is wrong only for some inputs is caught by the other input sets" {
	run bench --seed 3 < <(compiled signwrong)
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output --regexp "^wrong	output 'y' differs from the reference in 1 of 4 runs; in run 2 \(input set 2\): 1 of 1000 elements, the first at \[999\]"
	run jq -r .status <<<"$(bench --seed 3 --warmup 0 --repeat 1 < <(compiled signwrong))"
	assert_output ok
}

@test "a kernel that changes its input is wrong" {
	run bench < <(compiled mutate)
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf "wrong\tthe kernel changed its input 'x' (input set 1)")"
}

@test "a kernel that ends its process, or aborts, is a crash with what it said" {
	run --separate-stderr bench < <(compiled quits aborts ok)
	assert_success
	run jq -r '[.status, .error // "-"] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' \
	    "crash	the kernel ended its process (exited with status 0) during run 1 of 4" \
	    "crash	killed by signal 6 (Aborted): faults: giving up on purpose" \
	    "ok	-")"
}

@test "what a kernel prints goes nowhere near the records" {
	run --separate-stderr bench < <(compiled chatty ok)
	assert_success
	assert_jsonl
	run jq -r '[.params.KIND, .status] | @tsv' <<<"$output"
	assert_output "$(printf 'chatty\tok\nok\tok')"
	[[ $stderr != *chatty* ]]
}

@test "a kernel with no output needs no reference, and is timed" {
	d=$BATS_TEST_TMPDIR
	echo 'void noop(int n) { (void)n; }' >"$d/noop.c"
	cat >"$d/noop.json" <<-'EOF'
	{"name": "noop", "backend": "c", "source": "noop.c", "entry": "noop",
	 "params": {"P": [1]}, "args": [{"name": "n", "type": "int32", "value": 3}]}
	EOF
	c=$(echo '{"params":{"P":1}}' | ar-compile -s "$d/noop.json" --cache "$CACHE")
	run ar-bench -s "$d/noop.json" --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, .times.n, has("verify"), has("ref_time_s")] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\t5\tfalse\tfalse')"
}

@test "a variant that did not compile is a compile_error and is not run" {
	run bench < <(compiled broken)
	assert_success
	run jq -r '[.compile.status, .status, has("time_s"), has("artifact"), (.cost_s >= 0)] | @tsv' <<<"$output"
	assert_output "$(printf 'error\tcompile_error\tfalse\tfalse\ttrue')"
}

# The marker kernel, mark, leaves the file bench-ran where it runs, which
# the sandbox would refuse: the control and the tests after it run
# without it, so that a run would show.
@test "the marker kernel leaves its file when it runs (the control for the next tests)" {
	cd "$BATS_TEST_TMPDIR"
	export AR_SANDBOX=off
	run bench < <(compiled mark)
	assert_success
	run jq -r .status <<<"$output"
	assert_output ok
	[ -e bench-ran ]
}

@test "an artifact outside the cache is refused and nothing runs" {
	cd "$BATS_TEST_TMPDIR"
	export AR_SANDBOX=off
	so=$(compiled mark | jq -r .artifact)
	cp "$so" ./elsewhere.so
	run --separate-stderr bench < <(compiled ok mark | jq -c '.artifact = "'"$PWD"'/elsewhere.so"')
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-bench: <stdin>:1: artifact '$PWD/elsewhere.so' is not the one built for this record ("*"is not inside the cache"* ]]
	[ ! -e bench-ran ]
}

@test "an artifact built for other params is refused and nothing runs" {
	cd "$BATS_TEST_TMPDIR"
	export AR_SANDBOX=off
	so=$(compiled mark | jq -r .artifact)
	run --separate-stderr bench < <(compiled ok | jq -c --arg a "$so" '.artifact = $a')
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-bench: <stdin>:1: artifact '$so' is not the one built for this record ("*"is not the build of key"* ]]
	[ ! -e bench-ran ]
}

@test "a record built for another problem size is refused" {
	run --separate-stderr bench -D N=500 < <(compiled ok)
	assert_failure 2
	[[ $stderr == *"<stdin>:1: artifact '"*"' is not the one built for this record"* ]]
}

@test "--keep-going drops a bad record with a warning and measures the rest" {
	cd "$BATS_TEST_TMPDIR"
	export AR_SANDBOX=off
	so=$(compiled mark | jq -r .artifact)
	run --separate-stderr bench --keep-going < <(compiled ok; compiled ok | jq -c --arg a "$so" '.artifact = $a'; compiled ok)
	assert_success
	run jq -r .status <<<"$output"
	assert_output "$(printf 'ok\nok')"
	[[ $stderr == *"<stdin>:2: artifact '$so' is not the one built for this record"*"; record dropped"* ]]
	[ ! -e bench-ran ]
}

@test "a time below the study's bound is suspicious, never ok" {
	c=$(kinds ok | sed 's/bench-faults/bench-toofast/' |
	    ar-compile -s "$B/toofast.json" --cache "$CACHE")
	run ar-bench -s "$B/toofast.json" --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, (.time_s < 1), .verify.max_abs_err, .error] | @tsv' <<<"$output"
	assert_output --regexp '^suspicious	true	0	a run took [0-9.]+ [mun]?s, less than the bound of 1 s the machine needs at least$'
}

@test "a size that is not a positive integer, or too large, is invalid" {
	c=$(kinds ok | ar-compile -s "$FAULTS" -D N=0 --cache "$CACHE")
	run ar-bench -s "$FAULTS" -D N=0 --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, .error, has("time_s")] | @tsv' <<<"$output"
	assert_output "$(printf "invalid\tsize of 'x' is 0, not a positive integer\tfalse")"
	c=$(kinds ok | ar-compile -s "$FAULTS" -D N=4294967296 --cache "$CACHE")
	run ar-bench -s "$FAULTS" -D N=4294967296 --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf "invalid\tsize of 'x' is 4294967296, more than the 2147483648 elements an array may hold")"
}

@test "progress lines name the variant, its status and its time" {
	run --separate-stderr bench --progress < <(compiled ok segv)
	assert_success
	[[ $stderr == *"[1/2] KIND=ok ok "*" "[mun]"s"* ]] || [[ $stderr =~ \[1/2\]\ KIND=ok\ ok\ [0-9.]+\ [mun]?s ]]
	[[ $stderr == *"[2/2] KIND=segv crash: killed by signal 11 (Segmentation fault)"* ]]
	run --separate-stderr bench < <(compiled ok)
	[ -z "$stderr" ]
}

@test "--progress: a status line shows the running candidate, the time left and the fastest" {
	run --separate-stderr bench --progress < <(compiled ok ok segv)
	assert_success
	assert_jsonl
	[[ $output != *$'\r'* ]] || fail "a carriage return on stdout"
	# While each one runs: its params; from the second on, the time spent,
	# the time left (three records, all read first) and the fastest ok.
	[[ $stderr == $'\rbuilding the reference '*$'\r[1/3] KIND=ok ...'\ *$'\r'* ]] ||
		fail "stderr is: $stderr"
	[[ $stderr =~ $'\r'\[2/3\]\ KIND=ok\ \.\.\.\ \|\ [0-9]+s\ spent,\ about\ [0-9]+s\ left\ \|\ fastest\ [0-9.]+\ [mun]?s:\ KIND=ok$'\r' ]] ||
		fail "no status line for the second: $stderr"
	[[ $stderr =~ $'\r'\[3/3\]\ KIND=segv\ \.\.\.\ \|\ [0-9]+s\ spent,\ about\ [0-9]+s\ left\ \|\ fastest ]] ||
		fail "no status line for the third: $stderr"
	# Each is erased, and what stays is one line a candidate.
	run shown "$stderr"
	assert_line --index 0 --regexp '^\[1/3\] KIND=ok ok [0-9.]+ [mun]?s$'
	assert_line --index 1 --regexp '^\[2/3\] KIND=ok ok [0-9.]+ [mun]?s$'
	assert_line --index 2 '[3/3] KIND=segv crash: killed by signal 11 (Segmentation fault)'
	[ "${#lines[@]}" -eq 3 ]
	# Nothing is left on the last line.
	[[ $stderr == *$'\n' || $stderr == *"(Segmentation fault)" ]]
}

@test "--progress: a message erases the status line before it is printed" {
	cp "$B"/faults.c "$B"/faults.json "$BATS_TEST_TMPDIR/"
	echo 'this is not C' >"$BATS_TEST_TMPDIR/faults_ref.c"
	kinds ok | ar-compile -s "$BATS_TEST_TMPDIR/faults.json" --cache "$CACHE" >"$BATS_TEST_TMPDIR/c.jsonl"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/faults.json" --cache "$CACHE" --progress <"$BATS_TEST_TMPDIR/c.jsonl"
	assert_failure 2
	assert_output ''
	[[ $stderr == $'\rbuilding the reference '*$'faults_ref.c ...\r'* ]] ||
		fail "stderr is: $stderr"
	run shown "$stderr"
	assert_line --index 0 --regexp "^ar-bench: $BATS_TEST_TMPDIR/faults.json: the reference '.*faults_ref.c' does not compile: "
	# It is not drawn again after the last words.
	refute_output --partial 'building the reference'
}

@test "progress goes to a terminal without --progress, and never to stdout" {
	local out=$BATS_TEST_TMPDIR/out.jsonl
	compiled ok segv >"$BATS_TEST_TMPDIR/c.jsonl"
	run script -qec "ar-bench -s '$FAULTS' --cache '$CACHE' <'$BATS_TEST_TMPDIR/c.jsonl' >'$out'" /dev/null
	assert_success
	[[ $output == *$'\r[2/2] KIND=segv ... | '* ]] || fail "the terminal got: $output"
	[[ $output == *"[2/2] KIND=segv crash: killed by signal 11"* ]]
	[ "$(wc -l <"$out")" -eq 2 ]
	run grep -c $'\r' "$out"
	assert_output 0
}

@test "CSV in and CSV out, with every column the stage can write" {
	compiled segv ok | ar-compile -s "$FAULTS" --cache "$CACHE" --csv >"$BATS_TEST_TMPDIR/c.csv"
	run --separate-stderr bench --csv "$BATS_TEST_TMPDIR/c.csv"
	assert_success
	[ "$(wc -l <<<"$output")" -eq 3 ]
	run head -n 1 <<<"$output"
	assert_output "study,params.KIND,artifact,compile.status,compile.seconds,compile.log,compile.sha256,status,ref_time_s,cost_s,host,device,error,time_s,times.n,times.min,times.median,times.mean,times.sd,verify.max_abs_err,verify.max_rel_err,refused"
	# The CSV goes back in as records: the second row measured ok.
	bench --csv "$BATS_TEST_TMPDIR/c.csv" >"$BATS_TEST_TMPDIR/out.csv"
	run ar-bench -s "$FAULTS" --cache "$CACHE" "$BATS_TEST_TMPDIR/out.csv"
	assert_success
	run jq -r '[.params.KIND, .status] | @tsv' <<<"$output"
	assert_output "$(printf 'segv\tcrash\nok\tok')"
}

@test "a malformed line stops the run with its file and line" {
	{ compiled ok; echo '{"params": '; } >"$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr bench "$BATS_TEST_TMPDIR/in.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-bench: $BATS_TEST_TMPDIR/in.jsonl:2: "* ]]
}

@test "a record of another study, or params not in the space, is bad input" {
	run --separate-stderr bench < <(compiled ok | jq -c '.study = "other"')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: a record of another study ('other'), not of 'bench-faults'"* ]]
	run --separate-stderr bench < <(compiled ok | jq -c '.params.KIND = "fast"')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: parameter 'KIND': value \"fast\" is not one"* ]]
	run --separate-stderr bench < <(kinds ok)
	assert_failure 2
	[[ $stderr == *"<stdin>:1: no \"artifact\" (ar-compile builds the variant and names it)"* ]]
}

@test "an id that is not the id of the record's params is bad input" {
	id=$(ar-propose -s "$FAULTS" --from <(kinds segv) | jq -r .id)
	run --separate-stderr bench < <(compiled ok | jq -c --arg id "$id" '.id = $id')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: id '$id' is not the id of these params in this study"* ]]
}

@test "the reference is required, and must compile" {
	d=$BATS_TEST_TMPDIR
	cp "$B"/faults.c "$d/"
	jq 'del(.reference)' "$FAULTS" >"$d/noref.json"
	run --separate-stderr ar-bench -s "$d/noref.json" </dev/null
	assert_failure 2
	[[ $stderr == *"key \"reference\": missing (every output is checked against it)"* ]]
	echo 'this is not C' >"$d/faults_ref.c"
	jq '.reference.source = "faults_ref.c"' "$FAULTS" >"$d/badref.json"
	c=$(kinds ok | ar-compile -s "$d/badref.json" --cache "$CACHE")
	run --separate-stderr ar-bench -s "$d/badref.json" --cache "$CACHE" <<<"$c"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"the reference '$d/faults_ref.c' does not compile: "* ]]
}

@test "an args entry with an unknown type is refused" {
	d=$BATS_TEST_TMPDIR
	cp "$B"/faults*.c "$d/"
	jq '.args[0].type = "float16[]"' "$FAULTS" >"$d/s.json"
	run --separate-stderr ar-bench -s "$d/s.json" </dev/null
	assert_failure 2
	[[ $stderr == *"key \"args[0].type\": unknown type 'float16[]'"* ]]
}

# The command backend: prog.c, compiled next to a copy of cmd.json, since
# the command runs in the study's folder.
command_study() {
	CMD=$BATS_TEST_TMPDIR/cmd.json
	cp "$B/cmd.json" "$CMD"
	cc -O0 -o "$BATS_TEST_TMPDIR/prog" "$B/prog.c"
	if [ -n "${1:-}" ]; then
		jq "$1" "$B/cmd.json" >"$CMD"
	fi
}

cmd_records() {
	local r
	for r in "$@"; do
		printf '{"study":"bench-command","params":{"MODE":"%s","X":%s}}\n' \
		    "${r%:*}" "${r#*:}"
	done
}

@test "command: the time_s of the program's last JSON line wins, and the line is kept" {
	command_study
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:2 json:4)
	assert_success
	assert_jsonl
	run jq -c '[.status, .time_s, .times.n, .output, has("verify"), (.cost_s > 0)]' <<<"$output"
	assert_output "$(printf '%s\n' '["ok",0.002,3,{"time_s":0.002,"ratio":2,"env":null},false,true]' \
	    '["ok",0.004,3,{"time_s":0.004,"ratio":4,"env":null},false,true]')"
}

@test "command: without JSON the wall time counts, and there is no output" {
	command_study
	run ar-bench -s "$CMD" < <(cmd_records plain:1)
	assert_success
	run jq -r '[.status, (.time_s > 0 and .time_s < 1), has("output")] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\ttrue\tfalse')"
}

@test "command: params and constants reach the environment when the study says so" {
	command_study '. + {env: true}'
	run ar-bench -s "$CMD" < <(cmd_records json:4)
	assert_success
	run jq -r '.output.env' <<<"$output"
	assert_output 4
}

@test "command: a failing program is a crash with its status and last words, and the stream goes on" {
	command_study
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records fail:1 json:1)
	assert_success
	run jq -r '[.status, .error // "-"] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' \
	    "crash	exited with status 3: prog: first complaint; prog: cannot go on" \
	    "ok	-")"
}

@test "command: a program that hangs is a timeout" {
	command_study '.bench.timeout_s = 0.5'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records hang:1 json:1)
	assert_success
	run jq -r '[.status, .error // "-"] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' \
	    "timeout	run 1 of 4 did not finish within 0.5 s" "ok	-")"
}

@test "command: a program that cannot be started is a crash that says why" {
	# Named by a parameter, the program is only looked for when it runs.
	command_study '.command[0] = "./missing-{MODE}"'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf "crash\tcannot run './missing-json': No such file or directory")"
}

# A check beside the study: it reads the last run's output and agrees
# when the ratio is its argument; "{MODE}" names how it behaves otherwise.
check_study() {
	command_study ". + {check: [\"./check.sh\", \"$1\", \"{X}\"]} | $2"
	cat >"$BATS_TEST_TMPDIR/check.sh" <<'SH'
#!/bin/sh
case $1 in
hang) exec sleep 10 ;;
die) echo "check.sh: cannot read" >&2; exit 3 ;;
esac
r=$(tail -n 1 | jq .ratio)
[ "$r" = "$2" ] && exit 0
echo "check.sh: ratio $r, should be $2" >&2
exit 1
SH
	chmod +x "$BATS_TEST_TMPDIR/check.sh"
}

@test "command: the study's check judges each result, and a result it rejects is wrong with what it claimed" {
	check_study agree '.'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:2 json:4)
	assert_success
	run jq -c '[.status, .output.ratio, .error // null]' <<<"$output"
	assert_output "$(printf '%s\n' '["ok",2,null]' '["ok",4,null]')"
	# This one wants the ratio to be SCALE, 1.
	command_study '. + {check: ["./check.sh", "x", "{SCALE}"]}'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:2 json:1)
	assert_success
	run jq -c '[.status, .output.ratio, .error // null, has("time_s")]' <<<"$output"
	assert_output "$(printf '%s\n' \
	    '["wrong",2,"check: check.sh: ratio 2, should be 1",false]' \
	    '["ok",1,null,true]')"
}

@test "command: a check that fails is a crash, one that hangs a timeout, and the stream goes on" {
	check_study die '.bench.timeout_s = 0.5'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:2 fail:1)
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' \
	    "crash	check failed: exited with status 3: check.sh: cannot read" \
	    "crash	exited with status 3: prog: first complaint; prog: cannot go on")"
	check_study hang '.bench.timeout_s = 0.5'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:4)
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf 'timeout\tcheck: did not finish within 0.5 s')"
}

@test "command: a check that cannot be started makes ar-bench refuse the study; a check is the command backend's alone" {
	command_study '. + {check: ["./nocheck", "{X}"]}'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_failure 2
	assert_output ''
	[ "$stderr" = "ar-bench: $CMD: key \"check[0]\": cannot run '$BATS_TEST_TMPDIR/nocheck': No such file or directory" ] ||
	    fail "stderr is: $stderr"
	command_study '. + {check: ["./check.sh", "{Y}"]}'
	run --separate-stderr ar-propose -s "$CMD" -n 1
	assert_failure 2
	[[ $stderr == *"key \"check[1]\": unknown name 'Y'"* ]] || fail "stderr: $stderr"
	jq --arg k "$FIX/small/k.c" '. + {check: ["./check.sh"], source: $k}' \
	    "$FIX/small/study.json" >"$BATS_TEST_TMPDIR/c.json"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/c.json" -n 1
	assert_failure 2
	[[ $stderr == *"key \"check\": only the command backend runs a check"* ]] || fail "stderr: $stderr"
}

@test "command: a check is part of the ids, and a study without one keeps its ids" {
	command_study
	a=$(ar-propose -s "$CMD" -n 3 --strategy grid | jq -r .id)
	check_study agree '.'
	b=$(ar-propose -s "$CMD" -n 3 --strategy grid | jq -r .id)
	[ "$a" != "$b" ] || fail "same ids with and without a check"
	[ "$(ar-propose -s "$B/cmd.json" -n 3 --strategy grid | jq -r .id)" = "$a" ]
}

# bad_program JQ-FILTER PROGRAM-AS-SAID ERROR: ar-bench refuses the command
# study changed by the filter before it measures anything, with status 2,
# nothing on stdout and one line naming the study and the key; ar-propose
# still proposes from it.
bad_program() {
	command_study "$1"
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_failure 2
	assert_output ''
	[ "$stderr" = "ar-bench: $CMD: key \"command[0]\": cannot run '$2': $3" ] ||
	    fail "stderr is: $stderr"
	run --separate-stderr ar-propose -s "$CMD" -n 1
	assert_success
	[ -z "$stderr" ] || fail "ar-propose said: $stderr"
}

@test "command: a program that cannot be started makes ar-bench refuse the study" {
	bad_program '.command[0] = "./zrn.sh"' "$BATS_TEST_TMPDIR/zrn.sh" \
	    'No such file or directory'
	# The study's folder counts, not the current one.
	cd "$BATS_TEST_TMPDIR" && mkdir -p sub && cp prog sub/ && chmod -x sub/prog
	bad_program '.command[0] = "sub/prog"' "$BATS_TEST_TMPDIR/sub/prog" \
	    'Permission denied'
	mkdir -p elsewhere && cd elsewhere && cp ../prog ./zrn.sh
	bad_program '.command[0] = "./zrn.sh"' "$BATS_TEST_TMPDIR/zrn.sh" \
	    'No such file or directory'
	bad_program '.command[0] = "./sub"' "$BATS_TEST_TMPDIR/sub" \
	    'Is a directory'
	bad_program '.command[0] = "/nonexistent/prog"' /nonexistent/prog \
	    'No such file or directory'
	bad_program '.command[0] = "no-such-program-here"' no-such-program-here \
	    'not found in PATH'
	# A study beside the current folder is named as given.
	cd "$BATS_TEST_TMPDIR"
	jq '.command[0] = "./zrn.sh"' "$B/cmd.json" >here.json
	run --separate-stderr ar-bench -s here.json < <(cmd_records json:1)
	assert_failure 2
	assert_output ''
	[ "$stderr" = "ar-bench: here.json: key \"command[0]\": cannot run './zrn.sh': No such file or directory" ] ||
	    fail "stderr is: $stderr"
}

@test "command: a bare program name is looked up in PATH as the run will, from the study's folder" {
	command_study '.command[0] = "prog"'
	mkdir "$BATS_TEST_TMPDIR/elsewhere" && cd "$BATS_TEST_TMPDIR/elsewhere"
	# Not in PATH: refused.
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_failure 2
	assert_output ''
	[ "$stderr" = "ar-bench: $CMD: key \"command[0]\": cannot run 'prog': not found in PATH" ] ||
	    fail "stderr is: $stderr"
	# PATH's "." is the study's folder when the program runs, so there
	# it is found, and measured.
	PATH=$PATH:. run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -r '[.status, .output.ratio] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\t1')"
	# Found only without execute permission: that is why it is refused.
	chmod -x "$BATS_TEST_TMPDIR/prog"
	PATH=$PATH:. run --separate-stderr ar-bench -s "$CMD" < <(cmd_records json:1)
	assert_failure 2
	assert_output ''
	[ "$stderr" = "ar-bench: $CMD: key \"command[0]\": cannot run 'prog': Permission denied" ] ||
	    fail "stderr is: $stderr"
}

# bad_json LINES...: ar-bench on a command study whose program prints the
# lines (they are in the program, not in the command, where a brace would
# be a placeholder).
bad_json() {
	{
		echo '#!/bin/sh'
		printf "printf '%%s\\\\n'"
		printf " '%s'" "$@"
		echo
	} >"$BATS_TEST_TMPDIR/say.sh"
	chmod +x "$BATS_TEST_TMPDIR/say.sh"
	printf '%s\n' '{"name": "say", "backend": "command", "command": ["./say.sh"],
	    "params": {"X": [1]}, "bench": {"warmup": 1, "repeat": 2}}' \
	    >"$BATS_TEST_TMPDIR/say.json"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/say.json" <<<'{"params": {"X": 1}}'
}

@test "command: a last line that begins with '{' but is not JSON is invalid, with the parse error" {
	bad_json 'chatter' '{"ratio": , "x": 1}'
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -c '[.status, .error, has("output"), has("time_s")]' <<<"$output"
	assert_output '["invalid","output of run 1 of 3: last line is not valid JSON: unexpected token near '"','"' at column 11",false,false]'
	# Blank lines after it do not hide it, nor spaces before it.
	bad_json '{"time_s": 1}' '  {"ratio": 1} trailing' '' ' '
	assert_success
	run jq -c '[.status, .error]' <<<"$output"
	assert_output '["invalid","output of run 1 of 3: last line is not valid JSON: end of file expected near '"'trailing'"' at column 23"]'
	# A line before the last that is not JSON is chatter, as ever.
	bad_json '{chatter' '{"time_s": 0.5, "ratio": 2}' 'done'
	assert_success
	run jq -c '[.status, .time_s, .output]' <<<"$output"
	assert_output '["ok",0.5,{"time_s":0.5,"ratio":2}]'
}

@test "command: {{ and }} reach the program as single braces, beside the values" {
	command_study '.command = ["sh", "-c", "printf '"'"'chatter {{\n{{\"time_s\": 0.5, \"x\": {X}, \"s\": \"}}{{}}{MODE}\"}}\n'"'"'"]'
	run --separate-stderr ar-bench -s "$CMD" < <(cmd_records plain:2)
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	run jq -c '[.status, .time_s, .output]' <<<"$output"
	assert_output '["ok",0.5,{"time_s":0.5,"x":2,"s":"}{}plain"}]'
}

@test "command: the last JSON line counts however much the program printed before it" {
	cat >"$BATS_TEST_TMPDIR/flood.c" <<'C'
#include <stdio.h>
int main(void) { for (int i = 0; i < 200000; i++) printf("line %d of noise\n", i); printf("{\"time_s\": 0.25, \"ratio\": 3}\n"); return 0; }
C
	cc -o "$BATS_TEST_TMPDIR/flood" "$BATS_TEST_TMPDIR/flood.c"
	printf '%s\n' '{"name": "flood", "backend": "command", "command": ["./flood"], "params": {"X": [1]}}' >"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr bash -c "ar-propose -s '$BATS_TEST_TMPDIR/s.json' -n 1 | ar-bench -s '$BATS_TEST_TMPDIR/s.json' --warmup 0 --repeat 1"
	assert_success
	run jq -c '[.status, .time_s, .output.ratio]' <<<"$output"
	assert_output '["ok",0.25,3]'
}

# The cuda backend.  Without a GPU (forced, so that these hold on a
# machine that has one too): the input is read and checked, then ar-bench
# says why it cannot measure, with status 1 and nothing on stdout.

nogpu() {
	AR_LIBCUDA=$BATS_TEST_TMPDIR/none/libcuda.so.1 "$@"
}

# need_cuda: skips the test when ar-bench was built without the CUDA
# headers, and so without the backend.
need_cuda() {
	local e
	e=$(nogpu ar-bench -s "$GPU" </dev/null 2>&1 || true)
	[[ $e != *"built without the CUDA headers"* ]] ||
		skip "ar-bench was built without CUDA"
}

# need_cubins: skips the test when ar-compile could not build the cuda
# variants (no NVRTC); need_cuda too.
need_cubins() {
	need_cuda
	[ -s "$BATS_FILE_TMPDIR/gpu.jsonl" ] ||
		skip "ar-compile cannot build cuda variants here: $(tail -n 1 "$BATS_FILE_TMPDIR/gpu.err")"
}

# gpucompiled KIND...: the compiled cuda records of those kinds.
gpucompiled() {
	local k
	for k in "$@"; do
		jq -c --arg k "$k" 'select(.params.KIND == $k)' \
		    "$BATS_FILE_TMPDIR/gpu.jsonl"
	done
}

@test "cuda without a GPU: exit 1 with the reason after reading the input, and no output" {
	local why="no CUDA driver ($BATS_TEST_TMPDIR/none/libcuda.so.1): $BATS_TEST_TMPDIR/none/libcuda.so.1: cannot open shared object file: No such file or directory"
	run --separate-stderr nogpu ar-bench -s "$GPU" </dev/null
	assert_failure 1
	[ -z "$output" ]
	# Built without the CUDA headers, the reason is that.
	[ "$stderr" = "ar-bench: $GPU: cannot measure a cuda study here: $why" ] ||
	    [ "$stderr" = "ar-bench: $GPU: cannot measure a cuda study here: built without the CUDA headers (cuda.h), so without the cuda backend" ]
	# A record that did not compile needs no GPU, but the run does.
	run --separate-stderr nogpu ar-bench -s "$GPU" < <(gpukinds ok |
	    jq -c '. + {compile: {status: "error", seconds: 0.1, log: "x", arch: "sm_90"}}')
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"cannot measure a cuda study here: "* ]]
}

@test "cuda without a GPU: a compiled variant is checked, then refused with status 1" {
	need_cubins
	c=$(gpucompiled ok)
	run --separate-stderr nogpu ar-bench -s "$GPU" --cache "$CACHE" <<<"$c"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-bench: $GPU: cannot measure a cuda study here: no CUDA driver"* ]]
}

@test "cuda without a GPU: bad input is still bad input" {
	run --separate-stderr nogpu ar-bench -s "$GPU" < <(gpukinds ok | jq -c '.study = "other"')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: a record of another study ('other'), not of 'bench-gpufaults'"* ]]
	run --separate-stderr nogpu ar-bench -s "$GPU" < <(gpukinds ok |
	    jq -c '. + {artifact: "/tmp/x.cubin", compile: {status: "ok", seconds: 0.1, log: ""}}')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: no \"compile.arch\" (ar-compile records the GPU architecture it built for, such as \"sm_90\")"* ]]
	run --separate-stderr nogpu ar-bench -s "$GPU" < <(gpukinds ok |
	    jq -c '. + {artifact: "/tmp/x.cubin", compile: {status: "ok", seconds: 0.1, log: "", arch: "compute_90"}}')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: \"compile.arch\" is not a real architecture"* ]]
}

@test "cuda: a cubin recorded for another architecture is not the artifact of the record" {
	need_cubins
	c=$(gpucompiled ok | jq -c '.compile.arch = "sm_80"')
	run --separate-stderr nogpu ar-bench -s "$GPU" --cache "$CACHE" <<<"$c"
	assert_failure 2
	[[ $stderr == *"<stdin>:1: artifact '"*"' is not the one built for this record"* ]]
}

@test "cuda: a study without a launch, or with a bad one, is refused" {
	d=$BATS_TEST_TMPDIR
	cp "$B"/gpufaults* "$d/"
	jq 'del(.launch)' "$GPU" >"$d/s.json"
	run --separate-stderr ar-bench -s "$d/s.json" </dev/null
	assert_failure 2
	[[ $stderr == *"s.json: key \"launch\": missing (a GPU kernel needs a grid and a block)"* ]]
	jq 'del(.launch.block)' "$GPU" >"$d/s.json"
	run --separate-stderr ar-bench -s "$d/s.json" </dev/null
	assert_failure 2
	[[ $stderr == *"s.json: key \"launch.block\": missing"* ]]
}

@test "--energy is for the cuda backend" {
	run --separate-stderr bench --energy </dev/null
	assert_failure 2
	[[ $stderr == *"--energy measures a GPU's runs; this study's backend is 'c'"* ]]
}

# With the fake driver (fakecuda.c): the worker's whole path, on a CPU.
fake() {
	AR_LIBCUDA=$BATS_FILE_TMPDIR/fake/libcuda.so.1 \
	    AR_LIBNVML=$BATS_FILE_TMPDIR/fake/libcuda.so.1 "$@"
}

@test "cuda (fake driver): every fault is a status, and the stream goes on" {
	need_cubins
	c=$(gpucompiled $GPUKINDS ok)
	run --separate-stderr fake ar-bench -s "$GPU" --cache "$CACHE" <<<"$c"
	assert_success
	assert_jsonl
	run jq -r '[.params.KIND, .status, .error // "-"] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' \
	    "ok	ok	-" \
	    "oob	crash	run 1 of 4: CUDA_ERROR_ILLEGAL_ADDRESS (an illegal memory access was encountered)" \
	    "hang	timeout	run 1 of 4 did not finish within 2 s" \
	    "nowrite	wrong	output 'y' differs from the reference in 4 of 4 runs; in run 1 (input set 1): 1000 of 1000 elements, the first at [0]: nan, expected 1.67703867" \
	    "mutate	wrong	the kernel changed its input 'x' (input set 1)" \
	    "big	invalid	block dimension x is 2048, more than the 1024 the device allows" \
	    "shmem	invalid	16777216 bytes of dynamic shared memory a block, more than the 232448 the device allows" \
	    "noentry	invalid	no kernel 'gpufaults' in the cubin (a kernel keeps its name only when declared extern \"C\" __global__)" \
	    "fat	invalid	a block of 256 threads, more than the 128 this kernel allows (16 registers a thread, or its __launch_bounds__)" \
	    "ok	ok	-")"
}

@test "cuda (fake driver): an ok record has the c backend's fields and the GPU as device" {
	need_cubins
	run --separate-stderr fake ar-bench -s "$GPU" --cache "$CACHE" < <(gpucompiled ok)
	assert_success
	run jq -c 'keys_unsorted' <<<"$output"
	assert_output '["study","params","artifact","compile","status","time_s","times","verify","ref_time_s","cost_s","host","device"]'
	run jq -r '[.status, (.time_s > 0), .times.n, .verify.max_abs_err, (.ref_time_s > 0), .host, .device, has("energy_j")] | @tsv' \
	    <<<"$(fake ar-bench -s "$GPU" --cache "$CACHE" < <(gpucompiled ok))"
	assert_output "$(printf 'ok\ttrue\t3\t0\ttrue\t%s\tFake GPU (tests)\tfalse' "$(uname -n)")"
}

@test "cuda (fake driver): ar-bench never initialises CUDA in its own process" {
	need_cubins
	c=$(gpucompiled ok oob)
	export FAKECUDA_INITS=$BATS_TEST_TMPDIR/inits
	run --separate-stderr fake bash -c 'export FAKECUDA_FORBID_PID=$$; exec ar-bench -s "$1" --cache "$2"' _ "$GPU" "$CACHE" <<<"$c"
	assert_success
	run jq -r .status <<<"$output"
	assert_output "$(printf 'ok\ncrash')"
	# The probe and one worker for each variant, each a process of its own.
	[ "$(wc -l <"$FAKECUDA_INITS")" -eq 3 ]
	[ "$(sort -u "$FAKECUDA_INITS" | wc -l)" -eq 3 ]
}

@test "cuda (fake driver): a driver without a device is a runtime failure that says so" {
	need_cubins
	run --separate-stderr fake env FAKECUDA_NODEVICE=1 ar-bench -s "$GPU" --cache "$CACHE" < <(gpucompiled ok)
	assert_failure 1
	[ -z "$output" ]
	[ "$stderr" = "ar-bench: $GPU: cannot measure a cuda study here: cuInit: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)" ]
}

@test "cuda (fake driver): --energy adds energy_j, or says once why it cannot" {
	need_cubins
	c=$(gpucompiled ok ok)
	run --separate-stderr fake ar-bench -s "$GPU" --cache "$CACHE" --energy <<<"$c"
	assert_success
	run jq -r '[.status, (.energy_j > 0)] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\ttrue\nok\ttrue')"
	# Power readings instead of the counter.
	run --separate-stderr fake env FAKECUDA_NOENERGY=1 ar-bench -s "$GPU" --cache "$CACHE" --energy <<<"$c"
	assert_success
	run jq -r '[.status, (.energy_j > 0)] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\ttrue\nok\ttrue')"
	run --separate-stderr fake env AR_LIBNVML=$BATS_TEST_TMPDIR/none.so ar-bench -s "$GPU" --cache "$CACHE" --energy <<<"$c"
	assert_success
	run jq -r '[.status, has("energy_j")] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\tfalse\nok\tfalse')"
	[ "$stderr" = "ar-bench: --energy: no energy measured: no NVML ($BATS_TEST_TMPDIR/none.so): $BATS_TEST_TMPDIR/none.so: cannot open shared object file: No such file or directory" ]
}

@test "cuda (fake driver): CSV has energy_j with --energy" {
	need_cubins
	run --separate-stderr fake ar-bench -s "$GPU" --cache "$CACHE" --energy --csv < <(gpucompiled ok)
	assert_success
	run head -n 1 <<<"$output"
	assert_output "study,params.KIND,artifact,compile.status,compile.seconds,compile.log,compile.sha256,compile.arch,compile.compiler,status,time_s,times.n,times.min,times.median,times.mean,times.sd,verify.max_abs_err,verify.max_rel_err,ref_time_s,energy_j,cost_s,host,device,error"
}

@test "cuda (fake driver): parameters that do not match the study's args are invalid" {
	need_cubins
	d=$BATS_TEST_TMPDIR
	cp "$B"/gpufaults* "$d/"
	jq '.args += [{"name": "extra", "type": "int32", "value": 1}]' "$GPU" >"$d/s.json"
	c=$(gpukinds ok | ar-compile -s "$d/s.json" --arch sm_90 --cache "$CACHE")
	run --separate-stderr fake ar-bench -s "$d/s.json" --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf "invalid\tkernel 'gpufaults' takes 4 parameters, but the study's args are 5")"
	jq '.args[3].type = "float64"' "$GPU" >"$d/s.json"
	c=$(gpukinds ok | ar-compile -s "$d/s.json" --arch sm_90 --cache "$CACHE")
	run --separate-stderr fake ar-bench -s "$d/s.json" --cache "$CACHE" <<<"$c"
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "$(printf "invalid\tparameter 4 of kernel 'gpufaults' takes 4 bytes, but args[3] ('a', float64) is 8")"
}

@test "cuda (fake driver): a zero or negative launch dimension is invalid, found before launching" {
	need_cubins
	d=$BATS_TEST_TMPDIR
	cp "$B"/gpufaults* "$d/"
	jq '.launch.grid = ["N - 1000"]' "$GPU" >"$d/s.json"
	c=$(gpukinds ok | ar-compile -s "$d/s.json" --arch sm_90 --cache "$CACHE")
	export FAKECUDA_INITS=$BATS_TEST_TMPDIR/inits
	run --separate-stderr fake ar-bench -s "$d/s.json" --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.status, .error, has("time_s")] | @tsv' <<<"$output"
	assert_output "$(printf "invalid\tlaunch.grid[0] is 0, not a positive integer\tfalse")"
	# Only the probe initialised CUDA: no worker was started.
	[ "$(wc -l <"$FAKECUDA_INITS")" -eq 1 ]
}

# On a real GPU: the same faults, as the device reports them.
@test "cuda (GPU): every fault is a status on a real device" {
	need_cubins
	ar-bench -s "$GPU" </dev/null 2>/dev/null || skip "no GPU"
	c=$(gpukinds $GPUKINDS ok | ar-compile -s "$GPU" --cache "$CACHE")
	run --separate-stderr ar-bench -s "$GPU" --cache "$CACHE" <<<"$c"
	assert_success
	run jq -r '[.params.KIND, .status] | @tsv' <<<"$output"
	assert_output "$(printf '%s\n' "ok	ok" "oob	crash" "hang	timeout" \
	    "nowrite	wrong" "mutate	wrong" "big	invalid" "shmem	invalid" \
	    "noentry	invalid" "fat	invalid" "ok	ok")"
}
