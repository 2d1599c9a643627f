#!/usr/bin/env bash
# Benchmark (issue 7): what a kernel gains by keeping its answers.  The
# kernels of tests/fixtures/bench/cheats.c with the work repeated 3,000
# times (REPS), so that answering from memory shows in the time, are
# measured in one ar-bench run with the study's bench settings left to
# their defaults: honest does the work every call; recall keeps answers
# in its process, keyed by the inputs' content; filed keeps them in
# files, keyed the same way, and refiled is a second variant that reads
# filed's files.  Every answer is right, so only the times tell.  Prints
# one JSON line per variant: its status and time_s, and its time over
# honest's.
#
# usage: pipelines/bench/memo.sh [TRIALS [INPUTS [SANDBOX]]]
#   TRIALS: bench.trials (default: unset); INPUTS: bench.inputs, shared or
#   variant (default: unset); SANDBOX: bench.sandbox, true or false
#   (default: unset); "" for any of them: unset
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s all
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp tests/fixtures/bench/cheats.c tests/fixtures/bench/faults_ref.c "$dir/"
jq --argjson t "${1:-null}" --arg i "${2:-}" --argjson b "${3:-null}" \
    '.problem.REPS = 3000 |
    .params.KIND = ["honest", "recall", "filed", "refiled"] | del(.bench) |
    if $t then .bench.trials = $t else . end |
    if $i != "" then .bench.inputs = $i else . end |
    if $b != null then .bench.sandbox = $b else . end' \
    tests/fixtures/bench/cheats.json >"$dir/s.json"
root=$PWD
cd "$dir"
printf '{"params":{"KIND":"%s"}}\n' honest recall filed refiled |
    "$root/bin/ar-compile" -s s.json --cache cache |
    "$root/bin/ar-bench" -s s.json --cache cache |
    jq -sc '(map(select(.params.KIND == "honest"))[0].time_s) as $h | .[] |
        {kind: .params.KIND, status, time_s, over_honest: (.time_s / $h)}'
