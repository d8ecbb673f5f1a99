"""Friedman, Nemenyi and Wilcoxon against the worked example of Demšar (2006)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from autometa._exceptions import ParameterError
from autometa.bench import average_ranks, friedman, nemenyi_cd, nemenyi_q, plot_cd, wilcoxon_p

# Demšar (2006), JMLR 7, section 3.2.2: C4.5 and three variants on 14 datasets. Average
# ranks 3.143, 2.000, 2.893, 1.964 (as rank sums over N = 14: 44, 28, 40.5, 27.5);
# chi2_F = 9.28, F_F = 3.69, q_0.05 = 2.569, CD = 1.25.
DEMSAR_RANKS = pd.Series(
    [44 / 14, 28 / 14, 40.5 / 14, 27.5 / 14], index=["C4.5", "C4.5+m", "C4.5+cf", "C4.5+m+cf"]
)


def test_friedman_and_nemenyi_reproduce_demsar_2006() -> None:
    result = friedman(ranks=DEMSAR_RANKS, n_datasets=14)
    assert result.chi2 == pytest.approx(9.28, abs=0.005)
    assert result.f == pytest.approx(3.69, abs=0.005)
    assert result.p_f < 0.05  # "the null hypothesis is rejected"
    assert result.cd == pytest.approx(1.25, abs=0.005)
    # Post hoc (Demšar's reading): at alpha = 0.05 no pair differs by more than CD = 1.25
    # (the largest gap, C4.5 vs C4.5+m+cf, is 1.179); at alpha = 0.10, CD = 1.12, and C4.5
    # is significantly worse than C4.5+m+cf and C4.5+m, not than C4.5+cf.
    gaps = DEMSAR_RANKS["C4.5"] - DEMSAR_RANKS
    assert gaps.max() == pytest.approx(1.179, abs=0.001) and gaps.max() < result.cd
    loose = friedman(ranks=DEMSAR_RANKS, n_datasets=14, alpha=0.10)
    assert loose.cd == pytest.approx(1.12, abs=0.005)
    assert list(gaps.index[gaps > loose.cd]) == ["C4.5+m", "C4.5+m+cf"]


@pytest.mark.parametrize(
    ("k", "q"), [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (8, 3.031), (10, 3.164)]
)
def test_nemenyi_q_matches_demsar_table_5a(k: int, q: float) -> None:
    assert nemenyi_q(k, 0.05) == pytest.approx(q, abs=0.001)


def test_nemenyi_q_at_alpha_010() -> None:
    # Demšar (2006) table 5a, alpha = 0.10: k = 2 -> 1.645, k = 4 -> 2.291.
    assert nemenyi_q(2, 0.10) == pytest.approx(1.645, abs=0.001)
    assert nemenyi_q(4, 0.10) == pytest.approx(2.291, abs=0.001)


def test_friedman_from_values_ranks_per_dataset_with_ties() -> None:
    values = pd.DataFrame(
        {"a": [0.1, 0.2, 0.3, 0.1], "b": [0.2, 0.1, 0.3, 0.3], "c": [0.3, 0.3, 0.1, 0.2]}
    )
    # lower is better; row 3 ties a and b (rank 2.5 each)
    expected = pd.Series({"a": (1 + 2 + 2.5 + 1) / 4, "b": (2 + 1 + 2.5 + 3) / 4})
    ranks = average_ranks(values)
    assert ranks["a"] == pytest.approx(expected["a"])
    assert ranks["b"] == pytest.approx(expected["b"])
    assert ranks.sum() == pytest.approx(6.0)  # k (k + 1) / 2
    by_values = friedman(values)
    by_ranks = friedman(ranks=ranks, n_datasets=4)
    assert by_values.chi2 == pytest.approx(by_ranks.chi2)
    assert by_values.n_datasets == 4
    flipped = average_ranks(values, lower_is_better=False)
    assert flipped["a"] == pytest.approx(4 - ranks["a"])


def test_identical_methods_are_not_significantly_different() -> None:
    rng = np.random.default_rng(0)
    col = rng.uniform(size=20)
    result = friedman(pd.DataFrame({"a": col, "b": col, "c": col}))
    assert result.chi2 == pytest.approx(0.0)
    assert result.p_chi2 == pytest.approx(1.0)


def test_wilcoxon_detects_a_consistent_difference_and_not_noise() -> None:
    rng = np.random.default_rng(0)
    a = rng.uniform(size=30)
    assert wilcoxon_p(a, a + 0.1 + rng.normal(scale=0.01, size=30)) < 1e-4
    assert np.isnan(wilcoxon_p(a, a))  # nothing differs: no test
    assert np.isnan(wilcoxon_p(np.array([1.0, np.nan]), np.array([2.0, 3.0])))


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ParameterError, match="at least two methods"):
        friedman(pd.DataFrame({"a": [0.1, 0.2]}))
    with pytest.raises(ParameterError, match="either 'values'"):
        friedman(ranks=DEMSAR_RANKS)
    with pytest.raises(ParameterError, match="k >= 2"):
        nemenyi_q(1)
    with pytest.raises(ParameterError, match="N >= 1"):
        nemenyi_cd(3, 0)


def test_cd_diagram_draws(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plot_cd(friedman(ranks=DEMSAR_RANKS, n_datasets=14), ax, title="Demšar")
    texts = [t.get_text() for t in ax.texts]
    assert "CD = 1.25" in texts
    assert any(t.startswith("C4.5+m+cf (1.96)") for t in texts)
    fig.savefig(tmp_path / "cd.png")
    plt.close(fig)
    assert (tmp_path / "cd.png").stat().st_size > 0
