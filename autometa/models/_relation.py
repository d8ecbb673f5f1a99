"""A relation-network head: dataset and configuration embeddings scored by a small MLP.

The two towers are the surrogate's (:mod:`autometa.models._surrogate`): a dataset
embedding ``e_d`` from the scaled meta-features and a configuration embedding ``e_c`` from
the configuration encoding plus a per-configuration embedding. Where the surrogate scores
a pair by a dot product, the relation head (Sung et al., 2018) learns the comparison::

    e_d = dataset_net(scaled meta-features)                 # (members, datasets, dim)
    e_c = config_net(config encoding) + E[config]           # (members, configs, dim)
    score = w_o . relu(W [e_d, e_c, e_d * e_c] + b) + b[config]

Everything else is the surrogate's, so that the comparison measures the head alone: the
same training data, listwise plus squared-error loss, bootstrap deep ensemble, optimizer
and schedule, and numpy inference from the saved arrays
(:class:`~autometa.models._numpy_nets.RelationNetForward`).

Measured against the two-tower surrogate in ``benchmarks/README.md`` ("Representations");
it is not the default of anything unless that table says it wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from autometa.models._base import check_positive_int
from autometa.models._numpy_nets import RelationNetForward, check_state, relation_net_shapes
from autometa.models._surrogate import Surrogate
from autometa.models._torch_utils import MetaFeatureScaler, state_with_prefix

if TYPE_CHECKING:
    from autometa.models._torch_nets import RelationNet

__all__ = ["RelationSurrogate"]


class RelationSurrogate(Surrogate):
    """The surrogate with a relation network in place of the dot product.

    Parameters
    ----------
    relation_hidden : int, default=32
        Width of the relation MLP's hidden layer.
    n_members, hidden, dim, epochs, batch_size, learning_rate, weight_decay, temperature, \
mse_weight, dropout, bootstrap, device, random_state
        As :class:`~autometa.models.Surrogate` (the same defaults).

    Examples
    --------
    >>> from autometa.models import RelationSurrogate  # doctest: +SKIP
    >>> model = RelationSurrogate(epochs=50).fit(task_data)  # doctest: +SKIP
    >>> model.predict(task_data.metafeatures.iloc[:1]).mean  # doctest: +SKIP
    """

    name: ClassVar[str] = "relation"
    _INT_PARAMS: ClassVar[tuple[str, ...]] = (*Surrogate._INT_PARAMS, "relation_hidden")

    def __init__(
        self,
        *,
        relation_hidden: int = 32,
        n_members: int = 5,
        hidden: int = 64,
        dim: int = 16,
        epochs: int = 300,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        temperature: float = 0.1,
        mse_weight: float = 1.0,
        dropout: float = 0.1,
        bootstrap: bool = True,
        device: Any = "cpu",
        random_state: int = 0,
    ) -> None:
        super().__init__(
            n_members=n_members,
            hidden=hidden,
            dim=dim,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            temperature=temperature,
            mse_weight=mse_weight,
            dropout=dropout,
            bootstrap=bootstrap,
            device=device,
            random_state=random_state,
        )
        self.relation_hidden = relation_hidden

    def _check_params(self) -> None:
        super()._check_params()
        check_positive_int(self.relation_hidden, "relation_hidden", type(self).__name__)

    def _arch(self) -> dict[str, Any]:
        return {**super()._arch(), "relation_hidden": int(self.relation_hidden)}

    def _build(self) -> RelationNet:  # type: ignore[override]
        from autometa.models._torch_nets import RelationNet

        net = RelationNet(*self._sizes(), int(self.relation_hidden), float(self.dropout))
        return net.to(self._device)

    def _numpy_net(self) -> RelationNetForward:
        if self._forward is None:
            self._forward = RelationNetForward(self.weights_, self.config_matrix_)
        assert isinstance(self._forward, RelationNetForward)
        return self._forward

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        for key, value in {**meta["architecture"], **meta["training"]}.items():
            setattr(self, key, value)
        self.device = "cpu"
        self._device = "cpu"
        self.scaler_ = MetaFeatureScaler.from_state(meta["scaler"], arrays)
        self.config_matrix_ = np.asarray(arrays["config_matrix"], dtype=np.float32)
        self.config_columns_ = list(meta["config_columns"])
        self.learners_ = list(meta["learners"])
        weights = state_with_prefix(arrays, "net.")
        check_state(weights, relation_net_shapes(*self._sizes(), int(self.relation_hidden)))
        self.weights_ = weights
        self._net = None
        self._forward = None
