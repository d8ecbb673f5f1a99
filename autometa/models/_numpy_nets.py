"""Inference of the torch meta-models' networks in numpy.

Predicting, ranking without observed trials, explaining and the out-of-distribution score
run the networks of :mod:`autometa.models._torch_nets` in evaluation mode (dropout off)
from their state dicts, with numpy: ``autometa recommend`` and the estimators never
import torch (about 2 CPU-s of a cold start). The state dicts are the torch modules' own
(same names and shapes, the arrays :meth:`MetaModel.save` writes), so one set of weights
serves both: torch to train and adapt, numpy to predict. Numbers equal those of the torch
modules up to float rounding (``tests/models/test_numpy_inference.py``); the forward
passes compute in float64 from the float32 weights.

:func:`score_net_shapes` and :func:`encoder_shapes` say which arrays each network has;
:func:`check_state` refuses a state that does not fit, as torch's ``load_state_dict``
does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from autometa._exceptions import ModelError

__all__ = [
    "EncoderForward",
    "RelationNetForward",
    "ScoreNetForward",
    "SetEncoderForward",
    "architecture_mismatch",
    "check_state",
    "encoder_shapes",
    "relation_net_shapes",
    "score_net_shapes",
    "set_encoder_shapes",
]

#: The precision of the numpy forward passes (the weights are float32).
DTYPE = np.float64


def architecture_mismatch(detail: object) -> ModelError:
    """The error for saved weights that do not fit the model's architecture."""
    return ModelError(
        f"The saved weights do not match the model's architecture ({detail}). The files "
        "are damaged or were written by another version: retrain the model."
    )


def check_state(state: Mapping[str, np.ndarray], shapes: Mapping[str, tuple[int, ...]]) -> None:
    """Raise :func:`architecture_mismatch` unless ``state`` has exactly the arrays of
    ``shapes`` with those shapes."""
    missing = sorted(set(shapes) - set(state))
    unexpected = sorted(set(state) - set(shapes))
    if missing or unexpected:
        raise architecture_mismatch(f"missing {missing}, unexpected {unexpected}")
    for key, shape in shapes.items():
        if tuple(np.shape(state[key])) != tuple(shape):
            raise architecture_mismatch(
                f"'{key}' has shape {tuple(np.shape(state[key]))}, the architecture {shape}"
            )


def score_net_shapes(
    members: int, n_metafeatures: int, n_config_features: int, n_configs: int, hidden: int, dim: int
) -> dict[str, tuple[int, ...]]:
    """The state dict of :class:`~autometa.models._torch_nets.ScoreNet`: name -> shape."""
    m = members
    return {
        "dataset_net.0.weight": (m, n_metafeatures, hidden),
        "dataset_net.0.bias": (m, 1, hidden),
        "dataset_net.3.weight": (m, hidden, dim + 1),
        "dataset_net.3.bias": (m, 1, dim + 1),
        "config_net.0.weight": (m, n_config_features, hidden),
        "config_net.0.bias": (m, 1, hidden),
        "config_net.2.weight": (m, hidden, dim),
        "config_net.2.bias": (m, 1, dim),
        "config_embedding": (m, n_configs, dim),
        "config_bias": (m, 1, n_configs),
    }


def relation_net_shapes(
    members: int,
    n_metafeatures: int,
    n_config_features: int,
    n_configs: int,
    hidden: int,
    dim: int,
    relation_hidden: int,
) -> dict[str, tuple[int, ...]]:
    """The state dict of :class:`~autometa.models._torch_nets.RelationNet`: name -> shape."""
    m, h = members, relation_hidden
    shapes = score_net_shapes(members, n_metafeatures, n_config_features, n_configs, hidden, dim)
    shapes["dataset_net.3.weight"] = (m, hidden, dim)
    shapes["dataset_net.3.bias"] = (m, 1, dim)
    shapes.update(
        {
            "w_d": (m, dim, h),
            "w_c": (m, dim, h),
            "w_p": (m, dim, h),
            "b_r": (m, 1, 1, h),
            "w_o": (m, 1, 1, h),
        }
    )
    return shapes


def set_encoder_shapes(hidden: int, dim: int) -> dict[str, tuple[int, ...]]:
    """The state dict of :class:`~autometa.models._torch_nets.SetEncoderNet`: name -> shape."""
    h = hidden
    return {
        "phi.0.weight": (h, 2),
        "phi.0.bias": (h,),
        "phi.2.weight": (h, h),
        "phi.2.bias": (h,),
        "psi.0.weight": (h, h),
        "psi.0.bias": (h,),
        "psi.2.weight": (h, h),
        "psi.2.bias": (h,),
        "rho.0.weight": (h, h),
        "rho.0.bias": (h,),
        "rho.2.weight": (dim, h),
        "rho.2.bias": (dim,),
    }


def encoder_shapes(n_in: int, hidden: int, dim: int) -> dict[str, tuple[int, ...]]:
    """The state dict of :func:`~autometa.models._torch_nets.encoder`: name -> shape."""
    return {
        "0.weight": (hidden, n_in),
        "0.bias": (hidden,),
        "3.weight": (dim, hidden),
        "3.bias": (dim,),
    }


class ScoreNetForward:
    """:class:`~autometa.models._torch_nets.ScoreNet` in evaluation mode, for a fixed pool.

    The configuration embeddings depend only on the weights and the pool: they are
    computed once, here.

    Parameters
    ----------
    state : mapping of str to ndarray
        The network's state dict (checked against :func:`score_net_shapes` by the caller).
    config_matrix : ndarray of shape (n_configs, n_config_features)
        The encoded pool (:func:`~autometa.models._torch_utils.encode_configurations`).
    """

    def __init__(self, state: Mapping[str, np.ndarray], config_matrix: np.ndarray) -> None:
        w = {k: np.asarray(v, dtype=DTYPE) for k, v in state.items()}
        self.dim = int(w["config_embedding"].shape[-1])
        self._dataset = (
            w["dataset_net.0.weight"],
            w["dataset_net.0.bias"],
            w["dataset_net.3.weight"],
            w["dataset_net.3.bias"],
        )
        self.config_bias = w["config_bias"]
        #: (members, configs, dim): the configuration embeddings of the pool.
        self.config_embeddings = (
            _ensemble_mlp(
                np.asarray(config_matrix, dtype=DTYPE),
                w["config_net.0.weight"],
                w["config_net.0.bias"],
                w["config_net.2.weight"],
                w["config_net.2.bias"],
            )
            + w["config_embedding"]
        )

    def dataset_embedding(self, x: np.ndarray) -> np.ndarray:
        """(datasets, meta-features) -> (members, datasets, dim + 1)."""
        return _ensemble_mlp(np.asarray(x, dtype=DTYPE), *self._dataset)

    def scores(self, u: np.ndarray) -> np.ndarray:
        """(members, datasets, dim + 1) -> (members, datasets, configs)."""
        v = self.config_embeddings
        inter = (u[..., : self.dim] @ v.transpose(0, 2, 1)) / math.sqrt(self.dim)
        return inter + u[..., self.dim :] + self.config_bias


class EncoderForward:
    """:func:`~autometa.models._torch_nets.encoder` in evaluation mode."""

    def __init__(self, state: Mapping[str, np.ndarray]) -> None:
        w = {k: np.asarray(v, dtype=DTYPE) for k, v in state.items()}
        self._layers = (w["0.weight"].T, w["0.bias"], w["3.weight"].T, w["3.bias"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """(datasets, inputs) -> (datasets, dim), float64."""
        w0, b0, w1, b1 = self._layers
        hidden = np.maximum(np.asarray(x, dtype=DTYPE) @ w0 + b0, 0.0)
        return hidden @ w1 + b1


class RelationNetForward(ScoreNetForward):
    """:class:`~autometa.models._torch_nets.RelationNet` in evaluation mode, for a fixed pool."""

    def __init__(self, state: Mapping[str, np.ndarray], config_matrix: np.ndarray) -> None:
        super().__init__(state, config_matrix)
        w = {k: np.asarray(v, dtype=DTYPE) for k, v in state.items()}
        self._relation = (w["w_d"], w["w_c"], w["w_p"], w["b_r"], w["w_o"])
        # the configuration part of the relation's first layer is fixed for the pool
        self._hc = self.config_embeddings @ w["w_c"]  # (members, configs, h)

    def scores(self, u: np.ndarray) -> np.ndarray:
        """(members, datasets, dim) -> (members, datasets, configs)."""
        w_d, _, w_p, b_r, w_o = self._relation
        v = self.config_embeddings
        hd = u @ w_d  # (m, b, h)
        out = np.empty((u.shape[0], u.shape[1], v.shape[1]), dtype=DTYPE)
        for i in range(u.shape[1]):  # one dataset at a time: (m, c, h) intermediates
            hp = (u[:, i, None, :] * v) @ w_p  # (m, c, h)
            hidden = np.maximum(hp + hd[:, i, None, :] + self._hc + b_r[:, 0], 0.0)
            out[:, i, :] = (hidden * w_o[:, 0]).sum(-1)
        return out + self.config_bias


class SetEncoderForward:
    """:class:`~autometa.models._torch_nets.SetEncoderNet` in numpy (same inputs, float64)."""

    def __init__(self, state: Mapping[str, np.ndarray]) -> None:
        self._w = {k: np.asarray(v, dtype=DTYPE) for k, v in state.items()}

    def __call__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        row_mask: np.ndarray,
        feature_mask: np.ndarray,
        target_mask: np.ndarray,
    ) -> np.ndarray:
        """(batch, rows, features), (batch, rows, targets) and masks -> (batch, dim)."""
        w = self._w
        x, y = np.asarray(x, dtype=DTYPE), np.asarray(y, dtype=DTYPE)
        w0 = w["phi.0.weight"]
        a = x[..., None] * w0[:, 0]
        c = y[..., None] * w0[:, 1]
        z = np.maximum(a[:, :, :, None, :] + c[:, :, None, :, :] + w["phi.0.bias"], 0.0)
        z = np.maximum(z @ w["phi.2.weight"].T + w["phi.2.bias"], 0.0)
        rows = np.asarray(row_mask, dtype=DTYPE)[:, :, None, None, None]
        z = (z * rows).sum(1) / np.maximum(rows.sum(1), 1.0)
        p = np.maximum(z @ w["psi.0.weight"].T + w["psi.0.bias"], 0.0)
        p = np.maximum(p @ w["psi.2.weight"].T + w["psi.2.bias"], 0.0)
        fm = np.asarray(feature_mask, dtype=DTYPE)
        tm = np.asarray(target_mask, dtype=DTYPE)
        pairs = (fm[:, :, None] * tm[:, None, :])[..., None]
        p = (p * pairs).sum((1, 2)) / np.maximum(pairs.sum((1, 2)), 1.0)
        h = np.maximum(p @ w["rho.0.weight"].T + w["rho.0.bias"], 0.0)
        return h @ w["rho.2.weight"].T + w["rho.2.bias"]


def _ensemble_mlp(
    x: np.ndarray, w0: np.ndarray, b0: np.ndarray, w1: np.ndarray, b1: np.ndarray
) -> np.ndarray:
    """Two ensemble linear layers with a ReLU between them: (n, i) -> (members, n, o)."""
    return np.maximum(x @ w0 + b0, 0.0) @ w1 + b1
