"""Warm-start an Optuna study with autometa's recommendations.

``warm_start`` enqueues the meta-model's top configurations for this dataset as the first
trials of the study (mapped onto the study's own parameters); TPE then continues from
them. The same study without the warm start runs next to it, with the same seed and the
same number of trials. ``suggest`` builds the pipeline of a trial: a learner of autometa's
registry and its hyperparameters (a conditional search space).

Uses the shipped default knowledge base and meta-models. Note: ``breast_cancer`` (as
PMLB's ``breast_cancer_wisconsin``) is one of the knowledge base's datasets; the
held-out measurement is in ``benchmarks/README.md`` ("Optuna: table look-up").
"""

from __future__ import annotations

import os
import time
import warnings

import optuna
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedKFold, cross_val_score

from autometa.optuna import suggest, warm_start

warnings.filterwarnings("ignore", category=FutureWarning)  # scikit-learn deprecations
warnings.filterwarnings("ignore", message=".*converge.*")  # short MLP/LogisticRegression fits
optuna.logging.set_verbosity(optuna.logging.WARNING)

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
cv = StratifiedKFold(3, shuffle=True, random_state=0)
# Trials per study; AUTOMETA_EXAMPLE_TRIALS=3 makes a quick run (the test suite uses it).
N_TRIALS = int(os.environ.get("AUTOMETA_EXAMPLE_TRIALS", "20"))


def objective(trial: optuna.Trial) -> float:
    pipe = suggest(trial, task="classification")  # a learner and its hyperparameters
    return cross_val_score(pipe, X, y, cv=cv, scoring="balanced_accuracy").mean()


def best_after(study: optuna.Study, k: int) -> float:
    return max(t.value for t in study.trials[:k] if t.value is not None)


start = time.perf_counter()
warm = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
n_warm = min(5, N_TRIALS)
recommended = warm_start(warm, X, y, n_trials=n_warm)  # the first trials: autometa's top
print("enqueued by autometa:")
print(recommended[["rank", "learner", "predicted_score"]].to_string(index=False))
warm.optimize(objective, n_trials=N_TRIALS)

cold = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
cold.optimize(objective, n_trials=N_TRIALS)

print("\nbest balanced accuracy (3-fold CV) after k trials on breast_cancer:")
print(f"{'k':>3}  {'TPE + autometa':>14}  {'cold TPE':>8}")
for k in sorted({k for k in (1, 3, 5, 10) if k < N_TRIALS} | {N_TRIALS}):
    print(f"{k:>3}  {best_after(warm, k):>14.4f}  {best_after(cold, k):>8.4f}")
best = warm.best_trial
print(f"\nbest warm-started trial: #{best.number} {best.user_attrs['learner']} {best.params}")
print(f"({time.perf_counter() - start:.0f} s)")
