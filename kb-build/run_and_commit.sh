#!/usr/bin/env bash
# Runs one part of the default build in the background and commits its finished parts
# every few minutes:  kb-build/run_and_commit.sh OUT [kb build options...]
cd "$(dirname "$0")/.." || exit 1
. .venv/bin/activate
out="$1"; shift
nice -n -10 autometa kb build --datasets ../shared/datasets/pmlb --out "$out" "$@" \
    > "$out.stdout" 2>&1 &
pid=$!
parts="$out.build/plan.json $out.build/datasets $out.build/runs $out.build/metafeatures"
commit_parts() {
  git add $parts 2>/dev/null
  git commit -q -m "kb-build: finished parts of $out ($(ls "$out.build/runs" 2>/dev/null | wc -l) datasets)" \
      -- $parts 2>/dev/null || true
}
while kill -0 $pid 2>/dev/null; do
  sleep 240
  commit_parts
done
commit_parts
echo "build finished" >> "$out.stdout"
