#!/usr/bin/env bats
# Honest results (issue 7): kernels that try to win the measurement
# instead of doing the work (tests/fixtures/bench/cheats.c) are caught,
# each with a status that is never ok and an error that says how.  (A
# kernel that changes its inputs is in faults.bats, one faster than the
# study's bound allows in bench.bats.)

load helper

C=$FIX/bench/cheats.json

setup_file() {
	printf '{"study":"bench-cheats","params":{"KIND":"%s"}}\n' \
	    honest memo late firstonly forge lazy |
	    ar-compile -s "$C" --cache "$BATS_FILE_TMPDIR/cache" |
	    ar-bench -s "$C" --cache "$BATS_FILE_TMPDIR/cache" \
	    >"$BATS_FILE_TMPDIR/out.jsonl"
}

# status KIND / error KIND: what ar-bench said of that kernel.
status() {
	jq -r --arg k "$1" 'select(.params.KIND == $k) | .status' "$BATS_FILE_TMPDIR/out.jsonl"
}
error() {
	jq -r --arg k "$1" 'select(.params.KIND == $k) | .error' "$BATS_FILE_TMPDIR/out.jsonl"
}

@test "the honest kernel is ok, and it is the only one" {
	[ "$(wc -l <"$BATS_FILE_TMPDIR/out.jsonl")" -eq 6 ]
	run jq -r 'select(.status == "ok") | .params.KIND' "$BATS_FILE_TMPDIR/out.jsonl"
	assert_output honest
}

@test "a kernel that gives the answer it remembers from an earlier call is wrong" {
	[ "$(status memo)" = wrong ]
	[[ $(error memo) == *"output 'y' differs from the reference"* ]]
}

@test "a kernel that returns at once and leaves a thread to do the work is wrong" {
	[ "$(status late)" = wrong ]
	# Caught with its output unwritten, or, when the thread was quick
	# (under valgrind), writing it after the call returned.
	[[ $(error late) == *"output 'y' differs"* ||
	    $(error late) == *"changed after the kernel returned"* ]] || fail "$(error late)"
}

@test "a kernel that is right only on its first call (the warm-up) is wrong" {
	[ "$(status firstonly)" = wrong ]
	[[ $(error firstonly) == *"differs from the reference in 3 of 4 runs"* ]]
}

@test "a kernel that writes fast times into the harness's report is suspicious" {
	[ "$(status forge)" = suspicious ]
	[[ $(error forge) == *"the child's report is not what the harness writes"* ]]
}

@test "a kernel that computes only the elements a sampling check would look at is wrong" {
	[ "$(status lazy)" = wrong ]
	[[ $(error lazy) == *"984 of 1000 elements"* ]]
}

@test "a kernel sees none of the pipes its caller had open" {
	local fifo=$BATS_TEST_TMPDIR/fifo line
	mkfifo "$fifo"
	exec 7<>"$fifo"
	printf '{"study":"bench-cheats","params":{"KIND":"forge"}}\n' |
	    ar-compile -s "$C" --cache "$BATS_FILE_TMPDIR/cache" |
	    ar-bench -s "$C" --cache "$BATS_FILE_TMPDIR/cache" >/dev/null
	# forge writes its report into every pipe it can find: not this one.
	if read -r -t 0.2 -u 7 line; then
		exec 7>&-
		fail "the kernel wrote into the caller's pipe: $line"
	fi
	exec 7>&-
}

@test "no timed run sees inputs an earlier run of its process saw, unless the study says so" {
	# recall answers from memory when it meets inputs again, and leaves
	# the file "recalled" when it does.
	# Without the sandbox, which would refuse the file (its own test is
	# below).
	jq 'del(.bench.trials) | .bench.repeat = 5 | .bench.sandbox = false' "$C" >"$BATS_TEST_TMPDIR/c.json"
	jq '.bench.trials = 2' "$BATS_TEST_TMPDIR/c.json" >"$BATS_TEST_TMPDIR/c2.json"
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	printf '{"study":"bench-cheats","params":{"KIND":"recall"}}\n' |
	    ar-compile -s c.json --cache cache >built.jsonl
	run --separate-stderr ar-bench -s c.json --cache cache built.jsonl
	assert_success
	[ "$(jq -r .status <<<"$output")" = ok ]
	[ ! -e recalled ]
	# With two input sets for six runs, it would have answered from memory.
	run --separate-stderr ar-bench -s c2.json --cache cache built.jsonl
	assert_success
	[ -e recalled ]
}

@test "with bench.inputs variant, no variant sees inputs another one saw" {
	# filed and refiled keep their answers in files where they run, keyed
	# by the inputs, and leave the file "recalled" when they answer from
	# one.  Without the sandbox, which would refuse the files (below).
	jq 'del(.bench.trials) | .bench.sandbox = false' "$C" >"$BATS_TEST_TMPDIR/shared.json"
	jq '.bench.inputs = "variant"' "$BATS_TEST_TMPDIR/shared.json" >"$BATS_TEST_TMPDIR/variant.json"
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	printf '{"study":"bench-cheats","params":{"KIND":"%s"}}\n' filed refiled |
	    ar-compile -s shared.json --cache cache >built.jsonl
	run --separate-stderr ar-bench -s variant.json --cache cache built.jsonl
	assert_success
	run jq -r .status <<<"$output"
	assert_output "$(printf 'ok\nok')"
	[ ! -e recalled ]
	# Shared inputs (the default): refiled finds filed's answers.
	rm -f answers-*
	run --separate-stderr ar-bench -s shared.json --cache cache built.jsonl
	assert_success
	[ -e recalled ]
}

@test "a kernel runs from a sealed copy of what was hashed, which it cannot change" {
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	# Without the sandbox, which would refuse the open itself.
	jq '.bench.sandbox = false' "$C" >c.json
	printf '{"study":"bench-cheats","params":{"KIND":"selfwrite"}}\n' |
	    ar-compile -s c.json --cache cache >built.jsonl
	run --separate-stderr ar-bench -s c.json --cache cache built.jsonl
	assert_success
	[ "$(jq -r .status <<<"$output")" = ok ]
	# It ran from the sealed memory file, and its write was refused.
	run cat selfwrite
	assert_output --regexp '^/proc/self/fd/[0-9]+ Operation not permitted$'
	# The artifact in the cache is as built.
	a=$(jq -r .artifact built.jsonl)
	[ "$(sha256sum "$a" | cut -d' ' -f1)" = "$(jq -r .compile.sha256 built.jsonl)" ]
}

# The sandbox (ar-bench(1), lib/sandbox.c).  valgrind cannot follow a
# process into seccomp, so `make valgrind` runs without it (AR_SANDBOX).
need_sandbox() {
	[ "${AR_SANDBOX:-}" != off ] || skip "AR_SANDBOX=off (make valgrind)"
}

# bench_source SRC [JQ]: the kernel in SRC, the study's signature and
# entry, built and measured alone (the study changed by JQ), in the
# test's folder; ar-bench's record in $output.
bench_source() {
	jq --arg s "$1" ".source = \$s | .params = {\"K\": [1]} | ${2:-.}" "$C" >c.json
	printf '{"study":"bench-cheats","params":{"K":1}}\n' |
	    ar-compile -s c.json --cache cache >built.jsonl
	run --separate-stderr ar-bench -s c.json --cache cache built.jsonl
	assert_success
}

@test "a kernel in the sandbox leaves no mark outside its process and cannot reach the harness" {
	need_sandbox
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	jq '.bench.sandbox = false' "$C" >off.json
	printf '{"study":"bench-cheats","params":{"KIND":"escape"}}\n' |
	    ar-compile -s "$C" --cache cache >built.jsonl
	run --separate-stderr ar-bench -s "$C" --cache cache built.jsonl
	assert_success
	# escape aborts when any way out worked: none did, each was refused
	# and is named.
	[ "$(jq -r .status <<<"$output")" = ok ]
	run jq -c .refused <<<"$output"
	assert_output '["openat","shmget","socket","clone","kill","add_key","sethostname"]'
	[ ! -e escaped ]
	# Without the sandbox every one of them works, the last three where
	# the test has capabilities (any, CAP_SYS_ADMIN, CAP_SYS_RESOURCE).
	run --separate-stderr ar-bench -s off.json --cache cache built.jsonl
	assert_success
	[ "$(jq -r .status <<<"$output")" = crash ]
	run jq -r .error <<<"$output"
	assert_output --partial "escaped: file shm socket fork signal memory"
	local caps=$((16#$(awk '/^CapEff:/ { print $2 }' /proc/self/status)))
	if ((caps != 0)); then assert_output --partial " caps"; fi
	if ((caps >> 21 & 1)); then assert_output --partial " hostname"; fi
	if ((caps >> 24 & 1)); then assert_output --partial " limit"; fi
	[ -e escaped ]
}

@test "in the sandbox, no variant keeps its answers in a file for the next" {
	need_sandbox
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	jq 'del(.bench.trials)' "$C" >on.json
	printf '{"study":"bench-cheats","params":{"KIND":"%s"}}\n' filed refiled |
	    ar-compile -s on.json --cache cache >built.jsonl
	# Both do the work, their files refused, on the shared inputs.
	run --separate-stderr ar-bench -s on.json --cache cache built.jsonl
	assert_success
	run jq -c '[.status, .refused]' <<<"$output"
	assert_output "$(printf '["ok",["openat"]]\n["ok",["openat"]]')"
	# No answers were kept.  (Not "recalled": the sandbox would refuse
	# that marker too, so its absence would prove nothing.)  Without the
	# sandbox, refiled answers from filed's files (the test above).
	[ -z "$(find . -name 'answers-*')" ]
}

@test "a kernel that fails after a refusal is told what the sandbox refused" {
	need_sandbox
	cp "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	cat >needsfile.c <<-'EOF'
	#include <stdio.h>
	#include <stdlib.h>
	void cheats(const float *x, float *y, int n, float a)
	{
		FILE *f = fopen("log.txt", "a");
		int i;

		if (f == NULL) { perror("log.txt"); abort(); }
		fclose(f);
		for (i = 0; i < n; i++)
			y[i] = 2 * x[i] + a;
	}
	EOF
	bench_source needsfile.c
	[ "$(jq -r .status <<<"$output")" = crash ]
	run jq -r .error <<<"$output"
	assert_output "killed by signal 6 (Aborted): log.txt: Operation not permitted; the sandbox refused its calls to openat (bench.sandbox)"
	[ ! -e log.txt ]
	# The study can say it needs no sandbox.
	bench_source needsfile.c '.bench.sandbox = false'
	[ "$(jq -r '[.status, .refused] | @text' <<<"$output")" = '["ok",null]' ]
	[ -e log.txt ]
}

@test "in the sandbox a kernel reads files, and an OpenMP runtime that registers in shared memory runs" {
	need_sandbox
	cp "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	# What LLVM's OpenMP runtime (up to 16) does on its first parallel
	# region: a segment of its own, or it stops the program.
	cat >shm.c <<-'EOF'
	#include <fcntl.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <sys/mman.h>
	#include <unistd.h>
	void cheats(const float *x, float *y, int n, float a)
	{
		char name[64], *p;
		FILE *f = fopen("/proc/self/status", "r");
		int fd, i;

		if (f == NULL) { perror("/proc/self/status"); abort(); }
		fclose(f);
		snprintf(name, sizeof(name), "/ar-test-%d", (int)getpid());
		fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0666);
		if (fd < 0 || ftruncate(fd, 4096) != 0) { perror("shm"); abort(); }
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) { perror("mmap"); abort(); }
		strcpy(p, "registered");
		if (strcmp(p, "registered") != 0) abort();
		munmap(p, 4096);
		close(fd);
		for (i = 0; i < n; i++)
			y[i] = 2 * x[i] + a;
	}
	EOF
	bench_source shm.c
	[ "$(jq -r '[.status, .refused, .error] | @text' <<<"$output")" = '["ok",null,null]' ]
	# The segment was the process's own: none is left.
	[ -z "$(find /dev/shm -maxdepth 1 -name 'ar-test-*' 2>/dev/null)" ]
}

@test "AR_SANDBOX=off runs the kernels without the sandbox, whatever the study says" {
	cp "$FIX"/bench/cheats.c "$FIX"/bench/faults_ref.c "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	printf '{"study":"bench-cheats","params":{"KIND":"escape"}}\n' |
	    ar-compile -s "$C" --cache cache >built.jsonl
	AR_SANDBOX=off run --separate-stderr ar-bench -s "$C" --cache cache built.jsonl
	assert_success
	[ "$(jq -r .status <<<"$output")" = crash ]
}
