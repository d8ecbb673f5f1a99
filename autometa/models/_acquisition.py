"""Acquisition functions shared by the meta-models and the Optuna sampler.

One definition of expected improvement (maximization): ``E[max(f - best, 0)]``, either in
closed form for a normal belief ``f ~ N(mean, std^2)`` or as the mean over samples of the
belief (e.g. the members of an ensemble, each compared with its own ``best``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["expected_improvement"]

#: Spreads below this count as this (the closed form divides by the spread).
MIN_STD = 1e-9


def expected_improvement(values: Any, best: Any, std: Any = None) -> Any:
    """Expected improvement over ``best`` (larger = better).

    Parameters
    ----------
    values : array of shape (n,) or (n_samples, n)
        With ``std``: the mean of a normal belief per candidate. Without: samples of the
        belief, one row per sample (numpy array or torch tensor).
    best : float or array
        The value to improve on; with samples, per sample (shape ``(n_samples, 1)``) or
        one for all.
    std : array of shape (n,), optional
        The standard deviation of the normal belief (floored at :data:`MIN_STD`).

    Returns
    -------
    array of shape (n,)
        ``(mean - best) * Phi(z) + std * phi(z)`` with ``z = (mean - best) / std``; or, from
        samples, ``mean over samples of max(sample - best, 0)`` (the same type as
        ``values``).

    Examples
    --------
    >>> import numpy as np
    >>> expected_improvement(np.array([0.5, 0.7]), 0.6, std=np.array([0.0, 0.0])).round(3)
    array([0. , 0.1])
    >>> expected_improvement(np.array([[0.5, 0.9], [0.7, 0.5]]), 0.6)
    array([0.05, 0.15])
    """
    if std is None:
        return (values - best).clip(min=0).mean(0)
    from scipy.stats import norm

    std = np.maximum(np.asarray(std, dtype=np.float64), MIN_STD)
    gap = np.asarray(values, dtype=np.float64) - best
    z = gap / std
    return gap * norm.cdf(z) + std * norm.pdf(z)
