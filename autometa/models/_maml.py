"""MAML: a surrogate whose initialization is meta-trained to adapt to a new dataset's trials.

Method: MAML (Finn et al., 2017) in its context-adaptation form, CAVIA (Zintgraf et al.,
2019): only a few *fast weights* adapt on a new dataset, the rest of the network is shared.
The network of :class:`~autometa.models.Surrogate` predicts each configuration's
normalized score from a dataset embedding ``u(meta-features)`` and configuration
embeddings. On a new dataset the fast weights -- an offset of the dataset embedding and an
offset per learner -- start at zero (the meta-learned initialization: the zero-shot
prediction) and take a few gradient steps on the observed trials. The inner learning rates
(and, with ``meta_shared=True``, the shared weights) are meta-trained through the inner
steps (second order, cheap since the fast weights are small), so that those few steps
improve the ranking of the *other* configurations: tasks = training datasets, support = k
observed configurations, query = the rest.

How the support is drawn in meta-training (``support``): ``"random"`` -- k configurations
at random (the original setting); ``"search"`` -- like the first trials of a real search
with this model: a Gumbel-top-k draw from the zero-shot scores at ``support_temperature``,
i.e. mostly the ranker's own top picks, with some exploration. In use the observed trials
are the ranker's top picks, so ``"search"`` meta-trains the model as it is used.

Observations are raw metric values (the best of the pool is unknown on a new dataset),
so the inner loss is scale-free: a pairwise logistic loss on the observed pairs, weighted
by their standardized differences; training uses the same loss on normalized scores.

:meth:`MAMLSurrogate.rank` is the adaptive sequential strategy: it adapts to the observed
trials and orders the unobserved configurations by expected improvement
(``acquisition="ei"``, the default). :meth:`MAMLSurrogate.predict` returns normalized
scores clipped to their range [0, 1] (far from the knowledge base the network
extrapolates beyond it); :meth:`rank` orders by the unclipped scores. Measurements:
``benchmarks/README.md`` ("Meta-models: MAML adaptation" and "Meta-learning methods").

By default meta-training keeps the shared network of the ordinary training frozen and
learns only the inner learning rates (``meta_shared=False``): meta-training the shared
weights too made the zero-shot order worse in the leave-one-family-out harness.

Adaptation (:meth:`MAMLSurrogate.adapt`, and :meth:`~MAMLSurrogate.rank` with observed
trials) takes gradient steps in torch; the fast weights it finds are numpy arrays, and
predictions, adapted or not, are computed in numpy as :class:`~autometa.models.Surrogate`'s.

``WarmStartSurrogate`` is the former name of :class:`MAMLSurrogate` (same class; the
registry key is ``"maml"`` under both names).
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from autometa._exceptions import ParameterError
from autometa.models._acquisition import expected_improvement
from autometa.models._base import Adaptive, Prediction, TaskData, check_positive_int
from autometa.models._numpy_nets import check_state
from autometa.models._surrogate import Surrogate
from autometa.models._torch_utils import (
    as_frame,
    module_from_weights,
    seeded,
    state_to_arrays,
    state_with_prefix,
)

if TYPE_CHECKING:
    import torch

    from autometa.models._torch_nets import Adapter

__all__ = ["MAMLSurrogate", "WarmStartSurrogate"]

logger = logging.getLogger(__name__)

_ACQUISITIONS = ("prior", "ei", "ucb", "mean")
_SUPPORTS = ("random", "search")


class MAMLSurrogate(Adaptive, Surrogate):
    """Surrogate meta-trained (MAML, CAVIA form) to adapt in a few gradient steps to trials.

    Parameters
    ----------
    adapt_steps : int, default=5
        Inner gradient steps, in meta-training and in :meth:`adapt`.
    inner_lr : float, default=0.5
        Initial inner learning rate (meta-learned afterwards).
    meta_epochs : int, default=20
        Epochs of meta-training after the surrogate's ordinary training (``epochs``); 0:
        none (the inner learning rates stay ``inner_lr``).
    max_support : int, default=12
        Support sizes are drawn uniformly in ``[2, max_support]`` during meta-training.
    support : {"random", "search"}, default="random"
        How meta-training draws the support of each training dataset: k configurations at
        random, or like a search's first trials (Gumbel-top-k on the zero-shot scores at
        ``support_temperature``: the ranker's top picks with some exploration).
    support_temperature : float, default=0.05
        Temperature of the ``"search"`` draw, in normalized-score units: smaller keeps
        closer to the zero-shot top k.
    meta_shared : bool, default=False
        Whether meta-training also updates the shared network (else only the inner
        learning rates are meta-learned, and the zero-shot predictions are those of the
        ordinary training).
    acquisition : {"ei", "prior", "ucb", "mean"}, default="ei"
        How :meth:`rank` orders the unobserved configurations. ``"prior"``: the zero-shot
        ensemble mean, whatever was observed (lower regret than the adaptive acquisitions
        at k >= 5 in the leave-one-family-out harness on the default knowledge base).
        ``"ei"``: the expected
        improvement over the best trial so far, averaged over the ensemble members (each
        member's improvement over its own prediction for that trial; before any finite
        trial, the ensemble mean); ``"ucb"``: ensemble mean plus ``beta``
        standard deviations; ``"mean"``: the adapted mean alone (all three adapt on the
        observed trials first). ``"ei"`` had the lowest regret at k = 5, 10 and 25 in
        ``benchmarks/maml_adaptation.py``'s synthetic lodo check, where each dataset hides
        per-learner offsets that only its trials reveal; not on real data.
    beta : float, default=0.5
        Weight of the standard deviation in the upper confidence bound.
    n_members, hidden, dim, epochs, batch_size, learning_rate, weight_decay, temperature,
    mse_weight, dropout, bootstrap, device, random_state
        As in :class:`~autometa.models.Surrogate` (``epochs``: the ordinary training that
        precedes meta-training).
    """

    name: ClassVar[str] = "maml"

    def __init__(
        self,
        *,
        adapt_steps: int = 5,
        inner_lr: float = 0.5,
        meta_epochs: int = 20,
        max_support: int = 12,
        support: str = "random",
        support_temperature: float = 0.05,
        meta_shared: bool = False,
        acquisition: str = "ei",
        beta: float = 0.5,
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
        self.adapt_steps = adapt_steps
        self.inner_lr = inner_lr
        self.meta_epochs = meta_epochs
        self.max_support = max_support
        self.support = support
        self.support_temperature = support_temperature
        self.meta_shared = meta_shared
        self.acquisition = acquisition
        self.beta = beta

    _INT_PARAMS: ClassVar[tuple[str, ...]] = (
        *Surrogate._INT_PARAMS,
        "adapt_steps",
        "max_support",
    )
    _POSITIVE_FLOATS: ClassVar[tuple[str, ...]] = (
        *Surrogate._POSITIVE_FLOATS,
        "inner_lr",
        "support_temperature",
    )
    _NONNEG_FLOATS: ClassVar[tuple[str, ...]] = (*Surrogate._NONNEG_FLOATS, "beta")

    def _check_params(self) -> None:
        super()._check_params()
        if self.acquisition not in _ACQUISITIONS:
            raise ParameterError(
                f"The 'acquisition' parameter of {type(self).__name__} must be one of "
                f"{list(_ACQUISITIONS)}. Got {self.acquisition!r} instead."
            )
        epochs = self.meta_epochs
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ParameterError(
                f"The 'meta_epochs' parameter of {type(self).__name__} must be an int >= 0. "
                f"Got {epochs!r} instead."
            )
        if self.support not in _SUPPORTS:
            raise ParameterError(
                f"The 'support' parameter of {type(self).__name__} must be one of "
                f"{list(_SUPPORTS)}. Got {self.support!r} instead."
            )
        if check_positive_int(self.max_support, "max_support", type(self).__name__) < 2:
            raise ParameterError(
                f"The 'max_support' parameter of {type(self).__name__} must be an int >= 2. "
                f"Got {self.max_support!r} instead."
            )

    def _train_params(self) -> dict[str, Any]:
        return {
            **super()._train_params(),
            "adapt_steps": int(self.adapt_steps),
            "inner_lr": float(self.inner_lr),
            "meta_epochs": int(self.meta_epochs),
            "max_support": int(self.max_support),
            "support": str(self.support),
            "support_temperature": float(self.support_temperature),
            "meta_shared": bool(self.meta_shared),
            "acquisition": str(self.acquisition),
            "beta": float(self.beta),
        }

    # -- fitting ------------------------------------------------------------------------------
    def _fit(self, data: TaskData) -> None:
        from autometa.models._torch_nets import Adapter

        start = time.perf_counter()
        x_mf, x_cfg, y = self._prepare(data)
        self.context_: dict[str, np.ndarray] | None = None
        with seeded(int(self.random_state)) as gen:
            self._net = self._build()
            self._adapter = Adapter(float(self.inner_lr)).to(self._device)
            self._train(self._net, x_mf, x_cfg, y, gen, epochs=int(self.epochs))
            self._meta_train(x_mf, x_cfg, y, gen)
        self._trained(self._net)
        self.adapter_weights_ = state_to_arrays(self._adapter, "")
        logger.info(
            "%s meta-trained on %d datasets x %d configurations in %.2f s (inner lr %s)",
            type(self).__name__,
            y.shape[0],
            y.shape[1],
            time.perf_counter() - start,
            np.exp(self.adapter_weights_["log_lr"]).tolist(),
        )

    #: The torch module of the inner learning rates, built from :attr:`adapter_weights_` on
    #: first need (see :attr:`adapter_`).
    _adapter: Any = None

    @property
    def adapter_(self) -> Adapter:
        """The meta-learned inner learning rates as a torch module (built on first use)."""
        if self._adapter is None:
            from autometa.models._torch_nets import Adapter

            def build() -> Adapter:
                return Adapter(float(self.inner_lr)).to(self._device)

            self._adapter = module_from_weights(build, self.adapter_weights_)
        return self._adapter

    def _onehot(self) -> np.ndarray:
        """(configs, learners): the learner one-hot of the pool."""
        return self.config_matrix_[:, : len(self.learners_)]

    def _learner_onehot(self) -> torch.Tensor:
        import torch

        return torch.as_tensor(self._onehot(), device=self._device)

    def _inner(
        self,
        u0: torch.Tensor,
        v: torch.Tensor,
        onehot: torch.Tensor,
        index: torch.Tensor,
        values: torch.Tensor,
        support: torch.Tensor,
        steps: int,
        create_graph: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fast weights after ``steps`` on the support: offsets (m, b, dim+1) and (m, b, L).

        ``index`` (b, k) are the support's configuration positions, ``values`` (b, k) their
        values and ``support`` (b, k) which of them are real (the rest is padding).
        """
        import torch

        from autometa.models._torch_nets import pairwise_loss

        members, b = u0.shape[0], u0.shape[1]
        du = torch.zeros_like(u0, requires_grad=True)
        dl = torch.zeros(members, b, onehot.shape[1], device=u0.device, requires_grad=True)
        lr = self.adapter_.log_lr.exp()
        tau = float(self.temperature)
        v_s = v[:, index]  # (m, b, k, dim)
        onehot_s = onehot[index]  # (b, k, L)
        bias_s = self.net_.config_bias[:, 0][:, index]  # (m, b, k)
        dim = self.net_.dim
        for _ in range(steps):
            u = u0 + du
            pred = (
                torch.einsum("mbd,mbkd->mbk", u[..., :dim], v_s) / math.sqrt(dim)
                + u[..., dim:]
                + bias_s
                + torch.einsum("mbl,bkl->mbk", dl, onehot_s)
            )
            loss = pairwise_loss(pred, values, support, tau).sum()
            gu, gl = torch.autograd.grad(loss, (du, dl), create_graph=create_graph)
            du = du - lr[0] * gu
            dl = dl - lr[1] * gl
        return du, dl

    def _draw_support(
        self, zero_shot: torch.Tensor, observed: torch.Tensor, kmax: int, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The support of each task of a meta-training batch.

        ``zero_shot`` (members, b, c) are the current predictions, ``observed`` (b, c) the
        cells with a score. Returns ``index`` (b, kmax), the support's configuration
        positions in the order drawn, and ``mask`` (b, kmax), which of them are used (the
        first k, k uniform in [2, kmax], and only observed cells).
        """
        import torch

        b, c = observed.shape
        dev = observed.device
        k = torch.randint(2, kmax + 1, (b, 1), generator=gen).to(dev)
        if self.support == "search":
            # Gumbel-top-k: a draw without replacement from softmax(score / temperature),
            # i.e. the ranker's top picks, with exploration set by the temperature.
            u = torch.rand(b, c, generator=gen).to(dev).clamp(1e-9, 1 - 1e-9)
            gumbel = -torch.log(-torch.log(u))
            keys = zero_shot.mean(0) / float(self.support_temperature) + gumbel
        else:
            keys = -torch.rand(b, c, generator=gen).to(dev)  # (the original draw's order)
        keys = torch.where(observed, keys, torch.full_like(keys, -math.inf))
        index = keys.argsort(-1, descending=True)[:, :kmax]
        mask = (torch.arange(kmax, device=dev)[None] < k) & observed.gather(1, index)
        return index, mask

    def _meta_train(
        self, x_mf: torch.Tensor, x_cfg: torch.Tensor, y: torch.Tensor, gen: torch.Generator
    ) -> None:
        import torch
        from torch import nn

        from autometa.models._torch_nets import listwise_loss

        epochs = int(self.meta_epochs)
        n, c = y.shape
        if epochs == 0 or c < 3:
            return
        mask = ~torch.isnan(y)
        y0 = torch.nan_to_num(y, nan=0.0)
        onehot = self._learner_onehot()
        shared = bool(self.meta_shared)
        groups: list[dict[str, Any]] = [
            {"params": list(self.adapter_.parameters()), "lr": 1e-2, "weight_decay": 0.0}
        ]
        if shared:
            groups.append(
                {"params": list(self.net_.parameters()), "lr": float(self.learning_rate) / 3}
            )
        else:
            groups[0]["lr"] = 5e-2
            for p in self.net_.parameters():
                p.requires_grad_(False)
        params = [p for g in groups for p in g["params"]]
        opt = torch.optim.AdamW(groups, weight_decay=float(self.weight_decay))
        batch = min(int(self.batch_size), n)
        steps_per_epoch = max(1, math.ceil(n / batch))
        tau, mse_w = float(self.temperature), float(self.mse_weight)
        kmax = min(int(self.max_support), c - 1)
        self.net_.train(shared)
        try:
            for _ in range(epochs):
                perm = torch.randperm(n, generator=gen).to(y0.device)
                for s in range(steps_per_epoch):
                    rows = perm[s * batch : (s + 1) * batch]
                    m = mask[rows]
                    target = y0[rows]
                    u0 = self.net_.dataset_embedding(x_mf[rows])
                    v = self.net_.config_embeddings(x_cfg)
                    zero_shot = self.net_.scores(u0, v)
                    index, sup_mask = self._draw_support(zero_shot.detach(), m, kmax, gen)
                    support = torch.zeros_like(m).scatter(1, index, sup_mask)
                    query = m & ~support
                    du, dl = self._inner(
                        u0,
                        v,
                        onehot,
                        index,
                        target.gather(1, index),
                        sup_mask,
                        int(self.adapt_steps),
                        create_graph=True,
                    )
                    adapted = self.net_.scores(u0 + du, v) + dl @ onehot.T
                    q_list = listwise_loss(adapted, target.expand_as(adapted), query, tau)
                    q_se = ((adapted - target) ** 2 * query).sum(-1) / query.sum(-1).clamp(min=1)
                    loss = q_list + mse_w * q_se
                    if shared:
                        z_list = listwise_loss(zero_shot, target.expand_as(zero_shot), m, tau)
                        z_se = ((zero_shot - target) ** 2 * m).sum(-1) / m.sum(-1).clamp(min=1)
                        loss = loss + z_list + mse_w * z_se
                    loss = loss.mean()
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    nn.utils.clip_grad_norm_(params, 10.0)
                    opt.step()
        finally:
            for p in self.net_.parameters():
                p.requires_grad_(True)
        self.net_.eval()

    # -- adaptation ---------------------------------------------------------------------------
    def adapt(
        self,
        metafeatures: pd.Series | pd.DataFrame,
        observations: Mapping[str, float],
        *,
        steps: int | None = None,
    ) -> MAMLSurrogate:
        """A copy of the model adapted to the trials observed on one new dataset.

        Parameters
        ----------
        metafeatures : Series or one-row DataFrame
            The new dataset's meta-features.
        observations : mapping
            ``config_id`` -> raw metric value, larger = better (NaN = failed: counted as
            worse than every other observation). Only the order of the values matters.
            Configurations outside the pool are ignored.
        steps : int, optional
            Gradient steps (default: ``adapt_steps``).

        Returns
        -------
        MAMLSurrogate
            A model sharing this one's weights whose :meth:`predict` adds the fast weights
            fitted on ``observations`` (for any meta-features given). With fewer than two
            distinct observed values the adapted model predicts as this one.
        """
        self._check_fitted()
        steps = int(self.adapt_steps) if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ParameterError(
                f"The 'steps' parameter of {type(self).__name__}.adapt must be an int >= 0. "
                f"Got {steps!r} instead."
            )
        frame = as_frame(metafeatures, type(self).__name__)
        if len(frame) != 1:
            raise ParameterError(
                f"{type(self).__name__}.adapt takes the meta-features of one dataset. Got "
                f"{len(frame)} rows instead."
            )
        adapted = copy.copy(self)
        adapted.context_ = self._fit_context(frame, observations, int(steps))
        # the calibration is of the zero-shot predictions, not of the adapted ones
        adapted.interval_calibration_ = None
        return adapted

    def _observations(
        self, observations: Mapping[str, float]
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Positions in the pool and float32 values of the observed trials (failures just
        below the worst), or None when they cannot order anything (fewer than two distinct
        values)."""
        if not isinstance(observations, Mapping):
            raise ParameterError(
                "The observations must be a mapping of config_id to metric value. "
                f"Got {type(observations).__name__} instead."
            )
        pos = {cid: i for i, cid in enumerate(self.config_ids_ or [])}
        cols, vals = [], []
        for cid, value in observations.items():
            if cid in pos:
                cols.append(pos[cid])
                vals.append(np.nan if value is None else float(value))
        arr = np.asarray(vals, dtype=np.float64)
        finite = np.isfinite(arr)
        if finite.sum() == 0:
            return None
        lo, hi = arr[finite].min(), arr[finite].max()
        # failures: worse than every observed value, by the observed range (scale-free)
        arr[~finite] = lo - (hi - lo if hi > lo else 1.0)
        if np.unique(arr).size < 2:
            return None
        return np.asarray(cols, dtype=np.int64), arr.astype(np.float32)

    def _fit_context(
        self, frame: pd.DataFrame, observations: Mapping[str, float], steps: int
    ) -> dict[str, np.ndarray] | None:
        """The fast weights fitted on ``observations`` (gradient steps in torch), as numpy
        arrays: ``du`` (members, 1, dim + 1) and ``dl`` (members, 1, learners)."""
        obs = self._observations(observations)
        if obs is None or steps == 0:
            return None
        import torch

        dev, net = self._device, self.net_
        index = torch.as_tensor(obs[0], device=dev)[None]
        values = torch.as_tensor(obs[1], device=dev)[None]
        support = torch.ones_like(values, dtype=torch.bool)
        x = torch.as_tensor(self.scaler_.transform(frame), device=dev)
        with torch.no_grad():
            u0 = net.dataset_embedding(x)
            v = net.config_embeddings(torch.as_tensor(self.config_matrix_, device=dev))
        with torch.enable_grad():
            du, dl = self._inner(
                u0, v, self._learner_onehot(), index, values, support, steps, create_graph=False
            )
        return {"du": du.detach().cpu().numpy(), "dl": dl.detach().cpu().numpy()}

    # -- prediction ---------------------------------------------------------------------------
    def _member_scores(self, metafeatures: pd.DataFrame) -> np.ndarray:
        net = self._numpy_net()
        u = net.dataset_embedding(self.scaler_.transform(metafeatures))
        ctx = getattr(self, "context_", None)
        if ctx is None:
            return net.scores(u)
        return net.scores(u + ctx["du"]) + ctx["dl"] @ self._onehot().T

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        """The ensemble's mean and spread of the normalized scores, each member clipped to
        [0, 1]: the scale's range (out of distribution the network extrapolates beyond it,
        e.g. 2.8 for a dataset unlike the knowledge base)."""
        frame = as_frame(metafeatures, type(self).__name__)
        s = self._member_scores(frame).clip(0.0, 1.0)
        mean = self._frame(s.mean(axis=0), frame.index)
        std = self._frame(s.std(axis=0), frame.index) if s.shape[0] > 1 else None
        return Prediction(mean=mean, std=std)

    def rank(
        self,
        metafeatures: pd.Series,
        observed: Mapping[str, float] | None = None,
    ) -> list[str]:
        """Configurations to try next on one dataset, adapting to the ``observed`` trials.

        The model adapts to ``observed`` (raw values, larger = better) as in :meth:`adapt`,
        then orders the unobserved configurations by the acquisition (see the class
        parameters ``acquisition`` and ``beta``).
        """
        self._check_fitted()
        frame = as_frame(metafeatures, type(self).__name__)
        adaptive = self.acquisition != "prior"
        model = self.adapt(frame, observed) if observed and adaptive else self
        s = model._member_scores(frame)[:, 0, :]
        score = s.mean(0)
        ids = self.config_ids_ or []
        best = self._best_observed(observed)
        if self.acquisition == "ei" and best is not None:
            # each member's improvement over its own prediction for the best trial so far
            improvement = expected_improvement(s, s[:, best : best + 1])
            score = improvement + 1e-6 * score
        elif self.acquisition == "ucb" and s.shape[0] > 1:
            score = score + float(self.beta) * s.std(0)
        # "ei" before any finite trial: the mean (the best zero-shot guess); exploring
        # before anything is known only costs the first trials.
        order = np.argsort(-score, kind="stable")
        seen = set(observed or ())
        return [ids[i] for i in order if ids[i] not in seen]

    def _best_observed(self, observed: Mapping[str, float] | None) -> int | None:
        """Position of the best finite observed trial in the pool, if any."""
        pos = {cid: i for i, cid in enumerate(self.config_ids_ or [])}
        finite = {
            c: float(v)
            for c, v in (observed or {}).items()
            if c in pos and v is not None and np.isfinite(float(v))
        }
        return pos[max(finite, key=finite.__getitem__)] if finite else None

    # -- persistence --------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta, arrays = super()._state()
        arrays.update({f"adapter.{k}": v for k, v in self.adapter_weights_.items()})
        ctx = getattr(self, "context_", None)
        meta["adapted"] = ctx is not None
        if ctx is not None:
            arrays["context.du"] = ctx["du"]
            arrays["context.dl"] = ctx["dl"]
        return meta, arrays

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        # models saved before these parameters existed were meta-trained this way
        self.support, self.support_temperature = "random", 0.05
        super()._load_state(meta, arrays)
        adapter = state_with_prefix(arrays, "adapter.")
        check_state(adapter, {"log_lr": (2,)})
        self.adapter_weights_ = adapter
        self._adapter = None
        self.context_ = None
        if meta.get("adapted"):
            du = np.asarray(arrays["context.du"], dtype=np.float32)
            dl = np.asarray(arrays["context.dl"], dtype=np.float32)
            members = int(self.n_members)
            shapes = {
                "du": (members, 1, int(self.dim) + 1),
                "dl": (members, 1, len(self.learners_)),
            }
            check_state({"du": du, "dl": dl}, shapes)
            self.context_ = {"du": du, "dl": dl}

    def to(self, device: Any) -> MAMLSurrogate:
        super().to(device)
        self.adapter_.to(self._device)
        return self


#: The former name of :class:`MAMLSurrogate`, kept so that existing code keeps working.
WarmStartSurrogate = MAMLSurrogate
