#!/usr/bin/env bash
# Merge the Learning Curve Database (LCDB) into a knowledge base as a second source, kept apart
# from its dense matrix (kb-build/README.md, "LCDB in the default knowledge base").
#   kb-build/merge_lcdb.sh [KB_DIR [LCDB_PATH]]
# KB_DIR: the knowledge base to merge into, replaced in place (default: the shipped one,
# autometa/data/default_kb). LCDB_PATH: LCDB's files, the lcdb-0.1.0.tar.gz sdist or the
# directory it extracts to (default: the installed lcdb package, `pip install lcdb==0.1.0`).
# Runs `autometa kb import-lcdb` (the three tree learners' defaults on numeric datasets, one
# run per training size), saves the merge over KB_DIR, prints what it holds and its size, and
# fails when autometa/data exceeds the package-data budget of 30 MB. Running it again
# replaces LCDB's runs by the same ones. The meta-models need no retraining: their dense
# matrix is unchanged (the cost model learns LCDB's times when retrained).
set -euo pipefail
kb=$(realpath "${1:-$(dirname "$0")/../autometa/data/default_kb}")
lcdb=()
if [ -n "${2:-}" ]; then lcdb=(--path "$(realpath "$2")"); fi
cd "$(dirname "$0")/.."
if [ -f .venv/bin/activate ]; then . .venv/bin/activate; fi
[ -f "$kb/manifest.json" ] || { echo "no knowledge base at $kb"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
autometa kb import-lcdb ${lcdb[@]+"${lcdb[@]}"} --merge "$kb" --out "$work/kb"
python - "$work/kb" "$kb" <<'PY'
import sys

from autometa.kb import KnowledgeBase

KnowledgeBase.load(sys.argv[1]).save(sys.argv[2])  # atomic: the old or the new one, whole
PY
autometa kb info "$kb" | sed -n '/^datasets/,/^meta-features/p'
du -sh "$kb"
mb=$(du -sm autometa/data | cut -f1)
echo "autometa/data: $mb MB (budget 30 MB)"
[ "$mb" -le 30 ] || { echo "autometa/data exceeds the 30 MB budget"; exit 1; }
