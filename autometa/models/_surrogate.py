"""The surrogate: a deep ensemble predicting each configuration's normalized score.

Architecture (all ensemble members computed at once, each with its own weights)::

    u = dataset_net(scaled meta-features)          # (members, datasets, dim + 1)
    v = config_net(config encoding) + E[config]    # (members, configs, dim)
    score = <u[:dim], v> / sqrt(dim) + u[dim] + b[config]

``dataset_net`` and ``config_net`` are small MLPs; ``E`` and ``b`` are per-configuration
embeddings and biases of the fixed pool (weight-decayed). Each member is trained on a
bootstrap of the training datasets with a listwise loss — the softmax cross-entropy, per
dataset, between the normalized scores and the predictions at a temperature, which cares
about ordering the good configurations of each dataset — plus a mean squared error that
keeps predictions on the normalized scale. The ensemble's mean and standard deviation
are :attr:`Prediction.mean` and :attr:`Prediction.std`.

Training runs in torch (the modules of :mod:`autometa.models._torch_nets`); the fitted
weights are kept as numpy arrays (:attr:`Surrogate.weights_`, what is saved), and
predictions are computed from them in numpy (:mod:`autometa.models._numpy_nets`): a loaded
model predicts without importing torch. The torch network (:attr:`Surrogate.net_`) is
rebuilt from the arrays when something needs gradients.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa.models._base import MetaModel, Prediction, TaskData, check_positive_int
from autometa.models._numpy_nets import ScoreNetForward, check_state, score_net_shapes
from autometa.models._torch_utils import (
    MetaFeatureScaler,
    as_frame,
    encode_configurations,
    module_from_weights,
    resolve_device,
    seeded,
    state_to_arrays,
    state_with_prefix,
)

if TYPE_CHECKING:
    import torch

    from autometa.models._torch_nets import ScoreNet

__all__ = ["Surrogate"]

logger = logging.getLogger(__name__)


def _check_float(value: Any, name: str, owner: str, *, low: float = 0.0, strict: bool = True):
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and math.isfinite(float(value)) and (value > low if strict else value >= low):
        return float(value)
    op = ">" if strict else ">="
    raise ParameterError(
        f"The '{name}' parameter of {owner} must be a float {op} {low}. Got {value!r} instead."
    )


# ---------------------------------------------------------------------------------------------
# the model
class Surrogate(MetaModel):
    """Deep-ensemble surrogate of the normalized score of each configuration.

    Parameters
    ----------
    n_members : int, default=5
        Ensemble size; the spread of the members is the predicted uncertainty.
    hidden : int, default=64
        Width of the hidden layers.
    dim : int, default=16
        Size of the dataset and configuration embeddings.
    epochs : int, default=300
        Full passes over the training datasets.
    batch_size : int, default=64
        Datasets per gradient step.
    learning_rate : float, default=3e-3
    weight_decay : float, default=1e-4
    temperature : float, default=0.1
        Temperature of the listwise loss: smaller focuses on the top configurations.
    mse_weight : float, default=1.0
        Weight of the squared error next to the listwise loss.
    dropout : float, default=0.1
        Dropout in the dataset network while training.
    bootstrap : bool, default=True
        Train each member on a bootstrap sample of the datasets.
    device : str or torch.device, default="cpu"
    random_state : int, default=0
        Seeds initialization, bootstrap and batches: the same seed gives identical
        predictions on CPU.

    Examples
    --------
    >>> from autometa.models import Surrogate  # doctest: +SKIP
    >>> model = Surrogate(epochs=50).fit(task_data)  # doctest: +SKIP
    >>> model.predict(task_data.metafeatures.iloc[:1]).mean  # doctest: +SKIP
    """

    name: ClassVar[str] = "surrogate"

    def __init__(
        self,
        *,
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
        super().__init__(random_state=random_state)
        self.n_members = n_members
        self.hidden = hidden
        self.dim = dim
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.mse_weight = mse_weight
        self.dropout = dropout
        self.bootstrap = bootstrap
        self.device = device

    # -- hyperparameters ----------------------------------------------------------------------
    _INT_PARAMS: ClassVar[tuple[str, ...]] = (
        "n_members",
        "hidden",
        "dim",
        "epochs",
        "batch_size",
    )
    _POSITIVE_FLOATS: ClassVar[tuple[str, ...]] = ("learning_rate", "temperature")
    _NONNEG_FLOATS: ClassVar[tuple[str, ...]] = ("weight_decay", "mse_weight", "dropout")

    def _check_params(self) -> None:
        owner = type(self).__name__
        for name in self._INT_PARAMS:
            check_positive_int(getattr(self, name), name, owner)
        for name in self._POSITIVE_FLOATS:
            _check_float(getattr(self, name), name, owner)
        for name in self._NONNEG_FLOATS:
            _check_float(getattr(self, name), name, owner, strict=False)
        if not 0 <= self.dropout < 1:
            raise ParameterError(
                f"The 'dropout' parameter of {owner} must be a float in [0, 1). "
                f"Got {self.dropout!r} instead."
            )
        if not isinstance(self.random_state, (int, np.integer)) or isinstance(
            self.random_state, bool
        ):
            raise ParameterError(
                f"The 'random_state' parameter of {owner} must be an int. "
                f"Got {self.random_state!r} instead."
            )
        self._device = resolve_device(self.device, owner)

    def _arch(self) -> dict[str, Any]:
        return {
            "n_members": int(self.n_members),
            "hidden": int(self.hidden),
            "dim": int(self.dim),
            "dropout": float(self.dropout),
        }

    def _train_params(self) -> dict[str, Any]:
        return {
            "epochs": int(self.epochs),
            "batch_size": int(self.batch_size),
            "learning_rate": float(self.learning_rate),
            "weight_decay": float(self.weight_decay),
            "temperature": float(self.temperature),
            "mse_weight": float(self.mse_weight),
            "bootstrap": bool(self.bootstrap),
        }

    # -- fitting ------------------------------------------------------------------------------
    def _prepare(self, data: TaskData) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        import torch

        self._check_params()
        if data.scores.shape[1] == 0:
            raise DataError("Cannot fit a meta-model on zero configurations.")
        self.scaler_ = MetaFeatureScaler().fit(data.metafeatures)
        self.config_matrix_, self.config_columns_ = encode_configurations(data.configurations)
        self.learners_ = sorted({str(x) for x in data.configurations["learner"]})
        dev = self._device
        x_mf = torch.as_tensor(self.scaler_.transform(data.metafeatures), device=dev)
        y = torch.tensor(data.scores.to_numpy(dtype=np.float32), device=dev)
        return x_mf, torch.as_tensor(self.config_matrix_, device=dev), y

    def _sizes(self) -> tuple[int, int, int, int, int, int]:
        """The network's sizes: members, meta-feature and configuration inputs,
        configurations, hidden width, embedding size."""
        n_configs, n_config_features = self.config_matrix_.shape
        n_mf = self.scaler_.n_outputs
        return (
            int(self.n_members),
            n_mf,
            n_config_features,
            n_configs,
            int(self.hidden),
            int(self.dim),
        )

    def _build(self) -> ScoreNet:
        from autometa.models._torch_nets import ScoreNet

        return ScoreNet(*self._sizes(), float(self.dropout)).to(self._device)

    def _fit(self, data: TaskData) -> None:
        start = time.perf_counter()
        x_mf, x_cfg, y = self._prepare(data)
        with seeded(int(self.random_state)) as gen:
            self._net = self._build()
            self._train(self._net, x_mf, x_cfg, y, gen, epochs=int(self.epochs))
        self._trained(self._net)
        logger.info(
            "%s fitted on %d datasets x %d configurations in %.2f s",
            type(self).__name__,
            y.shape[0],
            y.shape[1],
            time.perf_counter() - start,
        )

    def _train(
        self,
        net: ScoreNet,
        x_mf: torch.Tensor,
        x_cfg: torch.Tensor,
        y: torch.Tensor,
        gen: torch.Generator,
        *,
        epochs: int,
    ) -> None:
        import torch

        from autometa.models._torch_nets import listwise_loss

        n, members = y.shape[0], int(self.n_members)
        mask = ~torch.isnan(y)
        y = torch.nan_to_num(y, nan=0.0)
        if self.bootstrap and members > 1:
            idx = torch.randint(0, n, (members, n), generator=gen)
            weights = torch.zeros(members, n).scatter_add_(1, idx, torch.ones(members, n))
        else:
            weights = torch.ones(members, n)
        weights = weights.to(y.device)
        opt = torch.optim.AdamW(
            net.parameters(), lr=float(self.learning_rate), weight_decay=float(self.weight_decay)
        )
        batch = min(int(self.batch_size), n)
        steps_per_epoch = max(1, math.ceil(n / batch))
        total = epochs * steps_per_epoch
        warm = max(1, total // 10)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda t: min(1.0, (t + 1) / warm) * 0.5 * (1 + math.cos(math.pi * t / total))
        )
        tau, mse_w = float(self.temperature), float(self.mse_weight)
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(n, generator=gen).to(y.device)
            for s in range(steps_per_epoch):
                rows = perm[s * batch : (s + 1) * batch]
                pred = net(x_mf[rows], x_cfg)
                target, m, w = y[rows], mask[rows], weights[:, rows]
                lw = listwise_loss(pred, target.expand_as(pred), m.expand_as(pred), tau)
                se = ((pred - target) ** 2 * m).sum(-1) / m.sum(-1).clamp(min=1)
                loss = ((lw + mse_w * se) * w).sum() / w.sum().clamp(min=1)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
        net.eval()

    # -- the network: numpy weights, torch on demand -------------------------------------------
    #: The torch network, built from :attr:`weights_` on first need (see :attr:`net_`).
    _net: Any = None
    _forward: ScoreNetForward | None = None

    def _trained(self, net: ScoreNet) -> None:
        """Keep the weights of a trained network as numpy arrays (what predicts and is saved)."""
        self._net = net.eval()
        self.weights_ = state_to_arrays(net, "")
        self._forward = None

    @property
    def net_(self) -> ScoreNet:
        """The torch network, for training and adaptation (built from :attr:`weights_` on
        first use, on :attr:`device`; predictions do not use it)."""
        if self._net is None:
            self._net = module_from_weights(self._build, self.weights_)
        return self._net

    def _numpy_net(self) -> ScoreNetForward:
        if self._forward is None:
            self._forward = ScoreNetForward(self.weights_, self.config_matrix_)
        return self._forward

    # -- prediction ---------------------------------------------------------------------------
    def _member_scores(self, metafeatures: pd.DataFrame) -> np.ndarray:
        """(members, datasets, configs) predictions, in numpy."""
        net = self._numpy_net()
        return net.scores(net.dataset_embedding(self.scaler_.transform(metafeatures)))

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        frame = as_frame(metafeatures, type(self).__name__)
        s = self._member_scores(frame)
        mean = self._frame(s.mean(axis=0), frame.index)
        std = self._frame(s.std(axis=0), frame.index) if s.shape[0] > 1 else None
        return Prediction(mean=mean, std=std)

    # -- persistence --------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        scaler_meta, arrays = self.scaler_.state()
        arrays["config_matrix"] = self.config_matrix_
        arrays.update({f"net.{k}": v for k, v in self.weights_.items()})
        meta = {
            "architecture": self._arch(),
            "training": self._train_params(),
            "scaler": scaler_meta,
            "config_columns": self.config_columns_,
            "learners": self.learners_,
            "device": str(self.device),
        }
        return meta, arrays

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
        check_state(weights, score_net_shapes(*self._sizes()))
        self.weights_ = weights
        self._net = None
        self._forward = None

    def to(self, device: Any) -> Surrogate:
        """Train and adapt on ``device`` (e.g. ``"cuda"``) from now on; returns ``self``.

        Predictions are computed in numpy, on the CPU, wherever the network is.
        """
        self._check_fitted()
        self._device = resolve_device(device, type(self).__name__)
        self.device = device
        self.net_.to(self._device)
        return self
