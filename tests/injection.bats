#!/usr/bin/env bats
# Nothing runs that was not built here (issue 7): a record cannot make
# ar-compile build or ar-bench load or execute anything but the variants
# of the study's own parameter values, built into the cache.  Each
# attempt is refused with exit 2 and a message naming the record, and
# nothing it names was executed or written.

load helper

B=$FIX/bench

setup() {
	cd "$BATS_TEST_TMPDIR"
	CACHE=$BATS_TEST_TMPDIR/cache
	# What an injected command would leave behind.
	MARK=$BATS_TEST_TMPDIR/pwned
}

# no_trace: nothing was executed, the cache holds only real builds.
no_trace() {
	[ ! -e "$MARK" ] || fail "an injected command ran"
	[ ! -e "$BATS_TEST_TMPDIR/x" ] || fail "a path outside was written"
	if [ -d "$CACHE" ]; then
		run find "$CACHE" -type f ! -name '*.so' ! -name '*.log' ! -name '*.json' ! -name '*.c'
		[ -z "$output" ] || fail "unexpected files in the cache: $output"
	fi
}

@test "ar-compile refuses values the study does not list: metacharacters, quotes, newlines, .. parts" {
	local v
	for v in '"ok; touch '"$MARK"'"' '"$(touch '"$MARK"')"' '"`touch '"$MARK"'`"' \
	    '"ok\ntouch '"$MARK"'"' '"\"ok\""' "\"ok' || touch $MARK '\"" \
	    '"../../x"' '"ok/../segv"' '1' 'null' '["ok"]'; do
		run --separate-stderr ar-compile -s "$B/faults.json" --cache "$CACHE" \
		    <<<"{\"study\":\"bench-faults\",\"params\":{\"KIND\":$v}}"
		[ "$status" -eq 2 ] || fail "value $v: status $status"
		[ -z "$output" ] || fail "value $v: wrote $output"
		[[ $stderr == *"<stdin>:1: parameter 'KIND': value"*"is not one $B/faults.json lists"* ]] ||
		    fail "value $v: $stderr"
		no_trace
	done
}

@test "ar-compile refuses parameter names the study does not have" {
	local n
	for n in 'KIND;touch x' 'KIND=ok' '../x' 'CC' '$(touch x)'; do
		run --separate-stderr ar-compile -s "$B/faults.json" --cache "$CACHE" \
		    < <(jq -cn --arg n "$n" '{study: "bench-faults", params: {KIND: "ok", ($n): "1"}}')
		[ "$status" -eq 2 ] || fail "name $n: status $status"
		[[ $stderr == *"unknown parameter"* ]] || fail "name $n: $stderr"
		no_trace
	done
}

@test "a study cannot list values with shell metacharacters, quotes or path parts" {
	local v
	for v in '1;touch pwned' '$(touch pwned)' '`touch pwned`' 'a b' "it's" 'a"b' \
	    '../x' 'a/b' $'a\nb'; do
		write_study s.json "$(jq -n --arg v "$v" '{name: "meta", backend: "c",
		    source: "k.c", params: {V: [$v, "2"]}}')"
		run --separate-stderr ar-propose -s s.json -n 2
		[ "$status" -eq 2 ] || fail "value $v: status $status"
		[[ $stderr == *'key "params.V[0]": a string value may hold only letters, digits and _ . + -'* ]] ||
		    fail "value $v: $stderr"
		run --separate-stderr ar-compile -s s.json --cache "$CACHE" </dev/null
		[ "$status" -eq 2 ] || fail "value $v: ar-compile status $status"
		no_trace
	done
}

@test "ar-bench runs only artifacts in its cache that were built for the record" {
	local ok seg
	printf '{"study":"bench-faults","params":{"KIND":"%s"}}\n' ok segv |
	    ar-compile -s "$B/faults.json" --cache "$CACHE" >built.jsonl
	ok=$(jq -r 'select(.params.KIND == "ok") | .artifact' built.jsonl)
	seg=$(jq -r 'select(.params.KIND == "segv") | .artifact' built.jsonl)
	cp "$ok" "$BATS_TEST_TMPDIR/copy.so"
	ln -s "$BATS_TEST_TMPDIR/copy.so" "$CACHE/$(basename "$seg" .so)0.so"
	local a
	for a in /etc/passwd "$BATS_TEST_TMPDIR/copy.so" "$seg" \
	    "$CACHE/../copy.so" "$CACHE/$(basename "$seg" .so)0.so" ''; do
		run --separate-stderr ar-bench -s "$B/faults.json" --cache "$CACHE" \
		    < <(jq -c --arg a "$a" 'select(.params.KIND == "ok") | .artifact = $a' built.jsonl)
		[ "$status" -eq 2 ] || fail "artifact '$a': status $status"
		[ -z "$output" ] || fail "artifact '$a': wrote $output"
		[[ $stderr == *"<stdin>:1:"*"artifact"* ]] || fail "artifact '$a': $stderr"
	done
	# The record as built is measured.
	run --separate-stderr ar-bench -s "$B/faults.json" --cache "$CACHE" \
	    < <(jq -c 'select(.params.KIND == "ok")' built.jsonl)
	assert_success
	run jq -r .status <<<"$output"
	assert_output ok
	no_trace
}

@test "ar-compile records the artifact's SHA-256; ar-bench runs it only while it matches" {
	printf '{"study":"bench-faults","params":{"KIND":"%s"}}\n' ok mark chatty |
	    ar-compile -s "$B/faults.json" --cache "$CACHE" >built.jsonl
	# The hash is the file's.
	run jq -r '"\(.compile.sha256)  \(.artifact)"' built.jsonl
	printf '%s\n' "$output" | sha256sum -c --quiet
	# A record without it, or with a malformed one, is refused.
	for patch in 'del(.compile.sha256)' '.compile.sha256 = "abc"'; do
		run --separate-stderr ar-bench -s "$B/faults.json" --cache "$CACHE" \
		    < <(head -n 1 built.jsonl | jq -c "$patch")
		[ "$status" -eq 2 ] || fail "$patch: status $status"
		[[ $stderr == *"compile.sha256"* ]] || fail "$patch: $stderr"
	done
	# mark's artifact is overwritten after the build (by chatty's, a
	# valid library that would run): it is not run, the others are.
	cp -f "$(jq -r 'select(.params.KIND == "chatty") | .artifact' built.jsonl)" \
	    "$(jq -r 'select(.params.KIND == "mark") | .artifact' built.jsonl)"
	# Without the sandbox, which would refuse mark's file had it run.
	AR_SANDBOX=off run --separate-stderr ar-bench -s "$B/faults.json" \
	    --cache "$CACHE" <built.jsonl
	assert_success
	run jq -r '[.params.KIND, .status] | @tsv' <<<"$output"
	assert_output "$(printf 'ok\tok\nmark\tinvalid\nchatty\tok')"
	[ ! -e "$BATS_TEST_TMPDIR/bench-ran" ] || fail "the changed artifact ran"
}
