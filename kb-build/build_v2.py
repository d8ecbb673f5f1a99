"""The build of the default knowledge base v2, stage by stage (see kb-build/README.md).

    python kb-build/build_v2.py STAGE [--n-jobs 2]

Stages, each resumable (run it again after any interruption) and each reading what the one
before it committed:

hpo     per dataset and learner, a TPE search of N_TRIALS new trials with the v1 protocol
        (3-fold CV, at most 1,000 rows, seed 0), started from the learner's v1 runs on that
        dataset (kb-build/v1_kb, the v1 default knowledge base) and its default.
pool    pool v2 per task: the v1 pool (defaults and Sobol prefixes) plus per-dataset
        incumbents chosen round-robin over datasets by the rank of their learner, up to
        POOL_SIZE configurations; written to kb-build/v2/pool.json.
dense   every configuration of pool v2 on every dataset of its task (v1 runs reused).
large   for every dataset with more than 2,000 rows: each learner's best configuration of
        its dense runs, then the next best, LARGE_CONFIGS in all, on min(n_rows, 20,000) rows.
mlp     protocol v2.1 (MLPs capped at 1,000 epochs instead of scikit-learn's 200, so that
        they converge): every dense and large MLP run that warned of non-convergence is run
        again with the code pinned in kb-build/v2/code_commit; the MLP runs that converged
        within 200 epochs are what 1,000 gives too (same seeds and stopping rule) and stay.
finish  merges dense + large + hpo into kb-build/v2/default_kb (a knowledge base); with
        `mlp` done, its runs replace the warned ones, and the searches' warned MLP trials
        (measured at 200 epochs, not re-run) are left out.
preview merges dense + hpo into kb-build/v2/preview_kb, without the large stage (not a stage
        of run_v2.sh: for evaluating the meta-models while `large` runs).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from autometa.kb import (
    DEFAULT_METRIC,
    METRICS,
    KnowledgeBase,
    build_knowledge_base,
    discover_datasets,
    search_configurations,
)
from autometa.kb._runner import _WorkDir
from autometa.kb._search import load_searches
from autometa.learners import Configuration

HERE = Path(__file__).resolve().parent
DATASETS = HERE.parent.parent / "shared" / "datasets" / "pmlb"
V1 = HERE / "v1_kb"
OUT = Path(os.environ.get("AUTOMETA_V2_OUT", HERE / "v2"))  # another directory for trials
NAMES = os.environ.get("AUTOMETA_V2_NAMES")  # comma-separated dataset names, for trials
PROTOCOL = {"folds": 3, "max_rows": 1000, "seed": 0}
N_TRIALS = int(os.environ.get("AUTOMETA_V2_TRIALS", 10))
POOL_SIZE = 256
LARGE_ROWS, LARGE_MIN_ROWS, LARGE_CONFIGS = 20_000, 2_000, 25
TIME_LIMIT = {"hpo": 30.0, "dense": 10.0, "large": 120.0}
MLP_MAX_ITER = 1000  # protocol v2.1 (stage mlp)

log = logging.getLogger("kb-build")


def _specs():
    return discover_datasets(DATASETS, names=NAMES.split(",") if NAMES else None)


def _v1() -> KnowledgeBase:
    return KnowledgeBase.load(V1)  # upgraded to schema 2 on load (canonical config ids)


def _scores(runs: pd.DataFrame, datasets: pd.DataFrame) -> pd.DataFrame:
    """``dataset_id, config_id, value``: each ok run's default metric, higher is better."""
    task = runs["dataset_id"].map(datasets.set_index("dataset_id")["task"])
    value = pd.Series(float("nan"), index=runs.index)
    for name, metric in DEFAULT_METRIC.items():
        sign = 1.0 if METRICS[metric].greater_is_better else -1.0
        mine = (task == name).to_numpy()
        value[mine] = sign * pd.to_numeric(runs.loc[mine, metric], errors="coerce")
    out = pd.DataFrame(
        {"dataset_id": runs["dataset_id"], "config_id": runs["config_id"], "value": value}
    )
    ok = (
        (runs["status"] == "ok").to_numpy()
        & value.notna().to_numpy()
        & ~value.isin([float("inf"), -float("inf")]).to_numpy()
    )
    return out.loc[ok].groupby(["dataset_id", "config_id"], as_index=False)["value"].mean()


def stage_hpo(n_jobs: int) -> None:
    v1 = _v1()
    configs = v1.configurations.set_index("config_id")
    scores = _scores(KnowledgeBase.runs_at_size(v1.runs), v1.datasets)
    scores["learner"] = scores["config_id"].map(configs["learner"])
    scores["params"] = scores["config_id"].map(configs["params"])
    sign = {
        d: 1.0 if METRICS[DEFAULT_METRIC[task]].greater_is_better else -1.0
        for d, task in zip(v1.datasets["dataset_id"], v1.datasets["task"])
    }
    prior: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in scores.itertuples():
        prior.setdefault((row.dataset_id, row.learner), []).append(
            (row.params, sign[row.dataset_id] * row.value)
        )

    def progress(done: int, total: int) -> None:
        if done % 20 == 0 or done == total:
            log.info("hpo: %d/%d searches", done, total)

    search_configurations(
        _specs(),
        OUT / "hpo",
        n_trials=N_TRIALS,
        time_limit=TIME_LIMIT["hpo"],
        prior=prior,
        n_jobs=n_jobs,
        on_progress=progress,
        **PROTOCOL,
    )


def _hpo_runs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The searches' runs and configurations (``origin="hpo"``)."""
    result = load_searches(OUT / "hpo")
    return result.runs, result.configurations.assign(origin="hpo")


def stage_pool() -> None:
    v1 = _v1()
    hpo_runs, hpo_configs = _hpo_runs()
    datasets = pd.concat([v1.datasets, _dataset_rows()]).drop_duplicates("dataset_id")
    learner_of = pd.concat(
        [
            v1.configurations.set_index("config_id")["learner"],
            hpo_configs.set_index("config_id")["learner"],
        ]
    )
    learner_of = learner_of[~learner_of.index.duplicated()]
    all_runs = pd.concat([KnowledgeBase.runs_at_size(v1.runs), hpo_runs], ignore_index=True)
    scores = _scores(all_runs, datasets)
    lo = scores.groupby("dataset_id")["value"].transform("min")
    hi = scores.groupby("dataset_id")["value"].transform("max")
    scores["normalized"] = ((scores["value"] - lo) / (hi - lo)).fillna(1.0)
    scores["learner"] = scores["config_id"].map(learner_of)
    best = (
        scores.sort_values(["dataset_id", "learner", "value", "config_id"])
        .groupby(["dataset_id", "learner"])
        .tail(1)
    )
    best = best.sort_values(["dataset_id", "normalized"], ascending=[True, False])
    best["rank"] = best.groupby("dataset_id").cumcount()
    task_of = datasets.set_index("dataset_id")["task"]
    best["task"] = best["dataset_id"].map(task_of)
    pool: dict[str, list[str]] = {}
    for task in ("classification", "regression"):
        chosen = v1.dense_configurations(task)
        seen = set(chosen)
        candidates = best.loc[best["task"] == task].sort_values(
            ["rank", "normalized", "dataset_id"], ascending=[True, False, True]
        )
        for config_id in candidates["config_id"]:
            if len(chosen) >= POOL_SIZE:
                break
            if config_id not in seen:
                chosen.append(config_id)
                seen.add(config_id)
        pool[task] = chosen
        log.info(
            "pool %s: %d configurations (%d from v1)",
            task,
            len(chosen),
            len(v1.dense_configurations(task)),
        )
    params = (
        pd.concat(
            [
                v1.configurations[["config_id", "learner", "params"]],
                hpo_configs[["config_id", "learner", "params"]],
            ]
        )
        .drop_duplicates("config_id")
        .set_index("config_id")
    )
    out = {
        task: [[cid, params.loc[cid, "learner"], params.loc[cid, "params"]] for cid in ids]
        for task, ids in pool.items()
    }
    (OUT / "pool.json").write_text(json.dumps(out, indent=0))


def _dataset_rows() -> pd.DataFrame:
    rows = []
    for path in sorted((OUT / "hpo" / "datasets").glob("*.json")):
        state = json.loads(path.read_text())
        if "row" in state:
            rows.append(state["row"])
    return pd.DataFrame(rows)


def _pool() -> list[Configuration]:
    pool = json.loads((OUT / "pool.json").read_text())
    return [Configuration.from_json(lr, p) for task in pool.values() for _, lr, p in task]


def _seed_workdir(out: Path, runs: pd.DataFrame | None, sources: list[Path]) -> None:
    """Start a build's work directory from finished runs and cached meta-features."""
    work = out.with_name(out.name + ".build")
    if (work / "journal.jsonl").exists():
        return
    for sub in ("datasets", "metafeatures", "runs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    for src in sources:
        for sub in ("datasets", "metafeatures"):
            for f in sorted((src / sub).glob("*.json")):
                target = work / sub / f.name
                if not target.exists():
                    target.write_bytes(f.read_bytes())
    if runs is not None and len(runs):
        journal = _WorkDir(work)
        journal.append(runs.astype(object).where(runs.notna(), None).to_dict("records"))
        journal.close()


def stage_dense(n_jobs: int) -> None:
    v1 = _v1()
    v1_runs = v1.runs.loc[v1.runs["source"] == "runner"]
    _seed_workdir(
        OUT / "dense_kb", v1_runs, [HERE / "default_kb.build", HERE / "classification_kb.build"]
    )
    build_knowledge_base(
        _specs(),
        OUT / "dense_kb",
        configurations=_pool(),
        time_limit=TIME_LIMIT["dense"],
        n_jobs=n_jobs,
        command="python kb-build/build_v2.py dense",
        **PROTOCOL,
    )


def stage_large(n_jobs: int) -> None:
    dense = KnowledgeBase.load(OUT / "dense_kb")
    scores = _scores(KnowledgeBase.runs_at_size(dense.runs), dense.datasets)
    scores["learner"] = scores["config_id"].map(
        dense.configurations.set_index("config_id")["learner"]
    )
    big = dense.datasets.loc[dense.datasets["n_rows"] > LARGE_MIN_ROWS, "dataset_id"]
    params = dense.configurations.set_index("config_id")
    plan: dict[str, list[Configuration]] = {}
    for dataset_id in big:
        s = scores.loc[scores["dataset_id"] == dataset_id].sort_values(
            ["value", "config_id"], ascending=[False, True]
        )
        chosen = list(s.groupby("learner", sort=False).head(1)["config_id"])
        chosen += [c for c in s["config_id"] if c not in set(chosen)][: LARGE_CONFIGS - len(chosen)]
        plan[dataset_id] = [
            Configuration.from_json(params.loc[c, "learner"], params.loc[c, "params"])
            for c in chosen
        ]
    specs = [s for s in _specs() if s.dataset_id in plan]
    _seed_workdir(OUT / "large_kb", None, [OUT / "dense_kb.build"])
    build_knowledge_base(
        specs,
        OUT / "large_kb",
        configurations=plan,
        folds=PROTOCOL["folds"],
        max_rows=LARGE_ROWS,
        seed=PROTOCOL["seed"],
        time_limit=TIME_LIMIT["large"],
        n_jobs=n_jobs,
        chunk_size=1,
        command="python kb-build/build_v2.py large",
    )


def _built(name: str, stage: Any) -> KnowledgeBase:
    """A finished stage's knowledge base (``kb-build/v2/NAME``, not committed): loaded, or
    written again from its committed work directory (every run done: seconds)."""
    if not (OUT / name / "manifest.json").exists():
        stage(1)
    return KnowledgeBase.load(OUT / name)


def _mlp_unconverged(runs: pd.DataFrame) -> pd.Series:
    """Runs of an MLP whose fits warned of non-convergence (``provenance.warnings``)."""
    warned = runs["provenance"].map(
        lambda p: bool(json.loads(p).get("warnings", {}).get("convergence")) if p else False
    )
    return runs["config_id"].str.startswith("MLP") & warned.astype(bool)


def _rerun_plan(kb: KnowledgeBase) -> dict[str, list[Configuration]]:
    params = kb.configurations.set_index("config_id")
    runs = kb.runs.loc[_mlp_unconverged(kb.runs)]
    return {
        dataset_id: [
            Configuration.from_json(params.loc[c, "learner"], params.loc[c, "params"])
            for c in sorted(group["config_id"])
        ]
        for dataset_id, group in runs.groupby("dataset_id")
    }


def stage_mlp(n_jobs: int) -> None:
    from autometa.learners import get_learner

    if get_learner("MLPClassifier").fixed.get("max_iter") != MLP_MAX_ITER:
        raise SystemExit(
            f"stage mlp needs the code with MLPs capped at {MLP_MAX_ITER} epochs "
            "(kb-build/v2/code_commit, checked out by run_v2.sh)."
        )
    for name, stage, rows, limit in (
        ("dense_kb", stage_dense, PROTOCOL["max_rows"], TIME_LIMIT["dense"]),
        ("large_kb", stage_large, LARGE_ROWS, TIME_LIMIT["large"]),
    ):
        plan = _rerun_plan(_built(name, stage))
        log.info("mlp: %s, %d runs on %d datasets", name, sum(map(len, plan.values())), len(plan))
        out = OUT / ("mlp_" + name)
        _seed_workdir(out, None, [OUT / (name + ".build")])
        build_knowledge_base(
            [s for s in _specs() if s.dataset_id in plan],
            out,
            configurations=plan,
            folds=PROTOCOL["folds"],
            max_rows=rows,
            seed=PROTOCOL["seed"],
            time_limit=limit,
            n_jobs=n_jobs,
            chunk_size=1 if name == "large_kb" else 4,
            command="python kb-build/build_v2.py mlp",
        )


def _builds(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The build records of the stages merged into a knowledge base, in order (``merge``
    nests them: ``{"merged_from": [a, b]}``)."""
    if "merged_from" not in manifest:
        return [manifest]
    return [build for part in manifest["merged_from"] for build in _builds(part)]


def stage_finish(preview: bool = False) -> None:
    dense = _built("dense_kb", stage_dense)
    hpo_runs, hpo_configs = _hpo_runs()
    mlp = (OUT / "mlp.done").exists()
    if mlp:  # protocol v2.1: the MLP runs at 1,000 epochs replace the warned ones
        dense = dense.merge(_built("mlp_dense_kb", stage_mlp))
        hpo_runs = hpo_runs.loc[~_mlp_unconverged(hpo_runs)]
    kb = dense
    if not preview:
        large = _built("large_kb", stage_large)
        if mlp:
            large = large.merge(_built("mlp_large_kb", stage_mlp))
        kb = dense.merge(large)
    v1_origin = _v1().configurations.set_index("config_id")["origin"]
    configs = kb.configurations
    configs["origin"] = configs["config_id"].map(v1_origin).fillna("hpo")
    extra = hpo_configs.loc[~hpo_configs["config_id"].isin(configs["config_id"])]
    configs = pd.concat([configs, extra], ignore_index=True)
    hpo = hpo_runs.loc[hpo_runs["dataset_id"].isin(kb.datasets["dataset_id"])]
    manifest = {
        "merged_from": _builds(kb.manifest),
        "description": (
            "The default knowledge base v2 (kb-build/README.md): pool v2 evaluated densely at "
            "1,000 rows, the best configurations of larger datasets at up to 20,000 rows, and "
            "every trial of the per-dataset searches (source 'hpo')."
        ),
        "build_v2": {
            "mlp_max_iter": MLP_MAX_ITER if mlp else 200,
            "n_trials": N_TRIALS,
            "pool_size": POOL_SIZE,
            "large_rows": LARGE_ROWS,
            "large_configs": LARGE_CONFIGS,
            "time_limit": TIME_LIMIT,
        },
    }
    if preview:
        manifest["description"] = (
            "Preview of the default knowledge base v2 (kb-build/README.md): pool v2 evaluated "
            "densely at 1,000 rows and every trial of the per-dataset searches (source 'hpo'), "
            "without the large stage."
        )
    final = KnowledgeBase(
        datasets=kb.datasets,
        configurations=configs,
        runs=pd.concat([kb.runs, hpo], ignore_index=True),
        metafeatures=kb.metafeatures,
        manifest=manifest,
    )
    final.save(OUT / ("preview_kb" if preview else "default_kb"))
    print(final)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "stage", choices=["hpo", "pool", "dense", "large", "mlp", "finish", "preview"]
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    if args.stage == "hpo":
        stage_hpo(args.n_jobs)
    elif args.stage == "pool":
        stage_pool()
    elif args.stage == "dense":
        stage_dense(args.n_jobs)
    elif args.stage == "large":
        stage_large(args.n_jobs)
    elif args.stage == "mlp":
        stage_mlp(args.n_jobs)
    else:
        stage_finish(preview=args.stage == "preview")


if __name__ == "__main__":
    main()
