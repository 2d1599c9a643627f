#!/usr/bin/env bats
# Study specs (ar-study(5)): every mistake is one clear message naming the
# file and the key, and exit status 2.  ar-propose loads them here.

load helper

GOOD='{"name": "t", "backend": "c", "source": "k.c", "entry": "k",
  "problem": {"N": 8}, "params": {"X": [1, 2, 4], "Y": [1, 2]},
  "constraints": ["X * Y < N"]}'

# bad_study JQ-FILTER EXPECTED-STDERR: GOOD changed by the filter must fail.
bad_study() {
	write_study s.json "$(jq "$1" <<<"$GOOD")"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 1
	assert_failure 2
	[ -z "$output" ] || fail "stdout is not empty: $output"
	[[ $stderr == "ar-propose: "*"$2"* ]] || fail "stderr is: $stderr"
	[ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "more than one message: $stderr"
}

@test "the good study used below is good" {
	write_study s.json "$GOOD"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_success
	assert_output 5
}

@test "a study that is not JSON names the file and line" {
	printf '{"name": "t",\n "backend": "c"\n "x": 1}\n' >"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json"
	assert_failure 2
	[[ $stderr == "ar-propose: $BATS_TEST_TMPDIR/s.json:3: invalid JSON: "* ]]
}

@test "a study that is not an object" {
	printf '[1, 2]\n' >"$BATS_TEST_TMPDIR/s.json"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json"
	assert_failure 2
	[[ $stderr == *"s.json: a study must be a JSON object"* ]]
}

@test "a study that does not exist" {
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/none.json"
	assert_failure 2
	[[ $stderr == "ar-propose: cannot open '$BATS_TEST_TMPDIR/none.json': No such file or directory" ]]
}

@test "an unknown key" {
	bad_study '.constriants = []' 's.json: key "constriants": unknown key'
}

# stderr_is JQ-FILTER EXPECTED: the whole of stderr for GOOD changed.
stderr_is() {
	write_study s.json "$(jq "$1" <<<"$GOOD")"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 1
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/s.json: $2"
}

@test "a misspelt key gets the nearest known one as a suggestion" {
	stderr_is '.objectve = "minimize time_s"' 'key "objectve": unknown key (did you mean "objective"?)'
	stderr_is '.constriants = []' 'key "constriants": unknown key (did you mean "constraints"?)'
	stderr_is '.param = {}' 'key "param": unknown key (did you mean "params"?)'
	stderr_is '.descr = "x"' 'key "descr": unknown key (did you mean "description"?)'
	stderr_is '.bench = {"repeats": 3}' 'key "bench.repeats": unknown key (did you mean "bench.repeat"?)'
	stderr_is '.bench = {"timeout": 3}' 'key "bench.timeout": unknown key (did you mean "bench.timeout_s"?)'
	stderr_is '.compile = {"flag": []}' 'key "compile.flag": unknown key (did you mean "compile.flags"?)'
	stderr_is '.verify = {"rtl": 1}' 'key "verify.rtl": unknown key (did you mean "verify.rtol"?)'
	stderr_is '.reference = {"entyr": "k"}' 'key "reference.entyr": unknown key (did you mean "reference.entry"?)'
}

@test "a misspelt key of an argument gets a suggestion from ar-bench" {
	write_study s.json "$(jq '.args = [{"name": "a", "type": "int32", "vlaue": "1"}]' <<<"$GOOD")"
	run --separate-stderr ar-bench -s "$BATS_TEST_TMPDIR/s.json" </dev/null
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-bench: $BATS_TEST_TMPDIR/s.json: key \"args[0].vlaue\": unknown key (did you mean \"args[0].value\"?)"
}

@test "a key near none gets no suggestion" {
	stderr_is '.colour = 1' 'key "colour": unknown key'
	stderr_is '.bench = {"xy": 1}' 'key "bench.xy": unknown key'
}

@test "a study that is a folder says so" {
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR"
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-propose: cannot open '$BATS_TEST_TMPDIR': Is a directory"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr ar-propose -s .
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-propose: cannot open '.': Is a directory"
}

@test "a key of the wrong type" {
	bad_study '.params = [1]' 's.json: key "params": expected an object, found an array'
	bad_study '.name = 3' 's.json: key "name": expected a string, found an integer'
}

@test "a missing name, backend, source or params" {
	bad_study 'del(.name)' 'key "name": missing'
	bad_study 'del(.backend)' 'key "backend": missing'
	bad_study 'del(.source)' 'key "source": missing'
	bad_study 'del(.params)' 'key "params": missing'
}

@test "an unknown backend" {
	bad_study '.backend = "fpga"' "key \"backend\": unknown backend 'fpga'"
}

@test "a parameter with no values" {
	bad_study '.params.X = []' 'key "params.X": parameter has no values'
}

@test "a parameter that is not a list" {
	bad_study '.params.X = 4' 'key "params.X": expected an array of values, found an integer'
}

@test "a value listed twice" {
	bad_study '.params.X = [1, 2, 1]' 'key "params.X": value 1 is listed twice'
	bad_study '.params.X = [1, true]' 'key "params.X": value 1 is listed twice'
	bad_study '.params.X = [8, "8"]' 'key "params.X": value 8 is listed twice'
}

@test "a parameter or constant named true or false" {
	bad_study '.params.true = [1]' "key \"params.true\": 'true' is a word of the expression language"
	bad_study '.problem.false = 1' 'key "problem.false": a constant name must be a C identifier and not true or false'
}

@test "a parameter name that is not a C identifier" {
	bad_study '.params["X-1"] = [1]' 'key "params.X-1": a parameter name must be a C identifier'
}

@test "a string value with shell metacharacters or path parts" {
	bad_study '.params.V = ["a;rm -rf x"]' 'key "params.V[0]": a string value may hold only letters, digits and _ . + -'
	bad_study '.params.V = ["../x"]' 'key "params.V[0]"'
	bad_study '.params.V = [[1]]' 'key "params.V[0]": a value must be a number, a string or a boolean'
}

@test "a constraint naming an unknown name" {
	bad_study '.constraints = ["X * Z <= N"]' "key \"constraints[0]\": unknown name 'Z'"
}

@test "a constraint that does not parse" {
	bad_study '.constraints = ["X * (Y <= N"]' 'key "constraints[0]": '
	bad_study '.constraints = [3]' 'key "constraints[0]": expected an expression (a string), found an integer'
}

@test "a missing source file" {
	bad_study '.source = "gone.c"' "key \"source\": cannot open '$BATS_TEST_TMPDIR/gone.c': No such file or directory"
}

@test "a missing reference source" {
	bad_study '.reference = {"source": "ref.c", "entry": "r"}' "key \"reference.source\": cannot open"
}

@test "a bad objective, launch or metric expression" {
	bad_study '.objective = "fastest"' 'key "objective": expected "minimize EXPR" or "maximize EXPR"'
	bad_study '.launch = {"grid": ["N / Q"]}' "key \"launch.grid[0]\": unknown name 'Q'"
	bad_study '.metrics = {"g": "2 * * N"}' 'key "metrics.g": '
	bad_study '.args = [{"name": "a", "type": "float32[]", "size": "N * W"}]' "key \"args[0].size\": unknown name 'W'"
}

@test "-D overrides a problem constant, and the space follows" {
	write_study s.json "$GOOD"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" -D N=2 --count
	assert_success
	assert_output 1
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --define N=1000 --count
	assert_output 6
}

@test "-D naming no problem constant, or without a value" {
	write_study s.json "$GOOD"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -D M=3
	assert_failure 2
	[[ $stderr == *"-D 'M=3': $BATS_TEST_TMPDIR/s.json has no problem constant 'M'"* ]]
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -D N
	assert_failure 2
	[[ $stderr == *"-D 'N': expected NAME=VALUE"* ]]
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -D 'N=$(reboot)'
	assert_failure 2
	[[ $stderr == *"-D 'N=\$(reboot)': a problem constant must be a number or a plain string"* ]]
}

@test "a constraint that divides by zero rejects the configuration" {
	write_study s.json "$(jq '.params.Z = [0, 1, 2] | .constraints = ["N % Z == 0"]' <<<"$GOOD")"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_success
	assert_output 12
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 100 --strategy grid
	run jq -s '[.[].params.Z] | unique' <<<"$output"
	assert_output "$(jq -n '[1, 2]')"
}

@test "a constraint on the problem alone can empty the space" {
	write_study s.json "$(jq '.constraints = ["N > 100"]' <<<"$GOOD")"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_output 0
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 3
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"space exhausted: 0 of 3"* ]]
}

@test "the matmul study of the demo loads" {
	run ar-propose -s "$ROOT/kernels/matmul/cpu.json" --count
	assert_success
	assert_output --regexp '^[1-9][0-9]*$'
}

@test "the keys inside compile, bench, verify and reference are checked" {
	bad_study '.bench = {"repeats": 3}' 'key "bench.repeats": unknown key'
	bad_study '.bench = {"repeat": 0}' 'key "bench.repeat": expected an integer of at least 1, found 0'
	bad_study '.bench = {"timeout_s": "10"}' 'key "bench.timeout_s": expected a number greater than 0, found a string'
	bad_study '.compile = {"flags": "-O3"}' 'key "compile.flags": expected an array of strings, found a string'
	bad_study '.verify = {"rtol": -1}' 'key "verify.rtol": expected a number of at least 0, found -1'
	bad_study '.bench = {"inputs": "fresh"}' 'key "bench.inputs": expected "shared" or "variant", found "fresh"'
	bad_study '.bench = {"inputs": 1}' 'key "bench.inputs": expected "shared" or "variant", found 1'
	bad_study '.bench = {"sandbox": "no"}' 'key "bench.sandbox": expected true or false, found a string'
	bad_study '.env = 1' 'key "env": expected a boolean, found an integer'
}

@test "a command study: the command is an argument vector naming known values" {
	cmd='{"name": "t", "backend": "command", "command": ["sort", "-S", "{BUF}K"],
	  "params": {"BUF": [64, 128]}}'
	write_study c.json "$cmd"
	run ar-propose -s "$BATS_TEST_TMPDIR/c.json" --count
	assert_success
	assert_output 2
	GOOD=$cmd
	bad_study 'del(.command)' 'key "command": missing (the command backend runs it)'
	bad_study '.command = []' 'key "command": expected a program and its arguments'
	bad_study '.command = ["sort", "{SIZE}"]' "key \"command[1]\": unknown name 'SIZE'"
	bad_study '.command = ["sort", "{BUF"]' "key \"command[1]\": '{' without '}'"
	bad_study '.command = ["sort", 3]' 'key "command[1]": expected a string'
}

# command_refused JQ-FILTER EXPECTED: the whole of ar-propose's stderr for
# GOOD changed by the filter.
command_refused() {
	write_study s.json "$(jq "$1" <<<"$GOOD")"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/s.json" -n 1
	assert_failure 2
	assert_output ''
	assert_equal "$stderr" "ar-propose: $BATS_TEST_TMPDIR/s.json: $2"
}

@test "a command study: {{ and }} are literal braces, any other brace must be a placeholder" {
	cmd='{"name": "t", "backend": "command", "params": {"BUF": [64, 128]},
	  "command": ["sh", "-c", "awk '"'"'BEGIN {{ print {BUF} * 2 }}'"'"'", "{{{BUF}}}", "}}{{"]}'
	write_study c.json "$cmd"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/c.json" --count
	assert_success
	assert_output 2
	[ -z "$stderr" ] || fail "stderr: $stderr"
	GOOD=$cmd
	command_refused '.command = ["sh", "-c", "printf '"'"'{...}'"'"'"]' \
	    "key \"command[2]\": unknown name '...' (write {{ for a literal {)"
	command_refused '.command = ["sh", "{BUF"]' \
	    "key \"command[1]\": '{' without '}' (write {{ for a literal {)"
	command_refused '.command = ["sh", "{{BUF}"]' \
	    "key \"command[1]\": '}' without '{' (write }} for a literal })"
	command_refused '.command = ["{BUF}}"]' \
	    "key \"command[0]\": '}' without '{' (write }} for a literal })"
	command_refused '.command = ["sh", "{}"]' \
	    "key \"command[1]\": unknown name '' (write {{ for a literal {)"
}

@test "a command study's ids change with its command line" {
	write_study c.json '{"name": "t", "backend": "command", "command": ["sort", "-S", "{BUF}K"], "params": {"BUF": [64]}}'
	a=$(ar-propose -s "$BATS_TEST_TMPDIR/c.json" -n 1 | jq -r .id)
	write_study c.json '{"name": "t", "backend": "command", "command": ["sort", "-rS", "{BUF}K"], "params": {"BUF": [64]}}'
	b=$(ar-propose -s "$BATS_TEST_TMPDIR/c.json" -n 1 | jq -r .id)
	[ "$a" != "$b" ]
}

@test "launch holds grid and block of one to three expressions, and shared" {
	write_study s.json "$(jq '.launch = {"grid": ["N / X", "1"], "block": ["X"], "shared": "X * 4"}' <<<"$GOOD")"
	run ar-propose -s "$BATS_TEST_TMPDIR/s.json" --count
	assert_success
	bad_study '.launch = {"grid": []}' 'key "launch.grid": expected an array of one to three expressions'
	bad_study '.launch = {"grid": ["1", "1", "1", "1"]}' 'key "launch.grid": expected an array of one to three expressions'
	bad_study '.launch = {"threads": ["1"]}' 'key "launch.threads": unknown key (grid, block or shared)'
	bad_study '.launch = {"shared": "X * Q"}' "key \"launch.shared\": unknown name 'Q'"
}
