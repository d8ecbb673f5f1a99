"""The one registry of meta-models, keyed by name.

Every lookup of a meta-model goes through it: loading a saved model (``model.json`` names
its model), ``autometa models train --models``, the benchmark harness's methods, and the
lazy attributes of :mod:`autometa.models` (``autometa.models.Surrogate`` imports torch only
when asked for). A new meta-model is one module and one line in :data:`_MODELS` (or a call
to :func:`register_model` from outside the package); its class's ``name`` is its key.

Entries are ``"module:Class"`` strings, imported on first use (listing the models imports
none of them), or classes registered by :func:`register_model`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from autometa._exceptions import ModelError, ParameterError

if TYPE_CHECKING:
    from autometa.models._base import MetaModel

__all__ = ["model_class", "model_names", "register_model"]

# name -> "module:Class"; a new meta-model is one line here.
_MODELS: dict[str, str | type[MetaModel]] = {
    # baselines (autometa/models/_baselines.py)
    "defaults": "autometa.models._baselines:DefaultsModel",
    "sbs": "autometa.models._baselines:SingleBest",
    "portfolio": "autometa.models._baselines:GreedyPortfolio",
    "nearest": "autometa.models._baselines:NearestDatasets",
    "nearest50": "autometa.models._baselines:NearestDatasets50",
    # torch models (autometa/models/_surrogate.py, _relation.py, _prototypes.py, _maml.py,
    # _reptile.py, _similarity.py, _set_encoder.py)
    "surrogate": "autometa.models._surrogate:Surrogate",
    "relation": "autometa.models._relation:RelationSurrogate",
    "prototypes": "autometa.models._prototypes:PrototypeModel",
    "maml": "autometa.models._maml:MAMLSurrogate",
    "reptile": "autometa.models._reptile:ReptileSurrogate",
    "similarity": "autometa.models._similarity:SimilarityModel",
    "dataset2vec": "autometa.models._set_encoder:SetEncoderModel",
}


def model_names() -> list[str]:
    """The registered meta-model names, in registration order."""
    return list(_MODELS)


def model_class(name: str) -> type[MetaModel]:
    """The meta-model class registered as ``name``.

    Raises
    ------
    ModelError
        For a name that is not registered (the message lists the known names), or an
        entry that does not lead to a :class:`MetaModel` subclass named ``name``.
    """
    try:
        target = _MODELS[name]
    except (KeyError, TypeError):
        raise ModelError(
            f"Unknown meta-model '{name}'. Known meta-models are: {', '.join(_MODELS)}."
        ) from None
    return _import(name, target)


def register_model(name: str, target: str | type[MetaModel], *, replace: bool = False) -> None:
    """Register a meta-model class under ``name``.

    Parameters
    ----------
    name : str
        The key; it must equal the class's ``name`` attribute (what :meth:`MetaModel.save`
        writes, so that :meth:`MetaModel.load` finds the class again).
    target : str or MetaModel subclass
        The class, or ``"module:Class"`` (imported when first used).
    replace : bool, default=False
        Allow replacing an existing entry.
    """
    from autometa.models._base import MetaModel

    if not isinstance(name, str) or not name:
        raise ParameterError(
            f"The 'name' parameter of register_model must be a non-empty str. Got {name!r} instead."
        )
    if isinstance(target, type):
        if not issubclass(target, MetaModel):
            raise ParameterError(
                "The 'target' parameter of register_model must be a MetaModel subclass or "
                f"'module:Class'. Got {target.__name__} instead."
            )
    elif not isinstance(target, str) or target.count(":") != 1:
        raise ParameterError(
            "The 'target' parameter of register_model must be a MetaModel subclass or "
            f"'module:Class'. Got {target!r} instead."
        )
    if name in _MODELS and _MODELS[name] != target and not replace:
        raise ParameterError(
            f"A meta-model named '{name}' is already registered ({_MODELS[name]}). Choose "
            "another name, or pass replace=True."
        )
    _import(name, target)  # fail now, not when a saved model is loaded
    _MODELS[name] = target


def registered_class(class_name: str) -> type[MetaModel] | None:
    """The registered class whose Python name is ``class_name`` (None if there is none);
    what ``autometa.models.<ClassName>`` resolves lazily."""
    for name, target in _MODELS.items():
        short = target.__name__ if isinstance(target, type) else target.rpartition(":")[2]
        if short == class_name:
            return _import(name, target)
    return None


def _import(name: str, target: str | type[MetaModel]) -> type[MetaModel]:
    from autometa.models._base import MetaModel

    klass: Any = target
    if isinstance(target, str):
        module, _, attr = target.partition(":")
        try:
            klass = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ModelError(
                f"The meta-model '{name}' is registered as '{target}', which cannot be "
                f"imported ({type(exc).__name__}: {exc})."
            ) from None
    if not (isinstance(klass, type) and issubclass(klass, MetaModel)) or klass.name != name:
        raise ModelError(
            f"The meta-model '{name}' is registered as '{target}', which is not a MetaModel "
            f"subclass whose 'name' is '{name}'."
        )
    return klass
