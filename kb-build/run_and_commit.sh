#!/usr/bin/env bash
# Runs the default build in the background and commits its finished parts every few minutes.
cd "$(dirname "$0")/.." || exit 1
. .venv/bin/activate
nice -n -10 autometa kb build --datasets ../shared/datasets/pmlb --out kb-build/default_kb \
    --configs-per-learner 12 --folds 3 --max-rows 1000 --time-limit 30 --n-jobs 2 \
    > kb-build/build.stdout 2>&1 &
pid=$!
commit_parts() {
  git add kb-build/default_kb.build/plan.json kb-build/default_kb.build/datasets kb-build/default_kb.build/runs \
          kb-build/default_kb.build/metafeatures 2>/dev/null
  git commit -q -m "kb-build: finished parts of the default knowledge base ($(ls kb-build/default_kb.build/runs 2>/dev/null | wc -l) datasets)" \
      -- kb-build/default_kb.build/plan.json kb-build/default_kb.build/datasets kb-build/default_kb.build/runs kb-build/default_kb.build/metafeatures 2>/dev/null || true
}
while kill -0 $pid 2>/dev/null; do
  sleep 240
  commit_parts
done
commit_parts
echo "build finished" >> kb-build/build.stdout
