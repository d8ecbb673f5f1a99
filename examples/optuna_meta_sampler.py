"""Tune a regression pipeline with autometa's meta-learned Optuna sampler.

``MetaSampler`` proposes autometa's recommendations first, then, after each trial, adapts
its meta-learned surrogate to the scores seen so far and proposes the configuration with
the largest expected improvement. It runs next to Optuna's TPE from a cold start, with the
same seed and the same number of trials. ``suggest`` builds the pipeline of a trial: a
learner of autometa's registry and its hyperparameters (a conditional search space).

Uses the shipped default knowledge base and meta-models. scikit-learn's ``diabetes`` data
is not one of the knowledge base's datasets.
"""

from __future__ import annotations

import os
import time
import warnings

import optuna
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold, cross_val_score

from autometa.optuna import MetaSampler, suggest

warnings.filterwarnings("ignore", category=FutureWarning)  # scikit-learn deprecations
warnings.filterwarnings("ignore", message=".*converge.*")  # short MLP fits
optuna.logging.set_verbosity(optuna.logging.WARNING)

X, y = load_diabetes(return_X_y=True, as_frame=True)
cv = KFold(3, shuffle=True, random_state=0)
# Trials per study; AUTOMETA_EXAMPLE_TRIALS=3 makes a quick run (the test suite uses it).
N_TRIALS = int(os.environ.get("AUTOMETA_EXAMPLE_TRIALS", "20"))


def objective(trial: optuna.Trial) -> float:
    pipe = suggest(trial, task="regression")  # a learner and its hyperparameters
    return cross_val_score(pipe, X, y, cv=cv, scoring="r2").mean()


def best_after(study: optuna.Study, k: int) -> float:
    return max(t.value for t in study.trials[:k] if t.value is not None)


start = time.perf_counter()
meta = optuna.create_study(direction="maximize", sampler=MetaSampler(X=X, y=y, seed=0))
meta.optimize(objective, n_trials=N_TRIALS)

cold = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
cold.optimize(objective, n_trials=N_TRIALS)

print("MetaSampler's trials:")
print(
    meta.trials_dataframe(attrs=("number", "value", "user_attrs"))[
        ["number", "value", "user_attrs_learner", "user_attrs_autometa:source"]
    ]
    .rename(columns={"user_attrs_learner": "learner", "user_attrs_autometa:source": "source"})
    .to_string(index=False)
)
print("\nbest R^2 (3-fold CV) after k trials on diabetes:")
print(f"{'k':>3}  {'MetaSampler':>11}  {'cold TPE':>8}")
for k in sorted({k for k in (1, 3, 5, 10) if k < N_TRIALS} | {N_TRIALS}):
    print(f"{k:>3}  {best_after(meta, k):>11.4f}  {best_after(cold, k):>8.4f}")
best = meta.best_trial
print(f"\nbest trial: #{best.number} {best.user_attrs['learner']} {best.params}")
print(f"({time.perf_counter() - start:.0f} s)")
