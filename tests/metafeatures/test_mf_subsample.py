"""The one stratified subsample (metafeatures.stratified_subsample): extract's and the
knowledge-base runner's."""

from __future__ import annotations

import numpy as np
import pytest

from metafeatures import stratified_subsample


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_each_class_keeps_its_share_and_small_classes_survive(seed):
    rng = np.random.default_rng(seed)
    y = rng.choice(4, size=5000, p=[0.7, 0.25, 0.0495, 0.0005])
    counts = np.bincount(y, minlength=4)
    pos = stratified_subsample(y.size, 1000, y, min_per_class=3, random_state=seed)
    assert np.all(np.diff(pos) > 0)  # sorted, no row twice
    kept = np.bincount(y[pos], minlength=4)
    expected = np.maximum(np.floor(counts * 1000 / y.size), np.minimum(counts, 3))
    np.testing.assert_array_equal(kept, expected)
    assert 1000 - 4 <= pos.size <= 1000 + 3


def test_deterministic_and_seeded():
    y = np.arange(1000) % 3
    a = stratified_subsample(1000, 100, y, random_state=0)
    np.testing.assert_array_equal(a, stratified_subsample(1000, 100, y, random_state=0))
    assert not np.array_equal(a, stratified_subsample(1000, 100, y, random_state=1))


def test_without_classes_and_without_need():
    pos = stratified_subsample(50, 10, random_state=0)
    assert pos.size == 10 and np.all(np.diff(pos) > 0)
    y = np.array([0, 0, 1, 1, 1])
    np.testing.assert_array_equal(stratified_subsample(5, 10, y), np.arange(5))


def _protocol_1_draw(y, n, max_rows, folds, seed):
    """The knowledge-base runner's subsample of build protocol 1, frozen (every stored run
    was drawn with it)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    if y is None:
        return np.sort(order[:max_rows])
    keys = y[order]
    counts = np.bincount(keys)
    take = np.floor(counts * (max_rows / n)).astype(np.int64)
    take = np.maximum(take, np.minimum(counts, folds))
    by_class = order[np.argsort(keys, kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return np.sort(np.concatenate([by_class[s : s + t] for s, t in zip(starts, take)]))


def test_the_runner_draws_the_rows_of_build_protocol_1():
    """The runner draws with stratified_subsample; it must keep drawing the stored runs' rows."""
    from autometa.kb._evaluation import _subsample_positions

    rng = np.random.default_rng(3)
    for n, max_rows, folds in [(3000, 500, 5), (1234, 1000, 10), (800, 100, 3)]:
        y = rng.choice(5, size=n, p=[0.5, 0.3, 0.15, 0.049, 0.001])
        for seed in (0, 42):
            np.testing.assert_array_equal(
                _subsample_positions(y, n, max_rows, folds, seed),
                _protocol_1_draw(y, n, max_rows, folds, seed),
            )
            np.testing.assert_array_equal(
                _subsample_positions(None, n, max_rows, folds, seed),
                _protocol_1_draw(None, n, max_rows, folds, seed),
            )
