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
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from torch import nn

from autometa._exceptions import DataError, ParameterError
from autometa.models._base import MetaModel, Prediction, TaskData, check_positive_int
from autometa.models._torch_utils import (
    MetaFeatureScaler,
    arrays_to_state,
    as_frame,
    encode_configurations,
    resolve_device,
    seeded,
    state_to_arrays,
)

__all__ = ["Surrogate"]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# modules
class _EnsembleLinear(nn.Module):
    """``members`` independent linear layers applied at once: (m, n, i) -> (m, n, o)."""

    def __init__(self, members: int, n_in: int, n_out: int) -> None:
        super().__init__()
        bound = 1.0 / math.sqrt(max(n_in, 1))
        self.weight = nn.Parameter(torch.empty(members, n_in, n_out).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(members, 1, n_out).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return torch.einsum("ni,mio->mno", x, self.weight) + self.bias
        return torch.baddbmm(self.bias, x, self.weight)


class _ScoreNet(nn.Module):
    def __init__(
        self,
        members: int,
        n_metafeatures: int,
        n_config_features: int,
        n_configs: int,
        hidden: int,
        dim: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.dataset_net = nn.Sequential(
            _EnsembleLinear(members, n_metafeatures, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            _EnsembleLinear(members, hidden, dim + 1),
        )
        self.config_net = nn.Sequential(
            _EnsembleLinear(members, n_config_features, hidden),
            nn.ReLU(),
            _EnsembleLinear(members, hidden, dim),
        )
        self.config_embedding = nn.Parameter(torch.zeros(members, n_configs, dim))
        self.config_bias = nn.Parameter(torch.zeros(members, 1, n_configs))

    def dataset_embedding(self, x_mf: torch.Tensor) -> torch.Tensor:
        return self.dataset_net(x_mf)

    def config_embeddings(self, x_cfg: torch.Tensor) -> torch.Tensor:
        return self.config_net(x_cfg) + self.config_embedding

    def scores(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """(m, b, dim + 1) x (m, c, dim) -> (m, b, c)."""
        inter = torch.bmm(u[..., : self.dim], v.transpose(1, 2)) / math.sqrt(self.dim)
        return inter + u[..., self.dim :] + self.config_bias

    def forward(self, x_mf: torch.Tensor, x_cfg: torch.Tensor) -> torch.Tensor:
        return self.scores(self.dataset_embedding(x_mf), self.config_embeddings(x_cfg))


def listwise_loss(
    pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Softmax cross-entropy per row between ``target`` and ``pred`` at ``temperature``.

    Shapes broadcast to (..., configs); ``mask`` marks the observed cells. Returns the
    per-row loss (..., ).
    """
    neg = torch.finfo(pred.dtype).min / 4
    t = torch.where(mask, target / temperature, torch.full_like(target, neg))
    p = torch.softmax(t, dim=-1)
    logq = torch.log_softmax(torch.where(mask, pred / temperature, torch.full_like(pred, neg)), -1)
    return -(p * torch.where(mask, logq, torch.zeros_like(logq))).sum(-1)


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

    def _build(self) -> _ScoreNet:
        arch = self._arch()
        return _ScoreNet(
            arch["n_members"],
            self.scaler_.n_outputs,
            self.config_matrix_.shape[1],
            self.config_matrix_.shape[0],
            arch["hidden"],
            arch["dim"],
            arch["dropout"],
        ).to(self._device)

    def _fit(self, data: TaskData) -> None:
        start = time.perf_counter()
        x_mf, x_cfg, y = self._prepare(data)
        with seeded(int(self.random_state)) as gen:
            self.net_ = self._build()
            self._train(self.net_, x_mf, x_cfg, y, gen, epochs=int(self.epochs))
        self.net_.eval()
        logger.info(
            "%s fitted on %d datasets x %d configurations in %.2f s",
            type(self).__name__,
            y.shape[0],
            y.shape[1],
            time.perf_counter() - start,
        )

    def _train(
        self,
        net: _ScoreNet,
        x_mf: torch.Tensor,
        x_cfg: torch.Tensor,
        y: torch.Tensor,
        gen: torch.Generator,
        *,
        epochs: int,
    ) -> None:
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

    # -- prediction ---------------------------------------------------------------------------
    def _member_scores(self, metafeatures: pd.DataFrame) -> torch.Tensor:
        """(members, datasets, configs) predictions, without gradient."""
        x = torch.as_tensor(self.scaler_.transform(metafeatures), device=self._device)
        with torch.no_grad():
            return self.net_(x, torch.as_tensor(self.config_matrix_, device=self._device))

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        frame = as_frame(metafeatures, type(self).__name__)
        s = self._member_scores(frame).cpu().numpy().astype(np.float64)
        mean = self._frame(s.mean(axis=0), frame.index)
        std = self._frame(s.std(axis=0), frame.index) if s.shape[0] > 1 else None
        return Prediction(mean=mean, std=std)

    # -- persistence --------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        scaler_meta, arrays = self.scaler_.state()
        arrays["config_matrix"] = self.config_matrix_
        arrays.update(state_to_arrays(self.net_, "net."))
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
        self._device = resolve_device("cpu", type(self).__name__)
        self.scaler_ = MetaFeatureScaler.from_state(meta["scaler"], arrays)
        self.config_matrix_ = np.asarray(arrays["config_matrix"], dtype=np.float32)
        self.config_columns_ = list(meta["config_columns"])
        self.learners_ = list(meta["learners"])
        self.net_ = self._build()
        arrays_to_state(self.net_, arrays, "net.")
        self.net_.eval()

    def to(self, device: Any) -> Surrogate:
        """Move the fitted model to ``device`` (e.g. ``"cuda"``); returns ``self``."""
        self._check_fitted()
        self._device = resolve_device(device, type(self).__name__)
        self.device = device
        self.net_.to(self._device)
        return self
