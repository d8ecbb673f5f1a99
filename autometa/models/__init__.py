"""Meta-models: predict how well each configuration does on a new dataset.

All meta-models share :class:`MetaModel` (fit on :class:`TaskData`, predict normalized
scores, rank configurations given the trials observed so far, save/load without pickles).
"""

from __future__ import annotations

from autometa.models._base import MODEL_SCHEMA_VERSION, MetaModel, Prediction, TaskData
from autometa.models._baselines import DefaultsModel, GreedyPortfolio, NearestDatasets, SingleBest
from autometa.models._defaults import default_models_dir, load_default_model, load_models_index
from autometa.models._registry import model_class, model_names

__all__ = [
    "MODEL_SCHEMA_VERSION",
    "DefaultsModel",
    "GreedyPortfolio",
    "NearestDatasets",
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
