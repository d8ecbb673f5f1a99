"""Latency of ``autometa.recommend`` on a 10,000 x 50 mixed-type DataFrame.

Measures, median of ``--repeat`` warm runs (the first, cold run is reported apart: it loads
and caches the knowledge base and the models):

- ``metafeatures``: ``metafeatures.extract`` with the default groups;
- ``inference``: the recommendation from given meta-features (model inference, neighbours,
  table): ``recommend_from_metafeatures``;
- ``recommend``: the whole ``autometa.recommend(df, target=...)``.

Usage::

    python benchmarks/recommend_latency.py                 # shipped default models and KB
    python benchmarks/recommend_latency.py --kb PATH       # a knowledge base, model on the fly
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
import pandas as pd


def make_frame(n: int = 10_000, n_num: int = 40, n_cat: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {f"num{j}": rng.normal(size=n) for j in range(n_num)}
    for j in range(n_cat):
        cols[f"cat{j}"] = pd.Series(
            rng.choice(list("abcdefgh"[: 3 + j % 5]), size=n), dtype="category"
        )
    frame = pd.DataFrame(cols)
    frame.loc[frame.index[::13], "num3"] = np.nan
    logit = frame["num0"] - 0.5 * frame["num1"] + (frame["cat0"] == "a")
    frame["y"] = np.where(logit + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import autometa
    import metafeatures
    from autometa.recommend import recommend_from_metafeatures

    frame = make_frame()
    X, y = frame.drop(columns="y"), frame["y"]
    t = time.perf_counter()
    rec = autometa.recommend(frame, target="y", kb=args.kb, model=args.model)
    cold = time.perf_counter() - t

    def timed(fn):
        out = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return statistics.median(out)

    mf = metafeatures.extract(X, y, task="classification")
    t_mf = timed(lambda: metafeatures.extract(X, y, task="classification"))
    groups = pd.DataFrame(
        [
            metafeatures.extract_report(X, y, task="classification").timings
            for _ in range(args.repeat)
        ]
    ).median()
    t_inf = timed(
        lambda: recommend_from_metafeatures(
            mf, task="classification", kb=args.kb, model=args.model, warn_ood=False
        )
    )
    t_all = timed(lambda: autometa.recommend(frame, target="y", kb=args.kb, model=args.model))
    report = mf.groupby(lambda n: n.split(".")[0] if "." in n else "openml").size()
    print(f"data: {X.shape[0]} x {X.shape[1]} (40 numeric, 10 categorical), model {rec.model_name}")
    print(f"meta-features per group: {report.to_dict()}")
    print(f"cold recommend (loads and caches KB/models): {cold:.3f} s")
    print(f"metafeatures.extract (median of {args.repeat}): {t_mf:.3f} s")
    print("  per group (median): " + ", ".join(f"{k} {1000 * v:.1f} ms" for k, v in groups.items()))
    print(f"inference from meta-features (median):       {1000 * t_inf:.1f} ms")
    print(f"autometa.recommend end to end (median):      {t_all:.3f} s")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
