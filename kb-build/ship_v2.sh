#!/usr/bin/env bash
# Ship knowledge base v2 and the default meta-models trained on it, once the build's `finish`
# stage has written kb-build/v2/default_kb (kb-build/README.md), or its preview without the
# large stage (`python kb-build/build_v2.py preview` -> kb-build/v2/preview_kb).
#   kb-build/ship_v2.sh RANKER [KB_DIR]      (KB_DIR default: kb-build/v2/default_kb)
# 1. recomputes the meta-features with the installed metafeatures package (so the stored
#    meta-features match what `recommend` computes live),
# 2. merges LCDB into it as a second source, kept apart from the dense matrix
#    (kb-build/merge_lcdb.sh: `autometa kb import-lcdb`; needs `pip install lcdb==0.1.0`),
# 3. copies the knowledge base into the package (autometa/data/default_kb),
# 4. trains the meta-models (on the dense matrix) and the cost model (on every run with a fit
#    time, LCDB's included, and on LCDB's files: --cost-lcdb) on it (autometa/data/models)
#    with RANKER as the ranker: the best method of the leave-one-family-out table on v2
#    (benchmarks/README.md),
# 5. checks the package-data budget (30 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
ranker="${1:?give the ranker chosen by the leave-one-family-out benchmark on v2}"
source="${2:-kb-build/v2/default_kb}"
if [ "$source" = kb-build/v2/default_kb ] && [ ! -f kb-build/v2/finish.done ]; then
  echo "kb-build/v2/finish.done is missing: finish the build first"; exit 1
fi
work=$(mktemp -d)/default_kb
cp -r "$source" "$work"
autometa kb refresh-metafeatures "$work" --datasets ../shared/datasets/pmlb --n-jobs 2 --no-progress
kb-build/merge_lcdb.sh "$work"
rm -rf autometa/data/default_kb
cp -r "$work" autometa/data/default_kb
autometa kb info autometa/data/default_kb | head -5
autometa models train --kb autometa/data/default_kb --in-package \
    --models sbs,portfolio,nearest,defaults,surrogate,prototypes,maml --ranker "$ranker" \
    --cost-lcdb
du -sh autometa/data/default_kb autometa/data/models
mb=$(du -sm autometa/data | cut -f1)
[ "$mb" -le 30 ] || { echo "autometa/data takes $mb MB: over the 30 MB budget"; exit 1; }
