#!/usr/bin/env bats
# ar-propose --strategy external: the study's proposer, its environment,
# every bad output it can give, and the variants it writes.

load helper

# A study of the small space with a proposer: study PROPOSER_JSON
# [MORE_KEYS]; the proposer is the script p.sh, written by proposer.
study() {
	write_study study.json "{
  \"name\": \"ext\", \"backend\": \"c\", \"source\": \"k.c\", \"entry\": \"k\",
  \"problem\": {\"N\": 64},
  \"params\": {\"A\": [1, 2, 3, 4], \"B\": [1, 2, 4, 8], \"C\": [\"x\", \"y\"]},
  \"constraints\": [\"A * B <= 8\", \"C == \\\"x\\\" || A > 1\"],
  \"proposer\": $1${2:+, $2}
}"
}

# proposer LINE...: p.sh prints each LINE as a line of its output.
proposer() {
	{
		echo '#!/bin/sh'
		local l
		for l in "$@"; do
			printf "printf '%%s\\\\n' '%s'\n" "$l"
		done
	} >"$BATS_TEST_TMPDIR/p.sh"
	chmod +x "$BATS_TEST_TMPDIR/p.sh"
}

# script BODY: p.sh is a shell script with BODY.
script() {
	printf '#!/bin/sh\n%s\n' "$1" >"$BATS_TEST_TMPDIR/p.sh"
	chmod +x "$BATS_TEST_TMPDIR/p.sh"
}

P='{"command": ["./p.sh"]}'
OK1='{"params": {"A": 2, "B": 4, "C": "y"}}'
OK2='{"params": {"A": 1, "B": 1, "C": "x"}, "source": "int k(void) { return 1; }\n", "by": "me"}'

setup() {
	cd "$BATS_TEST_TMPDIR"
	export AR_VARIANTS=$BATS_TEST_TMPDIR/store
}

# ext [ARGS...]: ar-propose --strategy external of the study, stderr apart.
ext() {
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/study.json" \
	    --strategy external "$@"
}

# bad STATUS MESSAGE: the run failed with STATUS, said MESSAGE, wrote
# nothing to stdout and nothing into the store.
bad() {
	assert_failure "$1"
	assert_output ''
	[[ $stderr == *"$2"* ]] || fail "stderr lacks '$2': $stderr"
	[ ! -e "$AR_VARIANTS" ] || [ -z "$(ls -A "$AR_VARIANTS")" ] ||
		fail "the store holds $(ls "$AR_VARIANTS")"
}

@test "external: plain and source proposals become records of the strategy" {
	study "$P"
	proposer "$OK1" "$OK2"
	ext -n 5 --round 7
	assert_success
	[ -z "$stderr" ]
	assert_jsonl
	[ "${#lines[@]}" -eq 2 ]
	run jq -c '[.study, .round, .strategy, .params, .variant]' <<<"$output"
	assert_line --index 0 '["ext",7,"external",{"A":2,"B":4,"C":"y"},null]'
	h=$(printf 'int k(void) { return 1; }\n' | sha256sum | cut -d' ' -f1)
	assert_line --index 1 "[\"ext\",7,\"external\",{\"A\":1,\"B\":1,\"C\":\"x\"},{\"sha256\":\"$h\",\"file\":\"$AR_VARIANTS/$h.c\",\"parent\":null,\"by\":\"me\"}]"
	[ "$(cat "$AR_VARIANTS/$h.c")" = 'int k(void) { return 1; }' ]
}

@test "external: a variant's id hashes the variant, the plain id does not" {
	study "$P"
	proposer "$OK2" '{"params": {"A": 1, "B": 1, "C": "x"}, "source": "int k(void) { return 2; }\n"}'
	ext
	assert_success
	v1=$(jq -r .id <<<"${lines[0]}")
	v2=$(jq -r .id <<<"${lines[1]}")
	[ "$(jq -r .variant.by <<<"${lines[1]}")" = external ]
	plain=$(echo '{"A": 1, "B": 1, "C": "x"}' |
	    ar-propose -s study.json --from - | jq -r .id)
	[ "$v1" != "$plain" ] && [ "$v2" != "$plain" ] && [ "$v1" != "$v2" ]
	# The same program is the same id, run after run.
	ext
	[ "$(jq -r .id <<<"${lines[0]}")" = "$v1" ]
	[ "$(ls "$AR_VARIANTS" | wc -l)" -eq 2 ]
}

@test "external: the proposer's environment, folder and arguments" {
	study '{"command": ["./p.sh", "a b", "*"]}'
	script 'printf "%s|" "$@" >args; pwd >cwd
env | grep -E "^AR_(STUDY|HISTORY|VARIANTS|NUMBER|SEED|ROUND)=" | sort >env'
	echo '{"id": "x", "params": {"A": 2, "B": 4, "C": "y"}, "round": 4}' >h.jsonl
	mkdir sub && cd sub
	run --separate-stderr ar-propose -s ../study.json -H ../h.jsonl --strategy external \
	    --variants "$BATS_TEST_TMPDIR/mystore" -n 3 --seed 9
	assert_success
	cd ..
	[ "$(cat args)" = 'a b|*|' ]
	[ "$(cat cwd)" = "$BATS_TEST_TMPDIR" ]
	assert_equal "$(cat env)" "AR_HISTORY=$BATS_TEST_TMPDIR/h.jsonl
AR_NUMBER=3
AR_ROUND=5
AR_SEED=9
AR_STUDY=$BATS_TEST_TMPDIR/study.json
AR_VARIANTS=$BATS_TEST_TMPDIR/mystore"
	[[ $stderr == *"proposer './p.sh' proposed nothing"* ]]
}

@test "external: a history on stdin is handed over in a file, removed after" {
	study "$P"
	script 'cp "$AR_HISTORY" seen; echo "$AR_HISTORY" >path'
	echo '{"id": "x", "params": {"A": 2, "B": 4, "C": "y"}}' >h.jsonl
	run ar-propose -s study.json -H - --strategy external <h.jsonl
	assert_success
	cmp seen h.jsonl
	[ ! -e "$(cat path)" ]
	# And with no history, AR_HISTORY is empty.
	script '[ -z "$AR_HISTORY" ] && [ "${AR_HISTORY+set}" = set ] || exit 1'
	ext
	assert_success
}

@test "external: proposals given twice or in the history are dropped" {
	study "$P"
	proposer "$OK1" "$OK2" "$OK2" "$OK1"
	ext
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[[ $stderr == *"proposer './p.sh' line 3: id "*" is proposed twice; skipped"* ]]
	[[ $stderr == *"proposer './p.sh' line 4: id "*" is proposed twice; skipped"* ]]
	printf '%s\n' "${lines[1]}" >h.jsonl
	ext -H h.jsonl
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -c .params <<<"$output")" = '{"A":2,"B":4,"C":"y"}' ]
	[[ $stderr == *"line 2: id $(jq -r .id h.jsonl) is in the history already; skipped"* ]]
	[[ $stderr == *"line 3: id $(jq -r .id h.jsonl) is in the history already; skipped"* ]]
	# A plain one the history holds without an id is known by its params.
	echo '{"params": {"A": 2, "B": 4, "C": "y"}, "status": "ok", "score": 1}' >h2.jsonl
	ext -H h2.jsonl
	[ "${#lines[@]}" -eq 1 ]
	[[ $stderr == *"line 1: id "*" is in the history already; skipped"* ]]
}

@test "external: more proposals than -n: the first new ones are kept" {
	study "$P"
	proposer "$OK1" "$OK1" "$OK2" '{"params": {"A": 4, "B": 2, "C": "y"}}'
	ext -n 2
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c .params.A <<<"${lines[1]}")" = 1 ]
	[[ $stderr == *"proposer './p.sh' proposed 1 more than the 2 wanted; the first 2 are kept"* ]]
	# Only the kept ones' sources are stored.
	ext -n 1
	[ "${#lines[@]}" -eq 1 ]
}

@test "external: blank lines are skipped, a line without a newline taken" {
	study "$P"
	script "printf '\\n  \\n%s\\n\\n%s' '$OK1' '$OK2'"
	ext
	assert_success
	[ "${#lines[@]}" -eq 2 ]
}

@test "external: a study without a proposer, or a bad one, is exit 2" {
	write_study study.json '{"name": "ext", "backend": "c", "source": "k.c", "params": {"A": [1]}}'
	ext
	bad 2 "study.json: key \"proposer\": the study names no proposer"
	local spec
	for spec in '{"command": []}' '{"command": "./p.sh"}' '{}'; do
		study "$spec"
		ext
		bad 2 'key "proposer.command": must be a non-empty array of strings'
	done
	study '{"command": ["./p.sh", 3]}'
	ext
	bad 2 'key "proposer.command[1]": must be a string'
	study '{"command": [""]}'
	ext
	bad 2 'key "proposer.command[0]": must be a non-empty string, the program'"'"'s name or path'
	for spec in 0 -1 '"10"'; do
		study "{\"command\": [\"./p.sh\"], \"timeout_s\": $spec}"
		ext
		bad 2 'key "proposer.timeout_s": must be a positive number of seconds'
	done
	study '{"command": ["./p.sh"], "timeout": 3}'
	ext
	bad 2 'key "proposer.timeout": unknown key (did you mean "timeout_s"?)'
	study '{"command": ["./nothere"]}'
	ext
	bad 2 "proposer './nothere' could not be started: No such file or directory (key \"proposer.command\")"
}

@test "external: a proposer that fails, is killed or hangs is exit 1" {
	study "$P"
	script "echo '$OK1'; echo 'out of ideas' >&2; exit 3"
	ext
	bad 1 "proposer './p.sh' exited with status 3; nothing proposed"
	[[ $stderr == "out of ideas"* ]]
	script "echo '$OK1'; kill -9 \$\$"
	ext
	bad 1 "proposer './p.sh' killed by signal 9"
	study '{"command": ["./p.sh"], "timeout_s": 0.3}'
	script "echo '$OK1'; sleep 30"
	SECONDS=0
	ext
	bad 1 "proposer './p.sh' timed out after"
	[ "$SECONDS" -lt 10 ]
}

@test "external: every bad line is named, and nothing is written" {
	study "$P" '"variant_max_bytes": 16'
	local -a cases=(
	    'not json|not valid JSON'
	    '[1, 2]|not a JSON object'
	    '"params"|not a JSON object'
	    '{"source": "x"}|no "params"'
	    '{"params": [1]}|"params" must be an object'
	    '{"params": {"A": 2, "B": 4, "C": "y", "D": 1}}|D'
	    '{"params": {"A": 5, "B": 1, "C": "y"}}|A'
	    '{"params": {"A": 2, "B": 4}}|C'
	    '{"params": {"A": 4, "B": 4, "C": "y"}}|A * B <= 8'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "extra": 1}|unknown key "extra" (params, source, parent, by or ops)'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": 5}|"source" must be a string'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": ""}|"source" is empty'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k(void) { return 1; }"}|"source" holds 25 bytes, over the study'"'"'s limit of 16 (variant_max_bytes)'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k;", "parent": "ABC"}|"parent" must be a SHA-256 as 64 lowercase hex digits'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k;", "parent": "'"$(printf 'A%.0s' {1..64})"'"}|"parent" must be a SHA-256'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k;", "by": "two words"}|"by" must be a name of 1 to 64 letters'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k;", "by": ""}|"by" must be a name'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "source": "int k;", "ops": {}}|"ops" must be an array'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "parent": null}|"parent" without a "source"'
	    '{"params": {"A": 2, "B": 4, "C": "y"}, "by": "me"}|"by" without a "source"'
	)
	local c line want
	for c in "${cases[@]}"; do
		line=${c%%|*}
		want=${c#*|}
		# The bad line comes third, after two good ones.
		proposer '{"params": {"A": 1, "B": 1, "C": "x"}, "source": "int k;"}' \
		    '{"params": {"A": 2, "B": 2, "C": "x"}}' "$line"
		ext
		bad 2 "ar-propose: proposer './p.sh' line 3: "
		[[ $stderr == *"$want"* ]] || fail "for '$line': stderr lacks '$want': $stderr"
		[ "$(grep -c . <<<"$stderr")" -eq 1 ] || fail "more than one line: $stderr"
	done
}

@test "external: a NUL byte in a line, and a good line with a good parent" {
	study "$P"
	script "printf '{\"params\": {\"A\": 2, \"B\": 4, \"C\": \"y\"}}\\0\\n'"
	ext
	bad 2 "proposer './p.sh' line 1: holds a NUL byte"
	h=$(printf '%064d' 7)
	proposer "{\"params\": {\"A\": 2, \"B\": 4, \"C\": \"y\"}, \"source\": \"int k;\", \"parent\": \"$h\", \"by\": \"agent-1.2_x\", \"ops\": [{\"op\": \"swap\"}]}"
	ext
	assert_success
	[ "$(jq -c '.variant | [.parent, .by, .ops]' <<<"$output")" = "[\"$h\",\"agent-1.2_x\",[{\"op\":\"swap\"}]]" ]
}

@test "external: --variants is the store, else \$AR_VARIANTS" {
	study "$P"
	proposer "$OK2"
	ext --variants other
	assert_success
	[ "$(jq -r .variant.file <<<"$output")" = "$BATS_TEST_TMPDIR/other/$(jq -r .variant.sha256 <<<"$output").c" ]
	[ ! -e "$AR_VARIANTS" ]
	ext
	[ "$(dirname "$(jq -r .variant.file <<<"$output")")" = "$AR_VARIANTS" ]
}

@test "external: a store that cannot be written is exit 1, nothing written" {
	study "$P"
	proposer "$OK1" "$OK2"
	echo file >notadir
	ext --variants notadir/store
	assert_failure 1
	assert_output ''
	[[ $stderr == *"proposer './p.sh' line 2: "* ]]
}

@test "external: --help names the strategy and --variants" {
	run ar-propose --help
	assert_success
	assert_output --partial "or external: run the study's proposer"
	assert_output --partial "--variants DIR"
}

# The agent example at N=64: one round of propose, compile, bench and
# score into h.jsonl, with the study S.
agent_round() {
	local n=$1
	shift
	ar-propose -s "$S" -D N=64 --strategy external -n "$n" "$@" |
	    ar-compile -s "$S" -D N=64 |
	    ar-bench -s "$S" -D N=64 --repeat 1 --warmup 0 |
	    ar-score -s "$S" -D N=64 >>h.jsonl
}

@test "examples/agent: the scripted agent climbs from the best it measured" {
	command -v cc >/dev/null || skip "no C compiler"
	export AR_CACHE=$BATS_TEST_TMPDIR/cache
	S=$ROOT/examples/agent/study.json
	agent_round 4
	[ "$(jq -c '[.round, .status, [.variant.ops[]?.op]]' h.jsonl | tr -d '\n')" = \
	    '[1,"ok",[]][1,"ok",["ikj"]][1,"ok",["restrict"]][1,"ok",["ivdep"]]' ]
	best=$(jq -s -c 'map(select(.status == "ok")) | max_by(.score) | .variant.sha256' h.jsonl)
	agent_round 3 -H h.jsonl
	[ "$(wc -l <h.jsonl)" -eq 7 ]
	[ "$(sed -n 5p h.jsonl | jq -c .variant.parent)" = "$best" ]
	agent_round 3 -H h.jsonl
	[ "$(wc -l <h.jsonl)" -eq 10 ]
	# Every record measured ok, each a set of edits of its own, each
	# variant in the store, by the agent, and a child of a measured one.
	run jq -s -c '[(map(.status) | unique), (map([.variant.ops[]?.op] | sort) | length == (unique | length)),
	    (map(.variant.by // "plain") | unique)]' h.jsonl
	assert_output '[["ok"],true,["plain","scripted-agent"]]'
	for f in $(jq -r '.variant.file // empty' h.jsonl); do
		[ "$(sha256sum <"$f" | cut -d' ' -f1).c" = "$(basename "$f")" ]
	done
	run jq -s -r '(map(.variant.sha256) | map(select(.))) as $h
	    | .[] | .variant.parent // empty | . as $p | select($h | index([$p]) | not)' h.jsonl
	assert_output ''
}

@test "examples/agent: tune.mk runs the agent, a round at a time" {
	command -v cc >/dev/null || skip "no C compiler"
	export AR_VARIANTS=$BATS_TEST_TMPDIR/out/variants
	run --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
	    make -s -f "$ROOT/pipelines/tune.mk" BIN="${AR_BIN:-$ROOT/bin}" \
	    STUDY="$ROOT/examples/agent/study.json" DEFS='-D N=64' \
	    STRATEGY=external OUT="$BATS_TEST_TMPDIR/out" EVALS=5 BATCH=3 \
	    BENCH='--repeat 1 --warmup 0'
	assert_success
	[[ $output == "best of 5 evaluations (5 ok)"* ]] || fail "summary: $output"
	h=$BATS_TEST_TMPDIR/out/history.jsonl
	run jq -c '[.round, .strategy, .status]' "$h"
	assert_output "$(printf '%s\n' '[1,"external","ok"]' '[1,"external","ok"]' \
	    '[1,"external","ok"]' '[2,"external","ok"]' '[2,"external","ok"]')"
}

@test "examples/agent: llm.sh without a model runs the scripted edits" {
	S=$ROOT/examples/agent/llm.json
	run --separate-stderr ar-propose -s "$S" --strategy external -n 2
	assert_success
	[[ $stderr == *"llm.sh: AR_LLM_CMD is not set: the scripted edits of propose.sh instead"* ]]
	run jq -c '[.variant.by, [.variant.ops[]?.op]]' <<<"$output"
	assert_output "$(printf '%s\n' '[null,[]]' '["scripted-agent",["ikj"]]')"
}

@test "examples/agent: llm.sh hands the model the best variant, and proposes its answer" {
	S=$ROOT/examples/agent/llm.json
	# A measured variant, then a "model" that answers the source of the
	# prompt with a comment of its own on top.
	ar-propose -s "$ROOT/examples/agent/study.json" --strategy external -n 2 |
	    jq -c '.status = "ok" | .time_s = 1 | .score = (if .variant then 2 else 1 end)' >h.jsonl
	best=$(jq -r 'select(.variant) | .variant.sha256' h.jsonl)
	export AR_LLM_CMD='tee "$BATS_TEST_TMPDIR/prompt.txt" | sed -n "/^----- BEGIN SOURCE/,/^----- END SOURCE/{//!p}" | sed "1i /* by the model */"'
	run --separate-stderr ar-propose -s "$S" --strategy external -n 1 -H h.jsonl
	assert_success
	[ "$(jq -r '[.variant.by, .variant.parent] | @tsv' <<<"$output")" = "llm	$best" ]
	f=$(jq -r .variant.file <<<"$output")
	[ "$(head -1 "$f")" = '/* by the model */' ]
	diff <(tail -n +2 "$f") "$(jq -r 'select(.variant) | .variant.file' h.jsonl)"
	grep -q '^----- BEGIN SOURCE -----$' prompt.txt
	grep -q '^  1 s  ikj$' prompt.txt
	# A model that fails: the scripted edits instead.
	export AR_LLM_CMD='exit 1'
	run --separate-stderr ar-propose -s "$S" --strategy external -n 1 -H h.jsonl
	assert_success
	[[ $stderr == *"no answer from the model: the scripted edits of propose.sh instead"* ]]
	[ "$(jq -r .variant.by <<<"$output")" = scripted-agent ]
}
