"""Latency of ``autometa.recommend`` on a 10,000 x 50 mixed-type DataFrame.

Measures, median of ``--repeat`` warm runs (the first, cold run is reported apart: it loads
and caches the knowledge base and the models):

- ``metafeatures``: ``metafeatures.extract`` with the default groups;
- ``inference``: the recommendation from given meta-features (model inference, neighbours,
  table): ``recommend_from_metafeatures``;
- ``recommend``: the whole ``autometa.recommend(df, target=...)``.

With ``--startup``, the cost of a cold start instead, in CPU seconds (user + system, of
fresh processes, so they hold on a busy machine where wall times do not), each the median of
``--repeat`` fresh processes:

- ``python -c pass``: the interpreter alone;
- ``autometa recommend`` on a 500-row CSV (20 numeric features), the whole command;
- a breakdown of one cold process: imports (numpy/pandas, scikit-learn/scipy, autometa's
  CLI), reading the CSV, meta-features, the first ``recommend`` (loading the default
  knowledge base and models) and a second one;
- the first zero-shot ``fit`` of a process (``autometa.zeroshot.RandomForestClassifier``,
  ``n_estimators=10``) against the next ones;
- whether either process imported torch (neither should: the models predict in numpy).

With ``--baseline DIR``, the cold ``autometa recommend`` of the checkout at ``DIR`` and of
this one, and the import floor (``python -c "import numpy, pandas, sklearn, scipy.stats"``,
what any process computing meta-features pays), interleaved round by round; "above the
floor" is autometa's own share of a cold start, which depends less on the machine.

Usage::

    python benchmarks/recommend_latency.py                 # shipped default models and KB
    python benchmarks/recommend_latency.py --kb PATH       # a knowledge base, model on the fly
    python benchmarks/recommend_latency.py --startup       # cold-start CPU seconds
    python benchmarks/recommend_latency.py --startup --cli-only --baseline /work/main
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


# Run in a fresh process: the CPU seconds of each stage of a cold `autometa recommend`.
_STAGES = """
import sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.process_time()
def lap(label):
    global t0
    t = time.process_time()
    print(f"{label}\t{t - t0:.3f}", flush=True)
    t0 = t
import numpy, pandas; lap("import numpy, pandas")
import sklearn.base, scipy.stats; lap("import sklearn, scipy")
import autometa.cli; autometa.cli.build_parser(); lap("import autometa.cli, build the parser")
import autometa.recommend, metafeatures; lap("import autometa.recommend, metafeatures")
from autometa._io import read_table, split_target
X, y = split_target(read_table(sys.argv[1]), "y"); lap("read the CSV")
import autometa
rec = autometa.recommend(X, y=y); lap("first recommend (loads KB and models)")
rec = autometa.recommend(X, y=y); lap("second recommend")
print(f"torch imported\t{int('torch' in sys.modules)}")
"""

# Run in a fresh process: CPU seconds of the first zero-shot fit against the next ones.
_FITS = """
import sys, time, warnings
warnings.simplefilter("ignore")
import pandas as pd
from autometa.zeroshot import RandomForestClassifier
frame = pd.read_csv(sys.argv[1])
X, y = frame.drop(columns="y"), frame["y"]
for i in range(4):
    t = time.process_time()
    RandomForestClassifier(n_estimators=10, n_jobs=1).fit(X, y)
    print(f"fit {i + 1}\t{time.process_time() - t:.3f}", flush=True)
print(f"torch imported\t{int('torch' in sys.modules)}")
"""


def _cpu_of(cmd: list[str], pythonpath: str | None = None) -> tuple[float, str]:
    """CPU seconds (user + system) of a child process, and its stdout."""
    import resource
    import subprocess
    import tempfile

    env = None
    if pythonpath is not None:
        env = {**os.environ, "PYTHONPATH": pythonpath}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # From a scratch directory: `python -m` puts the working directory first on sys.path,
    # which would shadow the PYTHONPATH of the baseline.
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run(
            cmd, capture_output=True, text=True, check=True, env=env, cwd=cwd
        ).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def _laps(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (line.split("\t") for line in text.strip().splitlines())}


#: What any process that computes meta-features imports (scikit-learn imports scipy.stats):
#: the part of a cold start that autometa cannot shrink.
_FLOOR = "import numpy, pandas, sklearn, scipy.stats"


def startup(repeat: int, baseline: str | None = None, cli_only: bool = False) -> None:
    import sys
    import tempfile
    from pathlib import Path

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(500, 20)), columns=[f"x{j}" for j in range(20)])
    frame["y"] = np.where(frame["x0"] + rng.normal(scale=0.5, size=500) > 0, "yes", "no")
    with tempfile.TemporaryDirectory() as tmp:
        csv = str(Path(tmp) / "data500.csv")
        frame.to_csv(csv, index=False)
        py = sys.executable
        bare = statistics.median(_cpu_of([py, "-c", "pass"])[0] for _ in range(repeat))
        cli = [py, "-m", "autometa.cli", "recommend", csv, "--target", "y"]
        if baseline is not None:  # interleaved, so that all three see the same load
            runs = [
                (_cpu_of(cli, baseline)[0], _cpu_of(cli)[0], _cpu_of([py, "-c", _FLOOR])[0])
                for _ in range(repeat)
            ]
            a, b, f = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"autometa recommend (cold), CPU s, {repeat} interleaved rounds:")
            print("  baseline " + baseline + ": " + ", ".join(f"{r[0]:.2f}" for r in runs))
            print("  this checkout:  " + ", ".join(f"{r[1]:.2f}" for r in runs))
            print("  import floor:   " + ", ".join(f"{r[2]:.2f}" for r in runs))
            print(f"  medians: {a:.2f} -> {b:.2f} ({b / a:.2f}x)")
            print(f"  above the floor ({f:.2f}: {_FLOOR}): {a - f:.2f} -> {b - f:.2f}")
        if baseline is not None and cli_only:
            return
        cold = statistics.median(_cpu_of(cli)[0] for _ in range(repeat))
        if cli_only:
            print(f"python -c pass: {bare:.2f}; autometa recommend (cold): {cold:.2f} CPU s")
            return
        stages = pd.DataFrame([_laps(_cpu_of([py, "-c", _STAGES, csv])[1]) for _ in range(repeat)])
        fits = pd.DataFrame([_laps(_cpu_of([py, "-c", _FITS, csv])[1]) for _ in range(repeat)])
    torch_in = {
        "recommend": bool(stages.pop("torch imported").max()),
        "zero-shot fit": bool(fits.pop("torch imported").max()),
    }
    print(f"CPU seconds (user + system), median of {repeat} fresh processes")
    print(f"python -c pass:                                   {bare:.2f}")
    print(f"autometa recommend data500.csv --target y (cold): {cold:.2f}")
    print("one cold process, stage by stage:")
    for name, value in stages.median().items():
        print(f"  {name:45s} {value:.2f}")
    print("zero-shot RandomForestClassifier(n_estimators=10).fit, in one process:")
    for name, value in fits.median().items():
        print(f"  {name:45s} {value:.2f}")
    print(f"  first fit minus the median of the later ones: "
          f"{fits.median().iloc[0] - fits.median().iloc[1:].median():.2f}")  # fmt: skip
    print(
        "torch imported: " + ", ".join(f"{k}: {'yes' if v else 'no'}" for k, v in torch_in.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--startup", action="store_true", help="cold-start CPU seconds")
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="DIR",
        help="with --startup: also time the CLI of the checkout at DIR (its PYTHONPATH), "
        "interleaved with this one",
    )
    parser.add_argument("--cli-only", action="store_true", help="with --startup: the CLI only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.startup:
        startup(args.repeat, args.baseline, args.cli_only)
        _load_line()
        return

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
    _load_line()


def _load_line() -> None:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average (1, 5, 15 min): {load[0]:.1f}, {load[1]:.1f}, {load[2]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip


if __name__ == "__main__":
    main()
