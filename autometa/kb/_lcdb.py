"""Importing the Learning Curve Database (LCDB, ``pip install lcdb==0.1.0``, MIT licence).

LCDB (Mohr et al., 2022) holds learning curves of 20 scikit-learn classifiers at their
default settings on OpenML datasets: for each dataset, learner, training size ("anchor":
16, 23, 32, 45, ... rows up to the full size) and seed pair, the training time and the
score on the training, validation and test rows, in ``database-<metric>.csv`` files, and
OpenML's data qualities of the datasets in ``datasets.csv``.

How LCDB measured (``lcdb/lcdb.py`` of the sdist)
-------------------------------------------------
* The data come from OpenML; missing values are imputed (median, or the mode for
  categorical columns); categorical columns are one-hot encoded with ``pandas.get_dummies``;
  nothing is scaled.
* The outer split (seed ``outer_seed``) holds out a stratified test set of 10% of the rows
  (at most 5,000): ``size_test``. The inner split (seed ``inner_seed``) holds out a
  validation set of 10% of the rest (at most 5,000). The learner is fitted on the first
  ``size_train`` rows of what remains and scored on the validation and test rows.
* ``traintime`` is the wall time of ``fit`` in seconds. Probabilities were stored rounded
  to two decimals (``DirectEncoder(2)`` in ``computelc.py``) before AUC and log-loss were
  computed, so these two are slightly coarser than ours (log-loss more so: a probability
  rounded to 0 is clipped). AUC exists for binary datasets only.

Mapping decisions
-----------------
* Learners map onto the default configuration of the registry learner of the same class,
  only where LCDB's setting would give our results: the hyperparameters are scikit-learn's
  defaults on both sides, so what differs is preprocessing. Our linear models, SVMs, k-NN
  and MLPs standardize numeric features and LCDB's do not, which changes their results
  (and ``LogisticRegression`` also ran with ``max_iter=100``, ours with 1,000): those are
  counted as ``"preprocessing differs"``. Tree learners do not depend on scaling; they map
  on datasets whose only symbolic column is the target and which have no missing values
  (elsewhere LCDB's one-hot encoding and imputation without indicator differ from our
  ordinal encoding and missing-value indicators: ``"preprocessing differs"``, unless
  ``same_preprocessing=False``). LCDB learners with no registry learner (naive Bayes,
  discriminant analysis, gradient boosting, ...) are ``"learner not in registry"``.
* One run per (dataset, configuration, training size), the mean over LCDB's seed pairs
  (usually 5 outer x 5 inner = 25): the run key of the knowledge base is
  ``(dataset_id, config_id, source, n_rows_used)``, so one run per seed cannot be stored,
  and the mean is what a size-aware model needs (the standard deviations and the seeds are
  in the provenance). ``n_folds`` is the number of seed pairs averaged.
* ``n_train_rows`` is LCDB's ``size_train``; ``n_rows_used`` is ``size_train + size_test``
  (the rows the run was fitted and scored on; with ``score="valid"``, ``size_train`` plus
  the validation rows, which LCDB does not record, so ``size_test`` is used too, the two
  sets having the same size rule). ``fit_time`` is the mean ``traintime``;
  ``predict_time`` is not in LCDB's tables (NaN).
* Metrics: LCDB accuracy -> ``accuracy``, AUC -> ``roc_auc``, log-loss -> ``log_loss``;
  ``balanced_accuracy`` is NaN (LCDB has none). ``score="test"`` (default) reads
  ``score_test``, ``"valid"`` reads ``score_valid``.
* Datasets are ``lcdb/<openml id>`` with source ``lcdb``; their meta-features are the
  OpenML qualities of ``datasets.csv`` under the names of the ``openml`` meta-feature group
  (plus ``MajorityClassPercentage``, derived as ``100 * MajorityClassSize /
  NumberOfInstances``, and the ``NaiveBayes*`` landmarkers). Datasets of the curve tables
  missing from ``datasets.csv`` have no qualities and no size: their
  measurements are counted as ``"dataset without qualities"``.
* Unmapped counts are in LCDB measurements (rows of the first metric's table).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import tarfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa.kb._import_runs import UNMAPPED_COLUMNS, ImportResult
from autometa.kb._ledger import Ledger
from autometa.kb._schema import TABLE_COLUMNS
from autometa.learners import get_learner

__all__ = [
    "LCDB_LEARNERS",
    "LCDB_METRICS",
    "import_lcdb",
    "lcdb_curves",
    "lcdb_fit_times",
]

logger = logging.getLogger(__name__)

#: LCDB metric (file ``database-<name>.csv``) -> our metric.
LCDB_METRICS: dict[str, str] = {"accuracy": "accuracy", "auc": "roc_auc", "logloss": "log_loss"}
_OURS_TO_LCDB = {v: k for k, v in LCDB_METRICS.items()}

_SCALED = "features not standardized in LCDB; ours are"
#: LCDB learner name -> (registry learner of the same estimator class or None, why it is not
#: imported or None). Trees are imported on datasets where the preprocessing agrees.
LCDB_LEARNERS: dict[str, tuple[str | None, str | None]] = {
    "sklearn.tree.DecisionTreeClassifier": ("DecisionTreeClassifier", None),
    "sklearn.ensemble.RandomForestClassifier": ("RandomForestClassifier", None),
    "sklearn.ensemble.ExtraTreesClassifier": ("ExtraTreesClassifier", None),
    "sklearn.linear_model.LogisticRegression": (
        "LogisticRegression",
        _SCALED + "; max_iter=100 there, 1000 here",
    ),
    "SVC_rbf": ("SVC", _SCALED),
    "sklearn.neighbors.KNeighborsClassifier": ("KNeighborsClassifier", _SCALED),
    "sklearn.neural_network.MLPClassifier": ("MLPClassifier", _SCALED),
}
_TREES = {k for k, (_, why) in LCDB_LEARNERS.items() if why is None}

_PREPROCESSING = "LCDB: median/mode imputation, one-hot encoding (pandas.get_dummies), no scaling"
_CURVE_COLUMNS = ["openmlid", "learner", "size_train", "size_test", "outer_seed", "inner_seed"]


# -- the files ---------------------------------------------------------------------------------
class _Files:
    """LCDB's files in an installed package, a directory (sdist or its ``lcdb/``) or the
    sdist tarball; opened by name (``datasets.csv``, ``database-accuracy.csv``, ...)."""

    def __init__(self, path: str | Path | None) -> None:
        self.tar: Path | None = None
        self.members: dict[str, str] = {}
        if path is None:
            spec = importlib.util.find_spec("lcdb")  # locates the package without importing it
            if spec is None or spec.origin is None:
                raise DataError(
                    "LCDB is not installed and no path was given. Install it with "
                    "'pip install lcdb==0.1.0', or give the path of its source distribution "
                    "(the lcdb-0.1.0.tar.gz tarball or the directory it extracts to)."
                )
            self.directory: Path | None = Path(spec.origin).parent
            self.where = f"the installed lcdb package ({self.directory})"
        else:
            path = Path(path)
            if not path.exists():
                raise DataError(
                    f"The LCDB path '{path}' does not exist. Give the lcdb-0.1.0.tar.gz "
                    "tarball or the directory it extracts to."
                )
            if path.is_file():
                if not tarfile.is_tarfile(path):
                    raise DataError(
                        f"'{path}' is neither a directory nor a tar archive. Give LCDB's "
                        "source distribution (lcdb-0.1.0.tar.gz) or the directory it "
                        "extracts to."
                    )
                self.directory = None
                self.tar = path
                with tarfile.open(path) as tf:
                    for m in tf.getmembers():
                        if m.isfile():
                            self.members.setdefault(m.name.rsplit("/", 1)[-1], m.name)
            else:
                candidates = [path, path / "lcdb", *sorted(path.glob("*/lcdb"))]
                found = [c for c in candidates if (c / "datasets.csv").is_file()]
                self.directory = found[0] if found else path
            self.where = str(path)
        if not self.exists("datasets.csv"):
            raise DataError(
                f"No LCDB datasets.csv in {self.where}. The installed package holds the "
                "tables only when installed from the source distribution; give the path of "
                "lcdb-0.1.0.tar.gz or of the directory it extracts to."
            )

    def exists(self, name: str) -> bool:
        if self.tar is not None:
            return name in self.members
        assert self.directory is not None
        return (self.directory / name).is_file()

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        if not self.exists(name):
            raise DataError(f"LCDB's table {name} is not in {self.where}.")
        if self.tar is not None:
            with tarfile.open(self.tar) as tf:
                fh = tf.extractfile(self.members[name])
                assert fh is not None
                yield fh
        else:
            assert self.directory is not None
            with (self.directory / name).open("rb") as fh:
                yield fh

    def identity(self, name: str) -> str:
        """Name and size: what the ledger key of a table depends on."""
        if self.tar is not None:
            return f"{name}:{self.tar.stat().st_size}"
        assert self.directory is not None
        return f"{name}:{(self.directory / name).stat().st_size}"

    def version(self) -> str:
        text = ""
        if self.tar is not None:
            for name in ("PKG-INFO",):
                if name in self.members:
                    with self.open(name) as fh:
                        text = fh.read().decode("utf8", "replace")
        else:
            assert self.directory is not None
            for pkg_info in (
                self.directory / "PKG-INFO",
                self.directory.parent / "PKG-INFO",
                *self.directory.parent.glob("lcdb-*.dist-info/METADATA"),
            ):
                if pkg_info.is_file():
                    text = pkg_info.read_text(encoding="utf8", errors="replace")
                    break
        for line in text.splitlines():
            if line.startswith("Version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"


def _qualities(files: _Files) -> pd.DataFrame:
    with files.open("datasets.csv") as fh:
        frame = pd.read_csv(fh)
    frame = frame.set_index("openmlid")
    if "MajorityClassPercentage" not in frame.columns:
        frame["MajorityClassPercentage"] = (
            100.0 * frame["MajorityClassSize"] / frame["NumberOfInstances"]
        )
    return frame


def _quality_columns(frame: pd.DataFrame) -> list[str]:
    import metafeatures

    names = metafeatures.openml_quality_names()
    return [c for c in names if c in frame.columns]


# -- reading and aggregating the curve tables --------------------------------------------------
def _aggregate_table(
    files: _Files,
    metric: str,
    *,
    score: str,
    keep: Callable[[pd.DataFrame], pd.Series],
    openml_ids: set[int] | None,
    chunksize: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean over seeds per (openmlid, learner, size_train) of the kept rows, and the count
    of all rows per (openmlid, learner) (for the unmapped report)."""
    score_col = f"score_{score}"
    sums: list[pd.DataFrame] = []
    seeds: list[pd.DataFrame] = []
    counts: list[pd.Series] = []
    keys = ["openmlid", "learner", "size_train"]
    with files.open(f"database-{metric}.csv") as fh:
        reader = pd.read_csv(
            fh,
            usecols=[*_CURVE_COLUMNS, "traintime", score_col],
            dtype={
                "openmlid": "int64",
                "learner": "str",
                "size_train": "int64",
                "size_test": "int64",
                "outer_seed": "int64",
                "inner_seed": "int64",
                "traintime": "float64",
                score_col: "float64",
            },
            chunksize=chunksize,
        )
        for chunk in reader:
            if openml_ids is not None:
                chunk = chunk.loc[chunk["openmlid"].isin(openml_ids)]
            counts.append(chunk.groupby(["openmlid", "learner"]).size())
            chunk = chunk.loc[keep(chunk)]
            if not len(chunk):
                continue
            chunk = chunk.assign(
                score=chunk[score_col],
                score_sq=chunk[score_col] ** 2,
                n=chunk[score_col].notna().astype("int64"),
                rows=1,
                n_time=chunk["traintime"].notna().astype("int64"),
            )
            g = chunk.groupby(keys)
            sums.append(
                g.agg(
                    score=("score", "sum"),
                    score_sq=("score_sq", "sum"),
                    n=("n", "sum"),
                    rows=("rows", "sum"),
                    traintime=("traintime", "sum"),
                    n_time=("n_time", "sum"),
                    size_test=("size_test", "max"),
                )
            )
            seeds.append(chunk[[*keys, "outer_seed", "inner_seed"]].drop_duplicates())
    count = (
        pd.concat(counts).groupby(level=[0, 1]).sum()
        if counts
        else pd.Series(dtype="int64", index=pd.MultiIndex.from_tuples([], names=keys[:2]))
    )
    count = count.rename("count").reset_index()
    if not sums:
        empty = pd.DataFrame(
            columns=[*keys, "size_test", "n_seeds", "n_rows", "score", "score_std", "fit_time"]
        )
        return empty, count
    total = (
        pd.concat(sums)
        .groupby(level=[0, 1, 2])
        .agg(
            {
                "score": "sum",
                "score_sq": "sum",
                "n": "sum",
                "rows": "sum",
                "traintime": "sum",
                "n_time": "sum",
                "size_test": "max",
            }
        )
    )
    mean = total["score"] / total["n"].replace(0, np.nan)
    var = (total["score_sq"] / total["n"].replace(0, np.nan) - mean**2).clip(lower=0)
    n_seed = total["n"]
    out = pd.DataFrame(
        {
            "size_test": total["size_test"].astype("int64"),
            "n_seeds": n_seed.astype("int64"),  # measurements with a score
            "n_rows": total["rows"].astype("int64"),  # all measurements
            "score": mean,
            # sample standard deviation over the seed pairs
            "score_std": np.sqrt(var * n_seed / (n_seed - 1).replace(0, np.nan)),
            "fit_time": total["traintime"] / total["n_time"].replace(0, np.nan),
        }
    )
    s = pd.concat(seeds).drop_duplicates()
    seed_lists = s.groupby(keys).agg(
        outer_seeds=("outer_seed", lambda v: sorted(set(int(x) for x in v))),
        inner_seeds=("inner_seed", lambda v: sorted(set(int(x) for x in v))),
    )
    out = out.join(seed_lists).reset_index()
    return out, count


def _ledger_entry(metric: str, agg: pd.DataFrame, count: pd.DataFrame) -> dict[str, Any]:
    return {
        "metric": metric,
        "agg": json.loads(agg.to_json(orient="split", index=False)),
        "count": json.loads(count.to_json(orient="split", index=False)),
    }


def _ledger_frames(entry: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    def frame(split: Mapping[str, Any]) -> pd.DataFrame:
        return pd.DataFrame(split["data"], columns=split["columns"])

    return frame(entry["agg"]), frame(entry["count"])


def _check_score(score: str) -> None:
    if score not in ("test", "valid"):
        raise ParameterError(f"The 'score' parameter must be 'test' or 'valid'. Got {score!r}.")


def _lcdb_metric_names(metrics: Sequence[str]) -> list[str]:
    if isinstance(metrics, str):
        metrics = [metrics]
    out = []
    for m in metrics:
        if m in _OURS_TO_LCDB:
            out.append(_OURS_TO_LCDB[m])
        elif m in LCDB_METRICS:
            out.append(m)
        else:
            raise ParameterError(
                f"LCDB has no metric {m!r}. Allowed: {sorted(_OURS_TO_LCDB)} (our names) or "
                f"{sorted(LCDB_METRICS)} (LCDB's); LCDB has no balanced accuracy."
            )
    if not out:
        raise ParameterError("The 'metrics' parameter must name at least one metric.")
    return list(dict.fromkeys(out))


def _thin(sizes: np.ndarray, k: int) -> set[int]:
    """At most ``k`` of the sorted ``sizes``: evenly spread over the (geometric) anchors,
    always with the largest."""
    if len(sizes) <= k:
        return set(int(s) for s in sizes)
    if k == 1:
        return {int(sizes[-1])}
    idx = np.unique(np.round(np.linspace(0, len(sizes) - 1, k)).astype(int))
    return set(int(sizes[i]) for i in idx)


# -- the importer ------------------------------------------------------------------------------
def import_lcdb(
    path: str | Path | None = None,
    *,
    metrics: Sequence[str] = ("accuracy", "roc_auc", "log_loss"),
    datasets: Sequence[int] | None = None,
    max_rows_per_curve: int | None = None,
    score: str = "test",
    same_preprocessing: bool = True,
    ledger: str | Path | None = None,
    chunksize: int = 500_000,
) -> ImportResult:
    """Import LCDB's learning curves as knowledge-base runs (see the module docstring).

    Parameters
    ----------
    path : path, optional
        LCDB's source distribution (``lcdb-0.1.0.tar.gz``) or the directory it extracts to;
        by default the installed ``lcdb`` package.
    metrics : sequence of str
        Our metric names (``accuracy``, ``roc_auc``, ``log_loss``) or LCDB's (``accuracy``,
        ``auc``, ``logloss``). The first one's table decides which runs exist and is where
        unmapped measurements are counted.
    datasets : sequence of int, optional
        OpenML dataset ids to import (default: all).
    max_rows_per_curve : int, optional
        At most this many runs (training sizes) per dataset and learner, spread evenly over
        LCDB's geometric anchors and always including the largest; the dropped measurements
        are counted as ``"beyond max runs per curve"``.
    score : {"test", "valid"}
        LCDB's score column to read.
    same_preprocessing : bool, default=True
        Import tree learners only on datasets where LCDB's preprocessing gives what ours
        gives (no categorical feature, no missing value).
    ledger : path, optional
        JSON-lines file of finished tables; an interrupted import resumes from it.
    chunksize : int
        Rows read at a time (memory stays modest).

    Returns
    -------
    ImportResult
        Source ``lcdb``; ``info`` holds LCDB's version and the options.

    Examples
    --------
    >>> from autometa.kb import import_lcdb
    >>> result = import_lcdb("tests/fixtures/lcdb")  # doctest: +SKIP
    >>> kb = result.to_knowledge_base()  # doctest: +SKIP
    """
    _check_score(score)
    wanted = _lcdb_metric_names(metrics)
    if max_rows_per_curve is not None and (
        not isinstance(max_rows_per_curve, (int, np.integer)) or max_rows_per_curve < 1
    ):
        raise ParameterError(
            "The 'max_rows_per_curve' parameter must be an int >= 1 or None. "
            f"Got {max_rows_per_curve!r} instead."
        )
    files = _Files(path)
    for m in wanted:
        if not files.exists(f"database-{m}.csv"):
            raise DataError(f"LCDB's table database-{m}.csv is not in {files.where}.")
    version = files.version()
    qualities = _qualities(files)
    described = set(int(i) for i in qualities.index)
    if "NumberOfSymbolicFeatures" in qualities.columns:
        clean = set(
            int(i)
            for i in qualities.index[
                (qualities["NumberOfSymbolicFeatures"].fillna(2) <= 1)
                & (qualities["NumberOfMissingValues"].fillna(1) == 0)
            ]
        )
    else:  # pragma: no cover - every LCDB release has these qualities
        clean = set()
    openml_ids = None if datasets is None else set(int(i) for i in datasets)

    def keep(chunk: pd.DataFrame) -> pd.Series:
        ok = chunk["learner"].isin(_TREES) & chunk["openmlid"].isin(described)
        if same_preprocessing:
            ok &= chunk["openmlid"].isin(clean)
        return ok

    options = {
        "tables": [files.identity(f"database-{m}.csv") for m in wanted],
        "score": score,
        "datasets": sorted(openml_ids) if openml_ids is not None else None,
        "same_preprocessing": same_preprocessing,
        "version": 2,
    }
    key = hashlib.sha1(json.dumps(options, sort_keys=True).encode()).hexdigest()[:12]
    book = Ledger(Path(ledger) if ledger is not None else None, key, "metric")
    finished = book.done()
    tables: dict[str, pd.DataFrame] = {}
    first_count: pd.DataFrame | None = None
    for m in wanted:
        if m in finished:
            logger.info("LCDB %s: taken from the ledger", m)
            agg, count = _ledger_frames(finished[m])
        else:
            logger.info("LCDB %s: reading database-%s.csv", m, m)
            agg, count = _aggregate_table(
                files, m, score=score, keep=keep, openml_ids=openml_ids, chunksize=chunksize
            )
            book.record(_ledger_entry(m, agg, count))
        tables[m] = agg
        if first_count is None:
            first_count = count
    assert first_count is not None
    base = tables[wanted[0]]

    # -- unmapped, counted in measurements of the first table
    skipped: dict[str, int] = {}
    examples: dict[str, str] = {}

    def skip(reason: str, n: int, example: str) -> None:
        if n:
            skipped[reason] = skipped.get(reason, 0) + int(n)
            examples.setdefault(reason, example)

    for r in first_count.itertuples(index=False):
        lid, learner, n = int(r.openmlid), str(r.learner), int(r.count)
        if learner not in LCDB_LEARNERS:
            skip("learner not in registry", n, f"{learner} (no registry learner)")
        elif lid not in described:
            skip("dataset without qualities", n, f"OpenML dataset {lid} is not in datasets.csv")
        elif learner not in _TREES:
            skip("preprocessing differs", n, f"{learner}: {LCDB_LEARNERS[learner][1]}")
        elif same_preprocessing and lid not in clean:
            skip(
                "preprocessing differs",
                n,
                f"{learner} on OpenML dataset {lid}: categorical features or missing values "
                "(LCDB one-hot encodes and imputes without indicator)",
            )
    # measurements of kept groups whose score is missing in the first table
    if len(base):
        skip(
            "metric not available",
            int((base["n_rows"] - base["n_seeds"]).sum()),
            f"no {wanted[0]} score in LCDB for some measurements",
        )
        base = base.loc[base["score"].notna()]

    # -- thinning
    if max_rows_per_curve is not None and len(base):
        kept_parts = []
        for (_, _), part in base.groupby(["openmlid", "learner"], sort=False):
            sizes = np.sort(part["size_train"].to_numpy())
            keep_sizes = _thin(sizes, int(max_rows_per_curve))
            sel = part["size_train"].isin(keep_sizes)
            skip(
                "beyond max runs per curve",
                int(part.loc[~sel, "n_seeds"].sum()),
                f"more than {max_rows_per_curve} training sizes per curve",
            )
            kept_parts.append(part.loc[sel])
        base = pd.concat(kept_parts, ignore_index=True)

    # -- tables
    configs = {
        str(LCDB_LEARNERS[t][0]): get_learner(str(LCDB_LEARNERS[t][0])).default_configuration()
        for t in sorted(_TREES)
    }
    keys = ["openmlid", "learner", "size_train"]
    runs = base[[*keys, "size_test", "n_seeds", "fit_time", "outer_seeds", "inner_seeds"]].copy()
    stds: dict[str, pd.Series] = {}
    for m in wanted:
        ours = LCDB_METRICS[m]
        t = tables[m].set_index(keys)
        idx = pd.MultiIndex.from_frame(runs[keys])
        runs[ours] = t["score"].reindex(idx).to_numpy() if len(t) else np.nan
        stds[ours] = (
            pd.Series(t["score_std"].reindex(idx).to_numpy(), index=runs.index)
            if len(t)
            else pd.Series(np.nan, index=runs.index)
        )
    rows = []
    for i, r in enumerate(runs.itertuples(index=False)):
        learner = LCDB_LEARNERS[r.learner][0]  # type: ignore[assignment]
        assert learner is not None
        config = configs[learner]
        prov = {
            "lcdb_version": version,
            "lcdb_learner": r.learner,
            "openml_id": int(r.openmlid),
            "score": f"score_{score}",
            "size_train": int(r.size_train),
            "size_test": int(r.size_test),
            "n_seed_pairs": int(r.n_seeds),
            "outer_seeds": list(r.outer_seeds),
            "inner_seeds": list(r.inner_seeds),
            "aggregation": "mean over seed pairs",
            "std": {
                k: (None if math.isnan(v) else round(float(v), 6))
                for k, v in ((k, s.iloc[i]) for k, s in stds.items())
            },
            "preprocessing": _PREPROCESSING,
        }
        row: dict[str, Any] = {
            "dataset_id": f"lcdb/{int(r.openmlid)}",
            "config_id": config.config_id,
            "fit_time": float(r.fit_time),
            "predict_time": float("nan"),
            "n_folds": int(r.n_seeds),
            "n_rows_used": int(r.size_train) + int(r.size_test),
            "n_train_rows": int(r.size_train),
            "status": "ok",
            "error": "",
            "source": "lcdb",
            "provenance": json.dumps(prov, sort_keys=True),
        }
        for m in wanted:
            ours = LCDB_METRICS[m]
            row[ours] = float(getattr(r, ours)) if hasattr(r, ours) else float("nan")
        rows.append(row)
    runs_frame = pd.DataFrame(rows, columns=TABLE_COLUMNS["runs"])
    for col in ("n_rows_used", "n_train_rows"):
        runs_frame[col] = runs_frame[col].astype("Int64")

    used_ids = sorted(set(int(i) for i in base["openmlid"])) if len(base) else []
    qcols = _quality_columns(qualities)
    ds_rows = []
    for lid in used_ids:
        q = qualities.loc[lid]
        ds_rows.append(
            {
                "dataset_id": f"lcdb/{lid}",
                "name": str(q.get("Name", lid)),
                "source": "lcdb",
                "task": "classification",
                "n_rows": int(q["NumberOfInstances"]),
                "n_features": int(q["NumberOfFeatures"]) - 1,  # OpenML counts the target
                "n_classes": int(q["NumberOfClasses"]),
                "family": str(q.get("Name", lid)),
                "openml_id": lid,
            }
        )
    ds_frame = pd.DataFrame(ds_rows, columns=TABLE_COLUMNS["datasets"])
    mf = (
        qualities.loc[used_ids, qcols].astype("float64")
        if used_ids
        else pd.DataFrame(columns=qcols, dtype="float64")
    )
    mf.index = pd.Index([f"lcdb/{i}" for i in used_ids], name="dataset_id", dtype="object")
    used_configs = set(runs_frame["config_id"])
    cfg_frame = pd.DataFrame(
        [
            {
                "config_id": c.config_id,
                "learner": c.learner,
                "task": c.task,
                "params": c.params_json,
                "origin": "default",
            }
            for c in configs.values()
            if c.config_id in used_configs
        ],
        columns=TABLE_COLUMNS["configurations"],
    )
    from autometa.kb._flows import REASONS

    unmapped = pd.DataFrame(
        [
            {"reason": r, "count": skipped[r], "example": examples.get(r, "")}
            for r in REASONS
            if skipped.get(r)
        ],
        columns=list(UNMAPPED_COLUMNS),
    )
    info = {
        "source": "lcdb",
        "lcdb_version": version,
        "lcdb_path": files.where,
        "score": f"score_{score}",
        "metrics": [LCDB_METRICS[m] for m in wanted],
        "aggregation": "one run per (dataset, configuration, training size): mean over seeds",
        "same_preprocessing": same_preprocessing,
        "max_rows_per_curve": max_rows_per_curve,
        "datasets": options["datasets"],
    }
    return ImportResult(ds_frame, cfg_frame, runs_frame, mf, unmapped, info)


# -- tables for measurements and the cost model ------------------------------------------------
def lcdb_curves(
    path: str | Path | None = None,
    *,
    metric: str = "accuracy",
    learners: Sequence[str] | None = None,
    datasets: Sequence[int] | None = None,
    score: str = "test",
    chunksize: int = 500_000,
) -> pd.DataFrame:
    """LCDB's learning curves of every learner (mapped or not), averaged over seeds.

    Returns
    -------
    DataFrame
        One row per (OpenML dataset, LCDB learner, training size): ``openml_id``,
        ``learner`` (LCDB's name), ``autometa_learner`` (the registry learner of the same
        estimator class, or missing; its preprocessing may differ, see
        :data:`LCDB_LEARNERS`), ``n_train_rows``, ``size_test``, ``n_seeds``, ``score``,
        ``score_std``, ``fit_time`` (mean seconds).
    """
    _check_score(score)
    (m,) = _lcdb_metric_names([metric])
    files = _Files(path)
    wanted = None if learners is None else set(learners)

    def keep(chunk: pd.DataFrame) -> pd.Series:
        if wanted is None:
            return pd.Series(True, index=chunk.index)
        return chunk["learner"].isin(wanted)

    agg, _ = _aggregate_table(
        files,
        m,
        score=score,
        keep=keep,
        openml_ids=None if datasets is None else set(int(i) for i in datasets),
        chunksize=chunksize,
    )
    out = agg.rename(columns={"openmlid": "openml_id", "size_train": "n_train_rows"})
    out.insert(
        2,
        "autometa_learner",
        out["learner"].map(lambda v: LCDB_LEARNERS.get(v, (None, None))[0]).astype("string"),
    )
    return out.drop(columns=["outer_seeds", "inner_seeds", "n_rows"]).reset_index(drop=True)


def lcdb_fit_times(
    path: str | Path | None = None, *, learners: Sequence[str] | None = None
) -> pd.DataFrame:
    """LCDB's measured training times, as training data for a cost model.

    Returns
    -------
    DataFrame
        One row per (OpenML dataset, LCDB learner, training size): ``learner`` (LCDB's
        name), ``autometa_learner``, ``openml_id``, ``n_train_rows``, ``n_features`` (of
        the data, as OpenML counts them without the target), ``n_features_binarized``
        (after LCDB's one-hot encoding: what the learner saw), ``n_classes``, ``fit_time``
        (mean seconds over ``n_seeds`` fits), ``n_seeds``. Datasets missing from
        LCDB's ``datasets.csv`` are left out (their sizes are unknown).
    """
    files = _Files(path)
    curves = lcdb_curves(path, metric="accuracy", learners=learners)
    q = _qualities(files)
    sizes = pd.DataFrame(
        {
            "openml_id": q.index.astype("int64"),
            "n_features": (q["NumberOfFeatures"] - 1).astype("Int64").to_numpy(),
            "n_features_binarized": q.get(
                "NumberOfFeaturesAfterBinarization", pd.Series(np.nan, index=q.index)
            )
            .astype("Int64")
            .to_numpy(),
            "n_classes": q["NumberOfClasses"].astype("Int64").to_numpy(),
        }
    )
    out = curves.merge(sizes, on="openml_id", how="inner")
    return out[
        [
            "learner",
            "autometa_learner",
            "openml_id",
            "n_train_rows",
            "n_features",
            "n_features_binarized",
            "n_classes",
            "fit_time",
            "n_seeds",
        ]
    ].reset_index(drop=True)
