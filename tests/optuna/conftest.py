"""Fixtures of the Optuna tests: a fast adaptive meta-model fitted on synthetic TaskData
(``task_data``, from ``tests/conftest.py``).

No ``__init__.py`` in this directory: a package named ``optuna`` on the test path would
shadow the real Optuna.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from autometa.models import Adaptive, MetaModel, Prediction, TaskData


class FakeAdaptive(Adaptive, MetaModel):
    """Mean training score per configuration, plus a shift per learner after ``adapt``.

    Records the observations of every ``adapt`` call in ``calls`` (shared by the copies).
    """

    name: ClassVar[str] = "fake-adaptive"

    def _fit(self, data: TaskData) -> None:
        self.mean_ = data.scores.mean().to_numpy()
        self.std_ = data.scores.std().to_numpy() + 0.05
        self.learners_ = data.configurations["learner"].to_numpy()
        self.shift_ = np.zeros_like(self.mean_)
        self.calls: list[dict[str, float]] = []

    def _predict(self, metafeatures: pd.DataFrame) -> Prediction:
        n = len(metafeatures)
        mean = np.tile(self.mean_ + self.shift_, (n, 1))
        std = np.tile(self.std_, (n, 1))
        return Prediction(
            self._frame(mean, metafeatures.index), self._frame(std, metafeatures.index)
        )

    def adapt(
        self, metafeatures: Any, observations: Mapping[str, float], *, steps: int | None = None
    ) -> FakeAdaptive:
        self.calls.append(dict(observations))
        out = copy.copy(self)
        values = {c: (-2.0 if np.isnan(v) else v) for c, v in observations.items()}
        arr = np.array(list(values.values()))
        z = (arr - arr.mean()) / (arr.std() + 1e-9)
        pos = {c: i for i, c in enumerate(self.config_ids_ or [])}
        shift = np.zeros_like(self.mean_)
        for (cid, _), zi in zip(values.items(), z):
            shift[self.learners_ == self.learners_[pos[cid]]] += 0.1 * zi
        out.shift_ = shift
        return out


@pytest.fixture
def fake_model(task_data: TaskData) -> FakeAdaptive:
    return FakeAdaptive().fit(task_data)


@pytest.fixture(scope="session")
def mf(task_data: TaskData) -> pd.Series:
    return task_data.metafeatures.iloc[0]
