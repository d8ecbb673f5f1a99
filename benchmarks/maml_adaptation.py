"""Does the MAML warm start adapt? k = 3, 5, 10 observed trials, leave-family-out.

For each held-out dataset and k, k configurations are observed at random (their raw
metric values); the remaining configurations are ranked by

- ``unadapted``: the meta-trained MAMLSurrogate, zero-shot (ignores the trials);
- ``adapted``: the same model after ``adapt(meta-features, trials)``;
- ``scratch``: a surrogate of the same configuration network trained from a random
  initialization on the k trials only (same scale-free pairwise loss, 200 Adam steps);
- ``surrogate``: the plain Surrogate (deep ensemble, no meta-training for adaptation).

Reported: the Spearman correlation between the predicted and the true scores of the
remaining configurations, and the regret (1 - normalized score) of the next pick (the
best-predicted remaining configuration), averaged over datasets and seeds.

Folds: ``--folds`` group folds over families (GroupKFold), so a dataset's family is never
in training; the meta-models are fitted once per fold.

Usage::

    python benchmarks/maml_adaptation.py --kb kb-build/default_kb --task classification
    python benchmarks/maml_adaptation.py --synthetic        # no knowledge base needed
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr
from sklearn.model_selection import GroupKFold

from autometa.models import MAMLSurrogate, Surrogate, TaskData
from autometa.models._torch_nets import pairwise_loss
from autometa.models._torch_utils import encode_configurations

KS = (3, 5, 10)


def synthetic_task(n_datasets: int = 120, seed: int = 0) -> TaskData:
    """The test suite's synthetic task plus per-dataset learner offsets hidden from the
    meta-features (which only the observed trials reveal)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "models"))
    from conftest import make_task_data

    data = make_task_data(n_datasets=n_datasets, configs_per_learner=10, seed=seed)
    rng = np.random.default_rng(seed + 1)
    learners = sorted(set(data.configurations["learner"]))
    lidx = np.array([learners.index(x) for x in data.configurations["learner"]])
    raw = data.raw.to_numpy() + rng.normal(scale=0.15, size=(n_datasets, len(learners)))[:, lidx]
    lo, hi = raw.min(1, keepdims=True), raw.max(1, keepdims=True)
    kw = dict(index=data.scores.index, columns=data.scores.columns)
    return TaskData(
        data.task,
        data.metric,
        data.metafeatures,
        data.configurations,
        pd.DataFrame((raw - lo) / (hi - lo), **kw),
        pd.DataFrame(raw, **kw),
        data.families,
    )


def scratch_scores(x_cfg: torch.Tensor, obs_idx: np.ndarray, obs_val: np.ndarray, seed: int):
    """A fresh MLP on the configuration encoding trained on the k trials only."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(x_cfg.shape[1], 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
    )
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    idx = torch.as_tensor(obs_idx)
    vals = torch.as_tensor(obs_val, dtype=torch.float32)[None]
    mask = torch.ones_like(vals, dtype=torch.bool)
    for _ in range(200):
        pred = net(x_cfg[idx]).squeeze(-1)[None]
        loss = pairwise_loss(pred, vals, mask, 0.1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        return net(x_cfg).squeeze(-1).numpy()


def evaluate(data: TaskData, folds: int, seeds: int, steps: int | None) -> pd.DataFrame:
    rows = []
    x_cfg = torch.as_tensor(encode_configurations(data.configurations)[0])
    groups = data.families.loc[data.dataset_ids].to_numpy()
    n_folds = min(folds, len(set(groups)))
    for fold, (_tr, te) in enumerate(GroupKFold(n_folds).split(data.dataset_ids, groups=groups)):
        held = [data.dataset_ids[i] for i in te]
        train = data.without(held)
        t0 = time.perf_counter()
        maml = MAMLSurrogate(random_state=fold).fit(train)
        t1 = time.perf_counter()
        plain = Surrogate(random_state=fold).fit(train)
        t2 = time.perf_counter()
        print(
            f"fold {fold}: {len(train.dataset_ids)} train / {len(held)} held out; "
            f"fit maml {t1 - t0:.1f} s, surrogate {t2 - t1:.1f} s",
            file=sys.stderr,
        )
        for d in held:
            mf = data.metafeatures.loc[[d]]
            truth = data.scores.loc[d].to_numpy()
            raw = data.raw.loc[d].to_numpy()
            zero = maml.predict(mf).mean.iloc[0].to_numpy()
            plain_pred = plain.predict(mf).mean.iloc[0].to_numpy()
            for seed in range(seeds):
                rng = np.random.default_rng([seed, abs(hash(d)) % 2**31])
                for k in KS:
                    idx = rng.choice(len(truth), k, replace=False)
                    rest = np.setdiff1d(np.arange(len(truth)), idx)
                    obs = {data.config_ids[i]: float(raw[i]) for i in idx}
                    t = time.perf_counter()
                    adapted = maml.adapt(mf, obs, steps=steps).predict(mf).mean.iloc[0].to_numpy()
                    ms = 1000 * (time.perf_counter() - t)
                    preds = {
                        "unadapted": zero,
                        "adapted": adapted,
                        "scratch": scratch_scores(x_cfg, idx, raw[idx], seed),
                        "surrogate": plain_pred,
                    }
                    for method, p in preds.items():
                        pick = rest[np.argmax(p[rest])]
                        rows.append(
                            {
                                "dataset_id": d,
                                "seed": seed,
                                "k": k,
                                "method": method,
                                "spearman": spearmanr(p[rest], truth[rest])[0],
                                "next_regret": 1.0 - truth[pick],
                                "adapt_ms": ms if method == "adapted" else np.nan,
                            }
                        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--task", default="classification")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="CSV of per-dataset results")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.synthetic or args.kb is None:
        data = synthetic_task()
        source = "synthetic (tests/models/conftest.py + hidden per-dataset learner offsets)"
    else:
        from autometa.kb import KnowledgeBase

        data = TaskData.from_kb(KnowledgeBase.load(args.kb), args.task)
        source = f"{args.kb} ({args.task}, {data.metric})"
    start = time.perf_counter()
    res = evaluate(data, args.folds, args.seeds, args.steps)
    if args.out:
        res.to_csv(args.out, index=False)
    means = res.groupby(["k", "method"])[["spearman", "next_regret"]].mean()
    methods = ["unadapted", "adapted", "scratch", "surrogate"]
    lines = [
        "| k | "
        + " | ".join(f"Spearman {m}" for m in methods)
        + " | "
        + " | ".join(f"regret {m}" for m in methods)
        + " |",
        "|---" * (1 + 2 * len(methods)) + "|",
    ]
    for k in KS:
        cells = [f"{means.loc[(k, m), 'spearman']:.3f}" for m in methods]
        cells += [f"{means.loc[(k, m), 'next_regret']:.3f}" for m in methods]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    print(f"data: {source}: {data.scores.shape[0]} datasets x {data.scores.shape[1]} configs")
    print(f"{args.folds} family folds, {args.seeds} seeds, {time.perf_counter() - start:.0f} s")
    print(f"adapt: median {res['adapt_ms'].median():.1f} ms per call\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
