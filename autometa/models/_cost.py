"""What a configuration costs: predicted fit and predict time from the data's size.

Fitted on the runs of a knowledge base at every size they were measured at (schema 2 records
the rows each fit saw), one model per learner, in log-log space::

    log10(seconds) = w . [1, log10 n, log10 d, log10 (c + 1), log10 n * log10 d,
                          params, params * log10 n]

where ``n`` is the rows each fit trains on, ``d`` the number of features, ``c`` the number of
classes (0 for regression) and ``params`` the learner's encoding of the configuration
(:meth:`autometa.learners.Learner.encode`). Linear in ``log10 n``, the model extrapolates as a
power law whose exponent depends on the configuration (e.g. the number of trees of a forest
or the iterations of a boosting model). A ridge penalty keeps the weights of rarely varied parameters small.
Predict time uses the same features with ``n`` the rows predicted and ``log10`` of the
training rows added.

Times are seconds of one single-threaded fit (the runner's protocol); they depend on the
machine, so use them to compare configurations and to respect a budget with a margin, not as
a promise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa._atomic import read_json_header, write_text
from autometa._exceptions import ModelError, NotFittedError

__all__ = ["CostModel"]

COST_FORMAT = "autometa-cost-model"
COST_SCHEMA_VERSION = 1
COST_FILE = "cost.json"
_FLOOR = 1e-4  # seconds: times below are measurement noise


def _data_features(n: np.ndarray, d: np.ndarray, c: np.ndarray) -> np.ndarray:
    log_n = np.log10(np.maximum(n, 1.0))
    log_d = np.log10(np.maximum(d, 1.0))
    return np.column_stack(
        [
            np.ones_like(log_n),
            log_n,
            log_d,
            np.log10(np.maximum(c, 0.0) + 1.0),
            log_n * log_d,
        ]
    )


def _design(enc: np.ndarray, n: np.ndarray, d: np.ndarray, c: np.ndarray, extra=None):
    base = _data_features(n, d, c)
    log_n = base[:, [1]]
    parts = [base, enc, enc * log_n]
    if extra is not None:
        parts.append(extra[:, None])
    return np.hstack(parts)


class _Ridge:
    """Ridge regression with standardized columns (closed form; numpy only)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, y: np.ndarray) -> _Ridge:
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        Z = (X - self.mean_) / self.scale_
        self.intercept_ = float(y.mean())
        A = Z.T @ Z + self.alpha * np.eye(Z.shape[1])
        self.coef_ = np.linalg.solve(A, Z.T @ (y - self.intercept_))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean_) / self.scale_) @ self.coef_ + self.intercept_

    def state(self) -> dict[str, Any]:
        return {
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], alpha: float) -> _Ridge:
        model = cls(alpha)
        model.mean_ = np.asarray(state["mean"], dtype=np.float64)
        model.scale_ = np.asarray(state["scale"], dtype=np.float64)
        model.coef_ = np.asarray(state["coef"], dtype=np.float64)
        model.intercept_ = float(state["intercept"])
        return model


class CostModel:
    """Predicted seconds to fit and to predict, per configuration and data size.

    Parameters
    ----------
    alpha : float, default=1.0
        Ridge penalty (on standardized features).

    Examples
    --------
    >>> from autometa.kb import KnowledgeBase
    >>> cost = CostModel().fit(KnowledgeBase.default())  # doctest: +SKIP
    >>> cost.predict([("RandomForestClassifier", "{}")], n_rows=200_000, n_features=50,
    ...              n_classes=2)                             # doctest: +SKIP
    """

    #: The ``source`` of the rows :meth:`lcdb_training_table` reads from LCDB's files (those
    #: of a knowledge base's LCDB import have their runs' source, ``lcdb``).
    LCDB_FILES: ClassVar[str] = "lcdb files"

    def __init__(self, *, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.fit_models_: dict[str, _Ridge] | None = None
        self.predict_models_: dict[str, _Ridge] = {}
        self.n_runs_: dict[str, int] = {}

    # -- fitting --------------------------------------------------------------------------
    @classmethod
    def training_table(cls, kb: Any, *, lcdb: bool | str | Path = False) -> pd.DataFrame:
        """One row per usable run: learner, params, rows, features, classes, times, the
        dataset and the run's source.

        Runs whose fit was measured (``ok`` runs with a finite ``fit_time`` and a known
        ``n_train_rows``) at every size and from every source, LCDB's imported curves
        included (``autometa kb import-lcdb``): a knowledge base holding them carries their
        training times.

        Parameters
        ----------
        kb : KnowledgeBase
        lcdb : bool or path, default=False
            Also LCDB's measured training times read from its files
            (:meth:`lcdb_training_table`: every learner LCDB shares with the registry, on
            every dataset it describes): True for the installed ``lcdb`` package, or a path.
            Those the knowledge base already holds (the same dataset, learner, configuration
            and training rows, from its LCDB import) are not added twice.
        """
        runs = kb.runs
        usable = (
            (runs["status"] == "ok")
            & runs["n_train_rows"].notna()
            & np.isfinite(runs["fit_time"].to_numpy(dtype=np.float64))
        )
        runs = runs.loc[usable.to_numpy()]
        datasets = kb.datasets.set_index("dataset_id")
        configs = kb.configurations.set_index("config_id")
        table = pd.DataFrame(
            {
                "learner": runs["config_id"].map(configs["learner"]).to_numpy(),
                "params": runs["config_id"].map(configs["params"]).to_numpy(),
                "n_train": runs["n_train_rows"].astype("float64").to_numpy(),
                "n_test": (runs["n_rows_used"] - runs["n_train_rows"]).astype("float64").to_numpy(),
                "n_features": runs["dataset_id"].map(datasets["n_features"]).to_numpy(float),
                "n_classes": runs["dataset_id"].map(datasets["n_classes"]).to_numpy(float),
                "fit_time": runs["fit_time"].to_numpy(np.float64),
                "predict_time": runs["predict_time"].to_numpy(np.float64),
                "dataset_id": runs["dataset_id"].to_numpy(),
                "source": runs["source"].to_numpy(),
            }
        )
        table = table.dropna(subset=["learner", "n_features"]).reset_index(drop=True)
        if lcdb is False:
            return table
        extra = cls.lcdb_training_table(None if lcdb is True else lcdb)
        key = ["dataset_id", "learner", "params", "n_train"]
        held = pd.MultiIndex.from_frame(table[key])
        extra = extra.loc[~pd.MultiIndex.from_frame(extra[key]).isin(held)]
        return pd.concat([table, extra], ignore_index=True)

    @staticmethod
    def lcdb_training_table(path: str | Path | None = None) -> pd.DataFrame:
        """LCDB's measured training times (default configurations of the learners it shares
        with the registry, up to 2.2 million rows) in the layout of :meth:`training_table`.

        ``path``: LCDB's files (see :func:`autometa.kb.import_lcdb`); default the installed
        ``lcdb`` package. Predict times are NaN (LCDB does not record them).
        """
        from autometa.kb import lcdb_fit_times
        from autometa.learners import get_learner

        lc = lcdb_fit_times(path)
        lc = lc.loc[lc["autometa_learner"].notna() & np.isfinite(lc["fit_time"].astype(float))]
        params = {
            name: get_learner(name).default_configuration().params_json
            for name in lc["autometa_learner"].unique()
        }
        return pd.DataFrame(
            {
                "learner": lc["autometa_learner"].to_numpy(),
                "params": lc["autometa_learner"].map(params).to_numpy(),
                "n_train": lc["n_train_rows"].astype(float).to_numpy(),
                "n_test": np.nan,
                "n_features": lc["n_features"].astype(float).to_numpy(),
                "n_classes": lc["n_classes"].astype(float).to_numpy(),
                "fit_time": lc["fit_time"].astype(float).to_numpy(),
                "predict_time": np.nan,
                "dataset_id": "lcdb/" + lc["openml_id"].astype(str).to_numpy(),
                "source": CostModel.LCDB_FILES,
            }
        )

    def fit(self, kb: Any) -> CostModel:
        """Fit on every usable run of ``kb`` (see :meth:`training_table`)."""
        return self.fit_table(self.training_table(kb))

    def fit_table(self, table: pd.DataFrame) -> CostModel:
        """Fit on a table with the columns of :meth:`training_table`."""
        from autometa.learners import get_learner

        if len(table) == 0:
            raise ModelError(
                "No run with a measured fit time and data size to fit a cost model on. "
                "Build the knowledge base with autometa >= 0.2 (schema 2 records the sizes)."
            )
        self.fit_models_, self.predict_models_, self.n_runs_ = {}, {}, {}
        for learner, part in table.groupby("learner"):
            lr = get_learner(str(learner))
            enc = np.vstack([lr.encode(json.loads(p)) for p in part["params"]])
            n, d, c = (part[k].to_numpy(np.float64) for k in ("n_train", "n_features", "n_classes"))
            y = np.log10(np.maximum(part["fit_time"].to_numpy(np.float64), _FLOOR))
            self.fit_models_[str(learner)] = _Ridge(self.alpha).fit(_design(enc, n, d, c), y)
            test = part["n_test"].to_numpy(np.float64)
            pt = part["predict_time"].to_numpy(np.float64)
            ok = np.isfinite(pt) & np.isfinite(test) & (test > 0)
            if ok.sum() >= 5:
                X = _design(enc[ok], test[ok], d[ok], c[ok], np.log10(np.maximum(n[ok], 1.0)))
                y_pred = np.log10(np.maximum(pt[ok], _FLOOR))
                self.predict_models_[str(learner)] = _Ridge(self.alpha).fit(X, y_pred)
            self.n_runs_[str(learner)] = len(part)
        return self

    # -- prediction -----------------------------------------------------------------------
    def predict(
        self,
        configurations: Iterable[tuple[str, str | Mapping[str, Any]]] | pd.DataFrame,
        *,
        n_rows: float,
        n_features: float,
        n_classes: float = 0,
        n_predict: float | None = None,
    ) -> pd.DataFrame:
        """Predicted seconds of one fit on ``n_rows`` rows, and of predicting ``n_predict``.

        Parameters
        ----------
        configurations : DataFrame with ``learner`` and ``params``, or (learner, params) pairs
            ``params`` as canonical JSON or a dict.
        n_rows, n_features, n_classes : number
            The training data (``n_classes`` 0 for regression).
        n_predict : number, optional
            Rows to predict (default: ``n_rows``).

        Returns
        -------
        DataFrame
            Columns ``fit_time`` and ``predict_time`` (seconds; NaN for a learner the model
            has no runs of), one row per configuration, in order (the index of a given
            DataFrame is kept).
        """
        from autometa.learners import get_learner

        if self.fit_models_ is None:
            raise NotFittedError("This CostModel is not fitted yet. Call 'fit' first.")
        if isinstance(configurations, pd.DataFrame):
            pairs: Sequence[tuple[str, Any]] = list(
                zip(configurations["learner"], configurations["params"])
            )
            index = configurations.index
        else:
            pairs = list(configurations)
            index = pd.RangeIndex(len(pairs))
        n_predict = n_rows if n_predict is None else n_predict
        fit = np.full(len(pairs), np.nan)
        pred = np.full(len(pairs), np.nan)
        rows: dict[str, list[int]] = {}
        for i, (learner, _) in enumerate(pairs):
            rows.setdefault(str(learner), []).append(i)
        for learner, at in rows.items():  # one design matrix per learner
            model = self.fit_models_.get(learner)
            if model is None:
                continue
            space = get_learner(learner)
            enc = np.vstack(
                [
                    space.encode(json.loads(p) if isinstance(p, str) else dict(p))
                    for p in (pairs[i][1] for i in at)
                ]
            )
            one = np.ones(len(at))
            fit[at] = 10.0 ** model.predict(
                _design(enc, one * n_rows, one * n_features, one * n_classes)
            )
            pmodel = self.predict_models_.get(learner)
            if pmodel is not None:
                Xp = _design(
                    enc,
                    one * n_predict,
                    one * n_features,
                    one * n_classes,
                    np.log10(one * max(n_rows, 1.0)),
                )
                pred[at] = 10.0 ** pmodel.predict(Xp)
        return pd.DataFrame({"fit_time": fit, "predict_time": pred}, index=index)

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        if self.fit_models_ is None:
            raise NotFittedError("This CostModel is not fitted yet. Call 'fit' first.")
        return {
            "format": COST_FORMAT,
            "schema_version": COST_SCHEMA_VERSION,
            "alpha": self.alpha,
            "n_runs": self.n_runs_,
            "fit": {k: m.state() for k, m in sorted(self.fit_models_.items())},
            "predict": {k: m.state() for k, m in sorted(self.predict_models_.items())},
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> CostModel:
        if state.get("format") != COST_FORMAT:
            raise ModelError("This is not an autometa cost model (its 'format' differs).")
        if int(state.get("schema_version", 0)) > COST_SCHEMA_VERSION:
            raise ModelError(
                "The cost model was written by a newer autometa (schema "
                f"{state.get('schema_version')}); upgrade autometa."
            )
        model = cls(alpha=float(state["alpha"]))
        model.fit_models_ = {k: _Ridge.from_state(v, model.alpha) for k, v in state["fit"].items()}
        model.predict_models_ = {
            k: _Ridge.from_state(v, model.alpha) for k, v in state["predict"].items()
        }
        model.n_runs_ = {k: int(v) for k, v in state.get("n_runs", {}).items()}
        return model

    def save(self, path: str | Path) -> Path:
        """Write ``cost.json`` into the directory ``path`` (atomically,
        :func:`autometa._atomic.write_text`)."""
        target = Path(path) / COST_FILE
        write_text(target, json.dumps(self.to_dict(), indent=1, sort_keys=True))
        return target

    @classmethod
    def load(cls, path: str | Path) -> CostModel:
        file = Path(path)
        if file.is_dir():
            file = file / COST_FILE
        if not file.is_file():
            raise ModelError(
                f"No cost model at '{path}' ('{COST_FILE}' is missing). Train the models with "
                "`autometa models train`, which fits one."
            )
        state = read_json_header(
            file,
            format=COST_FORMAT,
            reads=COST_SCHEMA_VERSION,
            error=ModelError,
            what="an autometa cost model",
            fix="Retrain the models (`autometa models train`), which fits one.",
            required=("alpha", "fit", "predict"),
        )
        return cls.from_dict(state)


def median_log10_error(predicted: Sequence[float], measured: Sequence[float]) -> float:
    """Median of |log10(predicted / measured)|: 0.3 is within a factor of 2."""
    p = np.maximum(np.asarray(predicted, dtype=np.float64), _FLOOR)
    m = np.maximum(np.asarray(measured, dtype=np.float64), _FLOOR)
    ok = np.isfinite(p) & np.isfinite(m)
    return float(np.median(np.abs(np.log10(p[ok]) - np.log10(m[ok])))) if ok.any() else math.nan
