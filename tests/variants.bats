#!/usr/bin/env bats
# Code variants in the record (ar-formats(7) "variant"): ar-compile builds
# a variant's file from the store in place of the study's source, and
# ar-bench verifies it against the reference like any candidate; a
# variant outside the store, changed since it was stored, or too large
# is refused with nothing built or run; the id hashes the variant; the
# CSV form keeps the variant.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	STORE=$T/store
	CACHE=$T/cache
	mkdir -p "$STORE"
	# y = 2 x + A over n elements; the study's source is right.
	cat >"$T/k.c" <<-'EOF'
	#ifndef A
	#define A 1
	#endif
	void k(const float *x, float *y, int n)
	{
		for (int i = 0; i < n; i++)
			y[i] = 2 * x[i] + A;
	}
	EOF
	cat >"$T/ref.c" <<-'EOF'
	void ref(const float *x, float *y, int n)
	{
		for (int i = 0; i < n; i++)
			y[i] = 2 * x[i] + 1;
	}
	EOF
	cat >"$T/study.json" <<-'EOF'
	{
	  "name": "vt", "backend": "c", "source": "k.c", "entry": "k",
	  "problem": {"N": 64},
	  "params": {"A": [1, 2]},
	  "constraints": ["A == 1"],
	  "args": [
	    {"name": "x", "type": "float32[]", "size": "N", "init": "random"},
	    {"name": "y", "type": "float32[]", "size": "N", "output": true},
	    {"name": "n", "type": "int32", "value": "N"}
	  ],
	  "reference": {"source": "ref.c", "entry": "ref"},
	  "compile": {"flags": ["-O1"]},
	  "bench": {"warmup": 0, "repeat": 1, "trials": 1, "timeout_s": 5},
	  "variant_max_bytes": 400
	}
	EOF
}

# variant NAME BODY: a variant of k.c whose loop body is BODY, put in the
# store by hand as ar-propose would (STORE/HASH.c); prints its hash.
variant() {
	local f=$T/$1.c h
	sed "s|y\[i\] = 2 \* x\[i\] + A;|$2|" "$T/k.c" >"$f"
	h=$(sha256sum "$f" | cut -c1-64)
	cp "$f" "$STORE/$h.c"
	echo "$h"
}

# record HASH [FILE]: a record of the study with that variant, its file
# in the store unless FILE says otherwise.
record() {
	jq -cn --arg h "$1" --arg f "${2:-$STORE/$1.c}" \
	    '{study: "vt", params: {A: 1},
	      variant: {sha256: $h, file: $f, parent: null, by: "external"}}'
}

compile() {
	ar-compile -s "$T/study.json" --cache "$CACHE" --variants "$STORE" "$@"
}

bench() {
	ar-bench -s "$T/study.json" --cache "$CACHE" --variants "$STORE" "$@"
}

# No artifact was built into the cache.
no_artifact() {
	[ -z "$(find "$CACHE" -name '*.so' 2>/dev/null)" ]
}

@test "a variant builds in place of the study's source and measures ok" {
	h=$(variant good 'y[i] = x[i] + x[i] + A; /* another text */')
	run --separate-stderr compile < <(record "$h")
	assert_success
	c=$output
	[ "$(jq -r .compile.status <<<"$c")" = ok ]
	# The variant rides along untouched, and another source made
	# another artifact than the study's.
	[ "$(jq -c .variant <<<"$c")" = "$(record "$h" | jq -c .variant)" ]
	plain=$(compile <<<'{"study":"vt","params":{"A":1}}' | jq -r .artifact)
	[ "$plain" != "$(jq -r .artifact <<<"$c")" ]
	run --separate-stderr bench <<<"$c"
	assert_success
	[ "$(jq -r .status <<<"$output")" = ok ]
}

@test "the variant is what runs: one with the wrong answer is wrong" {
	h=$(variant bad 'y[i] = 3 * x[i] + A;')
	run --separate-stderr bench < <(compile < <(record "$h"))
	assert_success
	[ "$(jq -r .status <<<"$output")" = wrong ]
}

@test "a variant that crashes is a crash, and the next record is measured" {
	h=$(variant boom '*(volatile int *)0 = 1;')
	g=$(variant good 'y[i] = x[i] + x[i] + A;')
	run --separate-stderr bench < <(compile < <(record "$h"; record "$g"))
	assert_success
	run jq -r .status <<<"$output"
	assert_output "$(printf 'crash\nok')"
}

@test "a variant file outside the store is refused: exit 2, nothing built, nothing written" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	mkdir "$T/elsewhere"
	cp "$STORE/$h.c" "$T/elsewhere/$h.c"
	run --separate-stderr compile < <(record "$h" "$T/elsewhere/$h.c")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == "ar-compile: <stdin>:1: variant.file '$T/elsewhere/$h.c' is outside the store"* ]]
	no_artifact
	# A link in the store to a file outside it is outside too.
	rm "$STORE/$h.c"
	ln -s "$T/elsewhere/$h.c" "$STORE/$h.c"
	run --separate-stderr compile < <(record "$h")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: variant.file '$STORE/$h.c' is outside the store"* ]]
	no_artifact
}

@test "ar-bench refuses a variant outside the store before anything runs" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	c=$(compile < <(record "$h"))
	mkdir "$T/elsewhere"
	cp "$STORE/$h.c" "$T/elsewhere/$h.c"
	run --separate-stderr bench < <(jq -c --arg f "$T/elsewhere/$h.c" \
	    '.variant.file = $f' <<<"$c")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: variant.file '$T/elsewhere/$h.c' is outside the store"* ]]
}

@test "a variant changed after it was stored is refused by ar-compile and ar-bench" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	c=$(compile < <(record "$h"))
	chmod u+w "$STORE/$h.c"
	echo '/* changed */' >>"$STORE/$h.c"
	rm -rf "$CACHE"
	run --separate-stderr compile < <(record "$h")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: variant.file '$STORE/$h.c' does not match its hash"* ]]
	no_artifact
	run --separate-stderr bench <<<"$c"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"does not match its hash"* ]]
}

@test "an artifact built from another source is not the variant's" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	g=$(variant bad 'y[i] = 3 * x[i] + A;')
	c=$(compile < <(record "$h"))
	other=$(compile < <(record "$g") | jq -r .artifact)
	plain=$(compile <<<'{"study":"vt","params":{"A":1}}' | jq -r .artifact)
	for a in "$other" "$plain"; do
		run --separate-stderr bench < <(jq -c --arg a "$a" \
		    '.artifact = $a' <<<"$c")
		assert_failure 2
		[[ $stderr == *"<stdin>:1: artifact '$a' is not the one built for this record"* ]]
	done
	# And the variant's artifact is not the plain record's.
	run --separate-stderr bench < <(compile <<<'{"study":"vt","params":{"A":1}}' |
	    jq -c --arg a "$(jq -r .artifact <<<"$c")" '.artifact = $a')
	assert_failure 2
}

@test "a variant over variant_max_bytes is refused" {
	h=$(variant big "y[i] = 2 * x[i] + A; /* $(printf '%0400d' 0) */")
	run --separate-stderr compile < <(record "$h")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: variant '$STORE/$h.c' holds "*" bytes, over the limit of 400"* ]]
	no_artifact
}

@test "a bad hash, a bad parent and a variant of a command study are refused" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	run --separate-stderr compile < <(record "$h" | jq -c '.variant.sha256 |= ascii_upcase')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: variant.sha256 must be a SHA-256"* ]]
	run --separate-stderr compile < <(record "$h" | jq -c '.variant.parent = "x"')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: variant.parent must be null or a SHA-256"* ]]
	run --separate-stderr compile < <(record "$h" | jq -c '.variant = null')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: \"variant\" must be an object"* ]]
	write_study cmd.json '{"name":"vt","backend":"command","command":["true"],"params":{"A":[1]}}'
	run --separate-stderr ar-compile -s "$T/cmd.json" --variants "$STORE" < <(record "$h")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: \"variant\": a variant is the source of a study of backend c, cuda or opencl, not 'command'"* ]]
}

@test "a good record before a bad one is built and written, as for any bad record" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	run --separate-stderr compile < <(record "$h"; record "$h" "$T/k.c")
	assert_failure 2
	[ "$(jq -r .variant.sha256 <<<"$output")" = "$h" ]
	[[ $stderr == *"<stdin>:2: variant.file '$T/k.c' is outside the store"* ]]
}

@test "the id hashes the variant: the plain record's id is refused for a variant" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	id=$(ar-propose -s "$T/study.json" --from <(echo '{"params":{"A":1}}') | jq -r .id)
	[[ $id =~ ^[0-9a-f]{16}$ ]]
	run --separate-stderr compile < <(record "$h" | jq -c --arg id "$id" '.id = $id')
	assert_failure 2
	[[ $stderr == *"<stdin>:1: id '$id' is not the id of these params and this variant in this study"* ]]
	no_artifact
	c=$(compile < <(record "$h"))
	run --separate-stderr bench < <(jq -c --arg id "$id" '.id = $id' <<<"$c")
	assert_failure 2
	[[ $stderr == *"<stdin>:1: id '$id' is not the id of these params and this variant"* ]]
}

@test "the store defaults to \$AR_VARIANTS" {
	h=$(variant good 'y[i] = x[i] + x[i] + A;')
	export AR_VARIANTS=$T/other
	run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" < <(record "$h")
	assert_failure 2
	[[ $stderr == *"the variants store '$T/other'"* ]]
	export AR_VARIANTS=$STORE
	run --separate-stderr ar-compile -s "$T/study.json" --cache "$CACHE" < <(record "$h")
	assert_success
}

@test "a record of a study with \"transform\" must carry its variant" {
	cat >"$T/t.c" <<-'EOF'
	void k(const float *x, float *y, int n)
	{
	#pragma ar loop i
		for (int i = 0; i < n; i++)
			y[i] = 2 * x[i] + 1;
	}
	EOF
	jq '.source = "t.c" | .params = {} | del(.constraints) |
	    .transform = {}' "$T/study.json" >"$T/t.json"
	# ar-propose writes the variant into the store: this test's.
	export AR_VARIANTS=$STORE
	r=$(ar-propose -s "$T/t.json" -n 1 --seed 1 2>/dev/null) ||
	    skip "ar-propose cannot propose for a study with \"transform\" yet"
	jq -e '.params | length > 0' <<<"$r" >/dev/null ||
	    skip "lib/spec makes no knobs of \"transform\" yet"
	run --separate-stderr ar-compile -s "$T/t.json" --cache "$CACHE" \
	    --variants "$STORE" < <(jq -c 'del(.variant, .id)' <<<"$r")
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"<stdin>:1: no \"variant\": ar-propose writes the variant of a study with \"transform\""* ]]
	no_artifact
}

@test "CSV: the variant survives JSONL -> CSV -> JSONL byte for byte" {
	p=$(variant good 'y[i] = x[i] + x[i] + A;')
	h=$(variant good2 'y[i] = A + 2 * x[i];')
	in=$(record "$h" | jq -c --arg p "$p" '.variant.parent = $p |
	    .variant.by = "transform" |
	    .variant.ops = [{"loop": "i", "op": "tile", "arg": 32}, {"op": "order", "arg": "ikj"}]'
	    record "$p")
	csv=$(compile --csv <<<"$in")
	[[ $(head -1 <<<"$csv") == *"variant.sha256,variant.file,variant.parent,variant.by,variant.ops"* ]]
	run --separate-stderr compile <<<"$csv"
	assert_success
	[ "$(jq -c .variant <<<"$output")" = "$(jq -c .variant <<<"$in")" ]
}
