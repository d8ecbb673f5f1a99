"""Where meta-model classes are registered by name (for loading and the CLI)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from autometa._exceptions import ModelError

if TYPE_CHECKING:
    from autometa.models._base import MetaModel

# name -> "module:Class"; a new meta-model is one line here.
_MODELS: dict[str, str] = {
    # baselines (autometa/models/_baselines.py)
    "defaults": "autometa.models._baselines:DefaultsModel",
    "sbs": "autometa.models._baselines:SingleBest",
    "portfolio": "autometa.models._baselines:GreedyPortfolio",
    "nearest": "autometa.models._baselines:NearestDatasets",
    "nearest50": "autometa.models._baselines:NearestDatasets50",
    # torch models (autometa/models/_surrogate.py, _prototypes.py, _maml.py)
    "surrogate": "autometa.models._surrogate:Surrogate",
    "prototypes": "autometa.models._prototypes:PrototypeModel",
    "maml": "autometa.models._maml:WarmStartSurrogate",
}


def model_names() -> list[str]:
    return list(_MODELS)


def model_class(name: str) -> type[MetaModel]:
    try:
        module, _, cls = _MODELS[name].partition(":")
    except KeyError:
        raise ModelError(
            f"Unknown meta-model '{name}'. Known meta-models are: {', '.join(_MODELS)}."
        ) from None
    return getattr(importlib.import_module(module), cls)
