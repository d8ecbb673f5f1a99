"""Prototype dataset embeddings: which learner wins, which datasets look alike, and OOD.

An encoder maps scaled meta-features to an embedding. It is trained episodically with a
prototypical-network loss (Snell et al., 2017): the classes are the learners that win
(hold the best configuration of the pool) on the training datasets; in each episode the
datasets of each class are split at random into a support, whose mean embedding is the
class prototype, and a query, classified by the softmax of minus the squared distances to
the prototypes.

The fitted model gives, for a new dataset:

- :meth:`PrototypeModel.learner_probabilities`: the softmax over the prototypes;
- :meth:`PrototypeModel.neighbours`: its nearest training datasets in meta-feature space
  (:class:`~autometa.models._space.MetaFeatureSpace`: exact and near duplicates come first),
  with distances (explanations: "looks like these datasets, where X won");
- :meth:`PrototypeModel.ood_distance` and :attr:`PrototypeModel.ood_threshold_`: the
  distance to the nearest training dataset and the threshold above which the dataset is out
  of distribution, calibrated leave-one-family-out on the training datasets at fit time and
  saved with the model; :meth:`PrototypeModel.ood_score` is the same distance as a
  percentile of the training datasets' own;
- :meth:`PrototypeModel.predict`: a score per configuration (the configuration's mean
  normalized score on the nearest training datasets, times the relative probability of
  its learner), so the model also ranks configurations.

The encoder is trained in torch; its weights are kept as numpy arrays and embeddings are
computed from them in numpy (:class:`~autometa.models._torch_utils.EncoderWeights`), so a
loaded model predicts and explains without importing torch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import ModelError, ParameterError
from autometa.models._base import (
    Explainer,
    MetaModel,
    OODScorer,
    Prediction,
    TaskData,
    check_positive_int,
)
from autometa.models._space import MetaFeatureSpace
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

__all__ = ["PrototypeModel"]

logger = logging.getLogger(__name__)


class PrototypeModel(EncoderWeights, Explainer, OODScorer, MetaModel):
    """Prototypical-network embedding of datasets, with neighbours and an OOD score.

    Parameters
    ----------
    dim : int, default=16
        Size of the embedding.
    hidden : int, default=64
        Width of the encoder's hidden layer.
    episodes : int, default=300
        Training episodes (one gradient step each, over all training datasets).
    learning_rate : float, default=3e-3
    weight_decay : float, default=1e-4
    dropout : float, default=0.1
    n_neighbours : int, default=10
        Training datasets whose scores make :meth:`predict`'s configuration scores.
    device : str or torch.device, default="cpu"
    random_state : int, default=0
    """

    name: ClassVar[str] = "prototypes"

    def __init__(
        self,
        *,
        dim: int = 16,
        hidden: int = 64,
        episodes: int = 300,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        dropout: float = 0.1,
        n_neighbours: int = 10,
        device: Any = "cpu",
        random_state: int = 0,
    ) -> None:
        super().__init__(random_state=random_state)
        self.dim = dim
        self.hidden = hidden
        self.episodes = episodes
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.n_neighbours = n_neighbours
        self.device = device

    # -- fitting ------------------------------------------------------------------------------
    def _check_params(self) -> None:
        owner = type(self).__name__
        for name in ("dim", "hidden", "episodes", "n_neighbours"):
            check_positive_int(getattr(self, name), name, owner)
        _check_float(self.learning_rate, "learning_rate", owner)
        _check_float(self.weight_decay, "weight_decay", owner, strict=False)
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ParameterError(
                f"The 'dropout' parameter of {owner} must be a float in [0, 1). "
                f"Got {self.dropout!r} instead."
            )
        self._device = resolve_device(self.device, owner)

    def _fit(self, data: TaskData) -> None:
        import torch

        start = time.perf_counter()
        self._check_params()
        self.scaler_ = MetaFeatureScaler().fit(data.metafeatures)
        x = self.scaler_.transform(data.metafeatures)
        scores = data.scores.to_numpy(dtype=np.float64)
        learners = [str(x) for x in data.configurations["learner"]]
        self.learners_ = sorted(set(learners))
        self.config_learner_ = np.array([self.learners_.index(name) for name in learners])
        # the winning learner of each training dataset
        best = np.full((len(scores), len(self.learners_)), -np.inf)
        for j in range(len(self.learners_)):
            cols = self.config_learner_ == j
            with np.errstate(all="ignore"):
                best[:, j] = np.nanmax(
                    np.where(np.isnan(scores[:, cols]), -np.inf, scores[:, cols]), 1
                )
        self.labels_ = best.argmax(axis=1)
        self.dataset_ids_ = [str(d) for d in data.dataset_ids]
        self.families_ = [str(data.families.get(d, d)) for d in data.dataset_ids]
        self.train_x_ = x
        self.space_ = MetaFeatureSpace().fit(data)
        self.train_scores_ = np.nan_to_num(scores, nan=0.0).astype(np.float32)
        with seeded(int(self.random_state)) as gen:
            self._encoder = self._new_encoder()
            self._train(torch.as_tensor(x, device=self._device), gen)
        self._trained_encoder(self._encoder)
        self._calibrate()
        logger.info(
            "PrototypeModel fitted on %d datasets (%d winning learners) in %.2f s",
            len(x),
            len(set(self.labels_.tolist())),
            time.perf_counter() - start,
        )

    def _train(self, x: torch.Tensor, gen: torch.Generator) -> None:
        import torch
        from torch import nn

        labels = torch.as_tensor(self.labels_, device=x.device)
        n_classes = len(self.learners_)
        counts = torch.bincount(labels, minlength=n_classes)
        if int((counts >= 2).sum()) < 2:  # nothing to contrast: the encoder stays random
            logger.warning("fewer than two learners win twice or more; no episodic training")
            self.encoder_.eval()
            return
        opt = torch.optim.AdamW(
            self.encoder_.parameters(),
            lr=float(self.learning_rate),
            weight_decay=float(self.weight_decay),
        )
        onehot = nn.functional.one_hot(labels, n_classes).float()
        self.encoder_.train()
        for _ in range(int(self.episodes)):
            # per class, a random half (at least one) of its datasets is the support
            noise = torch.rand(len(labels), generator=gen).to(x.device)
            rank_in_class = torch.zeros_like(noise)
            for c in range(n_classes):
                members = labels == c
                if members.any():
                    r = noise[members].argsort().argsort().float()
                    rank_in_class[members] = r
            n_support = (counts[labels].float() / 2).ceil().clamp(min=1)
            support = rank_in_class < n_support
            query = ~support
            emb = self.encoder_(x)
            w = onehot * support[:, None]
            present = w.sum(0) > 0
            protos = (w.T @ emb) / w.sum(0).clamp(min=1)[:, None]
            d2 = torch.cdist(emb[query], protos[present]) ** 2
            target = torch.cumsum(present.long(), 0)[labels[query]] - 1
            loss = nn.functional.cross_entropy(-d2, target)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        self.encoder_.eval()

    def _calibrate(self) -> None:
        """Prototypes and OOD reference distances from the training datasets."""
        emb = self._embed(self.train_x_)
        self.train_embedding_ = emb
        protos = np.zeros((len(self.learners_), emb.shape[1]))
        self.has_prototype_ = np.zeros(len(self.learners_), dtype=bool)
        for c in range(len(self.learners_)):
            members = self.labels_ == c
            if members.any():
                protos[c] = emb[members].mean(axis=0)
                self.has_prototype_[c] = True
        self.prototypes_ = protos

    @property
    def reference_distances_(self) -> np.ndarray:
        """Each training dataset's distance to the nearest training dataset of another
        family (sorted): what :meth:`ood_score` compares with."""
        return self.space_.reference_distances_

    @property
    def ood_threshold_(self) -> float:
        """The out-of-distribution threshold of :meth:`ood_distance`: the 95th percentile
        of :attr:`reference_distances_` (about 5% of the training datasets are farther from
        every other family)."""
        return self.space_.ood_threshold_

    # -- encoding -----------------------------------------------------------------------------
    def _one(self, metafeatures: pd.Series | pd.DataFrame, method: str) -> pd.DataFrame:
        self._check_fitted()
        frame = as_frame(metafeatures, f"{type(self).__name__}.{method}")
        if len(frame) != 1:
            raise ParameterError(
                f"{type(self).__name__}.{method} takes the meta-features of one dataset. Got "
                f"{len(frame)} rows instead."
            )
        return frame

    # -- public API ---------------------------------------------------------------------------
    def learner_probabilities(self, metafeatures: pd.Series | pd.DataFrame) -> pd.DataFrame:
        """Probability that each learner wins, per dataset (rows) and learner (columns).

        Learners that won on no training dataset have no prototype and probability 0.
        """
        self._check_fitted()
        frame = as_frame(metafeatures, f"{type(self).__name__}.learner_probabilities")
        emb = self._embed(self.scaler_.transform(frame))
        d2 = ((emb[:, None, :] - self.prototypes_[None]) ** 2).sum(-1)
        logits = np.where(self.has_prototype_[None], -d2, -np.inf)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return pd.DataFrame(p, index=frame.index, columns=pd.Index(self.learners_, name="learner"))

    def neighbours(self, metafeatures: pd.Series | pd.DataFrame, k: int = 5) -> pd.DataFrame:
        """The ``k`` training datasets nearest to one dataset in meta-feature space.

        The distance is :class:`~autometa.models._space.MetaFeatureSpace`'s (NaN-aware,
        robust-scaled meta-features), not the embedding's: the embedding keeps what tells
        the winning learner apart and can put an exact duplicate far away.

        Returns
        -------
        DataFrame
            Columns ``dataset_id``, ``distance`` and ``best_learner`` (the learner that won
            there), nearest first.
        """
        k = check_positive_int(k, "k", f"{type(self).__name__}.neighbours")
        frame = self._one(metafeatures, "neighbours")
        nb = self.space_.neighbours(frame, k=k)
        label = dict(zip(self.dataset_ids_, self.labels_, strict=True))
        nb["best_learner"] = [self.learners_[label[d]] for d in nb["dataset_id"]]
        return nb.reset_index(drop=True)

    def ood_distance(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """The distance from one dataset to its nearest training dataset.

        Above :attr:`ood_threshold_` the dataset is out of distribution.
        """
        frame = self._one(metafeatures, "ood_distance")
        return self.space_.ood_distance(frame)

    def ood_score(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """How unusual one dataset's meta-features are, in [0, 1].

        :meth:`ood_distance` as a percentile of :attr:`reference_distances_` (each training
        dataset's distance to the training datasets of *other* families). 0: as close as a
        training dataset's own meta-features; above 0.95: farther than 95% of the training
        datasets are from the rest (that is, :meth:`ood_distance` > :attr:`ood_threshold_`
        at the default level).
        """
        frame = self._one(metafeatures, "ood_score")
        d = self.space_.ood_distance(frame)
        ref = self.reference_distances_
        if len(ref) == 0:
            return 0.0 if d <= 1e-9 else 1.0
        return float(np.searchsorted(ref, d - 1e-9, side="right") / len(ref))

    def is_ood(self, metafeatures: pd.Series | pd.DataFrame, level: float = 0.95) -> bool:
        """Whether :meth:`ood_score` exceeds ``level``."""
        return self.ood_score(metafeatures) > level

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        frame = as_frame(metafeatures, type(self).__name__)
        x = self.scaler_.transform(frame)
        emb = self._embed(x)
        dist = np.sqrt(((emb[:, None, :] - self.train_embedding_[None]) ** 2).sum(-1))
        k = min(int(self.n_neighbours), dist.shape[1])
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
        neigh = self.train_scores_[nearest].astype(np.float64)  # (b, k, c)
        probs = self.learner_probabilities(frame).to_numpy()
        rel = probs / probs.max(axis=1, keepdims=True)
        mean = neigh.mean(axis=1) * rel[:, self.config_learner_]
        std = neigh.std(axis=1)
        return Prediction(mean=self._frame(mean, frame.index), std=self._frame(std, frame.index))

    # -- persistence --------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        scaler_meta, arrays = self.scaler_.state()
        arrays.update(self._encoder_arrays())
        arrays.update(
            {
                "train_x": self.train_x_,
                "train_scores": self.train_scores_,
                "labels": self.labels_.astype(np.int64),
                "config_learner": self.config_learner_.astype(np.int64),
            }
        )
        space_meta, space_arrays = self.space_.state()
        arrays.update(space_arrays)
        meta = {
            "space": space_meta,
            "architecture": {
                "dim": int(self.dim),
                "hidden": int(self.hidden),
                "dropout": float(self.dropout),
            },
            "training": {
                "episodes": int(self.episodes),
                "learning_rate": float(self.learning_rate),
                "weight_decay": float(self.weight_decay),
                "n_neighbours": int(self.n_neighbours),
            },
            "scaler": scaler_meta,
            "learners": self.learners_,
            "dataset_ids": self.dataset_ids_,
            "families": self.families_,
        }
        return meta, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        for key, value in {**meta["architecture"], **meta["training"]}.items():
            setattr(self, key, value)
        self.device = "cpu"
        self._device = "cpu"
        self.scaler_ = MetaFeatureScaler.from_state(meta["scaler"], arrays)
        self.learners_ = list(meta["learners"])
        self.dataset_ids_ = list(meta["dataset_ids"])
        self.families_ = list(meta["families"])
        self.train_x_ = np.asarray(arrays["train_x"], dtype=np.float32)
        self.train_scores_ = np.asarray(arrays["train_scores"], dtype=np.float32)
        self.labels_ = np.asarray(arrays["labels"], dtype=np.int64)
        self.config_learner_ = np.asarray(arrays["config_learner"], dtype=np.int64)
        self._load_encoder(arrays)
        if "space" not in meta:
            raise ModelError(
                "This prototype model was saved by an older autometa without its "
                "meta-feature space and out-of-distribution threshold. Retrain it with "
                "`autometa models train`."
            )
        self.space_ = MetaFeatureSpace.from_state(meta["space"], arrays)
        self._calibrate()
