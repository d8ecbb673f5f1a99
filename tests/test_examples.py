"""Every script in examples/ runs as a user runs it (``python examples/x.py``, in a
subprocess, with a non-interactive matplotlib), with small budgets: the Optuna examples
run 3 trials per study (``AUTOMETA_EXAMPLE_TRIALS``) and the pipeline example
cross-validates 2 candidates (``AUTOMETA_EXAMPLE_CANDIDATES``) instead of 20 and 3.

The examples use the shipped default knowledge base and meta-models: an installation
without them is broken, and these tests fail (they are not skipped)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parents[1] / "examples"
# The examples the documentation refers to; a missing one fails its run below.
DOCUMENTED = {
    "explain_plot.py",
    "optuna_meta_sampler.py",
    "optuna_warm_start.py",
    "pipeline_metaclassifier.py",
    "recommend_dataframe.py",
}
EXAMPLES = sorted({p.name for p in EXAMPLES_DIR.glob("*.py")} | DOCUMENTED)
SMALL_BUDGETS = {"AUTOMETA_EXAMPLE_TRIALS": "3", "AUTOMETA_EXAMPLE_CANDIDATES": "2"}


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_example_runs(name: str, tmp_path: Path) -> None:
    script = EXAMPLES_DIR / name
    assert script.is_file(), f"examples/{name} is missing"
    env = {**os.environ, "MPLBACKEND": "Agg", **SMALL_BUDGETS}
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
