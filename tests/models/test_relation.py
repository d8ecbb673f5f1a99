"""The relation-network head: the surrogate's towers scored by an MLP over their pair."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from autometa._exceptions import ModelError, ParameterError
from autometa.models import MetaModel, model_class

torch = pytest.importorskip("torch")

from autometa.models._numpy_nets import relation_net_shapes  # noqa: E402
from autometa.models._relation import RelationSurrogate  # noqa: E402
from autometa.models._surrogate import Surrogate  # noqa: E402
from autometa.models._torch_nets import RelationNet  # noqa: E402

from ._synthetic import make_task_data  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data():
    return make_task_data(n_datasets=40, configs_per_learner=3, n_metafeatures=6, seed=2)


@pytest.fixture(scope="module")
def fitted(data):
    return RelationSurrogate(epochs=150, n_members=2, random_state=0).fit(data)


def test_the_registry_holds_the_relation_head() -> None:
    assert model_class("relation") is RelationSurrogate
    assert issubclass(RelationSurrogate, Surrogate)


def test_the_network_has_the_declared_shapes(fitted: RelationSurrogate) -> None:
    sizes = fitted._sizes()
    expected = relation_net_shapes(*sizes, 32)
    assert {k: tuple(v.shape) for k, v in fitted.weights_.items()} == expected
    net = RelationNet(*sizes, 32, 0.0)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected


def test_scores_have_one_column_per_configuration(fitted, data) -> None:
    s = fitted._member_scores(data.metafeatures.iloc[:4])
    assert s.shape == (2, 4, len(data.config_ids))
    pred = fitted.predict(data.metafeatures.iloc[:4])
    assert pred.std is not None and (pred.std.to_numpy() >= 0).all()


def test_numpy_inference_equals_the_torch_network(fitted, data) -> None:
    x = fitted.scaler_.transform(data.metafeatures.iloc[:5])
    with torch.no_grad():
        expected = fitted.net_(torch.as_tensor(x), torch.as_tensor(fitted.config_matrix_))
    np.testing.assert_allclose(
        fitted._member_scores(data.metafeatures.iloc[:5]), expected.numpy(), atol=1e-5
    )


def test_training_fits_the_scores(data) -> None:
    """The trained head orders the configurations of its training datasets as their
    scores do, where the untrained one does not."""

    def agreement(model: RelationSurrogate) -> float:
        pred = model.predict(data.metafeatures).mean.to_numpy()
        truth = data.scores.to_numpy()
        return float(np.mean([stats.spearmanr(p, t).statistic for p, t in zip(pred, truth)]))

    untrained = RelationSurrogate(epochs=1, learning_rate=1e-6, n_members=2)
    untrained.fit(data)
    trained = RelationSurrogate(epochs=150, n_members=2)
    trained.fit(data)
    assert agreement(trained) > 0.6
    assert agreement(trained) > agreement(untrained) + 0.3


def test_save_load_round_trip(fitted, data, tmp_path) -> None:
    fitted.save(tmp_path / "rel")
    loaded = MetaModel.load(tmp_path / "rel")
    assert isinstance(loaded, RelationSurrogate) and loaded.relation_hidden == 32
    np.testing.assert_array_equal(
        loaded.predict(data.metafeatures).mean.to_numpy(),
        fitted.predict(data.metafeatures).mean.to_numpy(),
    )


def test_saved_weights_of_another_architecture_are_refused(fitted, tmp_path) -> None:
    import json

    fitted.save(tmp_path / "rel")
    header = json.loads((tmp_path / "rel" / "model.json").read_text())
    header["state"]["architecture"]["relation_hidden"] = 7
    (tmp_path / "rel" / "model.json").write_text(json.dumps(header))
    with pytest.raises(ModelError, match="do not match the model's architecture"):
        MetaModel.load(tmp_path / "rel")


def test_bad_relation_hidden_is_a_clear_error(data) -> None:
    with pytest.raises(ParameterError, match="'relation_hidden' parameter .* Got 0 instead"):
        RelationSurrogate(relation_hidden=0).fit(data)
