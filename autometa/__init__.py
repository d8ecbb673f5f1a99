"""autometa: meta-learning for scikit-learn.

Which learner and which hyperparameters to try first on a new tabular dataset, and how
to make a search converge faster, answered from a knowledge base of past runs.

Heavy parts (torch, optuna, openml) are imported only where they are used, so that
``import autometa`` stays fast.
"""

from __future__ import annotations

from autometa._exceptions import (
    AutometaError,
    DataError,
    KnowledgeBaseError,
    ModelError,
    ModelWarning,
    OpenMLUnavailableError,
    OutOfDistributionWarning,
    ParameterError,
    TaskInferenceWarning,
)

__version__ = "0.1.0"

# Lazy exports (module __getattr__), so that ``import autometa`` stays fast.
_LAZY = {
    "recommend": "autometa.recommend",
    "Recommendation": "autometa.recommend",
    "MetaClassifier": "autometa.estimators",
    "MetaRegressor": "autometa.estimators",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'autometa' has no attribute {name!r}")


__all__ = [
    "AutometaError",
    "DataError",
    "KnowledgeBaseError",
    "MetaClassifier",
    "MetaRegressor",
    "ModelError",
    "ModelWarning",
    "OpenMLUnavailableError",
    "OutOfDistributionWarning",
    "ParameterError",
    "Recommendation",
    "TaskInferenceWarning",
    "__version__",
    "recommend",
]
