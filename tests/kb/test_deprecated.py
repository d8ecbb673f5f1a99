"""The deprecated ``KnowledgeBase.add_study`` / ``add_search``: they warn, naming the
replacement, and give what :mod:`autometa.optuna` gives."""

from __future__ import annotations

import optuna
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from autometa.kb import KnowledgeBase
from autometa.optuna import add_search, add_study, suggest

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def iris() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y, pd.Series({"general.n_rows": 150.0, "general.n_features": 4.0})


def test_add_study_method_warns_and_delegates(iris) -> None:
    X, y, mf = iris
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(
        lambda t: 0.5 + 0.01 * t.number + 0 * len(suggest(t, "LogisticRegression")), n_trials=3
    )
    kb = KnowledgeBase()
    with pytest.warns(FutureWarning, match=r"Use autometa\.optuna\.add_study\(kb, study"):
        old = kb.add_study(study, X, y, metafeatures=mf)
    new = add_study(kb, study, X, y, metafeatures=mf)
    pd.testing.assert_frame_equal(old.runs, new.runs)
    pd.testing.assert_frame_equal(old.configurations, new.configurations)


def test_add_search_method_warns_and_delegates(iris) -> None:
    X, y, mf = iris
    search = GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.1, 1.0]}, cv=3).fit(X, y)
    kb = KnowledgeBase()
    with pytest.warns(FutureWarning, match=r"Use autometa\.optuna\.add_search\(kb, search_cv"):
        old = kb.add_search(search, X, y, metafeatures=mf)
    new = add_search(kb, search, X, y, metafeatures=mf)
    pd.testing.assert_frame_equal(old.runs, new.runs)
    assert len(new.runs) == 2
