"""Reptile / first-order MAML: the MAML surrogate meta-trained without second derivatives.

Same network, same fast weights and same use as :class:`~autometa.models.MAMLSurrogate`
(:meth:`adapt` takes a few gradient steps of the fast weights -- an offset of the dataset
embedding and one per learner -- on the observed trials; :meth:`rank` orders the rest by
expected improvement). Only meta-training differs:

- MAML (``"maml"``) differentiates the query loss *through* the inner steps (second
  order) and, by default, learns only the inner learning rates on a frozen network;
- Reptile (``"reptile"``, Nichol et al., 2018) meta-trains the *shared* network, first
  order. For a batch of training datasets: draw each one's support (as ``support`` says),
  adapt the fast weights on it (no graph kept), then take ``reptile_steps`` Adam steps
  of the shared weights on the query loss at the adapted fast weights plus the zero-shot
  loss on every configuration (which keeps the zero-shot order that of a surrogate), and
  move the shared weights a fraction ``meta_step`` of the way to the result:
  ``theta <- theta + meta_step * (theta' - theta)``. With ``reptile_steps=1`` this is
  first-order MAML (FOMAML) with step ``meta_step * learning_rate``.

The inner learning rate is not learned (a first-order outer loop has no gradient for it):
it stays ``inner_lr``.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any, ClassVar

from autometa._exceptions import ParameterError
from autometa.models._maml import MAMLSurrogate
from autometa.models._surrogate import _check_float

if TYPE_CHECKING:
    import torch

__all__ = ["ReptileSurrogate"]

logger = logging.getLogger(__name__)


class ReptileSurrogate(MAMLSurrogate):
    """The MAML surrogate with first-order (Reptile) meta-training of the shared network.

    Parameters
    ----------
    reptile_steps : int, default=3
        Adam steps of the shared weights per batch of training datasets (1: first-order
        MAML).
    meta_step : float, default=0.5
        Fraction of the way the shared weights move towards the result of those steps, in
        (0, 1].
    support : {"random", "search"}, default="search"
        How the support of each training dataset is drawn (see
        :class:`~autometa.models.MAMLSurrogate`).
    inner_lr : float, default=0.5
        Learning rate of the fast weights' steps in meta-training and :meth:`adapt` (fixed).
    meta_epochs : int, default=20
        Passes over the training datasets of Reptile meta-training, after the ordinary
        training (``epochs``).
    adapt_steps, max_support, support_temperature, acquisition, beta, n_members, hidden,
    dim, epochs, batch_size, learning_rate, weight_decay, temperature, mse_weight,
    dropout, bootstrap, device, random_state
        As in :class:`~autometa.models.MAMLSurrogate`.
    """

    name: ClassVar[str] = "reptile"

    def __init__(
        self,
        *,
        reptile_steps: int = 3,
        meta_step: float = 0.5,
        adapt_steps: int = 5,
        inner_lr: float = 0.5,
        meta_epochs: int = 20,
        max_support: int = 12,
        support: str = "search",
        support_temperature: float = 0.05,
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
            adapt_steps=adapt_steps,
            inner_lr=inner_lr,
            meta_epochs=meta_epochs,
            max_support=max_support,
            support=support,
            support_temperature=support_temperature,
            meta_shared=True,
            acquisition=acquisition,
            beta=beta,
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
        self.reptile_steps = reptile_steps
        self.meta_step = meta_step

    _INT_PARAMS: ClassVar[tuple[str, ...]] = (*MAMLSurrogate._INT_PARAMS, "reptile_steps")

    def _check_params(self) -> None:
        super()._check_params()
        owner = type(self).__name__
        step = _check_float(self.meta_step, "meta_step", owner)
        if step > 1:
            raise ParameterError(
                f"The 'meta_step' parameter of {owner} must be a float in (0, 1]. "
                f"Got {self.meta_step!r} instead."
            )

    def _train_params(self) -> dict[str, Any]:
        return {
            **super()._train_params(),
            "reptile_steps": int(self.reptile_steps),
            "meta_step": float(self.meta_step),
        }

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
        net = self.net_
        mask = ~torch.isnan(y)
        y0 = torch.nan_to_num(y, nan=0.0)
        onehot = self._learner_onehot()
        batch = min(int(self.batch_size), n)
        steps_per_epoch = max(1, math.ceil(n / batch))
        tau, mse_w = float(self.temperature), float(self.mse_weight)
        kmax = min(int(self.max_support), c - 1)
        eps = float(self.meta_step)
        params = list(net.parameters())
        for p in self.adapter_.parameters():
            p.requires_grad_(False)
        try:
            for _ in range(epochs):
                perm = torch.randperm(n, generator=gen).to(y0.device)
                for s in range(steps_per_epoch):
                    rows = perm[s * batch : (s + 1) * batch]
                    m, target = mask[rows], y0[rows]
                    start = [p.detach().clone() for p in params]
                    opt = torch.optim.Adam(params, lr=float(self.learning_rate))
                    net.eval()
                    with torch.no_grad():
                        u0 = net.dataset_embedding(x_mf[rows])
                        v = net.config_embeddings(x_cfg)
                        zero_shot = net.scores(u0, v)
                    index, sup_mask = self._draw_support(zero_shot, m, kmax, gen)
                    with torch.enable_grad():
                        du, dl = self._inner(
                            u0,
                            v,
                            onehot,
                            index,
                            target.gather(1, index),
                            sup_mask,
                            int(self.adapt_steps),
                            create_graph=False,
                        )
                    du, dl = du.detach(), dl.detach()
                    support = torch.zeros_like(m).scatter(1, index, sup_mask)
                    query = m & ~support
                    net.train()
                    for _ in range(int(self.reptile_steps)):
                        u = net.dataset_embedding(x_mf[rows])
                        v = net.config_embeddings(x_cfg)
                        zs = net.scores(u, v)
                        adapted = net.scores(u + du, v) + dl @ onehot.T
                        t = target.expand_as(adapted)
                        q = listwise_loss(adapted, t, query, tau) + mse_w * (
                            ((adapted - target) ** 2 * query).sum(-1) / query.sum(-1).clamp(min=1)
                        )
                        z = listwise_loss(zs, t, m, tau) + mse_w * (
                            ((zs - target) ** 2 * m).sum(-1) / m.sum(-1).clamp(min=1)
                        )
                        loss = (q + z).mean()
                        opt.zero_grad(set_to_none=True)
                        loss.backward()
                        nn.utils.clip_grad_norm_(params, 10.0)
                        opt.step()
                    with torch.no_grad():
                        for p, p0 in zip(params, start, strict=True):
                            p.copy_(p0 + eps * (p - p0))
        finally:
            for p in self.adapter_.parameters():
                p.requires_grad_(True)
        net.eval()
