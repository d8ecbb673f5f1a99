"""The tables of a knowledge base: their columns, types and meaning.

A knowledge base holds four tables, each a DataFrame:

``datasets`` (one row per dataset)
    ``dataset_id`` (str, key: ``"<source>/<name>"``, e.g. ``"pmlb/1028_SWD"``, ``"openml/2"``),
    ``name`` (str), ``source`` (str: ``pmlb``, ``openml``, ``file``, ``user``), ``task``
    (``classification`` | ``regression``), ``n_rows`` and ``n_features`` (int, of the full
    data), ``n_classes`` (int, 0 for regression), ``family`` (str: near-duplicates share it and
    are held out together in evaluation), ``openml_id`` (Int64, nullable).

``metafeatures`` (one row per dataset, index ``dataset_id``)
    One float column per meta-feature name of :mod:`metafeatures`; NaN where undefined.

``configurations`` (one row per configuration)
    ``config_id`` (str, key, :attr:`autometa.learners.Configuration.config_id`), ``learner``
    (str, a registry name), ``task`` (str), ``params`` (str: canonical JSON of the complete
    hyperparameters), ``origin`` (str: ``default``, ``sobol``, ``openml``, ``optuna``,
    ``search``, ``import``).

``runs`` (one row per evaluation of a configuration on a dataset by one source)
    ``dataset_id``, ``config_id`` (str), the metrics of :data:`METRICS` (float, see
    :mod:`autometa._metrics`; NaN where not applicable: probability metrics for learners
    without probabilities, classification metrics on regression), ``fit_time`` and ``predict_time`` (float, mean seconds per fold),
    ``n_folds`` (int), ``n_rows_used`` (Int64, nullable: the rows of data the run was
    measured on, before its cross-validation split; a subsample of the dataset or all of it),
    ``n_train_rows`` (Int64, nullable: the mean number of rows each fit was trained on),
    ``status`` (``ok`` | ``failed`` | ``timeout``), ``error`` (str, empty when ok),
    ``source`` (str: ``runner``, ``hpo``, ``openml``, ``optuna``, ``search``, ``import``,
    ``lcdb``), ``provenance`` (str: JSON with what produced the run: folds, subsampling, seeds,
    versions, OpenML run/task ids, ...).

The dense matrix: the runs of the knowledge base's pool on its datasets at their reference size,
what meta-models and evaluation compare configurations on
(:meth:`~autometa.kb.KnowledgeBase.dense`). Runs of :data:`SIDE_SOURCES` are kept apart
from it.

Schema history: version 2 added ``n_rows_used`` and ``n_train_rows`` to the runs (and to their
key, so one configuration can be measured on one dataset at several data sizes); version 1
knowledge bases are read and upgraded on load.
"""

from __future__ import annotations

from autometa._metrics import DEFAULT_METRIC, METRICS, Metric, metrics_for

__all__ = [
    "SCHEMA_VERSION",
    "FORMAT_NAME",
    "Metric",
    "METRICS",
    "DEFAULT_METRIC",
    "TABLE_COLUMNS",
    "RUN_KEY",
    "RUN_STATUSES",
    "SIDE_SOURCES",
    "COLUMN_DTYPES",
    "COLUMN_DEFAULTS",
    "metrics_for",
]

FORMAT_NAME = "autometa-knowledge-base"
SCHEMA_VERSION = 2


DATASET_COLUMNS = (
    "dataset_id",
    "name",
    "source",
    "task",
    "n_rows",
    "n_features",
    "n_classes",
    "family",
    "openml_id",
)
CONFIGURATION_COLUMNS = ("config_id", "learner", "task", "params", "origin")
RUN_COLUMNS = (
    "dataset_id",
    "config_id",
    *METRICS,
    "fit_time",
    "predict_time",
    "n_folds",
    "n_rows_used",
    "n_train_rows",
    "status",
    "error",
    "source",
    "provenance",
)
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "datasets": DATASET_COLUMNS,
    "configurations": CONFIGURATION_COLUMNS,
    "runs": RUN_COLUMNS,
}
# A run is identified by these; adding a run with the same key replaces the old one.
RUN_KEY = ("dataset_id", "config_id", "source", "n_rows_used")
RUN_STATUSES = ("ok", "failed", "timeout")
#: Run sources kept apart from the dense matrix, as a second source: the Learning Curve
#: Database (``lcdb``) measured three default configurations at many training sizes, on
#: datasets described by OpenML's qualities only, and has no balanced accuracy. Their runs
#: and datasets stay in the knowledge base (the cost model fits on their times), but the
#: methods that compare the pool across datasets use the other sources' runs only, unless a
#: task has no other (an LCDB import alone is its own matrix).
SIDE_SOURCES = ("lcdb",)


# The dtype of every column ("str" is pandas' string dtype). Loading and the constructor cast
# to these; a column that cannot be cast is an error naming the table and the column.
COLUMN_DTYPES: dict[str, dict[str, str]] = {
    "datasets": {
        "dataset_id": "str",
        "name": "str",
        "source": "str",
        "task": "str",
        "n_rows": "int64",
        "n_features": "int64",
        "n_classes": "int64",
        "family": "str",
        "openml_id": "Int64",
    },
    "configurations": {c: "str" for c in CONFIGURATION_COLUMNS},
    "runs": {
        "dataset_id": "str",
        "config_id": "str",
        **{m: "float64" for m in METRICS},
        "fit_time": "float64",
        "predict_time": "float64",
        "n_folds": "int64",
        "n_rows_used": "Int64",
        "n_train_rows": "Int64",
        "status": "str",
        "error": "str",
        "source": "str",
        "provenance": "str",
    },
}

# Columns that may be left out of a frame given to the knowledge base, and the value they get.
# Every other column is required.
COLUMN_DEFAULTS: dict[str, dict[str, object]] = {
    "datasets": {"openml_id": None},
    "configurations": {},
    "runs": {
        **{m: float("nan") for m in METRICS},
        "fit_time": float("nan"),
        "predict_time": float("nan"),
        "n_rows_used": None,
        "n_train_rows": None,
        "error": "",
        "provenance": "{}",
    },
}

# Key columns of each table: never missing, unique within the table.
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "datasets": ("dataset_id",),
    "configurations": ("config_id",),
    "runs": RUN_KEY,
}
