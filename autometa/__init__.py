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
    OpenMLUnavailableError,
    ParameterError,
)

__version__ = "0.1.0"

__all__ = [
    "AutometaError",
    "DataError",
    "KnowledgeBaseError",
    "ModelError",
    "OpenMLUnavailableError",
    "ParameterError",
    "__version__",
]
