#!/usr/bin/env bats
# ar-compile: building variants into the cache, the cache itself, order
# under -j, pass-through, bad input and the machinery failing; then the
# cuda backend: cubins by NVRTC and by nvcc, and the kernels of kernels/.

load helper

C=$FIX/compile
SMALL=$C/study.json
CU=$C/cuda-k.json
CUDA_INC=${CUDA_HOME:-/usr/local/cuda}/include
# A configuration of $CU that compiles, and one that does not.
CU_OK='{"id":"k1","params":{"BLOCK":128,"UNROLL":2,"BREAK":0}}'
CU_BAD='{"id":"k2","params":{"BLOCK":64,"UNROLL":1,"BREAK":1}}'

# Programs built without the CUDA headers cannot use NVRTC even where the
# toolkit is installed (make CUDA_HOME=/nonexistent): found out once, so
# that the NVRTC tests skip with that reason there and fail anywhere else.
setup_file() {
	local err
	export NO_NVRTC=
	if ! err=$(ar-compile -s "$CU" --arch sm_90 --cache "$BATS_FILE_TMPDIR/probe" \
	    <<<"$CU_OK" 2>&1 >/dev/null) &&
	    [[ $err == *"built without CUDA support"* ]]; then
		NO_NVRTC="ar-compile was built without CUDA support"
	fi
}

# Skips a test that needs NVRTC where it cannot be had.
needs_nvrtc() {
	[ -e "$CUDA_INC/nvrtc.h" ] || skip "no CUDA toolkit"
	[ -z "$NO_NVRTC" ] || skip "$NO_NVRTC"
}

setup() {
	CACHE=$BATS_TEST_TMPDIR/cache
	T=$BATS_TEST_TMPDIR
}

# A copy of the compile fixtures in the test's folder, for tests that
# change the source or the study.
copy_fixtures() {
	cp "$C"/k.c "$C"/*.json "$C"/fakecc "$T/"
}

@test "--help prints the usage to stdout and exits 0" {
	run --separate-stderr ar-compile --help
	assert_success
	assert_output --partial "usage: ar-compile -s study"
	assert_output --partial "--keep-going"
	[ -z "$stderr" ]
}

@test "--version prints the version" {
	run --separate-stderr ar-compile --version
	assert_success
	assert_output --regexp '^ar-compile [0-9]+\.[0-9]+\.[0-9]+$'
	[ -z "$stderr" ]
}

@test "no study is a usage error with the synopsis on stderr" {
	run --separate-stderr ar-compile "$C/in.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-compile: no study given (-s)"* ]]
	[[ $stderr == *"usage: ar-compile -s study"* ]]
}

@test "a job count that is not a positive integer is a usage error" {
	run --separate-stderr ar-compile -s "$SMALL" -j 0 "$C/in.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"-j: '0' is not an integer from 1 to 256"* ]]
	run --separate-stderr ar-compile -s "$SMALL" --timeout 1s "$C/in.jsonl"
	assert_failure 2
	[[ $stderr == *"--timeout: '1s' is not a number of seconds"* ]]
}

@test "reading the standard input twice is a usage error" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" - - </dev/null
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"ar-compile: the standard input can be read only once"* ]]
	[[ $stderr == *"usage: ar-compile -s study"* ]]
}

@test "a missing input file is bad input" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$T/none.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "ar-compile: cannot open '$T/none.jsonl': No such file or directory" ]
}

@test "a record compiles into the cache and gets artifact and compile.status ok" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" \
	    <<<'{"study":"compile-small","id":"x1","params":{"A":2,"B":1}}'
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	run jq -r '[keys_unsorted[]] | join(",")' <<<"$output"
	assert_output "study,id,params,artifact,compile"
	local rec=$(ar-compile -s "$SMALL" --cache "$CACHE" \
	    <<<'{"study":"compile-small","id":"x1","params":{"A":2,"B":1}}')
	run jq -r '"\(.compile.status) \(.compile.log) \(.compile.seconds | type)"' <<<"$rec"
	assert_output "ok  number"
	local art=$(jq -r .artifact <<<"$rec")
	[[ $art =~ ^$CACHE/([0-9a-f]{2})/([0-9a-f]{64})\.so$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]:0:2}" ]
	[ -f "$art" ]
	[ -f "${art%.so}.log" ]
	[ ! -e "${art%.so}.err" ]
	# It is a shared object with the kernel in it.
	run nm -D "$art"
	assert_output --regexp ' T k$'
}

@test "the second request comes from the cache without running the compiler" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" --progress "$C/in.jsonl"
	assert_success
	assert_jsonl
	[ "$(grep -c '(cached)' <<<"$stderr")" -eq 0 ]
	local first=$output art mtime
	art=$(jq -r .artifact <<<"$first" | head -n 1)
	mtime=$(stat -c %Y.%y "$art")
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" --progress "$C/in.jsonl"
	assert_success
	[ "$(jq -c 'del(.compile.seconds)' <<<"$output")" = \
	    "$(jq -c 'del(.compile.seconds)' <<<"$first")" ]
	run jq -r '.compile.seconds == 0' <<<"$output"
	assert_output "$(printf 'true\ntrue\ntrue')"
	[ "$(shown "$stderr")" = "$(printf '%s\n' '[1/?] A=1 B=1 ok 0.00 s (cached)' \
	    '[2/?] A=2 B=2 ok 0.00 s (cached)' '[3/?] A=3 B=1 ok 0.00 s (cached)')" ]
	[ "$(stat -c %Y.%y "$art")" = "$mtime" ]
}

@test "the compiler gets one argument per flag and define, and runs once per variant" {
	copy_fixtures
	jq '.compile.cc = "./fakecc" | .compile.flags = ["-O2", "-g"]' "$C/study.json" >"$T/study.json"
	cd "$T"
	export FAKECC_LOG=$T/cc.log
	run --separate-stderr ar-compile -s study.json --cache "$CACHE" -j 1 "$C/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	run jq -r .compile.status <<<"$output"
	assert_output "$(printf 'ok\nok\nok')"
	run cat "$FAKECC_LOG"
	assert_line --index 0 --regexp '^\[-shared\]\[-fPIC\]\[-O2\]\[-g\]\[-DA=1\]\[-DB=1\]\[-DN=16\]\[-o\]\['"$CACHE"'/[0-9a-f]{2}/\.tmp-[0-9a-f]{64}-[0-9]+-[0-9]+\.so\]\[k\.c\]$'
	assert_line --index 1 --partial '[-DA=2][-DB=2][-DN=16][-o]'
	[ "${#lines[@]}" -eq 3 ]
	# Asked again, nothing is compiled.
	run --separate-stderr ar-compile -s study.json --cache "$CACHE" "$C/in.jsonl"
	assert_success
	[ "$(wc -l <"$FAKECC_LOG")" -eq 3 ]
	# No temporary file is left behind.
	run find "$CACHE" -name '.tmp-*'
	assert_output ""
}

@test "the compiler comes from \$CC when the study names none" {
	copy_fixtures
	export FAKECC_LOG=$T/cc.log
	run --separate-stderr env CC="$T/fakecc" ar-compile -s "$T/study.json" \
	    --cache "$CACHE" <<<'{"params":{"A":1,"B":2}}'
	assert_success
	[ -z "$stderr" ]
	[ "$(jq -r .compile.status <<<"$output")" = ok ]
	[ "$(wc -l <"$FAKECC_LOG")" -eq 1 ]
}

@test "a changed source, flags, compiler or constant makes a new key" {
	copy_fixtures
	local rec='{"params":{"A":1,"B":1}}' a0 a1 a2 a3 a4 a5
	a0=$(ar-compile -s "$T/study.json" --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	a1=$(ar-compile -s "$T/study.json" --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	[ "$a0" = "$a1" ]
	echo '/* changed */' >>"$T/k.c"
	a2=$(ar-compile -s "$T/study.json" --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	[ "$a2" != "$a0" ]
	jq '.compile.flags = ["-O2"]' "$C/study.json" >"$T/study.json"
	a3=$(ar-compile -s "$T/study.json" --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	[ "$a3" != "$a2" ]
	a4=$(ar-compile -s "$T/study.json" -D N=32 --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	[ "$a4" != "$a3" ]
	jq '.compile.flags = ["-O2"] | .compile.cc = "'"$T"'/fakecc"' "$C/study.json" >"$T/study.json"
	a5=$(ar-compile -s "$T/study.json" --cache "$CACHE" <<<"$rec" | jq -r .artifact)
	[ "$a5" != "$a3" ]
	[ -f "$a0" ] && [ -f "$a2" ] && [ -f "$a3" ] && [ -f "$a4" ] && [ -f "$a5" ]
}

@test "a compile error is data: status error, the compiler's message, and the next record compiles" {
	run --separate-stderr ar-compile -s "$C/broken.json" --cache "$CACHE" <<'EOF'
{"id":"b1","params":{"BREAK":1,"V":1}}
{"id":"b2","params":{"BREAK":0,"V":2}}
EOF
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	run jq -r '"\(.id) \(.compile.status) \(has("artifact"))"' <<<"$output"
	assert_output "$(printf 'b1 error false\nb2 ok true')"
	local log
	log=$(ar-compile -s "$C/broken.json" --cache "$CACHE" \
	    <<<'{"params":{"BREAK":1,"V":1}}' | jq -r .compile.log)
	[[ $log == *'#error "broken on purpose"'* ]]
	[ "$(find "$CACHE" -name '*.err' | wc -l)" -eq 1 ]
}

@test "a known compile error is answered from the cache" {
	copy_fixtures
	jq '.compile.cc = "'"$T"'/failcc"' "$C/broken.json" >"$T/broken.json"
	printf '#!/bin/sh\n[ "$1" = --version ] && { echo failcc 1; exit 0; }\necho run >>"%s"\necho "failcc: it will not build" >&2\nexit 1\n' \
	    "$T/runs.log" >"$T/failcc"
	chmod +x "$T/failcc"
	run --separate-stderr ar-compile -s "$T/broken.json" --cache "$CACHE" --progress \
	    <<<'{"params":{"BREAK":0,"V":3}}'
	assert_success
	[ "$(jq -r .compile.log <<<"$output")" = "failcc: it will not build" ]
	[[ $(shown "$stderr") =~ ^'[1/?] BREAK=0 V=3 error '[0-9.]+' s'$ ]]
	run --separate-stderr ar-compile -s "$T/broken.json" --cache "$CACHE" --progress \
	    <<<'{"params":{"BREAK":0,"V":3}}'
	assert_success
	run jq -c '.compile | .seconds |= (. == 0)' <<<"$output"
	assert_output '{"status":"error","seconds":true,"log":"failcc: it will not build"}'
	[ "$(shown "$stderr")" = "[1/?] BREAK=0 V=3 error 0.00 s (cached)" ]
	[ "$(wc -l <"$T/runs.log")" -eq 1 ]
}

@test "a compile that runs past --timeout fails, and is tried again next time" {
	copy_fixtures
	jq '.compile.cc = "'"$T"'/fakecc"' "$C/study.json" >"$T/study.json"
	export FAKECC_LOG=$T/cc.log FAKECC_SLEEP=10
	run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" --timeout 0.3 \
	    <<<'{"params":{"A":1,"B":1}}'
	assert_success
	[ -z "$stderr" ]
	run jq -r '"\(.compile.status) \(has("artifact")) \(.compile.log)"' <<<"$output"
	assert_output "error false compile timed out after 0.3 s"
	[ "$(find "$CACHE" -name '*.err' -o -name '*.so' | wc -l)" -eq 0 ]
	FAKECC_SLEEP= run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" \
	    <<<'{"params":{"A":1,"B":1}}'
	assert_success
	[ "$(jq -r .compile.status <<<"$output")" = ok ]
	[ "$(wc -l <"$FAKECC_LOG")" -eq 2 ]
}

@test "the study's compile.timeout_s limits a compile, and --timeout overrides it" {
	copy_fixtures
	jq '.compile.cc = "'"$T"'/fakecc" | .compile.timeout_s = 0.3' "$C/study.json" >"$T/study.json"
	export FAKECC_LOG=$T/cc.log FAKECC_SLEEP=10
	run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" \
	    <<<'{"params":{"A":1,"B":1}}'
	assert_success
	assert_equal "$(jq -r .compile.log <<<"$output")" "compile timed out after 0.3 s"
	FAKECC_SLEEP=1 run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" \
	    --timeout 0 <<<'{"params":{"A":1,"B":1}}'
	assert_success
	assert_equal "$(jq -r .compile.status <<<"$output")" ok
	# A limit below 0 is not one.
	jq '.compile.timeout_s = -1' "$C/study.json" >"$T/bad.json"
	run --separate-stderr ar-compile -s "$T/bad.json" --cache "$CACHE" </dev/null
	assert_failure 2
	assert_equal "$stderr" "ar-compile: $T/bad.json: key \"compile.timeout_s\": expected a number of at least 0, found -1"
}

@test "--progress: a status line shows the variant being built, the time spent and the pace" {
	run --separate-stderr ar-compile -s "$C/order.json" --cache "$CACHE/p" -j 1 \
	    --progress <<<'{"params":{"SLOW":0,"V":1}}
{"params":{"SLOW":0,"V":2}}'
	assert_success
	assert_jsonl
	[[ $output != *$'\r'* ]] || fail "a carriage return on stdout"
	# How many are to come is not known: no time left, but the pace.
	[[ $stderr == $'\r[1/?] SLOW=0 V=1 ...\r'* ]] || fail "stderr is: $stderr"
	[[ $stderr =~ $'\r'\[2/\?\]\ SLOW=0\ V=2\ \.\.\.\ \|\ [0-9]+s\ spent,\ [0-9.]+\ s\ a\ variant$'\r' ]] ||
		fail "stderr is: $stderr"
	run shown "$stderr"
	assert_line --index 0 --regexp '^\[1/\?\] SLOW=0 V=1 ok [0-9.]+ s$'
	assert_line --index 1 --regexp '^\[2/\?\] SLOW=0 V=2 ok [0-9.]+ s$'
	[ "${#lines[@]}" -eq 2 ]
}

@test "-j 2 writes the records in input order, as -j 1 does" {
	local in='{"id":"o1","params":{"SLOW":1,"V":1}}
{"id":"o2","params":{"SLOW":0,"V":2}}
{"id":"o3","params":{"SLOW":0,"V":3}}
{"id":"o4","params":{"SLOW":0,"V":4}}'
	run --separate-stderr ar-compile -s "$C/order.json" --cache "$CACHE/j2" -j 2 \
	    --progress <<<"$in"
	assert_success
	assert_jsonl
	local j2=$output
	run jq -r .id <<<"$j2"
	assert_output "$(printf 'o1\no2\no3\no4')"
	# The progress lines come in the same order.
	[[ $(shown "$stderr" | sed -n 1p) == "[1/?] SLOW=1 V=1 ok "* ]]
	[[ $(shown "$stderr" | sed -n 4p) == "[4/?] SLOW=0 V=4 ok "* ]]
	# While SLOW=1 builds, the others do too; each line is written over.
	[[ $stderr == $'\r[1/?] SLOW=1 V=1 ...'* ]] || fail "stderr is: $stderr"
	[[ $stderr == *$'\r[1/?] SLOW=1 V=1 ... (and 1 more)'* ]] ||
		fail "stderr is: $stderr"
	[ "$(shown "$stderr" | wc -l)" -eq 4 ]
	run ar-compile -s "$C/order.json" --cache "$CACHE/j1" -j 1 <<<"$in"
	assert_success
	[ "$(jq -c 'del(.compile.seconds, .artifact)' <<<"$output")" = \
	    "$(jq -c 'del(.compile.seconds, .artifact)' <<<"$j2")" ]
	[ "$(jq -r '.artifact | sub(".*/"; "")' <<<"$output")" = \
	    "$(jq -r '.artifact | sub(".*/"; "")' <<<"$j2")" ]
}

@test "fields the stage does not own pass through in order; its own are replaced" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" <<'EOF'
{"mine":"first","study":"compile-small","artifact":"/old/path.so","params":{"A":1,"B":1},"compile":{"status":"stale"},"extra":{"n":[1,2]},"z":null}
EOF
	assert_success
	[ -z "$stderr" ]
	run jq -c '[keys_unsorted, .mine, .extra, .z, .compile.status, (.artifact | startswith("'"$CACHE"'/"))]' <<<"$output"
	assert_output '[["mine","study","params","extra","z","artifact","compile"],"first",{"n":[1,2]},null,"ok",true]'
}

@test "a value the study does not list is bad input with file and line" {
	printf '%s\n' '{"params":{"A":1,"B":1}}' '{"params":{"A":7,"B":1}}' \
	    '{"params":{"A":2,"B":1}}' >"$T/in.jsonl"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$T/in.jsonl"
	assert_failure 2
	[ "$stderr" = "ar-compile: $T/in.jsonl:2: parameter 'A': value 7 is not one $SMALL lists" ]
	# What came before it is built and written; nothing after it.
	run jq -c .params <<<"$output"
	assert_output '{"A":1,"B":1}'
}

@test "an unknown parameter, a missing one and a violated constraint are bad input" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" \
	    <<<'{"params":{"A":1,"B":1,"Q":3}}'
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "ar-compile: <stdin>:1: unknown parameter 'Q' (not in $SMALL)" ]
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" - \
	    <<<'{"params":{"A":1}}'
	assert_failure 2
	[ "$stderr" = "ar-compile: <stdin>:1: parameter 'B' is missing" ]
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" \
	    <<<'{"params":{"A":3,"B":2}}'
	assert_failure 2
	[[ $stderr == "ar-compile: <stdin>:1: "*"A * B <= 4"* ]]
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" <<<'{"id":"np"}'
	assert_failure 2
	[ "$stderr" = 'ar-compile: <stdin>:1: no "params" object' ]
	[ ! -e "$CACHE" ] || [ -z "$(find "$CACHE" -name '*.so')" ]
}

@test "a record of another study is bad input" {
	printf '\n%s\n' '{"study":"matmul-cpu","params":{"A":1,"B":1}}' >"$T/other.jsonl"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$T/other.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[ "$stderr" = "ar-compile: $T/other.jsonl:2: a record of another study ('matmul-cpu'), not of 'compile-small'" ]
}

@test "a line that is not JSON is bad input" {
	printf '%s\n' '{"params":{"A":1,"B":1}}' '{"params":' >"$T/bad.jsonl"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$T/bad.jsonl"
	assert_failure 2
	[[ $stderr == "ar-compile: $T/bad.jsonl:2: "* ]]
	[ "$(jq -c .params <<<"$output")" = '{"A":1,"B":1}' ]
}

@test "--keep-going warns about each bad record, drops it and goes on" {
	printf '%s\n' '{"params":{"A":7,"B":1}}' '{"study":"other","params":{"A":1,"B":1}}' \
	    '{"params":{"A":1,"B":2}}' '{"params":{"A":1,"B":1,"Q":1}}' \
	    '{"params":{"A":2,"B":1}}' >"$T/in.jsonl"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" --keep-going "$T/in.jsonl"
	assert_success
	run jq -c .params <<<"$output"
	assert_output "$(printf '%s\n' '{"A":1,"B":2}' '{"A":2,"B":1}')"
	[ "$stderr" = "ar-compile: $T/in.jsonl:1: parameter 'A': value 7 is not one $SMALL lists; record dropped
ar-compile: $T/in.jsonl:2: a record of another study ('other'), not of 'compile-small'; record dropped
ar-compile: $T/in.jsonl:4: unknown parameter 'Q' (not in $SMALL); record dropped" ]
}

@test "a value reaches the compiler as one -D argument, never through a shell" {
	copy_fixtures
	cd "$T"
	write_study s.json '{"name": "shell", "backend": "c", "source": "k.c",
	    "params": {"EXPR": ["a+b", "-1", "a-b"]}}'
	run --separate-stderr ar-compile -s s.json --cache "$CACHE" <<EOF
{"params":{"EXPR":"a+b"}}
{"params":{"EXPR":"-1"}}
{"params":{"EXPR":"\$(touch $T/pwned)"}}
EOF
	assert_failure 2
	[ "$stderr" = "ar-compile: <stdin>:3: parameter 'EXPR': value \"\$(touch $T/pwned)\" is not one s.json lists" ]
	run jq -r .compile.status <<<"$output"
	assert_output "$(printf 'ok\nok')"
	[ ! -e "$T/pwned" ]
	# What the compiler saw, argument by argument.
	jq '.compile.cc = "./fakecc"' s.json >s2.json
	FAKECC_LOG=$T/cc.log run --separate-stderr ar-compile -s s2.json --cache "$CACHE" \
	    <<<'{"params":{"EXPR":"a+b"}}'
	assert_success
	run cat "$T/cc.log"
	assert_output --regexp '^\[-shared\]\[-fPIC\]\[-DEXPR=a\+b\]\[-o\]\[[^]]*\]\[k\.c\]$'
	# A study cannot list a value a shell would read otherwise.
	write_study bad.json '{"name": "shell", "backend": "c", "source": "k.c",
	    "params": {"EXPR": ["a+b", "$(touch '"$T"'/pwned)"]}}'
	run --separate-stderr ar-compile -s bad.json --cache "$CACHE" <<<'{"params":{"EXPR":"a+b"}}'
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == 'ar-compile: bad.json: key "params.EXPR[1]": '* ]]
	[ ! -e "$T/pwned" ]
}

@test "a compiler that cannot be found is a failure of the program" {
	copy_fixtures
	jq '.compile.cc = "no-such-cc"' "$C/study.json" >"$T/study.json"
	run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" "$C/in.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[ "$stderr" = "ar-compile: cannot run the compiler 'no-such-cc': No such file or directory" ]
}

@test "a cache that cannot be written is a failure of the program" {
	: >"$T/file"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$T/file" "$C/in.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr =~ ^"ar-compile: cannot create the cache folder '$T/file/"[0-9a-f]{2}"': Not a directory"$ ]]
}

@test "records of a command study pass through unchanged" {
	printf '%s\n' '{"study":"compile-command","id":"c1","params":{"A":1},"x":[1]}' \
	    '{"anything":"goes"}' >"$T/in.jsonl"
	run --separate-stderr ar-compile -s "$C/command.json" --cache "$CACHE" "$T/in.jsonl"
	assert_success
	[ -z "$stderr" ]
	assert_output "$(cat "$T/in.jsonl")"
	[ ! -e "$CACHE" ]
}

@test "CSV in, and --csv out that reads back in" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" --csv "$C/in.csv"
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 "study,id,params.A,params.B,note,artifact,compile.status,compile.seconds,compile.log,compile.sha256"
	assert_line --index 1 --regexp "^compile-small,c1,1,2,first,$CACHE/[0-9a-f]{2}/[0-9a-f]{64}\.so,ok,[0-9.e-]+,\"\",[0-9a-f]{64}$"
	assert_line --index 2 --partial 'compile-small,c2,3,1,"second, with a comma",'
	[ "${#lines[@]}" -eq 3 ]
	printf '%s\n' "$output" >"$T/out.csv"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$T/out.csv"
	assert_success
	run jq -c '[.id, .note, .params, .compile.status, .compile.seconds == 0]' <<<"$output"
	assert_output "$(printf '%s\n' '["c1","first",{"A":1,"B":2},"ok",true]' \
	    '["c2","second, with a comma",{"A":3,"B":1},"ok",true]')"
}

@test "several inputs are read in turn, and no input is no output" {
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$C/in.jsonl" "$C/in.csv"
	assert_success
	run jq -r .id <<<"$output"
	assert_output "$(printf 'a1\na2\na3\nc1\nc2')"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" </dev/null
	assert_success
	assert_output ""
	[ -z "$stderr" ]
}

@test "a reader that leaves ends the program quietly" {
	run bash -c 'ar-compile -s "$1" --cache "$2" "$3" 2>"$4" | head -n 1' _ \
	    "$SMALL" "$CACHE" "$C/in.jsonl" "$T/err"
	assert_success
	[ "$(jq -r .id <<<"$output")" = a1 ]
	[ ! -s "$T/err" ]
}

@test "a write error is a failure of the program" {
	[ -w /dev/full ] || skip "no /dev/full"
	run --separate-stderr ar-compile -s "$SMALL" --cache "$CACHE" "$C/in.jsonl" >/dev/full
	run --separate-stderr bash -c 'ar-compile -s "$1" --cache "$2" "$3" >/dev/full' _ \
	    "$SMALL" "$CACHE" "$C/in.jsonl"
	assert_failure 1
	[[ $stderr == "ar-compile: "*"No space left on device"* ]]
}

@test "each record is written as soon as it is built, while the input is still open" {
	mkfifo "$T/in"
	ar-compile -s "$SMALL" --cache "$CACHE" -j 2 <"$T/in" >"$T/out" 2>"$T/err" &
	local pid=$! i fd
	# (bats keeps descriptor 3 for itself)
	exec {fd}>"$T/in"
	echo '{"id":"s1","params":{"A":1,"B":1}}' >&"$fd"
	for i in $(seq 100); do
		[ -s "$T/out" ] && break
		sleep 0.1
	done
	[ "$(jq -r .id "$T/out")" = s1 ]
	echo '{"id":"s2","params":{"A":2,"B":1}}' >&"$fd"
	exec {fd}>&-
	wait "$pid"
	run jq -r .id "$T/out"
	assert_output "$(printf 's1\ns2')"
	[ ! -s "$T/err" ]
}

# --- backend cuda ---------------------------------------------------------

# is_cubin FILE ENTRY: FILE is a CUDA ELF image that defines ENTRY.
is_cubin() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] ||
		fail "$1 does not start with the ELF magic"
	if command -v cuobjdump >/dev/null; then
		cuobjdump -elf "$1" | grep -q "$2" || fail "no '$2' in $1"
	elif command -v readelf >/dev/null; then
		readelf -h "$1" | grep -q 'NVIDIA CUDA' || fail "$1 is not for CUDA"
		readelf -sW "$1" | grep -Eq " FUNC +GLOBAL .* $2\$" ||
			fail "no function '$2' in $1"
	else
		grep -aq "$2" "$1" || fail "no '$2' in $1"
	fi
}

@test "cuda: a variant becomes a cubin by NVRTC, with the architecture in the record" {
	needs_nvrtc
	run --separate-stderr ar-compile -s "$CU" --arch sm_80 --cache "$CACHE" <<<"$CU_OK"
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	run jq -c '[keys_unsorted, (.compile | keys_unsorted), .compile.status,
	    .compile.log, .compile.arch, .compile.compiler, (.compile.seconds > 0)]' <<<"$output"
	assert_output '[["id","params","artifact","compile"],["status","seconds","log","sha256","arch","compiler"],"ok","","sm_80","nvrtc",true]'
	local a80 a90
	a80=$(ar-compile -s "$CU" --arch sm_80 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)
	[[ $a80 =~ ^$CACHE/([0-9a-f]{2})/([0-9a-f]{64})\.cubin$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]:0:2}" ]
	[ -f "${a80%.cubin}.log" ]
	is_cubin "$a80" scale
	# Another architecture is another key and another cubin.
	run --separate-stderr ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<<"$CU_OK"
	assert_success
	[ "$(jq -r .compile.arch <<<"$output")" = sm_90 ]
	a90=$(jq -r .artifact <<<"$output")
	[ "$a90" != "$a80" ]
	is_cubin "$a90" scale
	! cmp -s "$a80" "$a90"
	if command -v readelf >/dev/null; then
		[ "$(readelf -h "$a80" | grep Flags)" != "$(readelf -h "$a90" | grep Flags)" ]
	fi
}

@test "cuda: the second request comes from the cache" {
	needs_nvrtc
	local first
	first=$(ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<<"$CU_OK")
	run --separate-stderr ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" --progress <<<"$CU_OK"
	assert_success
	[ "$(shown "$stderr")" = "[1/?] BLOCK=128 UNROLL=2 BREAK=0 ok 0.00 s (cached)" ]
	[ "$(jq -c 'del(.compile.seconds)' <<<"$first")" = \
	    "$(jq -c 'del(.compile.seconds)' <<<"$output")" ]
	[ "$(jq '.compile.seconds == 0' <<<"$output")" = true ]
}

@test "cuda: a syntax error is compile.status error with NVRTC's message, kept in the cache" {
	needs_nvrtc
	run --separate-stderr ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<END
$CU_BAD
$CU_OK
END
	assert_success
	[ -z "$stderr" ]
	run jq -r '"\(.id) \(.compile.status) \(has("artifact")) \(.compile.arch)"' <<<"$output"
	assert_output "$(printf 'k2 error false sm_90\nk1 ok true sm_90')"
	local log
	log=$(ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<<"$CU_BAD" | jq -r .compile.log)
	[[ $log == "$C/k.cu(14): error: expected an expression"* ]]
	[ "$(find "$CACHE" -name '*.err' | wc -l)" -eq 1 ]
	[ "$(find "$CACHE" -name '*.cubin' | wc -l)" -eq 1 ]
	run find "$CACHE" -name '.tmp-*'
	assert_output ""
}

@test "cuda: an option NVRTC refuses is a compile error that says so" {
	needs_nvrtc
	cp "$C/k.cu" "$T/"
	jq '.compile.flags = ["--no-such-option"]' "$CU" >"$T/cu.json"
	run --separate-stderr ar-compile -s "$T/cu.json" --arch sm_90 --cache "$CACHE" <<<"$CU_OK"
	assert_success
	[ "$(jq -r .compile.status <<<"$output")" = error ]
	[[ $(jq -r .compile.log <<<"$output") == *"--no-such-option"*"NVRTC_ERROR_INVALID_OPTION" ]]
}

@test "cuda: -j builds in parallel, in input order, under the keys of -j 1" {
	needs_nvrtc
	local in j1
	in=$(ar-propose -s "$CU" -n 8 --seed 3)
	run --separate-stderr ar-compile -s "$CU" --arch sm_80 --cache "$CACHE/j3" -j 3 <<<"$in"
	assert_success
	[ -z "$stderr" ]
	[ "$(jq -r .id <<<"$output")" = "$(jq -r .id <<<"$in")" ]
	local out=$output
	run jq -r '"\(.params.BREAK) \(.compile.status)"' <<<"$out"
	refute_line --regexp '^(0 error|1 ok)$'
	j1=$(ar-compile -s "$CU" --arch sm_80 --cache "$CACHE/j1" -j 1 <<<"$in")
	[ "$(jq -r '.artifact // "-" | sub(".*/"; "")' <<<"$out")" = \
	    "$(jq -r '.artifact // "-" | sub(".*/"; "")' <<<"$j1")" ]
}

@test "cuda: --csv has the architecture and the compiler as columns" {
	needs_nvrtc
	run --separate-stderr ar-compile -s "$CU" --arch sm_80 --cache "$CACHE" --csv <<<"$CU_OK"
	assert_success
	assert_line --index 0 "id,params.BLOCK,params.UNROLL,params.BREAK,artifact,compile.status,compile.seconds,compile.log,compile.sha256,compile.arch,compile.compiler"
	assert_line --index 1 --regexp "^k1,128,2,0,$CACHE/[0-9a-f]{2}/[0-9a-f]{64}\.cubin,ok,[0-9.e-]+,\"\",[0-9a-f]{64},sm_80,nvrtc$"
}

@test "cuda: NVRTC that cannot be loaded is a failure of the program" {
	needs_nvrtc
	run --separate-stderr env AR_NVRTC=/nonexistent/libnvrtc.so \
	    ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<<"$CU_OK"
	assert_failure 1
	[ -z "$output" ]
	[ "$stderr" = "ar-compile: cannot load NVRTC (/nonexistent/libnvrtc.so): /nonexistent/libnvrtc.so: cannot open shared object file: No such file or directory; install the CUDA toolkit or use --nvcc" ]
}

@test "cuda: programs built without CUDA support say so" {
	[ -n "$NO_NVRTC" ] || skip "ar-compile was built with CUDA support"
	run --separate-stderr ar-compile -s "$CU" --arch sm_90 --cache "$CACHE" <<<"$CU_OK"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-compile: cannot use NVRTC: built without CUDA support"*"--nvcc" ]]
}

@test "cuda: --nvcc runs nvcc once per variant with -cubin, -arch, the flags and the defines" {
	cp "$C/k.cu" "$T/"
	jq '.compile.flags = ["-O3", "--use_fast_math"]' "$CU" >"$T/cu.json"
	export PATH=$C/fakenvcc:$PATH FAKECC_LOG=$T/nvcc.log
	run --separate-stderr ar-compile -s "$T/cu.json" --nvcc --arch sm_80 -j 1 --cache "$CACHE" <<END
$CU_OK
$CU_BAD
END
	assert_success
	[ -z "$stderr" ]
	run jq -c '[.id, .compile.status, .compile.log, .compile.arch, .compile.compiler, (.artifact // "" | endswith(".cubin"))]' <<<"$output"
	assert_output "$(printf '%s\n' '["k1","ok","","sm_80","nvcc",true]' \
	    '["k2","error","k.cu(14): error: broken on purpose","sm_80","nvcc",false]')"
	run cat "$FAKECC_LOG"
	assert_line --index 0 --regexp '^\[-cubin\]\[-arch=sm_80\]\[-O3\]\[--use_fast_math\]\[-DBLOCK=128\]\[-DUNROLL=2\]\[-DBREAK=0\]\[-DN=4096\]\[-o\]\['"$CACHE"'/[0-9a-f]{2}/\.tmp-[0-9a-f]{64}-[0-9]+-[0-9]+\.cubin\]\['"$T"'/k\.cu\]$'
	[ "${#lines[@]}" -eq 2 ]
	# Both answers are kept: nothing runs again.
	run --separate-stderr ar-compile -s "$T/cu.json" --nvcc --arch sm_80 --cache "$CACHE" <<<"$CU_OK"
	assert_success
	[ "$(jq '.compile.seconds == 0' <<<"$output")" = true ]
	[ "$(wc -l <"$FAKECC_LOG")" -eq 2 ]
}

@test "cuda: nvcc's release and the architecture are in the key, and NVRTC has keys of its own" {
	export PATH=$C/fakenvcc:$PATH
	local a b c d
	a=$(ar-compile -s "$CU" --nvcc --arch sm_80 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)
	b=$(FAKENVCC_RELEASE=13.1 ar-compile -s "$CU" --nvcc --arch sm_80 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)
	c=$(ar-compile -s "$CU" --nvcc --arch sm_90 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)
	[ -f "$a" ] && [ -f "$b" ] && [ -f "$c" ]
	[ "$a" != "$b" ] && [ "$a" != "$c" ] && [ "$b" != "$c" ]
	[ -e "$CUDA_INC/nvrtc.h" ] && [ -z "$NO_NVRTC" ] || return 0
	d=$(ar-compile -s "$CU" --arch sm_80 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)
	[ -f "$d" ] && [ "$d" != "$a" ]
}

@test "cuda: the real nvcc builds a cubin too" {
	[ -e "$CUDA_INC/nvrtc.h" ] || skip "no CUDA toolkit"
	command -v nvcc >/dev/null || [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] ||
		skip "no nvcc"
	run --separate-stderr ar-compile -s "$CU" --nvcc --arch sm_90 --cache "$CACHE" <<END
$CU_OK
$CU_BAD
END
	assert_success
	[ -z "$stderr" ]
	run jq -r '"\(.compile.status) \(.compile.arch) \(.compile.compiler)"' <<<"$output"
	assert_output "$(printf 'ok sm_90 nvcc\nerror sm_90 nvcc')"
	is_cubin "$(ar-compile -s "$CU" --nvcc --arch sm_90 --cache "$CACHE" <<<"$CU_OK" | jq -r .artifact)" scale
	[[ $(ar-compile -s "$CU" --nvcc --arch sm_90 --cache "$CACHE" <<<"$CU_BAD" | jq -r .compile.log) == *"k.cu(14): error: expected an expression"* ]]
}

@test "cuda: without --arch the architecture is the GPU's, else sm_90" {
	export PATH=$C/fakenvcc:$PATH
	run --separate-stderr ar-compile -s "$CU" --nvcc --cache "$CACHE" <<<"$CU_OK"
	assert_success
	if [ -e /dev/nvidia0 ]; then
		[[ $(jq -r .compile.arch <<<"$output") =~ ^sm_[0-9]+[a-z]?$ ]]
	else
		[ "$(jq -r .compile.arch <<<"$output")" = sm_90 ]
	fi
}

@test "--arch must name a real architecture, and --arch and --nvcc a cuda study" {
	local a
	for a in compute_90 sm90 sm_ sm_9x0 "sm_90 " ""; do
		run --separate-stderr ar-compile -s "$CU" --arch "$a" --cache "$CACHE" </dev/null
		assert_failure 2
		[ -z "$output" ]
		[[ $stderr == "ar-compile: --arch: '$a' is not a GPU architecture of the form sm_XX (sm_80, sm_90a)"$'\n'"usage: ar-compile "* ]]
	done
	run --separate-stderr ar-compile -s "$SMALL" --arch sm_90 --cache "$CACHE" </dev/null
	assert_failure 2
	[ "$stderr" = "ar-compile: $SMALL: --arch is for a study of backend cuda, not 'c'" ]
	run --separate-stderr ar-compile -s "$SMALL" --nvcc --cache "$CACHE" </dev/null
	assert_failure 2
	[ "$stderr" = "ar-compile: $SMALL: --nvcc is for a study of backend cuda, not 'c'" ]
}

@test "cuda: the kernels of kernels/ compile for sm_80 and sm_90, three configurations each" {
	needs_nvrtc
	local s a n=0
	for s in "$ROOT"/kernels/*/cuda.json; do
		[ -e "$s" ] || continue
		n=$((n + 1))
		for a in sm_80 sm_90; do
			run --separate-stderr bash -c 'set -o pipefail
			    ar-propose -s "$1" -n 3 --seed 1 |
			    ar-compile -s "$1" --arch "$2" -j 2 --cache "$3"' _ "$s" "$a" "$CACHE"
			assert_success
			[ -z "$stderr" ]
			run jq -s -c --arg a "$a" '[length, (map(select(.compile.status == "ok" and
			    .compile.arch == $a and (.artifact | endswith(".cubin")))) | length)]' <<<"$output"
			[ "$output" = "[3,3]" ] || fail "$s for $a: $output"
		done
	done
	[ "$n" -gt 0 ] || skip "no CUDA kernels in kernels/ yet"
}
