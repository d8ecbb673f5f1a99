"""The conformance suite every registered meta-model passes (as ``optuna.testing`` is for
samplers): a new model registered in ``autometa/models/_registry.py`` is checked here
without writing a test for it.

What is checked is what callers rely on: ``fit`` on a tiny :class:`TaskData`, the shapes,
labels and dtypes of ``predict``, ``rank`` as a permutation of the pool, reproducibility
for a seed (and independence of the seed where ``deterministic`` is declared), a
save/load round trip with identical predictions, each declared ability doing what it
promises, and clear errors for bad input.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, cast

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import DataError, ModelError, NotFittedError
from autometa.models import (
    Adaptive,
    Explainer,
    MetaModel,
    OODScorer,
    Prediction,
    TaskData,
    _registry,
    abilities,
    model_class,
    model_names,
    register_model,
)

from ._synthetic import make_raw_samples, make_task_data

#: Small settings for whichever model takes them (so the suite stays fast for every model).
SMALL = {"epochs": 6, "meta_epochs": 3, "n_members": 2, "episodes": 10, "hidden": 16}
QUERY_IDS = ("new/a", "new/b", "new/c")


def _tiny() -> TaskData:
    return make_task_data(n_datasets=10, configs_per_learner=2, n_metafeatures=5)


_RAW: list[Any] = []


def _raw_samples() -> Any:
    """Raw-data samples of the training and query datasets, for the models that read raw
    data (those taking ``samples``: the set encoder)."""
    if not _RAW:
        _RAW.append(make_raw_samples(_tiny(), extra_ids=QUERY_IDS))
    return _RAW[0]


def _make(name: str, random_state: int = 0) -> MetaModel:
    klass = model_class(name)
    accepted = inspect.signature(klass.__init__).parameters
    params = {k: v for k, v in SMALL.items() if k in accepted}
    if "samples" in accepted:
        params["samples"] = _raw_samples()
    return klass(**params, random_state=random_state)


@pytest.fixture(scope="module")
def data() -> TaskData:
    return _tiny()


_FITTED: dict[str, MetaModel] = {}


@pytest.fixture
def fitted(name: str, data: TaskData) -> MetaModel:
    if name not in _FITTED:
        _FITTED[name] = _make(name).fit(data)
    return _FITTED[name]


def _query(data: TaskData) -> pd.DataFrame:
    """Three new datasets: two shifted copies of training ones and one with a hole."""
    q = data.metafeatures.iloc[:3].copy() + 0.1
    q.iloc[2, 1] = np.nan
    q.index = pd.Index(list(QUERY_IDS), name="dataset_id")
    return q


names = pytest.mark.parametrize("name", model_names())


def _with(has: Any) -> pytest.MarkDecorator:
    """The registered models whose class is a subclass of ``has`` (an ability) or satisfies
    it (a predicate); imports them at collection."""

    def ok(klass: type[MetaModel]) -> bool:
        return issubclass(klass, has) if isinstance(has, type) else bool(has(klass))

    return pytest.mark.parametrize("name", [n for n in model_names() if ok(model_class(n))])


# ------------------------------------------------------------------------------------------
# the class and the registry
@names
def test_the_registry_names_the_class_by_its_name(name: str) -> None:
    klass = model_class(name)
    assert issubclass(klass, MetaModel)
    assert klass.name == name
    assert isinstance(klass.deterministic, bool)
    assert isinstance(klass.predicts_scores, bool)


@pytest.mark.parametrize(
    "name",
    model_names(),
)
def test_abilities_are_declared_as_base_classes(name: str) -> None:
    """A model with an ability's methods inherits the ability (callers use isinstance)."""
    klass = model_class(name)
    for ability in (Adaptive, Explainer, OODScorer):
        has_methods = all(getattr(klass, m, None) is not None for m in ability.__abstractmethods__)
        assert has_methods == (ability in klass.__mro__), (ability.__name__, klass.__mro__)


def test_register_model_checks_its_entry(monkeypatch) -> None:
    from autometa.models import SingleBest

    monkeypatch.setattr(_registry, "_MODELS", dict(_registry._MODELS))

    class Renamed(SingleBest):
        name = "renamed-sbs"

    register_model("renamed-sbs", Renamed)
    assert model_class("renamed-sbs") is Renamed
    with pytest.raises(ModelError, match="whose 'name' is 'other'"):
        register_model("other", Renamed)
    with pytest.raises(ValueError, match="already registered"):
        register_model("sbs", Renamed)
    with pytest.raises(ValueError, match="MetaModel subclass or 'module:Class'"):
        register_model("x", "no-colon")
    with pytest.raises(ModelError, match="cannot be imported"):
        register_model("x", "autometa.models:Nope")
    with pytest.raises(ModelError, match="Unknown meta-model 'nope'. Known meta-models are"):
        model_class("nope")


# ------------------------------------------------------------------------------------------
# fitting and predicting
@names
def test_unfitted_model_says_so(name: str, data: TaskData, tmp_path) -> None:
    model = _make(name)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(data.metafeatures.iloc[0])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.rank(data.metafeatures.iloc[0])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.save(tmp_path / "m")


@names
def test_fit_returns_the_model_with_the_pool(name: str, data: TaskData) -> None:
    model = _make(name)
    assert model.fit(data) is model
    assert model.config_ids_ == data.config_ids
    assert (model.task_, model.metric_) == (data.task, data.metric)
    assert list(model.configurations_.index) == data.config_ids


@names
def test_predict_gives_one_float_row_per_dataset(name: str, fitted: MetaModel, data) -> None:
    query = _query(data)
    pred = fitted.predict(query)
    assert isinstance(pred, Prediction)
    assert pred.mean.shape == (3, len(data.config_ids))
    assert list(pred.mean.columns) == data.config_ids
    assert list(pred.mean.index) == list(query.index)
    assert all(dtype == np.float64 for dtype in pred.mean.dtypes)
    assert np.isfinite(pred.mean.to_numpy()).all()
    if pred.std is not None:
        assert pred.std.shape == pred.mean.shape
        assert list(pred.std.columns) == data.config_ids
        assert (pred.std.to_numpy() >= 0).all()
    one = fitted.predict(query.iloc[0])  # a Series is one dataset
    assert one.mean.shape == (1, len(data.config_ids))
    np.testing.assert_allclose(one.mean.to_numpy()[0], pred.mean.to_numpy()[0], rtol=1e-5)


@names
def test_rank_is_a_permutation_that_skips_observed(name: str, fitted: MetaModel, data) -> None:
    mf = _query(data).iloc[0]
    order = fitted.rank(mf)
    assert sorted(order) == sorted(data.config_ids)
    if not fitted.predicts_scores or type(fitted).rank is MetaModel.rank:
        # the order is the predicted one (ties keep the pool order)
        mean = fitted.predict(mf).mean.iloc[0]
        assert list(mean.sort_values(ascending=False, kind="stable").index) == order
    observed = {order[0]: 0.9, order[1]: 0.1}
    rest = fitted.rank(mf, observed)
    assert sorted(rest) == sorted(set(data.config_ids) - set(observed))


@names
def test_the_same_seed_gives_the_same_model(name: str, fitted: MetaModel, data) -> None:
    again = _make(name).fit(data)
    query = _query(data)
    np.testing.assert_array_equal(
        again.predict(query).mean.to_numpy(), fitted.predict(query).mean.to_numpy()
    )


@_with(lambda klass: klass.deterministic)
def test_a_deterministic_model_ignores_the_seed(name: str, fitted: MetaModel, data) -> None:
    other = _make(name, random_state=12345).fit(data)
    query = _query(data)
    np.testing.assert_array_equal(
        other.predict(query).mean.to_numpy(), fitted.predict(query).mean.to_numpy()
    )
    assert other.rank(query.iloc[0]) == fitted.rank(query.iloc[0])


@_with(lambda klass: not klass.predicts_scores)
def test_ordering_scores_decrease_along_the_order(name: str, fitted: MetaModel, data) -> None:
    """``predicts_scores = False``: the values are 1 - position / n along the order."""
    mf = _query(data).iloc[0]
    mean = fitted.predict(mf).mean.iloc[0]
    n = len(mean)
    expected = 1.0 - np.arange(n) / n
    np.testing.assert_allclose(mean[fitted.rank(mf)].to_numpy(), expected)


# ------------------------------------------------------------------------------------------
# persistence
@names
def test_save_load_round_trip_predicts_identically(name: str, fitted: MetaModel, data, tmp_path):
    fitted.save(tmp_path / name)
    loaded = MetaModel.load(tmp_path / name)
    if "samples" in inspect.signature(type(loaded).__init__).parameters:
        # raw data is not saved with a model: the loaded one is given the same samples
        cast(Any, loaded).samples = cast(Any, fitted).samples
    assert type(loaded) is type(fitted)
    assert loaded.config_ids_ == fitted.config_ids_
    assert (loaded.task_, loaded.metric_) == (fitted.task_, fitted.metric_)
    query = _query(data)
    a, b = fitted.predict(query), loaded.predict(query)
    np.testing.assert_array_equal(a.mean.to_numpy(), b.mean.to_numpy())
    assert (a.std is None) == (b.std is None)
    if a.std is not None:
        np.testing.assert_array_equal(a.std.to_numpy(), b.std.to_numpy())
    assert loaded.rank(query.iloc[0]) == fitted.rank(query.iloc[0])
    assert abilities(loaded) == abilities(fitted)
    assert type(loaded).load(tmp_path / name) is not loaded  # the class's own load works too


# ------------------------------------------------------------------------------------------
# abilities behave as declared
@_with(Adaptive)
def test_adaptive_models_adapt_a_copy(name: str, fitted: MetaModel, data) -> None:
    mf = _query(data).iloc[0]
    before = fitted.predict(mf).mean.to_numpy().copy()
    ids = data.config_ids
    observations = {ids[0]: 0.95, ids[-1]: 0.2, ids[len(ids) // 2]: math.nan}
    adapted = fitted.adapt(mf, observations)
    assert isinstance(adapted, type(fitted)) and adapted is not fitted
    pred = adapted.predict(mf)
    assert pred.mean.shape == (1, len(ids)) and np.isfinite(pred.mean.to_numpy()).all()
    np.testing.assert_array_equal(fitted.predict(mf).mean.to_numpy(), before)  # unchanged
    with pytest.raises(ValueError, match="one dataset"):
        fitted.adapt(_query(data), observations)


@_with(Explainer)
def test_explainers_give_neighbours_and_learner_probabilities(name: str, fitted, data) -> None:
    own = data.metafeatures.iloc[4]
    nb = fitted.neighbours(own, k=3)
    assert {"dataset_id", "distance"} <= set(nb.columns) and len(nb) == 3
    assert set(nb["dataset_id"]) <= set(data.dataset_ids)
    assert nb["dataset_id"].iloc[0] == data.dataset_ids[4]  # a training dataset is its own
    assert (np.diff(nb["distance"].to_numpy()) >= 0).all()
    probs = fitted.learner_probabilities(_query(data))
    assert probs.shape[0] == 3
    assert set(probs.columns) <= set(data.configurations["learner"])
    np.testing.assert_allclose(probs.sum(axis=1).to_numpy(), 1.0)
    assert ((probs.to_numpy() >= 0) & (probs.to_numpy() <= 1)).all()


@_with(OODScorer)
def test_ood_scorers_flag_far_datasets_only(name: str, fitted, data) -> None:
    threshold = fitted.ood_threshold_
    assert isinstance(threshold, float) and threshold >= 0
    assert np.all(np.diff(fitted.reference_distances_) >= 0)
    own = data.metafeatures.iloc[0]
    # a training dataset is at distance 0 from itself (float32 embeddings: to 1e-6)
    assert fitted.ood_distance(own) == pytest.approx(0.0, abs=1e-6)
    assert fitted.ood_score(own) == 0.0
    far = own * 0 + 1e6
    assert fitted.ood_distance(far) > threshold
    assert 0.95 < fitted.ood_score(far) <= 1.0


# ------------------------------------------------------------------------------------------
# bad input
@names
def test_bad_input_is_a_clear_error(name: str, fitted: MetaModel, data) -> None:
    with pytest.raises(DataError, match="must be a pandas Series .* Got list instead"):
        fitted.predict([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="zero datasets"):
        _make(name).fit(data.without(data.dataset_ids))
