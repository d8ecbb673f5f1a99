"""Meta-models: predict how well each configuration does on a new dataset.

All meta-models share :class:`MetaModel` (fit on :class:`TaskData`, predict normalized
scores, rank configurations given the trials observed so far, save/load without pickles).
"""

from __future__ import annotations

from autometa.models._base import (
    MODEL_SCHEMA_VERSION,
    Adaptive,
    Explainer,
    MetaModel,
    OODScorer,
    Prediction,
    TaskData,
    abilities,
)
from autometa.models._baselines import (
    DefaultsModel,
    GreedyPortfolio,
    NearestDatasets,
    NearestDatasets50,
    SingleBest,
)
from autometa.models._defaults import default_models_dir, load_default_model, load_models_index
from autometa.models._registry import model_class, model_names

# The torch models are imported on first use, so that ``import autometa.models`` does not
# import torch.
_LAZY = {
    "Surrogate": "autometa.models._surrogate",
    "PrototypeModel": "autometa.models._prototypes",
    "WarmStartSurrogate": "autometa.models._maml",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODEL_SCHEMA_VERSION",
    "Adaptive",
    "Explainer",
    "OODScorer",
    "abilities",
    "DefaultsModel",
    "GreedyPortfolio",
    "NearestDatasets",
    "NearestDatasets50",
    "PrototypeModel",
    "Surrogate",
    "WarmStartSurrogate",
    "SingleBest",
    "MetaModel",
    "Prediction",
    "TaskData",
    "default_models_dir",
    "load_default_model",
    "load_models_index",
    "model_class",
    "model_names",
]
