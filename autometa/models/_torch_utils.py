"""Shared pieces of the torch meta-models.

- :class:`MetaFeatureScaler`: a missing-value-aware, outlier-robust scaler of meta-features
  fitted on the training datasets and aligned by name on new ones; its scaling
  (:func:`compress`, :func:`robust_center_scale`) and alignment (:func:`aligned_values`)
  are shared with :class:`~autometa.models._space.MetaFeatureSpace`.
- :func:`encode_configurations`: the numeric matrix of a pool of configurations (learner
  one-hot, then every learner's hyperparameter encoding, zeros for the other learners).
- Seeding, determinism and device helpers, and flattening of state dicts into named numpy
  arrays for :meth:`MetaModel.save` (never pickles).
- :class:`EncoderWeights`: the embedding encoder of the prototype and similarity models,
  kept as numpy weights (inference) with the torch module built on demand (training).

Only :func:`resolve_device`, :func:`seeded` and the state-dict helpers import torch, and
only when called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa.models._base import as_frame
from autometa.models._numpy_nets import (
    EncoderForward,
    architecture_mismatch,
    check_state,
    encoder_shapes,
)

__all__ = [
    "EncoderWeights",
    "MetaFeatureScaler",
    "encode_configurations",
    "resolve_device",
    "seeded",
    "state_to_arrays",
    "arrays_to_state",
    "state_with_prefix",
    "module_from_weights",
    "as_frame",
]


class MetaFeatureScaler:
    """Scale meta-features robustly, with missing values made explicit.

    Each meta-feature is first compressed with ``arcsinh`` (counts and ratios span orders
    of magnitude), then centred on its training median and divided by its training
    inter-quartile range (or standard deviation, or 1, when that is zero), then clipped to
    ``[-clip, clip]``. Missing values (NaN, and meta-features absent from a new dataset)
    become 0 — the training median — and, for each meta-feature that had missing values in
    training, a missing indicator column is appended. Meta-features unknown at fit time
    are ignored: columns are aligned by name.

    Parameters
    ----------
    clip : float, default=5.0
        Bound of the scaled values.
    """

    def __init__(self, clip: float = 5.0) -> None:
        self.clip = float(clip)

    def fit(self, metafeatures: pd.DataFrame) -> MetaFeatureScaler:
        if metafeatures.shape[1] == 0:
            raise DataError(
                "Cannot fit a meta-model on datasets without meta-features: the meta-feature "
                "table has no column. Extract meta-features first."
            )
        self.names_ = [str(c) for c in metafeatures.columns]
        x = compress(metafeatures.to_numpy(dtype=np.float64))
        self.center_, self.scale_ = robust_center_scale(x)
        self.missing_ = np.isnan(metafeatures.to_numpy(dtype=np.float64)).any(axis=0)
        return self

    @property
    def n_outputs(self) -> int:
        return len(self.names_) + int(self.missing_.sum())

    @property
    def output_names(self) -> list[str]:
        return self.names_ + [f"missing:{n}" for n, m in zip(self.names_, self.missing_) if m]

    def transform(self, metafeatures: pd.DataFrame) -> np.ndarray:
        """A float32 matrix ``(n_datasets, n_outputs)``; columns aligned by name."""
        if not isinstance(metafeatures, pd.DataFrame):
            raise DataError(
                "The meta-features must be a pandas DataFrame. "
                f"Got {type(metafeatures).__name__} instead."
            )
        raw = aligned_values(metafeatures, self.names_)
        with np.errstate(all="ignore"):  # +-inf stays infinite here (then clipped)
            x = (np.arcsinh(raw) - self.center_) / self.scale_
        missing = np.isnan(x)
        x = np.clip(np.nan_to_num(x, nan=0.0), -self.clip, self.clip)
        out = np.concatenate([x, missing[:, self.missing_].astype(np.float64)], axis=1)
        return out.astype(np.float32)

    def fit_transform(self, metafeatures: pd.DataFrame) -> np.ndarray:
        return self.fit(metafeatures).transform(metafeatures)

    # -- persistence ------------------------------------------------------------------------
    def state(self, prefix: str = "scaler.") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"names": self.names_, "clip": self.clip}
        arrays = {
            f"{prefix}center": self.center_.astype(np.float64),
            f"{prefix}scale": self.scale_.astype(np.float64),
            f"{prefix}missing": self.missing_.astype(np.uint8),
        }
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str = "scaler."
    ) -> MetaFeatureScaler:
        scaler = cls(clip=meta["clip"])
        scaler.names_ = list(meta["names"])
        scaler.center_ = np.asarray(arrays[f"{prefix}center"], dtype=np.float64)
        scaler.scale_ = np.asarray(arrays[f"{prefix}scale"], dtype=np.float64)
        scaler.missing_ = np.asarray(arrays[f"{prefix}missing"]).astype(bool)
        return scaler


def compress(values: np.ndarray) -> np.ndarray:
    """``arcsinh`` of the values (counts and ratios span orders of magnitude); non-finite
    results become NaN (undefined)."""
    with np.errstate(all="ignore"):
        x = np.arcsinh(values)
    x[~np.isfinite(x)] = np.nan
    return x


def robust_center_scale(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the NaN-aware median (0 where undefined) and inter-quartile range (or
    standard deviation, or 1, where that is zero or undefined)."""
    with np.errstate(all="ignore"), _nan_warnings_off():
        median = np.nanmedian(x, axis=0)
        q75, q25 = np.nanpercentile(x, [75, 25], axis=0)
        std = np.nanstd(x, axis=0)
    scale = q75 - q25
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, std)
    scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
    return np.where(np.isfinite(median), median, 0.0), scale


def aligned_values(metafeatures: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The float matrix of ``metafeatures``' columns ``names`` (matched as strings; the
    first of duplicated columns; NaN for absent ones); a DataError if not numeric."""
    frame = metafeatures.copy()
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()].reindex(columns=names)
    try:
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"The meta-features must be numeric ({exc}).") from None


@contextlib.contextmanager
def _nan_warnings_off() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def encode_configurations(configurations: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Numeric encoding of a pool of configurations.

    Parameters
    ----------
    configurations : DataFrame
        Index ``config_id``; columns ``learner`` and ``params`` (JSON), as
        :attr:`TaskData.configurations`.

    Returns
    -------
    matrix : ndarray of shape (n_configurations, n_columns), float32
        A one-hot of the learner (columns ``learner=<name>``), then, for each learner of
        the pool, its hyperparameter encoding (``<learner>:<encoded name>``; numeric
        hyperparameters as their position in [0, 1] on their natural or log scale,
        categoricals one-hot, specials as indicators), zeros for the other learners.
    names : list of str
        The column names.
    """
    import json

    from autometa.learners import get_learner

    learners = sorted({str(name) for name in configurations["learner"]})
    blocks: dict[str, tuple[int, int]] = {}
    names = [f"learner={name}" for name in learners]
    for name in learners:
        enc = get_learner(name).encoded_names()
        blocks[name] = (len(names), len(names) + len(enc))
        names += [f"{name}:{e}" for e in enc]
    matrix = np.zeros((len(configurations), len(names)), dtype=np.float32)
    for row, (learner, params) in enumerate(
        zip(configurations["learner"], configurations["params"])
    ):
        learner = str(learner)
        matrix[row, learners.index(learner)] = 1.0
        lo, hi = blocks[learner]
        values = json.loads(params) if isinstance(params, str) else dict(params)
        matrix[row, lo:hi] = get_learner(learner).encode(values)
    return matrix, names


def resolve_device(device: Any, owner: str) -> Any:
    """``torch.device(device)`` with the project's error wording."""
    import torch

    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ParameterError(
            f"The 'device' parameter of {owner} must be a torch device such as 'cpu' or "
            f"'cuda:0'. Got {device!r} instead."
        ) from None


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[Any]:
    """Run a block with torch's global RNG seeded, restoring it afterwards.

    Also turns on deterministic algorithms for the block (restoring the previous
    setting). Yields a ``torch.Generator`` seeded from ``seed`` for explicit sampling.
    """
    import torch

    previous = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield torch.Generator().manual_seed(seed)
        finally:
            torch.use_deterministic_algorithms(previous)


def state_to_arrays(module: Any, prefix: str) -> dict[str, np.ndarray]:
    """A module's state dict as named numpy arrays (keys ``prefix + name``)."""
    return {
        f"{prefix}{key}": value.detach().cpu().numpy().copy()
        for key, value in module.state_dict().items()
    }


def arrays_to_state(module: Any, arrays: Mapping[str, np.ndarray], prefix: str) -> None:
    """Load named numpy arrays written by :func:`state_to_arrays` into ``module``."""
    import torch

    wanted = module.state_dict().keys()
    try:
        state = {key: torch.as_tensor(np.asarray(arrays[f"{prefix}{key}"])) for key in wanted}
        module.load_state_dict(state)
    except (KeyError, RuntimeError) as exc:
        raise architecture_mismatch(exc) from None


def module_from_weights(build: Callable[[], Any], weights: Mapping[str, np.ndarray]) -> Any:
    """The torch module ``build()`` with the state dict ``weights`` loaded, in eval mode."""
    module = build()
    arrays_to_state(module, weights, "")
    return module.eval()


def state_with_prefix(arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays named ``prefix + name``, as ``name`` -> array (a module's state dict)."""
    return {k[len(prefix) :]: np.asarray(v) for k, v in arrays.items() if k.startswith(prefix)}


class EncoderWeights:
    """The embedding encoder of :class:`~autometa.models.PrototypeModel` and
    :class:`~autometa.models.SimilarityModel`: numpy weights, torch on demand.

    The trained encoder's weights are kept as numpy arrays (``encoder_weights_``, what is
    saved), from which :meth:`_embed` computes embeddings in numpy; ``encoder_``, the torch
    module, is built from them when training needs it.
    """

    hidden: int
    dim: int
    dropout: float
    scaler_: MetaFeatureScaler
    _device: Any
    encoder_weights_: dict[str, np.ndarray]
    _encoder: Any = None
    _encoder_forward: EncoderForward | None = None

    def _new_encoder(self) -> Any:
        """A freshly initialized torch encoder on the model's device."""
        from autometa.models._torch_nets import encoder

        module = encoder(
            self.scaler_.n_outputs, int(self.hidden), int(self.dim), float(self.dropout)
        )
        return module.to(self._device)

    def _trained_encoder(self, module: Any) -> None:
        """Keep the weights of the trained ``module`` as numpy arrays."""
        self._encoder = module.eval()
        self.encoder_weights_ = state_to_arrays(module, "")
        self._encoder_forward = None

    @property
    def encoder_(self) -> Any:
        """The encoder as a torch module (built from ``encoder_weights_`` on first use;
        embeddings do not use it)."""
        if self._encoder is None:
            self._encoder = module_from_weights(self._new_encoder, self.encoder_weights_)
        return self._encoder

    def _embed(self, x: np.ndarray) -> np.ndarray:
        """Embeddings (float64) of scaled meta-features, in numpy."""
        if self._encoder_forward is None:
            self._encoder_forward = EncoderForward(self.encoder_weights_)
        return self._encoder_forward(x)

    def _encoder_arrays(self, prefix: str = "encoder.") -> dict[str, np.ndarray]:
        return {f"{prefix}{k}": v for k, v in self.encoder_weights_.items()}

    def _load_encoder(self, arrays: Mapping[str, np.ndarray], prefix: str = "encoder.") -> None:
        weights = state_with_prefix(arrays, prefix)
        shapes = encoder_shapes(self.scaler_.n_outputs, int(self.hidden), int(self.dim))
        check_state(weights, shapes)
        self.encoder_weights_ = weights
        self._encoder = None
        self._encoder_forward = None
