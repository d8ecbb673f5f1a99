"""A synthetic, structured TaskData: meta-features decide which learner and which
hyperparameters do well, so a meta-model that learns from meta-features can beat one
that does not.

A helper module, not a conftest: tests import ``make_task_data`` from ``models._synthetic``
(as ``recommend._tiny``); the shared ``task_data`` fixture is in ``tests/conftest.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from autometa.learners import learners_for
from autometa.models import TaskData


def make_task_data(
    n_datasets: int = 40,
    configs_per_learner: int = 6,
    n_metafeatures: int = 8,
    task: str = "classification",
    seed: int = 0,
) -> TaskData:
    rng = np.random.default_rng(seed)
    configs = [c for lrn in learners_for(task) for c in lrn.pool(configs_per_learner, seed=seed)]
    learners = sorted({c.learner for c in configs})
    ids = [f"synthetic/d{i}" for i in range(n_datasets)]
    mf = pd.DataFrame(
        rng.normal(size=(n_datasets, n_metafeatures)),
        index=pd.Index(ids, name="dataset_id"),
        columns=[f"general.f{j}" for j in range(n_metafeatures)],
    )
    # Each learner's quality is a linear function of the meta-features; each configuration
    # adds a fixed offset; plus noise.
    learner_w = rng.normal(size=(len(learners), n_metafeatures))
    config_offset = rng.normal(scale=0.5, size=len(configs))
    lidx = np.array([learners.index(c.learner) for c in configs])
    raw = (
        mf.to_numpy() @ learner_w[lidx].T
        + config_offset
        + rng.normal(scale=0.3, size=(n_datasets, len(configs)))
    )
    raw = 0.5 + 0.1 * raw
    lo, hi = raw.min(axis=1, keepdims=True), raw.max(axis=1, keepdims=True)
    scores = (raw - lo) / (hi - lo)
    cols = [c.config_id for c in configs]
    return TaskData(
        task=task,
        metric="balanced_accuracy" if task == "classification" else "r2",
        metafeatures=mf,
        configurations=pd.DataFrame(
            {"learner": [c.learner for c in configs], "params": [c.params_json for c in configs]},
            index=pd.Index(cols, name="config_id"),
        ),
        scores=pd.DataFrame(scores, index=mf.index, columns=cols),
        raw=pd.DataFrame(raw, index=mf.index, columns=cols),
        families=pd.Series([f"fam{i // 2}" for i in range(n_datasets)], index=mf.index),
    )


def make_legacy(path, schema: int = 2) -> None:
    """Rewrite a saved model directory as autometa wrote it before ``arrays.npz``: the
    arrays as ``arrays.pt`` (``torch.save`` of a dict of tensors) and a schema 2 header
    recording its checksum, or schema 1 (no checksum)."""
    import json

    import torch

    from autometa._atomic import sha256_file

    with np.load(path / "arrays.npz", allow_pickle=False) as archive:
        tensors = {k: torch.as_tensor(archive[k]) for k in archive.files}
    (path / "arrays.npz").unlink()
    torch.save(tensors, path / "arrays.pt")
    header = json.loads((path / "model.json").read_text())
    header["schema_version"] = schema
    del header["files"]
    if schema >= 2:
        file = path / "arrays.pt"
        header["files"] = {"arrays.pt": {"sha256": sha256_file(file), "bytes": file.stat().st_size}}
    (path / "model.json").write_text(json.dumps(header))


def make_raw_samples(data: TaskData, extra_ids=(), seed: int = 0):
    """Raw-data samples (``DatasetSamples``) for the datasets of ``data`` and ``extra_ids``.

    Each dataset's features are Gaussian; its target depends on them with a strength and
    a number of informative features taken from its first two meta-features (0.5 for the
    extra ids), so the raw data carries what the scores depend on.
    """
    from autometa.models._set_encoder import DatasetSamples

    rng = np.random.default_rng(seed)
    frames = {}
    mf = data.metafeatures
    for key in [*data.dataset_ids, *extra_ids]:
        a, b = mf.loc[key].iloc[:2].to_numpy() if key in mf.index else (0.5, 0.5)
        n, f = int(rng.integers(30, 90)), int(rng.integers(3, 12))
        x = rng.normal(size=(n, f))
        k = 1 + int(abs(b) * 2) % f
        signal = x[:, :k].sum(axis=1) * float(np.tanh(a))
        noise = rng.normal(size=n)
        if data.task == "classification":
            y = (signal + noise > 0).astype(int)
        else:
            y = signal + 0.3 * noise
        frames[key] = (pd.DataFrame(x, columns=[f"c{j}" for j in range(f)]), pd.Series(y))
    return DatasetSamples.from_frames(frames, data.task)
