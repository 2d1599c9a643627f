#!/usr/bin/env bats
# The opencl backend (issue 21) on a real OpenCL device: PoCL's, which
# `make deps` installs and which runs on any CPU.  ar-compile builds with
# the driver, ar-bench measures in a child of its own, and every fault
# of tests/fixtures/opencl/faults.cl ends in its status: out of bounds,
# endless, a work-group or __local memory over the device's limits.

load helper

O=$FIX/opencl

setup() {
	ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 ||
	    skip "no OpenCL platform installed (make deps installs PoCL)"
	CACHE=$BATS_TEST_TMPDIR/cache
	S=$BATS_TEST_TMPDIR/faults.json
	cp "$O"/faults.cl "$O"/faults_ref.c "$O"/faults.json "$BATS_TEST_TMPDIR/"
}

# proposals [JQ]: every configuration of the fault study (filtered by
# the jq select JQ), one a line.
proposals() {
	ar-propose -s "$S" --strategy grid -n 100 2>/dev/null |
	    jq -c "select(${1:-true})"
}

@test "a variant is built by the device's driver, measured on it, and ok" {
	run --separate-stderr bash -c "ar-propose -s '$S' --strategy grid -n 1 |
	    ar-compile -s '$S' --cache '$CACHE' >'$BATS_TEST_TMPDIR/c.jsonl'"
	assert_success
	c=$BATS_TEST_TMPDIR/c.jsonl
	run jq -r '[.compile.status, (.artifact | endswith(".clbin")),
	    (.compile.device | test("Portable Computing Language / "))] | @tsv' "$c"
	assert_output "ok	true	true"
	run --separate-stderr ar-bench -s "$S" --cache "$CACHE" "$c"
	assert_success
	[ -z "$stderr" ]
	run jq -r '[.status, (.time_s > 0), .verify.max_abs_err, (.device | length > 0),
	    (.ref_time_s >= 0)] | @tsv' <<<"$output"
	assert_output "ok	true	0	true	true"
}

@test "a built variant comes from the cache the second time" {
	proposals '.params.KIND == 0 and .params.WG == 64' >"$BATS_TEST_TMPDIR/p.jsonl"
	ar-compile -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl" >"$BATS_TEST_TMPDIR/1.jsonl"
	ar-compile -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl" >"$BATS_TEST_TMPDIR/2.jsonl"
	[ "$(jq -r .artifact "$BATS_TEST_TMPDIR/1.jsonl")" = "$(jq -r .artifact "$BATS_TEST_TMPDIR/2.jsonl")" ]
	[ "$(jq -r .compile.seconds "$BATS_TEST_TMPDIR/2.jsonl")" = 0 ]
	[ "$(find "$CACHE" -name '*.clbin' | wc -l)" -eq 1 ]
}

@test "each fault its status, and an error that says what happened" {
	run --separate-stderr bash -c "ar-propose -s '$S' --strategy grid -n 100 2>/dev/null |
	    ar-compile -s '$S' --cache '$CACHE' 2>/dev/null | ar-bench -s '$S' --cache '$CACHE'"
	assert_success
	h=$output
	[ "$(wc -l <<<"$h")" -eq 16 ]
	run jq -r 'select(.params.WG == 64) | [.params.KIND, .status] | @tsv' <<<"$h"
	assert_output "$(printf '%s\n' '0	ok' '1	crash' '2	timeout' '3	invalid' \
	    '4	wrong' '5	compile_error' '6	wrong' '8	wrong')"
	# A work-group over the device's limit is found before anything runs.
	run jq -r 'select(.params.WG == 8192 and .params.KIND != 5) | .status' <<<"$h"
	[ "$(sort -u <<<"$output")" = invalid ]
	err() { jq -r --argjson k "$1" --argjson w "${2:-64}" \
	    'select(.params.KIND == $k and .params.WG == $w) | .error' <<<"$h"; }
	[ "$(err 1)" = "wrote past the end of its output 'y' (run 1)" ]
	[ "$(err 2)" = "run 1 of 4 did not finish within 2 s" ]
	[[ $(err 3) == *"bytes of __local memory a work-group (67108864 declared by the kernel, 0 of launch.shared), more than the "*" the device has" ]]
	[[ $(err 0 8192) == "work-group dimension 0 is 8192, more than the "*" the device allows" ]]
	[[ $(err 5) == *"did not compile"* ]]
	[[ $(jq -r 'select(.params.KIND == 5 and .params.WG == 64) | .compile.log' <<<"$h") == *"undeclared"* ]]
	[[ $(err 8) == *"changed its input 'x'"* ]]
}

@test "launch.shared is the kernel's __local parameter, of that many bytes" {
	jq '.params = {KIND: [7], WG: [64]} | .launch.shared = "WG * 4"' "$O/faults.json" >"$S"
	run --separate-stderr bash -c "ar-propose -s '$S' --strategy grid |
	    ar-compile -s '$S' --cache '$CACHE' | ar-bench -s '$S' --cache '$CACHE'"
	assert_success
	[ "$(jq -r .status <<<"$output")" = ok ]
	# Without it, the kernel's parameters are not the study's args.
	jq 'del(.launch.shared)' "$S" >"$BATS_TEST_TMPDIR/no.json"
	run --separate-stderr bash -c "ar-propose -s '$BATS_TEST_TMPDIR/no.json' --strategy grid |
	    ar-compile -s '$BATS_TEST_TMPDIR/no.json' --cache '$CACHE' |
	    ar-bench -s '$BATS_TEST_TMPDIR/no.json' --cache '$CACHE'"
	assert_success
	run jq -r '[.status, .error] | @tsv' <<<"$output"
	assert_output "invalid	kernel 'scale' takes 4 parameters, but the study's args are 3"
}

@test "a build that does not end in time is a compile error, and is tried again next time" {
	proposals '.params.KIND == 0 and .params.WG == 64' >"$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr ar-compile -s "$S" --cache "$CACHE" --timeout 0.001 "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
	run jq -r '[.compile.status, .compile.log] | @tsv' <<<"$output"
	assert_output "error	compile timed out after 0.001 s"
	run --separate-stderr ar-compile -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
	[ "$(jq -r .compile.status <<<"$output")" = ok ]
}

@test "--device chooses by index or by name, and a device that is not there is said" {
	proposals '.params.KIND == 0 and .params.WG == 64' >"$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr ar-compile -s "$S" --cache "$CACHE" --device 0:0 "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
	a=$(jq -r .compile.device <<<"$output")
	run --separate-stderr ar-compile -s "$S" --cache "$CACHE" --device PORTABLE "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
	[ "$(jq -r .compile.device <<<"$output")" = "$a" ]
	run --separate-stderr ar-compile -s "$S" --cache "$CACHE" --device no-such-device "$BATS_TEST_TMPDIR/p.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-compile: $S: cannot build a study of backend opencl here: no OpenCL device matches 'no-such-device' (there are 0:0 \"Portable Computing Language / "* ]]
	# The study's "device" says the same.
	jq '.device = "no-such-device"' "$S" >"$BATS_TEST_TMPDIR/d.json"
	run --separate-stderr ar-compile -s "$BATS_TEST_TMPDIR/d.json" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl"
	assert_failure 1
	[[ $stderr == *"no OpenCL device matches 'no-such-device'"* ]]
	# Only an opencl study has a device to choose.
	jq '.device = "pocl"' "$FIX/small/study.json" >"$BATS_TEST_TMPDIR/c.json"
	run --separate-stderr ar-propose -s "$BATS_TEST_TMPDIR/c.json" -n 1
	assert_failure 2
	[[ $stderr == *"c.json: key \"device\": chooses an OpenCL device, for a study of backend opencl, not 'c'" ]]
	# ar-bench too, once the input is known to be good.
	ar-compile -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl" >"$BATS_TEST_TMPDIR/c.jsonl"
	run --separate-stderr ar-bench -s "$S" --cache "$CACHE" --device 7:7 "$BATS_TEST_TMPDIR/c.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-bench: $S: cannot measure an opencl study here: no OpenCL device matches '7:7'"* ]]
	# --device is for an opencl study only.
	run --separate-stderr ar-bench -s "$FIX/small/study.json" --device 0:0 </dev/null
	assert_failure 2
	[[ $stderr == *"--device chooses an OpenCL device; this study's backend is 'c'"* ]]
	run --separate-stderr ar-compile -s "$FIX/small/study.json" --device 0:0 </dev/null
	assert_failure 2
	[[ $stderr == *"--device is for a study of backend opencl, not 'c'"* ]]
}

@test "without an OpenCL platform: exit 1 with the reason, and bad input is still bad input" {
	proposals '.params.KIND == 0 and .params.WG == 64' >"$BATS_TEST_TMPDIR/p.jsonl"
	ar-compile -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/p.jsonl" >"$BATS_TEST_TMPDIR/c.jsonl"
	mkdir "$BATS_TEST_TMPDIR/none"
	run --separate-stderr env OCL_ICD_VENDORS="$BATS_TEST_TMPDIR/none" \
	    ar-compile -s "$S" --cache "$BATS_TEST_TMPDIR/c2" "$BATS_TEST_TMPDIR/p.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-compile: $S: cannot build a study of backend opencl here: no OpenCL platform"* ]]
	run --separate-stderr env OCL_ICD_VENDORS="$BATS_TEST_TMPDIR/none" \
	    ar-bench -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/c.jsonl"
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == "ar-bench: $S: cannot measure an opencl study here: no OpenCL platform"* ]]
	# No loader at all.
	run --separate-stderr env AR_LIBOPENCL=/nonexistent/libOpenCL.so.1 \
	    ar-bench -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/c.jsonl"
	assert_failure 1
	[[ $stderr == *"no OpenCL loader (/nonexistent/libOpenCL.so.1)"* ]]
	# A record without its device is bad input, device or not.
	jq -c 'del(.compile.device)' "$BATS_TEST_TMPDIR/c.jsonl" >"$BATS_TEST_TMPDIR/bad.jsonl"
	run --separate-stderr env OCL_ICD_VENDORS="$BATS_TEST_TMPDIR/none" \
	    ar-bench -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/bad.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"bad.jsonl:1: no \"compile.device\" (ar-compile records the OpenCL device it built for)"* ]]
}

@test "a record that claims another device is refused: the device is in the build key" {
	proposals '.params.KIND == 0 and .params.WG == 64' |
	    ar-compile -s "$S" --cache "$CACHE" >"$BATS_TEST_TMPDIR/c.jsonl"
	jq -c '.compile.device = "Some Platform / Some GPU (OpenCL 3.0; driver 1)"' \
	    "$BATS_TEST_TMPDIR/c.jsonl" >"$BATS_TEST_TMPDIR/other.jsonl"
	run --separate-stderr ar-bench -s "$S" --cache "$CACHE" "$BATS_TEST_TMPDIR/other.jsonl"
	assert_failure 2
	[ -z "$output" ]
	[[ $stderr == *"other.jsonl:1: artifact '"*"' is not the one built for this record"* ]]
}

@test "a flag with white space cannot be an OpenCL build option: a compile error that says so" {
	jq '.params = {KIND: [0], WG: [64]} | .compile.flags = ["-cl-mad-enable", "-D A=1"]' \
	    "$O/faults.json" >"$S"
	run --separate-stderr bash -c "ar-propose -s '$S' --strategy grid |
	    ar-compile -s '$S' --cache '$CACHE'"
	assert_success
	run jq -r '[.compile.status, .compile.log] | @tsv' <<<"$output"
	assert_output "error	the flag '-D A=1' holds white space, which OpenCL's build options cannot carry"
	# Flags without are build options.
	jq '.compile.flags = ["-cl-mad-enable", "-DA=1"]' "$S" >"$BATS_TEST_TMPDIR/f.json"
	run --separate-stderr bash -c "ar-propose -s '$BATS_TEST_TMPDIR/f.json' --strategy grid |
	    ar-compile -s '$BATS_TEST_TMPDIR/f.json' --cache '$CACHE'"
	assert_success
	[ "$(jq -r .compile.status <<<"$output")" = ok ]
	jq '.compile.flags = ["-no-such-option"]' "$S" >"$BATS_TEST_TMPDIR/f.json"
	run --separate-stderr bash -c "ar-propose -s '$BATS_TEST_TMPDIR/f.json' --strategy grid |
	    ar-compile -s '$BATS_TEST_TMPDIR/f.json' --cache '$CACHE'"
	assert_success
	[ "$(jq -r .compile.status <<<"$output")" = error ]
}

@test "the GPU check's OpenCL part runs whole on PoCL, one JSON summary without jq" {
	run --separate-stderr env AR_CL_DEVICE=pocl AR_CL_N=128 AR_CL_LIMIT_S=60 \
	    OUT="$BATS_TEST_TMPDIR/out" "$ROOT/tests/gpu/opencl.sh"
	assert_success
	run jq -r '[.ok, .faults_as_expected, (.faults | length), .gemm.n,
	    (.gemm.candidates >= 3), (.gemm.best.gflops > 0),
	    ([.gemm.replay_optima[].status] | join(" ")), (.errors | length)] | @tsv' <<<"$output"
	assert_output "true	true	16	128	true	true	ok ok ok	0"
	[ -s "$BATS_TEST_TMPDIR/out/opencl.json" ]
	[ -s "$BATS_TEST_TMPDIR/out/opencl-faults.jsonl" ]
}
