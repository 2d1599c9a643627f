#!/bin/sh
# compress.sh TOOL LEVEL THREADS: compresses data.txt with xz or zstd at
# LEVEL with THREADS threads, checks that it decompresses to the same
# bytes, and prints one JSON line: the compression's own wall time
# (time_s, which ar-bench then uses instead of this script's whole run),
# the ratio of the sizes, and the sizes.  A round trip that differs
# exits 1, which ar-bench records as a crash: a compressor that lies is
# not a fast one.
set -eu
tool=$1 level=$2 threads=$3
in=data.txt
[ -s "$in" ] || { echo "compress.sh: $in is missing: run make-data.sh" >&2; exit 1; }
case $tool in
xz|zstd) ;;
*) echo "compress.sh: unknown tool '$tool'" >&2; exit 1 ;;
esac
out=$(mktemp) back=$(mktemp)
trap 'rm -f "$out" "$back"' EXIT
t0=$(date +%s%N)
"$tool" "-$level" "-T$threads" -c <"$in" >"$out"
t1=$(date +%s%N)
"$tool" -d -c <"$out" >"$back"
cmp -s "$in" "$back" || { echo "compress.sh: $tool -$level: round trip differs" >&2; exit 1; }
n=$(wc -c <"$in") z=$(wc -c <"$out")
awk -v t="$((t1 - t0))" -v n="$n" -v z="$z" \
    'BEGIN { printf "{\"time_s\": %.6f, \"ratio\": %.4f, \"in_bytes\": %d, \"out_bytes\": %d}\n", t / 1e9, n / z, n, z }'
