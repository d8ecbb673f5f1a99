"""What warm start and the sampler share: task, meta-features, the meta-model and the
configurations it scores."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from autometa._exceptions import DataError, ModelError, ParameterError
from autometa._task import check_task, infer_task
from autometa.learners import Configuration
from autometa.models import MetaModel, load_default_model

__all__ = ["resolve_task", "resolve_metafeatures", "resolve_model", "model_configurations"]

logger = logging.getLogger(__name__)


def resolve_task(task: str | None, y: Any, owner: str) -> str:
    """The task: ``task``, or for None (or ``"auto"``) the one inferred from ``y``."""
    checked = check_task(task, owner)
    if checked is not None:
        return checked
    if y is None:
        raise ParameterError(
            f"{owner} needs the 'task' parameter when no target 'y' is given. Pass "
            "task='classification' or task='regression'."
        )
    from autometa._validation import check_target

    return infer_task(check_target(y, owner), owner=owner, stacklevel=3)


def resolve_metafeatures(
    X: Any, y: Any, task: str, metafeatures: pd.Series | None, owner: str
) -> pd.Series:
    if metafeatures is not None:
        if isinstance(metafeatures, pd.DataFrame) and len(metafeatures) == 1:
            metafeatures = metafeatures.iloc[0]
        if not isinstance(metafeatures, pd.Series):
            raise ParameterError(
                f"The 'metafeatures' parameter of {owner} must be a pandas Series (as "
                f"returned by metafeatures.extract). Got {type(metafeatures).__name__} instead."
            )
        return metafeatures.astype("float64")
    if X is None:
        raise ParameterError(
            f"{owner} needs the data X (and y) or its 'metafeatures'. Got neither."
        )
    import metafeatures as mf
    from autometa._validation import check_data

    X, y = check_data(X, y, owner, task=task, require_target=False)
    logger.info("extracting meta-features for %s", owner)
    try:
        return mf.extract(X, y, task=task)
    except mf.MetaFeatureError as exc:
        raise DataError(f"Cannot compute the meta-features of the data: {exc}") from None


def resolve_model(
    model: MetaModel | None, task: str, owner: str, role: str = "ranker"
) -> MetaModel:
    if model is None:
        return load_default_model(task, role)
    if not isinstance(model, MetaModel):
        raise ParameterError(
            f"The 'model' parameter of {owner} must be a fitted autometa MetaModel or None. "
            f"Got {type(model).__name__} instead."
        )
    model._check_fitted()
    if model.task_ != task:
        raise ParameterError(
            f"The meta-model given to {owner} was fitted for {model.task_}, not {task}. "
            f"Pass a {task} model."
        )
    return model


def model_configurations(model: MetaModel, kb: Any = None) -> dict[str, Configuration]:
    """``config_id -> Configuration`` of every configuration the model scores."""
    ids = list(model.config_ids_ or [])
    table = model.configurations_
    if table is None:
        if kb is None:
            from autometa.kb import KnowledgeBase

            kb = KnowledgeBase.default()
        table = kb.configurations.set_index("config_id")
    missing = [c for c in ids if c not in table.index]
    if missing:
        raise ModelError(
            f"The meta-model scores {len(missing)} configuration(s) that the knowledge base "
            f"does not hold (e.g. {missing[0]!r}). Pass the knowledge base it was trained on "
            "as 'kb'."
        )
    rows = table.loc[ids]
    return {
        cid: Configuration.from_json(str(learner), str(params))
        for cid, learner, params in zip(ids, rows["learner"], rows["params"])
    }
