#!/usr/bin/env bash
# Runs the stages of the knowledge base v2 build (kb-build/build_v2.py) in order, in the
# background, and commits each stage's finished parts every few minutes. Run it again after
# any interruption: finished stages are skipped (kb-build/v2/STAGE.done), a stage in progress
# resumes where it stopped.
#   kb-build/run_v2.sh [N_JOBS]          (log: kb-build/v2/build.log)
cd "$(dirname "$0")/.." || exit 1
[ -f .venv/bin/activate ] && . .venv/bin/activate
n_jobs="${1:-2}"
out=kb-build/v2
mkdir -p "$out"
# The build runs the autometa code of one pinned commit (kb-build/v2/code_commit), checked out
# in .build-code, so that work on main while the build runs cannot change its protocol.
if [ -f "$out/code_commit" ]; then
  pin=$(cat "$out/code_commit")
  if [ "$(git -C .build-code rev-parse HEAD 2>/dev/null)" != "$pin" ]; then
    git worktree remove --force .build-code 2>/dev/null
    git worktree prune
    git worktree add --detach .build-code "$pin" >/dev/null 2>&1 || { echo "cannot check out $pin"; exit 1; }
  fi
  export PYTHONPATH="$PWD/.build-code${PYTHONPATH:+:$PYTHONPATH}"
  code=.build-code  # also the working directory: joblib's workers import from it first
else
  code=.
fi
root=$PWD
log="$out/build.log"
commit_parts() {
  local parts
  parts=$(ls -d $out/*.done $out/pool.json $out/hpo/plan.json $out/hpo/runs $out/hpo/configs \
      $out/hpo/datasets $out/*_kb.build/plan.json $out/*_kb.build/datasets $out/*_kb.build/runs \
      $out/*_kb.build/metafeatures 2>/dev/null)
  [ -n "$parts" ] || return 0
  for _ in 1 2 3; do
    git add $parts 2>/dev/null && break
    sleep 5
  done
  git commit -q -m "kb-build v2: finished parts ($(cat $out/stage 2>/dev/null))" -- $parts \
      >/dev/null 2>&1 || true
}
(
  while true; do sleep 300; commit_parts; done
) &
committer=$!
trap 'kill $committer 2>/dev/null' EXIT
for stage in hpo pool dense large mlp finish; do
  [ -f "$out/$stage.done" ] && continue
  echo "$stage" > "$out/stage"
  echo "=== stage $stage started $(date -u +%FT%TZ)" >> "$log"
  if (cd "$code" && python "$root/kb-build/build_v2.py" "$stage" --n-jobs "$n_jobs") >> "$log" 2>&1; then
    date -u +%FT%TZ > "$out/$stage.done"
    commit_parts
  else
    echo "=== stage $stage failed $(date -u +%FT%TZ)" >> "$log"
    commit_parts
    exit 1
  fi
done
echo "=== build finished $(date -u +%FT%TZ)" >> "$log"
