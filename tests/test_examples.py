"""Every script in examples/ runs (in a subprocess, with a non-interactive matplotlib)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autometa.models import default_models_dir

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))
SHIPPED = (default_models_dir() / "models.json").is_file()


@pytest.mark.slow
@pytest.mark.skipif(
    not SHIPPED,
    reason="the examples use the shipped default models (autometa/data/models/models.json "
    "is absent)",
)
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()


def test_there_are_examples() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"recommend_dataframe.py", "pipeline_metaclassifier.py", "explain_plot.py"} <= names
