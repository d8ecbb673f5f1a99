"""Meta-models: predict how well each configuration does on a new dataset.

All meta-models share :class:`MetaModel` (fit on :class:`TaskData`, predict normalized
scores, rank configurations given the trials observed so far, save/load without pickles).
"""

from __future__ import annotations

from autometa.models._acquisition import expected_improvement
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
from autometa.models._cost import CostModel
from autometa.models._defaults import (
    MODELS_INDEX_FORMAT,
    MODELS_INDEX_SCHEMA_VERSION,
    default_models_dir,
    load_default_model,
    load_models_index,
)
from autometa.models._intervals import IntervalCalibration
from autometa.models._registry import model_class, model_names, register_model
from autometa.models._space import MetaFeatureSpace


def __getattr__(name: str) -> object:
    # The torch models (Surrogate, PrototypeModel, MAMLSurrogate, ...) are imported on first
    # use, through the registry. Their modules do not import torch either: they predict in
    # numpy and import torch only to train or adapt (autometa/models/_torch_nets.py).
    from autometa.models._registry import registered_class

    if name == "WarmStartSurrogate":
        import warnings

        warnings.warn(
            "autometa.models.WarmStartSurrogate is renamed MAMLSurrogate (the same class); "
            "the old name will be removed in a future release.",
            FutureWarning,
            stacklevel=2,
        )
        name = "MAMLSurrogate"
    klass = registered_class(name) if name[:1].isupper() else None
    if klass is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return klass


__all__ = [
    "MODEL_SCHEMA_VERSION",
    "MODELS_INDEX_FORMAT",
    "MODELS_INDEX_SCHEMA_VERSION",
    "MetaFeatureSpace",
    "expected_improvement",
    "Adaptive",
    "CostModel",
    "Explainer",
    "IntervalCalibration",
    "OODScorer",
    "abilities",
    "DefaultsModel",
    "GreedyPortfolio",
    "NearestDatasets",
    "NearestDatasets50",
    "PrototypeModel",
    "Surrogate",
    "RelationSurrogate",
    "SetEncoderModel",
    "MAMLSurrogate",
    "ReptileSurrogate",
    "SimilarityModel",
    "SingleBest",
    "MetaModel",
    "Prediction",
    "TaskData",
    "default_models_dir",
    "load_default_model",
    "load_models_index",
    "model_class",
    "model_names",
    "register_model",
]
