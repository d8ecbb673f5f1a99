"""The knowledge base: datasets, configurations and runs of configurations on datasets.

Examples
--------
>>> from autometa.kb import KnowledgeBase, DEFAULT_METRIC
>>> kb = KnowledgeBase()
>>> DEFAULT_METRIC["classification"]
'balanced_accuracy'
"""

from __future__ import annotations

from autometa.kb._datasets import DatasetSpec, discover_datasets, load_dataset
from autometa.kb._import_runs import ImportResult, import_runs
from autometa.kb._lcdb import LCDB_LEARNERS, LCDB_METRICS, import_lcdb, lcdb_curves, lcdb_fit_times
from autometa.kb._openml import OPENML_MEASURES, import_openml
from autometa.kb._progress import ProgressEvent
from autometa.kb._runner import (
    BuildSettings,
    BuildSummary,
    build_knowledge_base,
    refresh_metafeatures,
)
from autometa.kb._schema import (
    DEFAULT_METRIC,
    FORMAT_NAME,
    METRICS,
    RUN_KEY,
    RUN_STATUSES,
    SCHEMA_VERSION,
    SIDE_SOURCES,
    TABLE_COLUMNS,
    Metric,
    metrics_for,
)
from autometa.kb._search import SearchResult, search_configurations
from autometa.kb._store import KnowledgeBase, KnowledgeBaseSummary

__all__ = [
    "ImportResult",
    "OPENML_MEASURES",
    "import_openml",
    "import_runs",
    "LCDB_LEARNERS",
    "LCDB_METRICS",
    "import_lcdb",
    "lcdb_curves",
    "lcdb_fit_times",
    "DEFAULT_METRIC",
    "FORMAT_NAME",
    "METRICS",
    "RUN_KEY",
    "RUN_STATUSES",
    "SCHEMA_VERSION",
    "SIDE_SOURCES",
    "TABLE_COLUMNS",
    "BuildSettings",
    "BuildSummary",
    "ProgressEvent",
    "DatasetSpec",
    "KnowledgeBase",
    "KnowledgeBaseSummary",
    "Metric",
    "build_knowledge_base",
    "discover_datasets",
    "load_dataset",
    "metrics_for",
    "refresh_metafeatures",
    "SearchResult",
    "search_configurations",
]
