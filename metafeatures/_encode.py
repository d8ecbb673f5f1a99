"""Small-sample design matrices and folds for the landmarkers."""

from __future__ import annotations

import numpy as np

from metafeatures._data import PreparedData, _subsample

MAX_ONEHOT_LEVELS = 16
MAX_COLUMNS = 256


def landmark_rows(data: PreparedData, max_rows: int) -> np.ndarray:
    """Positions (in the subsample) of at most ``max_rows`` rows, stratified."""
    assert data.y is not None
    strat = data.y.astype(np.int64) if data.task == "classification" else None
    pos = _subsample(data.n_sub, max_rows, strat, data.random_state)
    return np.arange(data.n_sub) if pos is None else pos


def design_matrix(data: PreparedData, rows: np.ndarray, *, scale: str = "standard") -> np.ndarray:
    """Numeric matrix for learners: imputed, scaled numerics and encoded categoricals.

    Numeric features: missing -> column mean, then standardized (``scale='standard'``)
    or mapped to [0, 1] (``scale='range'``, Weka's normalization for 1-NN). Categorical
    features with at most 16 categories: one-hot (missing -> all zeros); more: the
    category's frequency. At most 256 columns (the first ones).
    """
    parts: list[np.ndarray] = []
    x = data.num[rows]
    if x.shape[1]:
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(x, axis=0) if x.shape[0] else np.zeros(x.shape[1])
        mean = np.where(np.isfinite(mean), mean, 0.0)
        x = np.where(np.isnan(x), mean, x)
        if scale == "range":
            lo, hi = x.min(axis=0), x.max(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            x = (x - lo) / span
        else:
            sd = x.std(axis=0)
            x = (x - mean) / np.where(sd > 0, sd, 1.0)
        parts.append(x)
    cat = data.cat[rows]
    for j in range(cat.shape[1]):
        c = cat[:, j].astype(np.int64)
        k = int(data.cat_levels[j])
        if k <= 1:
            continue
        if k <= MAX_ONEHOT_LEVELS:
            oh = np.zeros((c.size, k))
            ok = c >= 0
            oh[np.flatnonzero(ok), c[ok]] = 1.0
            parts.append(oh)
        else:
            freq = np.bincount(c[c >= 0], minlength=k) / max(c.size, 1)
            parts.append(np.where(c >= 0, freq[np.maximum(c, 0)], 0.0)[:, None])
    if not parts:
        return np.zeros((rows.size, 1))
    out = np.concatenate(parts, axis=1)
    return np.ascontiguousarray(out[:, :MAX_COLUMNS])


def folds(y: np.ndarray, task: str, n_splits: int, random_state: int) -> list:
    """(train, test) index pairs: stratified for classification, shuffled."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if task == "classification":
        cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        return list(cv.split(np.zeros(y.size), y))
    cv2 = KFold(n_splits, shuffle=True, random_state=random_state)
    return list(cv2.split(np.zeros(y.size)))
