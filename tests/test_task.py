"""The one task-inference rule (metafeatures/_task.py, used by autometa/_task.py), and
the warning every entry point gives for an ambiguous target."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import metafeatures
from autometa import TaskInferenceWarning
from autometa._task import infer_task, is_ambiguous
from metafeatures import MetaFeatureWarning

RULE = [
    # (target, task, ambiguous)
    ([0, 1, 2, 3], "classification", True),  # the KB and recommend used to disagree here
    ([0, 1, 0, 1, 1, 0], "classification", False),
    ([0.0, 1.0, 0.0, 1.0], "classification", False),
    ([1.0, 2.0, 5.0, 9.0, 3.0, 3.0], "classification", True),  # ratings as floats (issue 17)
    (["a", "b", "a"], "classification", False),
    ([True, False, True], "classification", False),
    (pd.Series(["x", "y", "x"], dtype="category"), "classification", False),
    (pd.Series([1, 2, None, 3], dtype="Int64"), "classification", True),
    (pd.Series([0.0, 1.0, np.nan, 1.0]), "classification", False),
    (np.arange(100), "regression", False),  # more than 20 distinct whole numbers
    (np.arange(21), "regression", False),
    (np.arange(20), "classification", True),
    (np.linspace(0, 1, 50), "regression", False),
    ([0.5, 1.5, 2.0], "regression", False),
    ([1.0, np.inf, 2.0], "regression", False),  # not finite: not whole numbers
    (pd.Series([np.nan, np.nan]), "regression", False),
    (np.array([[0], [1], [2]]), "classification", True),  # shape (n, 1)
    (pd.DataFrame({"t": ["a", "b"]}), "classification", False),
    (pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"])), "classification", False),
]


@pytest.mark.parametrize(("y", "task", "ambiguous"), RULE)
def test_the_rule(y, task, ambiguous):
    assert infer_task(y) == task
    assert is_ambiguous(y) == ambiguous


def _extract_task(y):
    """The task ``metafeatures.extract(task="auto")`` resolves for the target ``y``."""
    n = len(np.asarray(y).ravel()) if not isinstance(y, (pd.Series, pd.DataFrame)) else len(y)
    X = pd.DataFrame({"a": np.arange(n, dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return metafeatures.extract_report(X, y, groups="general").task


@pytest.mark.parametrize(("y", "task", "ambiguous"), RULE)
def test_every_entry_point_uses_the_same_rule(y, task, ambiguous):
    from autometa.kb._datasets import infer_task as kb_infer_task
    from autometa.recommend import infer_task as recommend_infer_task

    assert metafeatures.infer_task(y) == task
    assert metafeatures.is_ambiguous(y) == ambiguous
    assert kb_infer_task(y) == task
    assert recommend_infer_task(y) == task
    if not pd.isna(pd.Series(np.asarray(y, dtype=object).ravel())).all():
        assert _extract_task(y) == task  # extract refuses an all-missing target


def test_y_0_1_2_3_is_classification_everywhere():
    """The knowledge base and recommend used to disagree on this target (issue 11)."""
    from autometa.kb._datasets import infer_task as kb_infer_task
    from autometa.recommend import infer_task as recommend_infer_task

    y = [0, 1, 2, 3]
    answers = {
        "autometa._task": infer_task(y),
        "autometa.kb": kb_infer_task(y),
        "autometa.recommend": recommend_infer_task(y),
        "metafeatures.infer_task": metafeatures.infer_task(y),
        "metafeatures.extract": _extract_task(y),
        "metafeatures.extract (numpy)": _extract_task(np.array(y)),
    }
    assert set(answers.values()) == {"classification"}, answers


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.one_of(
        st.lists(st.integers(-5, 30), min_size=1, max_size=40),
        st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=40),
        st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.5, np.nan]), min_size=1, max_size=40),
        st.lists(st.booleans(), min_size=1, max_size=10),
        st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=10),
    )
)
def test_numpy_and_pandas_targets_get_the_same_answer(values):
    """extract reads numpy targets on a fast path; it must agree with the Series path."""
    s = pd.Series(values)
    arr = s.to_numpy()
    assert metafeatures.task_summary(arr) == metafeatures.task_summary(s)
    assert infer_task(arr) == infer_task(s)


# -- the warning at every entry point -----------------------------------------------------------
def _data(y):
    rng = np.random.default_rng(0)
    n = len(y)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}), pd.Series(y)


RATINGS = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0] * 5  # whole-number floats (issue 17)


def test_recommend_warns_which_task_it_inferred():
    from autometa.recommend import recommend

    X, y = _data(RATINGS)
    with pytest.warns(
        TaskInferenceWarning,
        match=r"recommend inferred task='classification'.*pass task='regression'",
    ):
        rec = recommend(X, y=y, top_k=1)
    assert rec.task == "classification"


def test_an_explicit_task_or_a_clear_target_gives_no_warning():
    from autometa.recommend import recommend

    X, y = _data(RATINGS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskInferenceWarning)
        assert recommend(X, y=y, task="regression", top_k=1).task == "regression"
        assert recommend(X, y=(y > 4).astype(int), top_k=1).task == "classification"
        assert recommend(X, y=y.map(str), top_k=1).task == "classification"


def test_warm_start_and_the_sampler_warn_which_task_they_inferred():
    optuna = pytest.importorskip("optuna")
    from autometa.optuna import MetaSampler, warm_start

    X, y = _data(RATINGS)
    study = optuna.create_study(direction="maximize")
    with pytest.warns(TaskInferenceWarning, match=r"warm_start inferred.*task='regression'"):
        warm_start(study, X, y, n_trials=2)
    with pytest.warns(TaskInferenceWarning, match=r"MetaSampler inferred.*task='regression'"):
        sampler = MetaSampler(X=X, y=y)
    assert sampler.task == "classification"
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskInferenceWarning)
        assert MetaSampler(X=X, y=y, task="regression").task == "regression"


@pytest.mark.parametrize("infer", [None, "auto"])
def test_none_and_auto_both_mean_infer_it_at_every_entry_point(infer, tmp_path):
    """Issue 11: ``task=None`` is the documented convention, ``"auto"`` the same."""
    optuna = pytest.importorskip("optuna")
    from autometa._task import check_task
    from autometa.kb import discover_datasets
    from autometa.optuna import MetaSampler, warm_start
    from autometa.recommend import recommend

    assert check_task(infer, "f") is None
    assert check_task("regression", "f") == "regression"
    X, y = _data([0.5, 1.5, 2.25, 3.5] * 10)  # clearly regression: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", TaskInferenceWarning)
        assert recommend(X, y=y, task=infer, top_k=1).task == "regression"
        assert MetaSampler(X=X, y=y, task=infer).task == "regression"
        study = optuna.create_study(direction="maximize")
        assert len(warm_start(study, X, y, task=infer, n_trials=1)) == 1
        assert metafeatures.extract_report(X, y, task=infer, groups="general").task == (
            "regression"
        )
    X.assign(y=y).to_csv(tmp_path / "d.csv", index=False)
    assert discover_datasets(tmp_path, target="y", task=infer)[0].task == "auto"


def test_a_task_that_is_not_one_says_what_is_allowed():
    from autometa import ParameterError
    from autometa._task import check_task

    with pytest.raises(
        ParameterError,
        match=r"The 'task' parameter of f must be one of \['classification', 'regression'\] "
        r"or None \(infer it; 'auto' is the same\). Got 'ranking' instead.",
    ):
        check_task("ranking", "f")


def test_extract_warns_which_task_it_inferred():
    import metafeatures

    X, y = _data(RATINGS)
    with pytest.warns(MetaFeatureWarning, match=r"extract inferred.*pass task='regression'"):
        metafeatures.extract(X, y, groups="general")


def test_the_cli_names_its_task_option(tmp_path, capsys):
    from autometa.cli import main

    X, y = _data(RATINGS)
    X.assign(target=y).to_csv(tmp_path / "d.csv", index=False)
    assert main(["recommend", str(tmp_path / "d.csv"), "--target", "target", "--top-k", "1"]) == 0
    err = capsys.readouterr().err
    assert "inferred task='classification'" in err and "pass --task regression" in err
