#!/usr/bin/env bash
# Ship the default knowledge base and the default meta-models.
#   kb-build/finish.sh [RANKER]
# 1. merges the regression part (kb-build/default_kb) and the classification part
#    (kb-build/classification_kb) of the build,
# 2. recomputes the meta-features with the installed metafeatures package (so the stored
#    meta-features match what `recommend` computes live),
# 3. copies the knowledge base into the package (autometa/data/default_kb),
# 4. trains the meta-models on it (autometa/data/models) with RANKER as the ranker
#    (default: maml, the best method of the leave-one-family-out table).
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
ranker="${1:-maml}"
work=$(mktemp -d)/default_kb
python - "$work" <<'PY'
import sys
from autometa.kb import KnowledgeBase
regression = KnowledgeBase.load("kb-build/default_kb").subset(task="regression")
classification = KnowledgeBase.load("kb-build/classification_kb").subset(task="classification")
merged = regression.merge(classification)
manifest = merged.manifest
manifest["description"] = (
    "The default knowledge base: the regression part and the classification part of the "
    "default build (kb-build/README.md), merged by kb-build/finish.sh."
)
merged = KnowledgeBase(
    datasets=merged.datasets,
    configurations=merged.configurations,
    runs=merged.runs,
    metafeatures=merged.metafeatures,
    manifest=manifest,
)
merged.save(sys.argv[1])
print(merged)
PY
autometa kb refresh-metafeatures "$work" --datasets ../shared/datasets/pmlb --n-jobs 2 --no-progress
rm -rf autometa/data/default_kb
cp -r "$work" autometa/data/default_kb
autometa kb info autometa/data/default_kb | head -5
autometa models train --kb autometa/data/default_kb --in-package \
    --models sbs,portfolio,nearest,defaults,surrogate,prototypes,maml --ranker "$ranker"
du -sh autometa/data/default_kb autometa/data/models
