"""Live runs: pipelines trained for real on datasets the meta-models were not trained on.

For each dataset, the knowledge base is reduced to the datasets of *other* families (a
dataset whose family is not in the knowledge base, e.g. one given by path, uses it whole)
and the ranker is fitted on it; every method is then fitted on the same 75% split and
scored on the same held-out 25% (balanced accuracy / R^2):

- ``autometa zero-shot`` and ``autometa n_candidates=N``: ``MetaClassifier`` /
  ``MetaRegressor`` recommending from that knowledge base and model;
- ``sklearn RF / HGB / LR`` (``Ridge`` for regression): scikit-learn's defaults behind the
  learner registry's preprocessing (the one the recommendations use);
- ``flaml LGBM`` and ``flaml RF``: ``flaml.default.LGBM*`` (zero-shot: hyperparameters
  suggested from the data's size and shape) and ``flaml.default.RandomForest*`` (in flaml
  2.7 it suggests nothing: scikit-learn's defaults); left out with a message when flaml is
  not installed (``pip install autometa[bench]``);
- ``optuna TPE N trials`` and ``optuna TPE S s``: a cold ``TPESampler`` over
  :func:`autometa.optuna.suggest`'s space, 3-fold CV on the training part, budgets in
  trials and in wall seconds, the best trial refitted on the whole training part.

Each fit's wall time and CPU time (this process, all threads) are recorded.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError

__all__ = ["LiveDataset", "choose_live_datasets", "live_methods", "pmlb_dir", "run_live"]

logger = logging.getLogger(__name__)


def pmlb_dir() -> Path | None:
    """``shared/datasets/pmlb`` next to the checkout (or a parent, for git worktrees)."""
    for p in Path(__file__).resolve().parents:
        candidate = p / "shared" / "datasets" / "pmlb"
        if (candidate / "index.tsv").is_file():
            return candidate
    return None


@dataclass(frozen=True)
class LiveDataset:
    """A dataset of the live runs: its name, file, target column, family (None when its
    family is unknown: the whole knowledge base is then used) and task (None: inferred from
    the target, :func:`autometa._task.infer_task`)."""

    name: str
    path: Path
    target: str = "target"
    family: str | None = None
    task: str | None = None


def choose_live_datasets(
    kb: Any, n_per_task: int, *, min_rows: int = 100, max_rows: int = 2000, seed: int = 0
) -> list[LiveDataset]:
    """PMLB datasets of the knowledge base (their family is left out when refitting), one
    per family, ``n_per_task`` per task, ``min_rows``..``max_rows`` rows, seeded."""
    root = pmlb_dir()
    if root is None:
        return []
    index = pd.read_csv(root / "index.tsv", sep="\t")
    in_kb = set(kb.subset(kb.dense_datasets()).datasets["name"].astype(str))
    index = index[index["name"].astype(str).isin(in_kb)]
    index = index[(index["n_rows"] >= min_rows) & (index["n_rows"] <= max_rows)]
    index = index.sample(frac=1.0, random_state=seed).drop_duplicates("family")
    chosen = pd.concat([g.head(n_per_task) for _, g in index.groupby("task", sort=True)])
    return [
        LiveDataset(
            str(r["name"]), root / f"{r['name']}.tsv.gz", "target", str(r["family"]), r["task"]
        )
        for _, r in chosen.iterrows()
    ]


def _held_out(kb: Any, family: str | None, task: str, ranker: str) -> tuple[Any, Any]:
    """The knowledge base without ``family`` and ``ranker`` fitted on it."""
    from autometa.models import TaskData, model_class

    datasets = kb.datasets
    if family is not None:
        keep = datasets.loc[datasets["family"].astype(str) != str(family), "dataset_id"]
        kb = kb.subset(list(keep))
    return kb, model_class(ranker)(random_state=0).fit(TaskData.from_kb(kb, task))


def _live_split(X: Any, y: Any, task: str, max_rows: int | None, seed: int) -> list[Any]:
    """``[Xtr, Xte, ytr, yte]``: at most ``max_rows`` rows drawn at random, then a 75/25
    split, both stratified for classification when every class has two rows (seeded)."""
    from sklearn.model_selection import train_test_split

    strat = y if task == "classification" and y.value_counts().min() >= 2 else None
    if max_rows is not None and len(y) > max_rows:
        X, _, y, _ = train_test_split(X, y, train_size=max_rows, random_state=seed, stratify=strat)
        strat = y if strat is not None and y.value_counts().min() >= 2 else None
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=strat)


class _TPESearch:
    """A cold Optuna TPE search over ``suggest``'s space: 3-fold CV, then refit the best."""

    def __init__(
        self,
        task: str,
        *,
        n_trials: int | None = None,
        timeout: float | None = None,
        seed: int = 0,
    ) -> None:
        self.task, self.n_trials, self.timeout, self.seed = task, n_trials, timeout, seed

    def fit(self, X: Any, y: Any) -> _TPESearch:
        import optuna
        from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

        from autometa.optuna import suggest

        scoring = "balanced_accuracy" if self.task == "classification" else "r2"
        if self.task == "classification" and pd.Series(y).value_counts().min() >= 3:
            cv: Any = StratifiedKFold(3, shuffle=True, random_state=self.seed)
        else:
            cv = KFold(3, shuffle=True, random_state=self.seed)

        def objective(trial: optuna.Trial) -> float:
            pipe = suggest(trial, task=self.task)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scores = cross_val_score(pipe, X, y, cv=cv, scoring=scoring, error_score=np.nan)
            value = float(np.mean(scores))
            if not np.isfinite(value):
                raise optuna.TrialPruned("the pipeline failed")
            return value

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=self.seed)
        )
        study.optimize(objective, n_trials=self.n_trials, timeout=self.timeout)
        self.n_trials_ = len(study.trials)
        self.best_learner_ = study.best_params["learner"]
        self.estimator_ = suggest(optuna.trial.FixedTrial(study.best_params), task=self.task)
        self.estimator_.fit(X, y)
        return self

    def predict(self, X: Any) -> Any:
        return self.estimator_.predict(X)


def flaml_available() -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import flaml.default  # noqa: F401
    except ImportError:
        return False
    return True


def live_methods(
    task: str,
    kb: Any,
    model: Any,
    *,
    n_candidates: int = 5,
    tpe_trials: int = 50,
    tpe_seconds: float = 60.0,
    flaml: bool = True,
) -> dict[str, Any]:
    """The methods of the live runs for one dataset: name -> an unfitted estimator."""
    from autometa import MetaClassifier, MetaRegressor
    from autometa.learners import get_learner

    clf = task == "classification"
    meta: Any = MetaClassifier if clf else MetaRegressor
    names = {
        "RF": "RandomForestClassifier" if clf else "RandomForestRegressor",
        "HGB": "HistGradientBoostingClassifier" if clf else "HistGradientBoostingRegressor",
        "LR" if clf else "Ridge": "LogisticRegression" if clf else "Ridge",
    }
    methods: dict[str, Any] = {
        "autometa zero-shot": meta(kb=kb, model=model),
        f"autometa n_candidates={n_candidates}": meta(
            kb=kb, model=model, n_candidates=n_candidates, cv=3
        ),
    }
    for short, n in names.items():
        methods[f"sklearn {short}"] = get_learner(n).make_pipeline(random_state=0)
    if flaml:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import flaml.default as fd
        suffix = "Classifier" if clf else "Regressor"
        # one thread, as every other method here
        methods["flaml LGBM"] = getattr(fd, f"LGBM{suffix}")(random_state=0, verbose=-1, n_jobs=1)
        methods["flaml RF"] = getattr(fd, f"RandomForest{suffix}")(random_state=0, n_jobs=1)
    methods[f"optuna TPE {tpe_trials} trials"] = _TPESearch(task, n_trials=tpe_trials)
    methods[f"optuna TPE {tpe_seconds:g} s"] = _TPESearch(task, timeout=tpe_seconds)
    return methods


def run_live(
    kb: Any,
    datasets: list[LiveDataset],
    *,
    ranker: str = "maml",
    n_candidates: int = 5,
    tpe_trials: int = 50,
    tpe_seconds: float = 60.0,
    flaml: bool | None = None,
    seed: int = 0,
    methods: Sequence[str] | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Fit and score every method on every dataset.

    ``methods`` keeps only the methods of :func:`live_methods` with these names (default:
    all). ``max_rows`` first draws that many rows of a larger dataset at random (stratified
    for classification; seeded), before the 75/25 split.

    Returns
    -------
    DataFrame
        One row per (dataset, method): ``dataset``, ``task``, ``family``, ``n_train`` (the
        training rows), ``method``,
        ``score`` (balanced accuracy / R^2 on the held-out 25%; NaN when the method
        failed), ``fit_seconds`` (wall), ``fit_cpu_seconds`` (this process's CPU, all
        threads), ``chosen`` (the learner the method picked, where it picks one),
        ``trials`` (Optuna's trials run), ``error``.
    """
    from sklearn.metrics import balanced_accuracy_score, r2_score

    from autometa._io import read_table, split_target
    from autometa._task import infer_task

    if flaml is None:
        flaml = flaml_available()
    if max_rows is not None and max_rows < 4:
        raise ParameterError(
            f"The 'max_rows' parameter of run_live must be an int >= 4 or None. Got "
            f"{max_rows!r} instead."
        )
    rows = []
    models: dict[tuple[str | None, str], tuple[Any, Any]] = {}
    for ds in datasets:
        X, y = split_target(read_table(ds.path), ds.target)
        task = ds.task or infer_task(y)
        Xtr, Xte, ytr, yte = _live_split(X, y, task, max_rows, seed)
        key = (ds.family, task)
        if key not in models:
            models[key] = _held_out(kb, ds.family, task, ranker)
        sub_kb, model = models[key]
        chosen = live_methods(
            task,
            sub_kb,
            model,
            n_candidates=n_candidates,
            tpe_trials=tpe_trials,
            tpe_seconds=tpe_seconds,
            flaml=flaml,
        )
        if methods is not None:
            unknown = sorted(set(methods) - set(chosen))
            if unknown:
                raise ParameterError(
                    f"The 'methods' parameter of run_live names unknown methods {unknown}. "
                    f"Choose among {sorted(chosen)}."
                )
            chosen = {name: est for name, est in chosen.items() if name in methods}
        for method, est in chosen.items():
            t0, c0 = time.perf_counter(), time.process_time()
            error = ""
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    est.fit(Xtr, ytr)
                    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                    pred = est.predict(Xte)
                score = float(
                    balanced_accuracy_score(yte, pred)
                    if task == "classification"
                    else r2_score(yte, pred)
                )
            except Exception as exc:  # a failed method scores NaN; the benchmark goes on
                wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                score, error = float("nan"), f"{type(exc).__name__}: {exc}"[:200]
                logger.warning("%s %s failed: %s", ds.name, method, error)
            rows.append(
                {
                    "dataset": ds.name,
                    "task": task,
                    "family": ds.family or "",
                    "n_train": len(ytr),
                    "method": method,
                    "score": score,
                    "fit_seconds": wall,
                    "fit_cpu_seconds": cpu,
                    "chosen": str(getattr(est, "best_learner_", "")),
                    "trials": getattr(est, "n_trials_", np.nan),
                    "error": error,
                }
            )
            logger.info("%-28s %-28s %.4f %7.2f s", ds.name, method, score, wall)
    return pd.DataFrame(rows)
