"""Recommending never imports torch (issue 15: torch's import was 2 of the 5 CPU-s of a
cold ``autometa recommend``): the shipped models are read from ``arrays.npz`` and predict
in numpy. Checked in a fresh process, since this test session may have imported torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import autometa

SCRIPT = """
import sys, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(150, 4)), columns=list("abcd"))
y = pd.Series(np.where(X["a"] + rng.normal(scale=0.5, size=150) > 0, "yes", "no"), name="y")
X.assign(y=y).to_csv("data.csv", index=False)

from autometa.cli import main
assert main(["recommend", "data.csv", "--target", "y", "--top-k", "3"]) == 0
assert "torch" not in sys.modules, "autometa recommend imported torch"

from autometa.zeroshot import RandomForestClassifier
RandomForestClassifier(n_estimators=5).fit(X, y)
assert "torch" not in sys.modules, "a zero-shot fit imported torch"

from autometa import MetaRegressor
MetaRegressor(top_k=1).fit(X[["b", "c", "d"]], X["a"])
assert "torch" not in sys.modules, "MetaRegressor.fit imported torch"
print("no torch")
"""


def test_recommend_and_zero_shot_fits_do_not_import_torch(tmp_path) -> None:
    root = str(Path(autometa.__file__).resolve().parents[1])
    path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("no torch")
