"""Meta-features of tabular datasets, for meta-learning.

``metafeatures`` turns a dataset (a DataFrame or array ``X`` and optionally a target
``y``) into a :class:`pandas.Series` of named, deterministic meta-features::

    >>> import numpy as np, metafeatures
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
    >>> mf = metafeatures.extract(X, y)
    >>> mf["NumberOfInstances"]
    200.0

Groups (:data:`GROUPS`; :data:`DEFAULT_GROUPS` are computed by default)
-------------------------------------------------------------------------
``general``
    Counts, ratios and logs, missing values, class balance or target statistics.
``statistical``
    Summaries of per-feature moments, correlations, PCA, outliers.
``info_theory``
    Attribute entropies, mutual information with the target, equivalent number of
    attributes, noise-to-signal ratio (bits).
``landmarking``
    Cross-validated scores of cheap learners on at most 2,000 rows.
``openml``
    OpenML's data qualities with OpenML's names (unprefixed) and definitions.
``openml_landmarking`` (not default)
    Approximations of OpenML's Weka landmarker qualities (``DecisionStumpAUC``, ...).

Names are stable: ``<group>.<snake_case>`` for our groups and OpenML's exact quality
names for the OpenML groups. :func:`describe` lists every name with its description;
:func:`feature_names` lists those returned for given groups and task.

Full data vs subsample
----------------------
Counts (rows, missing values, classes) use the full data; everything else uses a
deterministic subsample of at most 100,000 rows (stratified by class), and the
landmarkers at most 2,000 (``landmarking``) or 5,000 (``openml_landmarking``) rows.

Speed
-----
Per-call overhead is a fraction of a millisecond on small tables (no per-column pandas
work for numeric data, numpy arrays are used without a DataFrame round trip, entropies
and mutual information of all columns come from one ``bincount``). BLAS and OpenMP
pools run single-threaded during extraction (they are restored afterwards): the
matrices are small, and on a busy machine their spinning threads cost seconds.

The task (``task=None``, or ``"auto"``, the same) is inferred from the target by
:func:`infer_task`, the one rule autometa uses too (see ``metafeatures/_task.py``).

Invalid input raises :class:`MetaFeatureError` (a ``ValueError``); degenerate but
legal data gives NaN and a :class:`MetaFeatureWarning`.
"""

from __future__ import annotations

from metafeatures._base import MetaFeatureError, MetaFeatureWarning
from metafeatures._data import stratified_subsample
from metafeatures._extract import (
    ExtractionReport,
    describe,
    extract,
    extract_report,
    feature_names,
    openml_quality_names,
)
from metafeatures._info_theory import n_bins
from metafeatures._registry import DEFAULT_GROUPS, GROUPS
from metafeatures._stats import discretize
from metafeatures._task import MAX_CLASSES, infer_task, is_ambiguous, task_summary

__all__ = [
    "discretize",
    "n_bins",
    "DEFAULT_GROUPS",
    "GROUPS",
    "MAX_CLASSES",
    "ExtractionReport",
    "MetaFeatureError",
    "MetaFeatureWarning",
    "describe",
    "extract",
    "extract_report",
    "feature_names",
    "infer_task",
    "is_ambiguous",
    "openml_quality_names",
    "stratified_subsample",
    "task_summary",
]
