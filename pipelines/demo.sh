#!/usr/bin/env bash
# make demo: what the toolkit does today, on the example study of a
# cache-blocked matrix multiply (kernels/matmul/cpu.json).  The stages
# after ar-propose come next; until then the demo shows the first stage:
# the valid space, a batch of proposals, a second batch that skips what the
# first one proposed, and re-sizing the best-looking one with -D.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
study=kernels/matmul/cpu.json
out=runs/demo
mkdir -p "$out"
rm -f "$out/history.jsonl"

echo "== $study: $(ar-propose -s $study --count) valid configurations"
echo
echo "== round 1: 6 random proposals (ar-propose -s $study -n 6 --seed 1)"
ar-propose -s $study -n 6 --seed 1 | tee -a "$out/history.jsonl" |
    jq -r '"\(.id)  round \(.round)  \(.params | to_entries | map("\(.key)=\(.value)") | join(" "))"'
echo
echo "== round 2: 6 more that the history does not hold (-H $out/history.jsonl)"
ar-propose -s $study -H "$out/history.jsonl" -n 6 --seed 1 | tee -a "$out/history.jsonl" |
    jq -r '"\(.id)  round \(.round)  \(.params | to_entries | map("\(.key)=\(.value)") | join(" "))"'
echo
echo "== round 3 as CSV, for a spreadsheet (--csv)"
ar-propose -s $study -H "$out/history.jsonl" -n 3 --seed 1 --csv
echo
echo "== the first configuration again at N=2048 (--from - -D N=2048): a new id"
head -n 1 "$out/history.jsonl" | ar-propose -s $study -D N=2048 --from - | jq -c '{id, params}'
echo
echo "history: $out/history.jsonl ($(wc -l <"$out/history.jsonl") records)"
