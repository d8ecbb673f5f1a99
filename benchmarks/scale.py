"""Large data: the default fit of MetaClassifier / MetaRegressor against HistGradientBoosting.

    python benchmarks/scale.py [--rows-clf 200000] [--rows-reg 100000]

Issue 10's scale check: ``MetaClassifier()`` on ``make_classification(200_000, 50,
random_state=0)`` and ``MetaRegressor()`` on ``make_regression(100_000, 20, noise=10,
random_state=0)``; a 75/25 split; fit wall time and held-out score (balanced accuracy, R2)
against the ``HistGradientBoosting*`` defaults, fitted in the same run on the same split.
Targets: fit within 60 s on 2 cores, score at least HistGradientBoosting's minus 0.01.

``--many-classes``: issue 13's case instead, ``MetaClassifier().fit`` on 4,000 rows of 2,000
classes (two rows each; fit time only, there is nothing to score).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split

from autometa import MetaClassifier, MetaRegressor


def _run(name, model, X_tr, X_te, y_tr, y_te, score):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr)
    seconds = time.perf_counter() - start
    value = score(y_te, model.predict(X_te))
    chosen = getattr(model, "best_learner_", "")
    print(f"| {name} | {chosen} | {seconds:.1f} | {value:.4f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-clf", type=int, default=200_000)
    parser.add_argument("--rows-reg", type=int, default=100_000)
    parser.add_argument("--many-classes", action="store_true")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores\n")
    if args.many_classes:
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(4000, 10)), np.repeat(np.arange(2000), 2)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = MetaClassifier().fit(X, y)
        print(f"MetaClassifier() on 2,000 classes: {clf.best_learner_}, "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        return
    print("| estimator | chosen learner | fit seconds | held-out score |\n|---|---|---:|---:|")
    X, y = make_classification(n_samples=args.rows_clf, n_features=50, random_state=0)
    split = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    _run("MetaClassifier()", MetaClassifier(), *split, balanced_accuracy_score)
    _run("HistGradientBoostingClassifier()", HistGradientBoostingClassifier(), *split,
         balanced_accuracy_score)  # fmt: skip
    X, y = make_regression(n_samples=args.rows_reg, n_features=20, noise=10, random_state=0)
    split = train_test_split(X, y, test_size=0.25, random_state=0)
    _run("MetaRegressor()", MetaRegressor(), *split, r2_score)
    _run("HistGradientBoostingRegressor()", HistGradientBoostingRegressor(), *split, r2_score)


if __name__ == "__main__":
    main()
