"""The torch modules and losses of the torch meta-models: what training and adaptation need.

Imported only where gradients are needed (``fit``; ``adapt`` and ``rank`` with observed
trials of the MAML and Reptile surrogates), never to predict: inference runs the same
networks in numpy (:mod:`autometa.models._numpy_nets`, which reads the state dicts of
these modules by their names), so that predicting, ranking and explaining never import
torch.

- :class:`ScoreNet` (of :class:`~autometa.models.Surrogate` and its MAML and Reptile
  subclasses) and its :class:`EnsembleLinear` layers; the losses :func:`listwise_loss` and
  :func:`pairwise_loss`; the meta-learned inner learning rates :class:`Adapter`;
- :class:`RelationNet` (of :class:`~autometa.models.RelationSurrogate`): the two towers
  of :class:`ScoreNet` joined by a small relation network instead of a dot product;
- :class:`SetEncoderNet` (of :class:`~autometa.models.SetEncoderModel`): a
  Dataset2Vec-style encoder of a sample of a dataset's rows;
- :func:`encoder`, the embedding network of :class:`~autometa.models.PrototypeModel` and
  :class:`~autometa.models.SimilarityModel`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "Adapter",
    "EnsembleLinear",
    "RelationNet",
    "ScoreNet",
    "SetEncoderNet",
    "encoder",
    "listwise_loss",
    "pairwise_loss",
]


class EnsembleLinear(nn.Module):
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


def tower(
    members: int, n_in: int, hidden: int, n_out: int, dropout: float | None = None
) -> nn.Sequential:
    """An ensemble of one-hidden-layer ReLU networks (dropout after the hidden layer when
    given): the dataset and configuration towers of the score networks."""
    layers: list[nn.Module] = [EnsembleLinear(members, n_in, hidden), nn.ReLU()]
    if dropout is not None:
        layers.append(nn.Dropout(dropout))
    layers.append(EnsembleLinear(members, hidden, n_out))
    return nn.Sequential(*layers)


class ScoreNet(nn.Module):
    """The surrogate's network (see :mod:`autometa.models._surrogate`)."""

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
        self.dataset_net = tower(members, n_metafeatures, hidden, dim + 1, dropout)
        self.config_net = tower(members, n_config_features, hidden, dim)
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


class RelationNet(nn.Module):
    """The relation surrogate's network (see :mod:`autometa.models._relation`).

    The towers are :class:`ScoreNet`'s (the dataset tower outputs ``dim`` values, without
    the extra dataset bias); the score of a (dataset, configuration) pair is a one-hidden-
    layer MLP over ``[e_d, e_c, e_d * e_c]`` plus a per-configuration bias. The MLP's first
    layer is applied to the three parts separately (``w_d``, ``w_c``, ``w_p``), which is the
    same linear map without building the (datasets x configurations x 3 dim) input.
    """

    def __init__(
        self,
        members: int,
        n_metafeatures: int,
        n_config_features: int,
        n_configs: int,
        hidden: int,
        dim: int,
        relation_hidden: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.dim = dim
        self.dataset_net = tower(members, n_metafeatures, hidden, dim, dropout)
        self.config_net = tower(members, n_config_features, hidden, dim)
        self.config_embedding = nn.Parameter(torch.zeros(members, n_configs, dim))
        self.config_bias = nn.Parameter(torch.zeros(members, 1, n_configs))
        bound = 1.0 / math.sqrt(3 * dim)
        h = relation_hidden
        self.w_d = nn.Parameter(torch.empty(members, dim, h).uniform_(-bound, bound))
        self.w_c = nn.Parameter(torch.empty(members, dim, h).uniform_(-bound, bound))
        self.w_p = nn.Parameter(torch.empty(members, dim, h).uniform_(-bound, bound))
        self.b_r = nn.Parameter(torch.zeros(members, 1, 1, h))
        out = 1.0 / math.sqrt(h)
        self.w_o = nn.Parameter(torch.empty(members, 1, 1, h).uniform_(-out, out))

    def dataset_embedding(self, x_mf: torch.Tensor) -> torch.Tensor:
        return self.dataset_net(x_mf)

    def config_embeddings(self, x_cfg: torch.Tensor) -> torch.Tensor:
        return self.config_net(x_cfg) + self.config_embedding

    def scores(self, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """(m, b, dim) x (m, c, dim) -> (m, b, c)."""
        hd = torch.bmm(u, self.w_d)  # (m, b, h)
        hc = torch.bmm(v, self.w_c)  # (m, c, h)
        hp = torch.matmul(u[:, :, None, :] * v[:, None, :, :], self.w_p[:, None])  # (m,b,c,h)
        hidden = torch.relu(hp + hd[:, :, None, :] + hc[:, None, :, :] + self.b_r)
        return (hidden * self.w_o).sum(-1) + self.config_bias

    def forward(self, x_mf: torch.Tensor, x_cfg: torch.Tensor) -> torch.Tensor:
        return self.scores(self.dataset_embedding(x_mf), self.config_embeddings(x_cfg))


class SetEncoderNet(nn.Module):
    """A Dataset2Vec-style encoder of a sample of a dataset (Jomaa et al., 2021).

    For each (feature ``f``, target column ``t``) pair, the rows' ``(x_nf, y_nt)`` go through
    ``phi`` and are averaged over the rows; the result goes through ``psi`` and is averaged
    over the pairs; ``rho`` maps the average to the embedding. Averages are over the
    unmasked rows, features and target columns, so the embedding does not depend on their
    order.

    Inputs: ``x`` (batch, rows, features), ``y`` (batch, rows, targets) and the 0/1 masks
    ``row_mask`` (batch, rows), ``feature_mask`` (batch, features), ``target_mask``
    (batch, targets). Output: (batch, dim).
    """

    def __init__(self, hidden: int, dim: int) -> None:
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.psi = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden))
        self.rho = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        row_mask: torch.Tensor,
        feature_mask: torch.Tensor,
        target_mask: torch.Tensor,
    ) -> torch.Tensor:
        first: nn.Linear = self.phi[0]  # type: ignore[assignment]
        w0, b0 = first.weight, first.bias  # (h, 2), (h,)
        a = x[..., None] * w0[:, 0]  # (b, n, f, h)
        c = y[..., None] * w0[:, 1]  # (b, n, t, h)
        z = torch.relu(a[:, :, :, None, :] + c[:, :, None, :, :] + b0)  # (b, n, f, t, h)
        z = torch.relu(self.phi[2](z))
        rows = row_mask[:, :, None, None, None]
        z = (z * rows).sum(1) / rows.sum(1).clamp(min=1)  # (b, f, t, h)
        p = torch.relu(self.psi(z))
        pairs = (feature_mask[:, :, None] * target_mask[:, None, :])[..., None]  # (b, f, t, 1)
        p = (p * pairs).sum((1, 2)) / pairs.sum((1, 2)).clamp(min=1)  # (b, h)
        return self.rho(p)


class Adapter(nn.Module):
    """The meta-learned inner learning rates of the MAML surrogate (log scale)."""

    def __init__(self, lr: float) -> None:
        super().__init__()
        self.log_lr = nn.Parameter(torch.full((2,), math.log(lr)))


def encoder(n_in: int, hidden: int, dim: int, dropout: float) -> nn.Sequential:
    """The embedding network of the prototype and similarity models."""
    return nn.Sequential(
        nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, dim)
    )


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


def pairwise_loss(
    pred: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, temperature: float
) -> torch.Tensor:
    """Scale-free ranking loss of ``pred`` against ``values`` on the ``mask`` cells, per row.

    ``values`` are standardized within each row's observed cells, so any affine change of
    the metric gives the same loss; each ordered pair counts with the size of its
    standardized difference. Rows with fewer than two distinct values give 0.
    """
    m = mask.to(pred.dtype)
    n = m.sum(-1, keepdim=True).clamp(min=1)
    v = torch.where(mask, values, torch.zeros_like(values))
    mean = v.sum(-1, keepdim=True) / n
    var = (((v - mean) * m) ** 2).sum(-1, keepdim=True) / n
    z = (v - mean) / var.sqrt().clamp(min=1e-12) * m
    dz = z.unsqueeze(-1) - z.unsqueeze(-2)  # (..., c, c): z_i - z_j
    pair = (m.unsqueeze(-1) * m.unsqueeze(-2)) * (dz > 0) * dz
    df = (pred.unsqueeze(-1) - pred.unsqueeze(-2)) / temperature
    loss = (pair * nn.functional.softplus(-df)).sum((-1, -2))
    return loss / pair.sum((-1, -2)).clamp(min=1e-12)
