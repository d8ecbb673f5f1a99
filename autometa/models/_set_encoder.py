"""A learned representation of the data itself: a Dataset2Vec-style set encoder.

Hand-crafted meta-features summarize a dataset by statistics chosen in advance. A set
encoder (Jomaa, Schmidt-Thieme and Grabocka, *Dataset2Vec*, 2021) instead reads a sample
of the rows: for each (feature, target column) pair, the rows' ``(x, y)`` values go
through ``phi`` and are averaged over the rows, the result goes through ``psi`` and is
averaged over the pairs, and ``rho`` maps that to a fixed-size embedding
(:class:`~autometa.models._torch_nets.SetEncoderNet`). The averages make the embedding
independent of the order of the rows and of the feature columns, and defined for any
number of them.

Inputs (:func:`prepare_sample`): up to ``max_rows`` rows and ``max_features`` feature
columns drawn at random, each feature numeric (categories as their codes), standardized
and clipped to [-5, 5], missing values 0; the target one-hot over its most frequent
classes (the rest pooled in one column), or standardized for regression. The encoder sees
draws of ``rows`` rows and ``features`` features of that sample; a dataset's embedding is
the mean over ``n_draws`` draws.

Meta-objective (:class:`SetEncoderModel`, trained in torch on the training datasets'
samples only): the same ranking agreement as :class:`~autometa.models.SimilarityModel`
-- for each draw in a batch, the softmax over the other draws of ``-||e_a - e_b||^2`` is
fitted to the softmax of the Spearman agreement of the two datasets' normalized scores
at a temperature, where two draws of one dataset agree fully (Dataset2Vec's own
"same dataset" signal) and pairs of different datasets of one family are left out.

The embedding feeds a *head*, any meta-model that reads meta-features (``"surrogate"``,
``"relation"``, ``"nearest50"``), alone (``combine=False``) or as extra columns beside the
hand-crafted meta-features (``combine=True``). The columns are named
``dataset2vec.0``, ``dataset2vec.1``, ...

It needs raw data when fitting and when predicting, which the rest of autometa does not:
``samples`` maps dataset ids to :class:`DataSample` (e.g. a :class:`DatasetSamples`); a
query row is looked up there by its index unless it already carries the
``dataset2vec.*`` columns (:meth:`SetEncoderModel.set_features`). It is a benchmark method,
not part of :func:`autometa.recommend` (``benchmarks/README.md``, "Representations").
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
import warnings
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import DataError, ParameterError
from autometa.models._base import MetaModel, Prediction, TaskData, check_positive_int
from autometa.models._numpy_nets import SetEncoderForward, check_state, set_encoder_shapes
from autometa.models._surrogate import _check_float
from autometa.models._torch_utils import (
    as_frame,
    resolve_device,
    seeded,
    state_to_arrays,
    state_with_prefix,
)

if TYPE_CHECKING:
    import torch

__all__ = [
    "SET_PREFIX",
    "DataSample",
    "DatasetSamples",
    "SetEncoderModel",
    "prepare_sample",
]

logger = logging.getLogger(__name__)

#: The prefix of the embedding's columns (``dataset2vec.0``, ...).
SET_PREFIX = "dataset2vec."
#: Target columns of a sample: a classification target is one-hot over its
#: ``MAX_TARGETS - 1`` most frequent classes plus one column for the others (or over all
#: of them when there are at most ``MAX_TARGETS``); a regression target is one column.
MAX_TARGETS = 4
_CLIP = 5.0
_HEADS = ("surrogate", "relation", "nearest50")


# ---------------------------------------------------------------------------------------------
# samples of raw data
@dataclass(frozen=True)
class DataSample:
    """A standardized sample of one dataset, what the set encoder reads.

    Attributes
    ----------
    x : ndarray of shape (rows, features), float32
        Standardized features, clipped to [-5, 5]; missing values 0.
    y : ndarray of shape (rows, targets), float32
        The target: one-hot classes (at most :data:`MAX_TARGETS` columns) or one
        standardized column.
    """

    x: np.ndarray
    y: np.ndarray


def _standardize(values: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        std = np.nanstd(values, axis=0)
    std = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
    z = (values - np.nan_to_num(mean)) / std
    return np.clip(np.nan_to_num(z, nan=0.0, posinf=_CLIP, neginf=-_CLIP), -_CLIP, _CLIP)


def _numeric(frame: pd.DataFrame) -> np.ndarray:
    cols = []
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            cols.append(pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64))
        else:
            codes = pd.Categorical(col.astype("string")).codes.astype(np.float64)
            cols.append(np.where(codes < 0, np.nan, codes))
    if not cols:
        return np.zeros((len(frame), 0))
    return np.column_stack(cols)


def prepare_sample(
    X: pd.DataFrame | np.ndarray,
    y: pd.Series | np.ndarray,
    task: str,
    *,
    max_rows: int = 1024,
    max_features: int = 64,
    random_state: int = 0,
) -> DataSample:
    """The :class:`DataSample` of a dataset: rows and features drawn at random, standardized.

    Parameters
    ----------
    X : DataFrame or ndarray
        The features (numeric, boolean or categorical; missing values allowed).
    y : Series or ndarray
        The target.
    task : {"classification", "regression"}
    max_rows, max_features : int
        At most this many rows and feature columns are kept (drawn without replacement);
        smaller datasets are kept whole, in their order.
    random_state : int, default=0
    """
    if task not in ("classification", "regression"):
        raise ParameterError(
            "The 'task' parameter of prepare_sample must be 'classification' or "
            f"'regression'. Got {task!r} instead."
        )
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    target = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if len(frame) != len(target) or len(frame) == 0:
        raise DataError(
            "prepare_sample needs as many target values as rows, and at least one row. "
            f"Got {len(frame)} rows and {len(target)} target values."
        )
    rng = np.random.default_rng(random_state)
    rows = np.arange(len(frame))
    if len(rows) > max_rows:
        rows = np.sort(rng.choice(len(rows), size=max_rows, replace=False))
    cols = np.arange(frame.shape[1])
    if len(cols) > max_features:
        cols = np.sort(rng.choice(len(cols), size=max_features, replace=False))
    x = _standardize(_numeric(frame.iloc[rows, cols]))
    t = target.iloc[rows]
    if task == "regression":
        values = pd.to_numeric(t, errors="coerce").to_numpy(dtype=np.float64)[:, None]
        ty = _standardize(values)
    else:
        labels = t.astype("string").fillna("<missing>")
        counts = target.astype("string").fillna("<missing>").value_counts()
        order = sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))
        keep = order if len(order) <= MAX_TARGETS else order[: MAX_TARGETS - 1]
        ty = np.column_stack([(labels == c).to_numpy(dtype=np.float64) for c in keep])
        if len(order) > len(keep):
            ty = np.column_stack([ty, (~labels.isin(keep)).to_numpy(dtype=np.float64)])
    return DataSample(x=x.astype(np.float32), y=ty.astype(np.float32))


class DatasetSamples(Mapping[str, DataSample]):
    """Samples of raw data by dataset id: the data a :class:`SetEncoderModel` reads.

    A read-only mapping ``dataset_id -> DataSample``; saved to and loaded from one
    ``.npz`` file (a cache; no pickles).

    Examples
    --------
    >>> samples = DatasetSamples.from_frames({"d1": (X, y)}, task="classification")  # doctest: +SKIP
    """

    def __init__(self, samples: Mapping[str, DataSample] | None = None) -> None:
        self._samples: dict[str, DataSample] = dict(samples or {})

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, tuple[Any, Any]],
        task: str,
        **kwargs: Any,
    ) -> DatasetSamples:
        """Samples of ``{dataset_id: (X, y)}`` (keyword arguments: :func:`prepare_sample`'s)."""
        return cls({str(k): prepare_sample(x, y, task, **kwargs) for k, (x, y) in frames.items()})

    def __getitem__(self, key: str) -> DataSample:
        return self._samples[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._samples)

    def __len__(self) -> int:
        return len(self._samples)

    def save(self, path: str | Path) -> None:
        """Write every sample to one ``.npz`` file."""
        ids = list(self._samples)
        arrays: dict[str, np.ndarray] = {"ids": np.array(ids, dtype=np.str_)}
        for i, key in enumerate(ids):
            arrays[f"x{i}"] = self._samples[key].x
            arrays[f"y{i}"] = self._samples[key].y
        np.savez_compressed(path, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> DatasetSamples:
        """Read a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as archive:
            ids = [str(v) for v in archive["ids"]]
            return cls(
                {k: DataSample(x=archive[f"x{i}"], y=archive[f"y{i}"]) for i, k in enumerate(ids)}
            )


@dataclass(frozen=True)
class _Batch:
    x: np.ndarray  # (b, rows, features)
    y: np.ndarray  # (b, rows, targets)
    row_mask: np.ndarray
    feature_mask: np.ndarray
    target_mask: np.ndarray


def _draw(
    samples: Sequence[DataSample], rows: int, features: int, rng: np.random.Generator
) -> _Batch:
    """One draw of at most ``rows`` rows and ``features`` features of each sample, padded."""
    b = len(samples)
    # padded to the largest sample of the batch, not to the limits
    rows = min(rows, max(s.x.shape[0] for s in samples))
    features = max(1, min(features, max(s.x.shape[1] for s in samples)))
    targets = min(MAX_TARGETS, max(s.y.shape[1] for s in samples))
    x = np.zeros((b, rows, features), dtype=np.float32)
    y = np.zeros((b, rows, targets), dtype=np.float32)
    rm = np.zeros((b, rows), dtype=np.float32)
    fm = np.zeros((b, features), dtype=np.float32)
    tm = np.zeros((b, targets), dtype=np.float32)
    for i, s in enumerate(samples):
        n, f = s.x.shape
        r = np.arange(n) if n <= rows else rng.choice(n, size=rows, replace=False)
        c = np.arange(f) if f <= features else rng.choice(f, size=features, replace=False)
        t = min(s.y.shape[1], targets)
        x[i, : len(r), : len(c)] = s.x[np.ix_(r, c)]
        y[i, : len(r), :t] = s.y[r, :t]
        rm[i, : len(r)] = 1.0
        fm[i, : len(c)] = 1.0
        tm[i, :t] = 1.0
    return _Batch(x, y, rm, fm, tm)


def _seed(random_state: int, key: str) -> np.random.Generator:
    return np.random.default_rng([int(random_state), zlib.crc32(key.encode())])


# ---------------------------------------------------------------------------------------------
# the model
class SetEncoderModel(MetaModel):
    """A head meta-model fed with a set-encoder embedding of the raw data.

    Parameters
    ----------
    samples : mapping of str to DataSample, optional
        Raw-data samples by dataset id (:class:`DatasetSamples`): every training dataset
        must have one; query rows are looked up by their index unless they carry the
        ``dataset2vec.*`` columns. Not saved with the model: set ``model.samples`` on a
        loaded model, or pass the columns (:meth:`set_features`).
    head : {"surrogate", "relation", "nearest50"}, default="surrogate"
        The registered meta-model fitted on the representation.
    combine : bool, default=True
        Feed the head the hand-crafted meta-features and the embedding; False: the
        embedding alone.
    head_params : dict, optional
        Keyword arguments of the head (``random_state`` is this model's).
    hidden : int, default=32
        Width of ``phi``, ``psi`` and ``rho``.
    dim : int, default=16
        Size of the embedding.
    epochs : int, default=150
        Gradient steps of the encoder (each on ``batch_datasets`` datasets, two draws each).
    batch_datasets : int, default=8
    rows : int, default=128
        Rows per draw while training.
    embed_rows : int, default=256
        Rows per draw when embedding.
    features : int, default=16
        Feature columns per draw.
    n_draws : int, default=8
        Draws averaged into a dataset's embedding.
    learning_rate : float, default=3e-3
    weight_decay : float, default=1e-4
    temperature : float, default=0.1
        Temperature of the target softmax over ranking agreements.
    device : str or torch.device, default="cpu"
    random_state : int, default=0

    Notes
    -----
    ``predict`` returns the head's values: estimated normalized scores for the
    ``"surrogate"`` and ``"relation"`` heads, ordering scores for ``"nearest50"``.
    """

    name: ClassVar[str] = "dataset2vec"

    def __init__(
        self,
        *,
        samples: Mapping[str, DataSample] | None = None,
        head: str = "surrogate",
        combine: bool = True,
        head_params: Mapping[str, Any] | None = None,
        hidden: int = 32,
        dim: int = 16,
        epochs: int = 150,
        batch_datasets: int = 8,
        rows: int = 128,
        embed_rows: int = 256,
        features: int = 16,
        n_draws: int = 8,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        temperature: float = 0.1,
        device: Any = "cpu",
        random_state: int = 0,
    ) -> None:
        super().__init__(random_state=random_state)
        self.samples = samples
        self.head = head
        self.combine = combine
        self.head_params = head_params
        self.hidden = hidden
        self.dim = dim
        self.epochs = epochs
        self.batch_datasets = batch_datasets
        self.rows = rows
        self.embed_rows = embed_rows
        self.features = features
        self.n_draws = n_draws
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.device = device

    _INT_PARAMS: ClassVar[tuple[str, ...]] = (
        "hidden",
        "dim",
        "epochs",
        "batch_datasets",
        "rows",
        "embed_rows",
        "features",
        "n_draws",
    )

    def _check_params(self) -> None:
        owner = type(self).__name__
        for name in self._INT_PARAMS:
            check_positive_int(getattr(self, name), name, owner)
        for name in ("learning_rate", "temperature"):
            _check_float(getattr(self, name), name, owner)
        _check_float(self.weight_decay, "weight_decay", owner, strict=False)
        if self.head not in _HEADS:
            raise ParameterError(
                f"The 'head' parameter of {owner} must be one of {list(_HEADS)}. "
                f"Got {self.head!r} instead."
            )
        if not isinstance(self.combine, (bool, np.bool_)):
            raise ParameterError(
                f"The 'combine' parameter of {owner} must be a bool. Got {self.combine!r} instead."
            )
        if self.head_params is not None and not isinstance(self.head_params, Mapping):
            raise ParameterError(
                f"The 'head_params' parameter of {owner} must be a dict or None. "
                f"Got {type(self.head_params).__name__} instead."
            )
        self._device = resolve_device(self.device, owner)

    @property
    def columns_(self) -> list[str]:
        """The names of the embedding's columns."""
        return [f"{SET_PREFIX}{i}" for i in range(int(self.dim))]

    # -- fitting ------------------------------------------------------------------------------
    def _training_samples(self, data: TaskData) -> list[DataSample]:
        missing = [d for d in data.dataset_ids if self.samples is None or d not in self.samples]
        if missing:
            shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
            raise DataError(
                f"{type(self).__name__} reads the raw data of every training dataset, and "
                f"{len(missing)} of {len(data.dataset_ids)} have no sample ({shown}). Pass "
                "samples=DatasetSamples.from_frames({dataset_id: (X, y), ...}, task)."
            )
        assert self.samples is not None
        return [self.samples[d] for d in data.dataset_ids]

    def _fit(self, data: TaskData) -> None:
        from autometa.models._similarity import ranking_agreement

        start = time.perf_counter()
        self._check_params()
        train = self._training_samples(data)
        agree = ranking_agreement(data.scores)
        families = np.asarray([str(f) for f in data.families.loc[data.scores.index]])
        self.encoder_weights_, self.loss_curve_ = self._train_encoder(
            data.dataset_ids, train, agree, families
        )
        self._forward: SetEncoderForward | None = None
        emb = self._embed_samples(data.dataset_ids, train)
        emb_frame = pd.DataFrame(emb, index=data.scores.index, columns=self.columns_)
        head_data = dataclasses.replace(
            data, metafeatures=self._head_input(data.metafeatures, emb_frame)
        )
        self.head_ = self._new_head().fit(head_data)
        logger.info(
            "%s fitted on %d datasets in %.2f s",
            type(self).__name__,
            len(train),
            time.perf_counter() - start,
        )

    def _new_head(self) -> MetaModel:
        from autometa.models._registry import model_class

        params = dict(self.head_params or {})
        params["random_state"] = int(self.random_state)
        return model_class(str(self.head))(**params)

    def _train_encoder(
        self,
        dataset_ids: Sequence[str],
        samples: Sequence[DataSample],
        agree: np.ndarray,
        families: np.ndarray,
    ) -> tuple[dict[str, np.ndarray], list[float]]:
        """Train the encoder on the training datasets' samples; its weights and the loss
        of each step."""
        import torch

        from autometa.models._torch_nets import SetEncoderNet

        n = len(samples)
        rng = np.random.default_rng(int(self.random_state))
        losses: list[float] = []
        with seeded(int(self.random_state)):
            net = SetEncoderNet(int(self.hidden), int(self.dim)).to(self._device)
            opt = torch.optim.AdamW(
                net.parameters(),
                lr=float(self.learning_rate),
                weight_decay=float(self.weight_decay),
            )
            b = min(int(self.batch_datasets), n)
            steps = int(self.epochs)
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps))
            )
            net.train()
            for _ in range(steps):
                idx = rng.choice(n, size=b, replace=False)
                items = np.repeat(idx, 2)
                batch = _draw(
                    [samples[int(i)] for i in items], int(self.rows), int(self.features), rng
                )
                loss = self._loss(net, batch, items, agree, families)
                if loss is None:
                    continue
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                losses.append(float(loss.detach()))
            net.eval()
        return state_to_arrays(net, ""), losses

    def _loss(
        self,
        net: Any,
        batch: _Batch,
        items: np.ndarray,
        agree: np.ndarray,
        families: np.ndarray,
    ) -> torch.Tensor | None:
        import torch

        same = items[:, None] == items[None, :]
        target = np.where(same, 1.0, agree[np.ix_(items, items)])
        fam = families[items]
        valid = (~np.eye(len(items), dtype=bool)) & np.isfinite(target)
        valid &= same | (fam[:, None] != fam[None, :])
        has = valid.any(axis=1)
        if not has.any():
            return None
        dev = self._device
        tensors = [
            torch.as_tensor(a, device=dev)
            for a in (batch.x, batch.y, batch.row_mask, batch.feature_mask, batch.target_mask)
        ]
        e = net(*tensors)
        v = torch.as_tensor(valid, device=dev)
        neg = -1e9
        t = torch.as_tensor(np.nan_to_num(target), dtype=e.dtype, device=dev)
        p = torch.softmax(torch.where(v, t / float(self.temperature), torch.full_like(t, neg)), -1)
        d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
        logq = torch.log_softmax(torch.where(v, -d2, torch.full_like(d2, neg)), -1)
        per = -(p * torch.where(v, logq, torch.zeros_like(logq))).sum(-1)
        return per[torch.as_tensor(has, device=dev)].mean()

    # -- the embedding ------------------------------------------------------------------------
    def _encoder(self) -> SetEncoderForward:
        if getattr(self, "_forward", None) is None:
            self._forward = SetEncoderForward(self.encoder_weights_)
        assert self._forward is not None
        return self._forward

    def _embed_samples(self, keys: Sequence[str], samples: Sequence[DataSample]) -> np.ndarray:
        """(datasets, dim): each sample's mean embedding over ``n_draws`` draws (the draws
        seeded by ``random_state`` and the key)."""
        forward = self._encoder()
        out = np.zeros((len(samples), int(self.dim)))
        for i, (key, sample) in enumerate(zip(keys, samples)):
            rng = _seed(int(self.random_state), str(key))
            whole = sample.x.shape[0] <= int(self.embed_rows) and sample.x.shape[1] <= int(
                self.features
            )
            draws = 1 if whole else int(self.n_draws)  # every draw is the whole sample
            batch = _draw([sample] * draws, int(self.embed_rows), int(self.features), rng)
            e = forward(batch.x, batch.y, batch.row_mask, batch.feature_mask, batch.target_mask)
            out[i] = e.mean(axis=0)
        return out

    def embed(self, samples: Sequence[DataSample]) -> np.ndarray:
        """The embeddings (datasets, dim) of samples (:func:`prepare_sample`), in numpy."""
        self._check_fitted()
        return self._embed_samples([""] * len(samples), list(samples))

    def set_features(self, samples: Mapping[str, DataSample]) -> pd.DataFrame:
        """The ``dataset2vec.*`` columns of each sample (index: its key), to join to the
        meta-features given to :meth:`predict`."""
        self._check_fitted()
        keys = [str(k) for k in samples]
        emb = self._embed_samples(keys, [samples[k] for k in samples])
        return pd.DataFrame(emb, index=pd.Index(keys, name="dataset_id"), columns=self.columns_)

    def _head_input(self, metafeatures: pd.DataFrame, emb: pd.DataFrame) -> pd.DataFrame:
        if not self.combine:
            return emb
        hand = metafeatures.drop(columns=[c for c in metafeatures.columns if c in emb.columns])
        return pd.concat([hand, emb], axis=1)

    def _query_embedding(self, frame: pd.DataFrame) -> pd.DataFrame:
        cols = self.columns_
        if all(c in frame.columns for c in cols):
            return frame[cols].astype("float64")
        emb = np.full((len(frame), len(cols)), np.nan)
        missing = []
        for i, key in enumerate(frame.index):
            key = str(key)
            if self.samples is not None and key in self.samples:
                emb[i] = self._embed_samples([key], [self.samples[key]])[0]
            else:
                missing.append(key)
        if missing:
            warnings.warn(
                f"{type(self).__name__} has no raw-data sample of {len(missing)} queried "
                f"dataset(s) ({', '.join(missing[:3])}); their embedding is missing (NaN). "
                "Pass their samples (model.samples) or the dataset2vec.* columns.",
                UserWarning,
                stacklevel=3,
            )
        return pd.DataFrame(emb, index=frame.index, columns=cols)

    # -- prediction ---------------------------------------------------------------------------
    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        frame = as_frame(metafeatures, type(self).__name__)
        x = self._head_input(frame, self._query_embedding(frame))
        return self.head_.predict(x)

    # -- persistence --------------------------------------------------------------------------
    _ARCH: ClassVar[tuple[str, ...]] = ("hidden", "dim", "embed_rows", "features", "n_draws")
    _TRAINING: ClassVar[tuple[str, ...]] = (
        "epochs",
        "batch_datasets",
        "rows",
        "learning_rate",
        "weight_decay",
        "temperature",
    )

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        head_meta, head_arrays = self.head_._state()
        arrays = {f"encoder.{k}": v for k, v in self.encoder_weights_.items()}
        arrays.update({f"head.{k}": v for k, v in head_arrays.items()})
        meta = {
            "architecture": {k: getattr(self, k) for k in self._ARCH},
            "training": {k: getattr(self, k) for k in self._TRAINING},
            "head": str(self.head),
            "combine": bool(self.combine),
            "head_params": dict(self.head_params or {}),
            "head_state": head_meta,
            "loss_curve": [float(v) for v in self.loss_curve_],
        }
        return meta, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        from autometa.models._registry import model_class

        for key, value in {**meta["architecture"], **meta["training"]}.items():
            setattr(self, key, value)
        self.samples = None
        self.head = str(meta["head"])
        self.combine = bool(meta["combine"])
        self.head_params = dict(meta["head_params"])
        self.device = "cpu"
        self._device = "cpu"
        self.loss_curve_ = list(meta["loss_curve"])
        weights = state_with_prefix(arrays, "encoder.")
        check_state(weights, set_encoder_shapes(int(self.hidden), int(self.dim)))
        self.encoder_weights_ = weights
        self._forward = None
        klass = model_class(self.head)
        head = klass.__new__(klass)
        MetaModel.__init__(head, random_state=self.random_state)
        head.task_, head.metric_ = self.task_, self.metric_
        head.config_ids_ = self.config_ids_
        head.configurations_ = self.configurations_
        head._load_state(meta["head_state"], state_with_prefix(arrays, "head."))
        self.head_ = head
