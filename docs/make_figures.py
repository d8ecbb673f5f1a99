"""Draw the pictures of ``docs/how-it-decides.md`` and ``docs/optuna.md`` into ``docs/img/``.

Usage (from the repository root; about a minute)::

    python docs/make_figures.py

Uses the shipped default knowledge base and meta-models; the pictures are what
``Recommendation.plot()`` and ``autometa tune --plot`` draw, saved small.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine

import autometa

DPI = 64


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    warnings.simplefilter("ignore")

    # 1. A dataset like the knowledge base's: scores, fit times, near neighbours.
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    rec = autometa.recommend(X, y=y, top_k=10)
    rec.plot().savefig(out / "recommend.png", dpi=DPI, bbox_inches="tight")

    # 2. A dataset unlike it (60 rows, 200 noise features, random labels): flagged.
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.normal(size=(60, 200))).add_prefix("x")
    labels = pd.Series(rng.integers(0, 2, 60))
    odd = autometa.recommend(noise, y=labels, top_k=10)
    assert odd.is_ood, "the example is meant to be out of distribution"
    odd.plot().savefig(out / "recommend_ood.png", dpi=DPI, bbox_inches="tight")

    # 3. A warm-started study's optimization history (what `autometa tune --plot` draws).
    import optuna
    from sklearn.model_selection import cross_val_score

    from autometa.cli._tune import history_plot
    from autometa.optuna import suggest, warm_start

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    Xw, yw = load_wine(return_X_y=True, as_frame=True)
    learners = ["LogisticRegression", "KNeighborsClassifier", "DecisionTreeClassifier"]

    def objective(trial: optuna.Trial) -> float:
        pipe = suggest(trial, learners, task="classification")
        return cross_val_score(pipe, Xw, yw, cv=3, scoring="balanced_accuracy").mean()

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    warm_start(study, Xw, yw, n_trials=5, learners=learners)
    study.optimize(objective, n_trials=20)
    history_plot(study, "balanced_accuracy (3-fold CV)").savefig(
        out / "tune_history.png", dpi=DPI, bbox_inches="tight"
    )
    plt.close("all")
    for path in sorted(out.glob("*.png")):
        print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "img")
