"""Meta-features without data: LCDB's OpenML qualities against our ``openml`` group.

LCDB ships OpenML's data qualities of its datasets (``datasets.csv``) under OpenML's names,
which are the names of ``metafeatures``' ``openml`` group. If the group reproduces
OpenML's definitions, a meta-model fitted on LCDB's qualities (no data) can be asked about
a user's DataFrame through our extraction. This script checks the agreement on the shared
PMLB datasets:

1. by OpenML id (``openml_dataset_id`` of ``../shared/datasets/pmlb/index.tsv``) where the
   id is in LCDB's ``datasets.csv``;
2. by name (lower-cased, punctuation removed), kept only where the number of rows and of
   classes of the PMLB table equal OpenML's ``NumberOfInstances`` and ``NumberOfClasses``
   (OpenML holds binarized versions under the same names, e.g. ``letter`` 977).

For each quality both sides have, a dataset agrees when the values are equal to a relative
tolerance of 1e-6 (``exact``) or 5% (``close``); NaN on both sides counts as agreement.
PMLB stores categorical columns as integer codes; the PMLB ``.yaml`` feature types are used
(``autometa.kb.load_dataset``), so symbolic counts can still differ where PMLB's types do.

A second check uses the OpenML responses scikit-learn's wheel ships (data and OpenML's
recorded qualities; the ids also in LCDB's ``datasets.csv``): LCDB's qualities against
OpenML's recorded ones, and ours on OpenML's own data (where the shipped data file is
complete) against LCDB's.

Usage::

    python benchmarks/lcdb_metafeatures.py [--path LCDB] [--pmlb ../shared/datasets/pmlb]
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

import metafeatures
from autometa.kb import discover_datasets, load_dataset
from autometa.kb._lcdb import _Files, _qualities


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def matches(q: pd.DataFrame, pmlb: Path) -> list[tuple[str, int, str]]:
    index = pd.read_csv(pmlb / "index.tsv", sep="\t")
    index = index.loc[index["task"] == "classification"]
    out = []
    by_name = {norm(n): int(i) for n, i in zip(q["Name"], q.index)}
    for r in index.itertuples(index=False):
        oid = r.openml_dataset_id
        if pd.notna(oid) and int(oid) in q.index:
            out.append((r.name, int(oid), "id"))
        elif norm(r.name) in by_name:
            out.append((r.name, by_name[norm(r.name)], "name"))
    return out


def agree(a: float, b: float, rtol: float) -> bool:
    if np.isnan(a) and np.isnan(b):
        return True
    if np.isnan(a) or np.isnan(b):
        return False
    return abs(a - b) <= rtol * max(1.0, abs(b))


def openml_reference(q: pd.DataFrame) -> None:
    """LCDB's qualities vs OpenML's recorded ones and vs ours on OpenML's own data."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "metafeatures"))
    from _openml_fixtures import load_sklearn_fixture

    print()
    print("| OpenML id | name | LCDB = OpenML recorded (1e-6) | ours = LCDB (1e-6) | within 5% |")
    print("|---|---|---:|---:|---:|")
    for oid in sorted(set(q.index) & {3, 1119, 1590}):
        fx = load_sklearn_fixture(oid)
        if fx is None:
            continue
        lq = q.loc[oid]
        names = [c for c in lq.index if c in fx.qualities and c != "Name"]
        rec = np.mean([agree(float(lq[c]), float(fx.qualities[c]), 1e-6) for c in names])
        if len(fx.X) == int(lq["NumberOfInstances"]):
            ours = metafeatures.extract(fx.X, fx.y, groups=["openml"])
            common = [c for c in ours.index if c in lq.index]
            ex = np.mean([agree(float(ours[c]), float(lq[c]), 1e-6) for c in common])
            cl = np.mean([agree(float(ours[c]), float(lq[c]), 0.05) for c in common])
            mine = f"{ex:.0%} of {len(common)} | {cl:.0%}"
        else:
            mine = f"(shipped data has {len(fx.X)} of {int(lq['NumberOfInstances'])} rows) | -"
        print(f"| {oid} | {lq['Name']} | {rec:.0%} of {len(names)} | {mine} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--path", default=None, help="LCDB sdist or directory")
    parser.add_argument("--pmlb", type=Path, default=Path("../shared/datasets/pmlb"))
    args = parser.parse_args()
    t0 = time.time()
    q = _qualities(_Files(args.path))
    pairs = matches(q, args.pmlb)
    index = pd.read_csv(args.pmlb / "index.tsv", sep="\t")
    ids = set(index["openml_dataset_id"].dropna().astype(int))
    print(
        f"PMLB datasets with an OpenML id: {len(ids)}; in LCDB's datasets.csv: "
        f"{len(ids & set(q.index))}"
    )
    specs = {s.name: s for s in discover_datasets(args.pmlb / "index.tsv")}
    rows = []
    kept = []
    for name, oid, how in pairs:
        X, y, _ = load_dataset(specs[name])
        n_rows, n_classes = len(X), int(pd.Series(y).nunique())
        lq = q.loc[oid]
        if how == "name" and (
            n_rows != int(lq["NumberOfInstances"]) or n_classes != int(lq["NumberOfClasses"])
        ):
            print(
                f"  skip {name} ~ OpenML {oid} {lq['Name']}: {n_rows} rows/{n_classes} "
                f"classes vs {int(lq['NumberOfInstances'])}/{int(lq['NumberOfClasses'])}"
            )
            continue
        kept.append((name, oid, how))
        ours = metafeatures.extract(X, y, groups=["openml"])
        for quality in ours.index:
            if quality in lq.index and quality not in ("Name",):
                rows.append(
                    {
                        "dataset": name,
                        "quality": quality,
                        "ours": float(ours[quality]),
                        "openml": float(lq[quality]),
                    }
                )
    print(f"compared datasets: {len(kept)}: " + ", ".join(f"{n} ({o}, by {h})" for n, o, h in kept))
    frame = pd.DataFrame(rows)
    frame["exact"] = [agree(a, b, 1e-6) for a, b in zip(frame["ours"], frame["openml"])]
    frame["close"] = [agree(a, b, 0.05) for a, b in zip(frame["ours"], frame["openml"])]
    per = frame.groupby("quality").agg(
        n=("exact", "size"), exact=("exact", "mean"), close=("close", "mean")
    )
    per = per.sort_values(["exact", "close"], ascending=False)
    print()
    print("| quality | datasets | exact (1e-6) | within 5% |")
    print("|---|---:|---:|---:|")
    for quality, r in per.iterrows():
        print(f"| {quality} | {int(r.n)} | {r.exact:.0%} | {r.close:.0%} |")
    print()
    print(
        f"overall: exact {frame['exact'].mean():.0%}, within 5% {frame['close'].mean():.0%} "
        f"of {len(frame)} (dataset, quality) pairs; qualities exact on every dataset: "
        f"{int((per['exact'] == 1).sum())} of {len(per)}"
    )
    print()
    print("| dataset | OpenML id | exact (1e-6) | within 5% | feature types agree |")
    print("|---|---:|---:|---:|---|")
    for name, oid, _ in kept:
        d = frame.loc[frame["dataset"] == name].set_index("quality")
        types = all(
            d.loc[c, "exact"] for c in ("NumberOfNumericFeatures", "NumberOfSymbolicFeatures")
        )
        print(
            f"| {name} | {oid} | {d['exact'].mean():.0%} | {d['close'].mean():.0%} | "
            f"{'yes' if types else 'no'} |"
        )
    openml_reference(q)
    out = Path(__file__).parent / "results" / "lcdb_metafeatures.csv"
    out.parent.mkdir(exist_ok=True)
    frame.to_csv(out, index=False)
    print(f"per (dataset, quality) values: {out}  ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
