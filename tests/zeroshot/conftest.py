"""A tiny knowledge base and meta-model for the drop-in tests (see tests/recommend/_tiny.py)."""

from __future__ import annotations

import pytest
from recommend._tiny import tiny_kb, tiny_model


@pytest.fixture(scope="session")
def kb():
    return tiny_kb()


@pytest.fixture(scope="session")
def clf_model():
    return tiny_model("classification")


@pytest.fixture(scope="session")
def reg_model():
    return tiny_model("regression")
