#!/usr/bin/env bash
# Tunes compression: which of xz and zstd, at which level and with how
# many threads, compresses 1 MB of this project's text fastest while
# making it at least 4 times smaller.  One command:
#
#   examples/compress/run.sh            (EVALS=24 BATCH=8 by default)
#
# The study runs compress.sh with an argument vector built from the
# parameters (no shell between the record and the program), in this
# folder, where make-data.sh leaves data.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
make -s -C "$root"
"$here/make-data.sh"
make -s -f "$root/pipelines/tune.mk" STUDY="$here/study.json" \
    OUT="${OUT:-$root/runs/compress}" EVALS="${EVALS:-24}" BATCH="${BATCH:-8}"
