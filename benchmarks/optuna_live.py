"""Live Optuna benchmark: real searches on PMLB datasets whose family the meta-models never saw.

For each dataset (``--n-datasets`` per task from ``../shared/datasets/pmlb``, one per
family, ``--min-rows`` to ``--max-rows`` rows) the knowledge base is reduced to the
datasets of *other* families and the meta-model (``maml``, the shipped default's kind) is
fitted on it; a dataset whose family is not in the knowledge base uses it whole. Then, for
each seed, the data is split 75/25 (stratified for classification) and four Optuna studies
of ``--trials`` trials run on the training part:

- ``tpe``: ``TPESampler(seed)`` from a cold start;
- ``random``: ``RandomSampler(seed)``;
- ``tpe+warm``: ``TPESampler(seed)`` after :func:`autometa.optuna.warm_start` enqueued
  ``--warm-trials`` recommendations (defaults otherwise);
- ``metasampler``: :class:`autometa.optuna.MetaSampler` (defaults).

Objective: ``autometa.optuna.suggest(trial, task=...)`` (a learner of the registry and its
hyperparameters) scored by 3-fold cross-validation (balanced accuracy / R^2) on the training
part; a trial longer than ``--trial-timeout`` seconds is stopped and counts as pruned.
The meta-features of the training part are extracted inside each autometa study's wall time.

Reported per task and method: best-so-far CV score after k = 1, 3, 5, 10, 20, 30, 50 trials;
the held-out test score of the best trial so far (refitted on the whole training part) at
k = 10, 30 and 50; duplicate trials (same parameters as an earlier trial of the study);
failed/pruned trials; the share of trials the meta-model chose (``metasampler``); wall time.
Significance: for each method at 10 trials against cold TPE at 30 and at 50 trials, the
mean difference and the two-sided Wilcoxon signed-rank p-value over datasets, each
dataset's seeds averaged first (CV and test).

Usage::

    python benchmarks/optuna_live.py                      # 12 datasets per task, 3 seeds, 50 trials
    python benchmarks/optuna_live.py --quick              # 2 datasets per task, 1 seed, 12 trials
    python benchmarks/optuna_live.py --n-datasets 16 --seeds 3 --trials 50 \\
        --out benchmarks/results/optuna_live/optuna_live
    # two processes on one parts directory, then the tables (a rerun resumes):
    python benchmarks/optuna_live.py --shard 0/2 & python benchmarks/optuna_live.py --shard 1/2
    python benchmarks/optuna_live.py --report

Each finished study is saved in ``--parts`` (default ``<out>_parts``), so a rerun skips it.
Writes ``<out>.md`` (the tables), ``<out>_runs.csv`` (one row per study) and
``<out>_trials.csv.gz`` (one row per trial) once every study
is finished.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from autometa.bench import pmlb_dir

# ../shared/datasets/pmlb next to the checkout (or next to a parent, for git worktrees)
PMLB = pmlb_dir() or Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "pmlb"
METHODS = ("tpe", "random", "tpe+warm", "metasampler")
KS = (1, 3, 5, 10, 20, 30, 50)
TEST_KS = (10, 30, 50)
SCORING = {"classification": "balanced_accuracy", "regression": "r2"}
logger = logging.getLogger("optuna_live")


def choose_datasets(
    index: pd.DataFrame, tasks: list[str], n: int, min_rows: int, max_rows: int
) -> pd.DataFrame:
    """``n`` datasets per task, one per family, seeded."""
    ok = index[(index["n_rows"] >= min_rows) & (index["n_rows"] <= max_rows)]
    ok = ok.sample(frac=1.0, random_state=0).drop_duplicates("family")
    return pd.concat([ok[ok["task"] == t].head(n) for t in tasks], ignore_index=True)


def held_out_model(kb: Any, family: str, task: str, cache: dict, store: Path) -> tuple[Any, Any]:
    """The knowledge base without ``family`` and the ``maml`` model fitted on it (saved
    under ``store`` so that a resumed run does not fit it again)."""
    from autometa.models import MetaModel, TaskData, model_class

    key = (task, family)
    if key not in cache:
        datasets = kb.datasets
        keep = datasets.loc[datasets["family"].astype(str) != str(family), "dataset_id"]
        sub = kb.subset(list(keep))
        path = store / "models" / f"{task}__{_safe(family)}"
        if (path / "model.json").is_file():
            model = MetaModel.load(path)
        else:
            t0 = time.perf_counter()
            model = model_class("maml")(random_state=0).fit(TaskData.from_kb(sub, task))
            model.save(path)
            logger.info(
                "  maml fitted without family %s (%d of %d datasets) in %.0f s",
                family,
                len(keep),
                len(datasets),
                time.perf_counter() - t0,
            )
        cache[key] = (sub, model)
    return cache[key]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "_"


def _run_args(argv: list[str] | None) -> list[str]:
    """The command's arguments without ``--shard K/N`` and ``--report``."""
    args, out = list(sys.argv[1:] if argv is None else argv), []
    while args:
        arg = args.pop(0)
        if arg == "--shard":
            args = args[1:]
        elif not (arg.startswith("--shard=") or arg == "--report"):
            out.append(arg)
    return out


def _part(parts: Path, task: str, name: str, seed: int, method: str, trials: int) -> Path:
    return parts / f"{task}__{_safe(name)}__{seed}__{method}__{trials}.json"


def _write_part(path: Path, row: dict, trial_rows: list[dict]) -> None:
    """One finished study, written whole (temporary file, then renamed)."""

    def plain(value: Any) -> Any:
        if isinstance(value, np.generic):
            value = value.item()
        return None if isinstance(value, float) and not np.isfinite(value) else value

    payload = {
        "row": {k: plain(v) for k, v in row.items()},
        "trials": [{k: plain(v) for k, v in t.items()} for t in trial_rows],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    tmp.replace(path)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=0.0))
    return a == b


def count_duplicates(trials: list[optuna.trial.FrozenTrial]) -> tuple[int, int]:
    """Trials whose parameters equal those of an earlier trial of the study: all of them,
    and those autometa chose (enqueued by warm_start or proposed/checked by MetaSampler)."""
    seen: list[dict] = []
    n = ours = 0
    for t in trials:
        p = t.params
        if any(q.keys() == p.keys() and all(_same(q[k], p[k]) for k in p) for q in seen):
            n += 1
            ours += "autometa:source" in t.user_attrs
        seen.append(p)
    return n, ours


def run_study(
    method: str, task: str, X, y, cv, seed: int, args, sub_kb, model
) -> tuple[optuna.Study, float]:
    from autometa.cli._tune import _cross_validate
    from autometa.optuna import MetaSampler, suggest, warm_start

    start = time.perf_counter()
    scoring = SCORING[task]

    def objective(trial: optuna.Trial) -> float:
        pipe = suggest(trial, task=task)
        scores = _cross_validate(pipe, X, y, cv, scoring, args.trial_timeout)
        if scores is None:
            trial.set_user_attr("timeout", True)
            raise optuna.TrialPruned("time limit")
        value = float(np.mean(scores))
        if not np.isfinite(value):
            raise optuna.TrialPruned("the pipeline failed")
        return value

    if method in ("tpe+warm", "metasampler"):
        import metafeatures

        mf = metafeatures.extract(X, y, task=task)
    if method == "random":
        sampler: optuna.samplers.BaseSampler = optuna.samplers.RandomSampler(seed=seed)
    elif method == "metasampler":
        sampler = MetaSampler(metafeatures=mf, task=task, model=model, kb=sub_kb, seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    if method == "tpe+warm":
        warm_start(
            study, metafeatures=mf, task=task, model=model, kb=sub_kb, n_trials=args.warm_trials
        )
    study.optimize(objective, n_trials=args.trials)
    return study, time.perf_counter() - start


def best_so_far(trials: list[optuna.trial.FrozenTrial]) -> tuple[np.ndarray, list[int | None]]:
    """Best CV value after each trial, and the number of the best trial so far."""
    best, which, out, numbers = -np.inf, None, [], []
    for t in trials:
        if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None and t.value > best:
            best, which = t.value, t.number
        out.append(best if np.isfinite(best) else np.nan)
        numbers.append(which)
    return np.array(out), numbers


def test_score(params: dict, task: str, Xtr, ytr, Xte, yte) -> float:
    from sklearn.metrics import balanced_accuracy_score, r2_score

    from autometa.optuna import suggest

    pipe = suggest(optuna.trial.FixedTrial(params), task=task)
    try:
        pipe.fit(Xtr, ytr)
        pred = pipe.predict(Xte)
    except Exception:
        return float("nan")
    if task == "classification":
        return float(balanced_accuracy_score(yte, pred))
    return float(r2_score(yte, pred))


def wilcoxon(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import wilcoxon as test

    mask = np.isfinite(a) & np.isfinite(b)
    diff = a[mask] - b[mask]
    if np.count_nonzero(diff) < 2:
        return float("nan")
    return float(test(a[mask], b[mask]).pvalue)


def summarize(runs: pd.DataFrame, ks: list[int], test_ks: list[int], trials: int) -> str:
    lines = []
    for task, block in runs.groupby("task", sort=True):
        n_data = block["dataset"].nunique()
        n_seeds = block["seed"].nunique()
        lines += [
            f"### {task} ({n_data} datasets, {n_seeds} seed(s), {trials} trials)",
            "",
            "Mean over datasets (seeds averaged per dataset first) of the best CV score after "
            "k trials, the held-out test score of the best trial so far, duplicate trials "
            "per study (in brackets those autometa chose: enqueued by warm_start or proposed "
            "by MetaSampler, its hand-off trials included), failed/pruned trials per study, the meta-model's share of the trials, wall time "
            "per study.",
            "",
        ]
        cols = [f"CV@{k}" for k in ks] + [f"test@{k}" for k in test_ks]
        head = ["method", *cols, "duplicates (ours)", "failed", "meta share", "wall s"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|---|" + "---:|" * (len(head) - 1))
        per_data = block.groupby(["method", "dataset"]).mean(numeric_only=True)
        for method in [m for m in METHODS if m in set(block["method"])]:
            d = per_data.loc[method]
            cells = [f"`{method}`"]
            cells += [f"{d[c].mean():.4f}" for c in cols]
            cells += [
                f"{d['duplicates'].mean():.2f} ({d['duplicates_ours'].mean():.2f})",
                f"{d['failed'].mean():.2f}",
                "—" if d["meta_share"].isna().all() else f"{d['meta_share'].mean():.2f}",
                f"{d['wall'].mean():.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        targets = [k for k in (30, 50) if k <= trials] or [trials]
        lines += [
            f"Method at 10 trials against cold TPE at {' and '.join(map(str, targets))} "
            "(mean difference; two-sided Wilcoxon signed-rank p over datasets):",
            "",
            "| method | vs | CV diff | CV p | test diff | test p |",
            "|---|---|---:|---:|---:|---:|",
        ]
        if "tpe" in set(block["method"]) and min(10, trials) == 10:
            tpe = per_data.loc["tpe"]
            for method in [m for m in METHODS if m != "tpe" and m in set(block["method"])]:
                d = per_data.loc[method].reindex(tpe.index)
                for k in targets:
                    cells = [f"`{method}`@10", f"`tpe`@{k}"]
                    for kind in ("CV", "test"):
                        a = d[f"{kind}@10"].to_numpy()
                        b = tpe[f"{kind}@{k}"].to_numpy() if f"{kind}@{k}" in tpe else None
                        if b is None:
                            cells += ["—", "—"]
                            continue
                        cells += [f"{np.nanmean(a - b):+.4f}", f"{wilcoxon(a, b):.3g}"]
                    lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None, help="knowledge base directory (default: shipped)")
    parser.add_argument("--tasks", nargs="+", default=["classification", "regression"])
    parser.add_argument("--n-datasets", type=int, default=12, help="datasets per task (12)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--warm-trials", type=int, default=10)
    parser.add_argument("--min-rows", type=int, default=100)
    parser.add_argument("--max-rows", type=int, default=3000)
    parser.add_argument("--trial-timeout", type=float, default=120.0, help="seconds (120)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument(
        "--quick", action="store_true", help="2 datasets per task, 1 seed, 12 trials"
    )
    parser.add_argument("--out", default="benchmarks/results/optuna_live/optuna_live")
    parser.add_argument(
        "--parts",
        default=None,
        help="directory of the finished studies, one JSON file each, and of the held-out "
        "models (default: <out>_parts); a rerun skips what is there, so an interrupted run "
        "resumes",
    )
    parser.add_argument(
        "--shard",
        default="0/1",
        help="K/N: run only every N-th dataset, from the K-th (run N processes with "
        "K = 0..N-1 on one --parts directory, then once more with --report)",
    )
    parser.add_argument(
        "--report", action="store_true", help="write the tables from --parts only, run nothing"
    )
    args = parser.parse_args(argv)
    shard, n_shards = (int(v) for v in args.shard.split("/"))
    if not 0 <= shard < n_shards:
        parser.error(f"--shard must be K/N with 0 <= K < N, got {args.shard!r}")
    if args.quick:
        args.n_datasets, args.seeds, args.trials = 2, 1, 12
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("autometa").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")

    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    from autometa._io import read_table, split_target
    from autometa.kb import KnowledgeBase

    kb = KnowledgeBase.load(args.kb) if args.kb else KnowledgeBase.default()
    index = pd.read_csv(PMLB / "index.tsv", sep="\t")
    chosen = choose_datasets(index, args.tasks, args.n_datasets, args.min_rows, args.max_rows)
    kb_families = set(kb.subset(kb.dense_datasets()).datasets["family"].astype(str))
    ks = [k for k in KS if k <= args.trials]
    if args.trials not in ks:
        ks.append(args.trials)
    test_ks = [k for k in TEST_KS if k <= args.trials]
    if args.trials not in test_ks:
        test_ks.append(args.trials)
    parts = Path(args.parts) if args.parts else Path(args.out + "_parts")
    parts.mkdir(parents=True, exist_ok=True)
    cache: dict = {}
    start = time.perf_counter()
    for position, (_, ds) in enumerate(chosen.iterrows()):
        if args.report or position % n_shards != shard:
            continue
        task, name, family = ds["task"], ds["name"], str(ds["family"])
        todo = [
            (seed, method)
            for seed in range(args.seeds)
            for method in args.methods
            if not _part(parts, task, name, seed, method, args.trials).is_file()
        ]
        if not todo:
            continue
        logger.info("%s (%s, %d rows, family %s)", name, task, ds["n_rows"], family)
        held_out = family if family in kb_families else "\0none"
        sub_kb, model = held_out_model(kb, held_out, task, cache, parts)
        X, y = split_target(read_table(PMLB / f"{name}.tsv.gz"), "target")
        for seed, method in todo:
            strat = y if task == "classification" and y.value_counts().min() >= 2 else None
            Xtr, Xte, ytr, yte = train_test_split(
                X, y, test_size=0.25, random_state=seed, stratify=strat
            )
            if task == "classification" and ytr.value_counts().min() >= 3:
                cv: Any = StratifiedKFold(3, shuffle=True, random_state=seed)
            else:
                cv = KFold(3, shuffle=True, random_state=seed)
            study, wall = run_study(method, task, Xtr, ytr, cv, seed, args, sub_kb, model)
            trials = [t for t in study.trials if t.state != optuna.trial.TrialState.WAITING]
            curve, best_numbers = best_so_far(trials)
            duplicates, ours = count_duplicates(trials)
            row = {
                "task": task,
                "dataset": name,
                "family": family,
                "seed": seed,
                "method": method,
                "wall": wall,
                "duplicates": duplicates,
                "duplicates_ours": ours,
                "failed": sum(t.state != optuna.trial.TrialState.COMPLETE for t in trials),
                "meta_share": study.user_attrs.get("autometa:meta_share", np.nan),
            }
            for k in ks:
                row[f"CV@{k}"] = curve[min(k, len(curve)) - 1]
            tested: dict[int, float] = {}
            for k in test_ks:
                number = best_numbers[min(k, len(best_numbers)) - 1]
                if number is None:
                    row[f"test@{k}"] = np.nan
                    continue
                if number not in tested:
                    params = study.trials[number].params
                    tested[number] = test_score(params, task, Xtr, ytr, Xte, yte)
                row[f"test@{k}"] = tested[number]
            trial_rows = [
                {
                    "task": task,
                    "dataset": name,
                    "seed": seed,
                    "method": method,
                    "number": t.number,
                    "state": t.state.name,
                    "value": t.value,
                    "learner": t.user_attrs.get("learner"),
                    "source": t.user_attrs.get("autometa:source"),
                    "params": repr(t.params),
                }
                for t in trials
            ]
            _write_part(_part(parts, task, name, seed, method, args.trials), row, trial_rows)
            logger.info(
                "  seed %d %-12s CV@%d %.4f test@%d %.4f dup %d  %.0f s",
                seed,
                method,
                ks[-1],
                row[f"CV@{ks[-1]}"],
                test_ks[-1],
                row[f"test@{test_ks[-1]}"],
                row["duplicates"],
                wall,
            )
    rows, trial_rows = [], []
    for _, ds in chosen.iterrows():
        for seed in range(args.seeds):
            for method in args.methods:
                path = _part(parts, ds["task"], ds["name"], seed, method, args.trials)
                if path.is_file():
                    part = json.loads(path.read_text())
                    rows.append(part["row"])
                    trial_rows += part["trials"]
    expected = len(chosen) * args.seeds * len(args.methods)
    if len(rows) < expected:
        logger.info("%d of %d studies are finished: no tables yet", len(rows), expected)
        return 0
    runs = pd.DataFrame(rows).astype({"meta_share": float})
    header = [
        "# Live Optuna benchmark",
        "",
        f"Command: `python benchmarks/optuna_live.py {' '.join(_run_args(argv))}` (in "
        "parallel processes with `--shard K/N`, tables written by `--report`)",
        "",
        f"Datasets: {', '.join(chosen['name'])}.",
        "",
        "",
    ]
    markdown = "\n".join(header) + summarize(runs, ks, test_ks, args.trials)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(markdown + "\n")
    pd.DataFrame(trial_rows).to_csv(out.with_name(out.name + "_trials.csv.gz"), index=False)
    runs.to_csv(out.with_name(out.name + "_runs.csv"), index=False)
    print(markdown)
    print(f"\n{time.perf_counter() - start:.0f} s; written {out}.md, _runs.csv, _trials.csv.gz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
