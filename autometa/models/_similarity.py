"""A learned dataset similarity: meta-features embedded so that near means "ranks alike".

Metric learning on the knowledge base. Two training datasets *agree* when their
configuration rankings agree: the Spearman correlation of their normalized-score vectors
over the configurations evaluated on both. A small network ``f`` embeds the (robustly
scaled) meta-features; for each training dataset ``a`` (the anchor), the softmax over the
other datasets ``b`` of ``-||f(a) - f(b)||^2`` is fitted, by cross-entropy, to the softmax
of their agreement ``rho(a, b) / temperature``: datasets that rank configurations alike
are pulled together, the others pushed apart (a soft nearest-neighbour / Siamese
objective). Pairs of the same family (near-duplicates) are left out of the objective, as
they are left out of evaluation: the embedding must find agreeing datasets that are not
copies.

Uses of the embedding distance:

- **ranking** (:meth:`SimilarityModel.rank`): auto-sklearn's nearest-datasets order --
  the best configuration of the nearest training dataset, then of the second nearest, and
  so on (deduplicated) for ``n_configs`` configurations, then the rest by
  :meth:`predict`'s estimate;
- **estimate** (:meth:`SimilarityModel.predict`): each configuration's mean normalized
  score over the ``n_neighbours`` nearest training datasets (in [0, 1]; ``std``: their
  spread);
- **neighbours and out-of-distribution** (:meth:`neighbours`, :meth:`ood_score`): as
  :class:`~autometa.models.PrototypeModel`'s, in the learned space: the distance to the
  nearest training dataset, as a percentile of the training datasets' own distances to
  the nearest dataset of another family.

The encoder is trained in torch; its weights are kept as numpy arrays and embeddings are
computed from them in numpy (:class:`~autometa.models._torch_utils.EncoderWeights`), so a
loaded model predicts, ranks and scores without importing torch.

Measured against the hand-made distances in ``benchmarks/README.md`` ("Meta-learning
methods"); it is not the default of anything unless that table says it wins.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError, ParameterError
from autometa.models._base import MetaModel, OODScorer, Prediction, TaskData, check_positive_int
from autometa.models._surrogate import _check_float
from autometa.models._torch_utils import (
    EncoderWeights,
    MetaFeatureScaler,
    as_frame,
    resolve_device,
    seeded,
)

if TYPE_CHECKING:
    import torch

__all__ = ["SimilarityModel", "ranking_agreement"]

logger = logging.getLogger(__name__)


def ranking_agreement(scores: pd.DataFrame, min_shared: int = 3) -> np.ndarray:
    """Spearman correlation of every pair of rows over the columns defined on both.

    Parameters
    ----------
    scores : DataFrame
        Datasets (rows) x configurations (columns), NaN where not evaluated.
    min_shared : int, default=3
        Pairs with fewer shared configurations get NaN.

    Returns
    -------
    ndarray of shape (n_datasets, n_datasets)
        1 on the diagonal; NaN where undefined (constant rows, too few shared columns).
    """
    corr = scores.T.astype("float64").corr(method="spearman", min_periods=int(min_shared))
    return corr.to_numpy(dtype=np.float64)


class SimilarityModel(EncoderWeights, OODScorer, MetaModel):
    """Nearest datasets in a meta-feature embedding learned from ranking agreement.

    Parameters
    ----------
    hidden : int, default=64
        Width of the encoder's hidden layer.
    dim : int, default=8
        Size of the embedding.
    epochs : int, default=300
        Full-batch gradient steps.
    learning_rate : float, default=3e-3
    weight_decay : float, default=1e-3
    temperature : float, default=0.1
        Temperature of the target softmax over agreements: smaller pulls only the most
        agreeing datasets together.
    dropout : float, default=0.1
    n_configs : int, default=50
        Configurations taken from the nearest datasets' best, as in
        :class:`~autometa.models.NearestDatasets50`.
    n_neighbours : int, default=5
        Nearest training datasets averaged by :meth:`predict`.
    level : float, default=0.95
        Quantile of the training datasets' distances used as the out-of-distribution
        threshold (:attr:`ood_threshold_`).
    device : str or torch.device, default="cpu"
    random_state : int, default=0
        Seeds initialization and dropout: the same seed gives identical results on CPU.
    """

    name: ClassVar[str] = "similarity"

    def __init__(
        self,
        *,
        hidden: int = 64,
        dim: int = 8,
        epochs: int = 300,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-3,
        temperature: float = 0.1,
        dropout: float = 0.1,
        n_configs: int = 50,
        n_neighbours: int = 5,
        level: float = 0.95,
        device: Any = "cpu",
        random_state: int = 0,
    ) -> None:
        super().__init__(random_state=random_state)
        self.hidden = hidden
        self.dim = dim
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.temperature = temperature
        self.dropout = dropout
        self.n_configs = n_configs
        self.n_neighbours = n_neighbours
        self.level = level
        self.device = device

    def _check_params(self) -> None:
        owner = type(self).__name__
        for name in ("hidden", "dim", "epochs", "n_configs", "n_neighbours"):
            check_positive_int(getattr(self, name), name, owner)
        for name in ("learning_rate", "temperature"):
            _check_float(getattr(self, name), name, owner)
        _check_float(self.weight_decay, "weight_decay", owner, strict=False)
        for name, value in (("dropout", self.dropout), ("level", self.level)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            bounds = (0 <= value < 1) if name == "dropout" else (0 < value <= 1)
            if not ok or not bounds:
                allowed = "[0, 1)" if name == "dropout" else "(0, 1]"
                raise ParameterError(
                    f"The '{name}' parameter of {owner} must be a float in {allowed}. "
                    f"Got {value!r} instead."
                )
        self._device = resolve_device(self.device, owner)

    # -- fitting ------------------------------------------------------------------------------
    def _fit(self, data: TaskData) -> None:
        start = time.perf_counter()
        self._check_params()
        import torch

        self.scaler_ = MetaFeatureScaler().fit(data.metafeatures)
        x = self.scaler_.transform(data.metafeatures)
        n = x.shape[0]
        agree = ranking_agreement(data.scores)
        families = np.asarray([str(f) for f in data.families.loc[data.scores.index]])
        valid = (families[:, None] != families[None, :]) & np.isfinite(agree)
        with seeded(int(self.random_state)):
            self._encoder = self._new_encoder()
            if n >= 2 and valid.any():
                x_t = torch.as_tensor(x, device=self._device)
                self._train(x_t, torch.tensor(agree), torch.tensor(valid))
        self._trained_encoder(self._encoder)
        scores = data.scores.to_numpy(dtype=np.float64)
        evaluated = ~np.isnan(scores)
        counts = evaluated.sum(axis=0)
        mean = np.divide(
            np.where(evaluated, scores, 0.0).sum(axis=0),
            counts,
            out=np.zeros(scores.shape[1]),
            where=counts > 0,
        )
        sbs = np.argsort(-mean, kind="stable")
        in_sbs = np.nan_to_num(scores, nan=-np.inf)[:, sbs]
        self.best_ = sbs[np.argmax(in_sbs, axis=1)].astype(np.int64)
        self.sbs_order_ = sbs.astype(np.int64)
        self.train_scores_ = scores
        self.dataset_ids_ = [str(d) for d in data.scores.index]
        self.families_ = [str(f) for f in families]
        self.train_embedding_ = self._embed(x)
        self._calibrate()
        logger.info(
            "%s fitted on %d datasets in %.2f s",
            type(self).__name__,
            n,
            time.perf_counter() - start,
        )

    def _train(self, x: torch.Tensor, agree: torch.Tensor, valid: torch.Tensor) -> None:
        import torch

        valid = valid.to(self._device)
        has = valid.any(dim=1)
        neg = -1e9
        target = torch.where(valid, agree.to(x.dtype).to(self._device), torch.zeros(()))
        p = torch.softmax(
            torch.where(valid, target / float(self.temperature), torch.full_like(target, neg)), -1
        )
        opt = torch.optim.AdamW(
            self.encoder_.parameters(),
            lr=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
        )
        self.encoder_.train()
        for _ in range(int(self.epochs)):
            e = self.encoder_(x)
            d2 = ((e[:, None, :] - e[None, :, :]) ** 2).sum(-1)
            logq = torch.log_softmax(torch.where(valid, -d2, torch.full_like(d2, neg)), -1)
            loss = -(p * torch.where(valid, logq, torch.zeros_like(logq))).sum(-1)[has].mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.encoder_.eval()

    def _calibrate(self) -> None:
        e = self.train_embedding_
        d = np.sqrt(((e[:, None, :] - e[None, :, :]) ** 2).sum(-1))
        fam = np.asarray(self.families_)
        d[fam[:, None] == fam[None, :]] = np.inf
        ref = d.min(axis=1) if d.size else np.array([])
        self._reference_distances = np.sort(ref[np.isfinite(ref)])

    @property
    def reference_distances_(self) -> np.ndarray:
        """Each training dataset's embedding distance to the nearest training dataset of
        another family (sorted)."""
        return self._reference_distances

    @property
    def ood_threshold_(self) -> float:
        """The ``level`` quantile of :attr:`reference_distances_` (each training dataset's
        embedding distance to the nearest training dataset of another family)."""
        ref = self.reference_distances_
        return float(np.quantile(ref, float(self.level))) if ref.size else float("inf")

    # -- distances ----------------------------------------------------------------------------
    def distances(self, metafeatures: pd.DataFrame | pd.Series) -> pd.DataFrame:
        """Embedding distance of each queried dataset (rows) to each training dataset."""
        self._check_fitted()
        frame = as_frame(metafeatures, f"{type(self).__name__}.distances")
        e = self._embed(self.scaler_.transform(frame))
        d = np.sqrt(((e[:, None, :] - self.train_embedding_[None]) ** 2).sum(-1))
        return pd.DataFrame(
            d, index=frame.index, columns=pd.Index(self.dataset_ids_, name="dataset_id")
        )

    def _one(self, metafeatures: pd.Series | pd.DataFrame, method: str) -> np.ndarray:
        self._check_fitted()
        frame = as_frame(metafeatures, f"{type(self).__name__}.{method}")
        if len(frame) != 1:
            raise ParameterError(
                f"{type(self).__name__}.{method} takes the meta-features of one dataset. Got "
                f"{len(frame)} rows instead."
            )
        return self.distances(frame).iloc[0].to_numpy(dtype=np.float64)

    def neighbours(self, metafeatures: pd.Series | pd.DataFrame, k: int = 5) -> pd.DataFrame:
        """The ``k`` training datasets nearest to one dataset in the learned space.

        Returns
        -------
        DataFrame
            Columns ``dataset_id`` and ``distance``, nearest first.
        """
        k = check_positive_int(k, "k", f"{type(self).__name__}.neighbours")
        d = self._one(metafeatures, "neighbours")
        order = np.argsort(d, kind="stable")[:k]
        return pd.DataFrame(
            {"dataset_id": [self.dataset_ids_[i] for i in order], "distance": d[order]}
        )

    def ood_distance(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """The embedding distance from one dataset to its nearest training dataset."""
        d = self._one(metafeatures, "ood_distance")
        return float(d.min()) if d.size else math.inf

    def ood_score(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """How unusual one dataset is, in [0, 1]: :meth:`ood_distance` as a percentile of
        :attr:`reference_distances_`. Above ``level`` (0.95): out of distribution."""
        d = self.ood_distance(metafeatures)
        ref = self.reference_distances_
        if len(ref) == 0:
            return 0.0 if d <= 1e-9 else 1.0
        return float(np.searchsorted(ref, d - 1e-9, side="right") / len(ref))

    def is_ood(self, metafeatures: pd.Series | pd.DataFrame) -> bool:
        """Whether :meth:`ood_score` exceeds ``level``."""
        return self.ood_score(metafeatures) > float(self.level)

    # -- prediction ---------------------------------------------------------------------------
    def _neighbour_estimate(self, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = min(int(self.n_neighbours), dist.shape[1])
        near = np.argsort(dist, axis=1, kind="stable")[:, :k]
        block = self.train_scores_[near]  # (q, k, c)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(block, axis=1)
                std = np.nanstd(block, axis=1)
        mean = np.nan_to_num(mean, nan=0.0)
        return mean, np.nan_to_num(std, nan=0.0)

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        dist = self.distances(metafeatures).to_numpy()
        mean, std = self._neighbour_estimate(dist)
        return Prediction(
            mean=self._frame(mean, metafeatures.index),
            std=self._frame(std, metafeatures.index),
            extras={"distances": dist},
        )

    def rank(
        self,
        metafeatures: pd.Series,
        observed: Mapping[str, float] | None = None,
    ) -> list[str]:
        """The nearest datasets' best configurations in turn (``n_configs`` of them), then
        the rest by :meth:`predict`'s estimate; ``observed`` ones are left out."""
        dist = self._one(metafeatures, "rank")[None]
        mean, _ = self._neighbour_estimate(dist)
        head: list[int] = []
        n_take = min(int(self.n_configs), len(self.sbs_order_))
        for t in np.argsort(dist[0], kind="stable"):
            if len(head) == n_take:
                break
            if int(self.best_[t]) not in head:
                head.append(int(self.best_[t]))
        seen = set(head)
        tail = [int(i) for i in np.argsort(-mean[0], kind="stable") if int(i) not in seen]
        ids = self.config_ids_ or []
        skip = set(observed or ())
        return [ids[i] for i in head + tail if ids[i] not in skip]

    # -- persistence --------------------------------------------------------------------------
    def _params(self) -> dict[str, Any]:
        return {
            "hidden": int(self.hidden),
            "dim": int(self.dim),
            "epochs": int(self.epochs),
            "learning_rate": float(self.learning_rate),
            "weight_decay": float(self.weight_decay),
            "temperature": float(self.temperature),
            "dropout": float(self.dropout),
            "n_configs": int(self.n_configs),
            "n_neighbours": int(self.n_neighbours),
            "level": float(self.level),
        }

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        scaler_meta, arrays = self.scaler_.state()
        arrays.update(self._encoder_arrays())
        arrays["train_embedding"] = self.train_embedding_
        arrays["train_scores"] = self.train_scores_
        arrays["best"] = self.best_
        arrays["sbs_order"] = self.sbs_order_
        arrays["reference_distances"] = self.reference_distances_
        meta = {
            "params": self._params(),
            "scaler": scaler_meta,
            "dataset_ids": self.dataset_ids_,
            "families": self.families_,
        }
        return meta, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        for key, value in meta["params"].items():
            setattr(self, key, value)
        self.device = "cpu"
        self._device = "cpu"
        self.scaler_ = MetaFeatureScaler.from_state(meta["scaler"], arrays)
        self._load_encoder(arrays)
        self.dataset_ids_ = list(meta["dataset_ids"])
        self.families_ = list(meta["families"])
        self.train_embedding_ = np.asarray(arrays["train_embedding"], dtype=np.float64)
        self.train_scores_ = np.asarray(arrays["train_scores"], dtype=np.float64)
        self.best_ = np.asarray(arrays["best"], dtype=np.int64)
        self.sbs_order_ = np.asarray(arrays["sbs_order"], dtype=np.int64)
        self._reference_distances = np.asarray(arrays["reference_distances"], dtype=np.float64)
        if len(self.best_) != len(self.dataset_ids_):
            raise ModelError(
                f"The saved '{self.name}' model is inconsistent: {len(self.best_)} best "
                f"configurations for {len(self.dataset_ids_)} training datasets. Retrain it."
            )
