"""Offline OpenML fixtures: a small ARFF reader and loaders for recorded qualities.

Two sources are used, both shipped offline:

* scikit-learn's wheel, ``sklearn/datasets/tests/data/openml/id_<id>/`` (JSON API
  responses ``api-v1-jd*``/``api-v1-jdf*``/``api-v1-jdq*`` and the ARFF data);
* openml-python's test cache in ``../shared/fixtures/openml-cache/`` (anneal, id 2,
  with ``dataset.arff``, ``features.xml`` and ``qualities.xml``).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


def _shared_dir() -> Path:
    """The project's shared data (``../shared`` beside the repository, as DESIGN.md says),
    found from any checkout or worktree: ``$AUTOMETA_SHARED`` or the first ``shared/``
    holding ``fixtures/`` beside the repository or one of its ancestors."""
    if os.environ.get("AUTOMETA_SHARED"):
        return Path(os.environ["AUTOMETA_SHARED"])
    repo = Path(__file__).resolve().parents[2]
    for parent in repo.parents:
        if (parent / "shared" / "fixtures").is_dir():
            return parent / "shared"
    return repo.parent / "shared"


SHARED = _shared_dir()
ANNEAL_DIR = SHARED / "fixtures" / "openml-cache" / "org" / "openml" / "test" / "datasets" / "2"


def sklearn_openml_dir() -> Path:
    """Directory of the OpenML responses shipped in scikit-learn's wheel."""
    import sklearn.datasets.tests.data.openml as pkg

    return Path(pkg.__file__).parent


@dataclass(frozen=True)
class OpenMLFixture:
    """One dataset with the qualities OpenML's server computed for it."""

    name: str
    data_id: int
    X: pd.DataFrame
    y: pd.Series
    qualities: dict[str, float]


_ATTR = re.compile(r"^@attribute\s+('(?:[^'\\]|\\.)*'|\"[^\"]*\"|\S+)\s+(.*)$", re.IGNORECASE)


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        return s[1:-1].replace("\\'", "'").replace('\\"', '"')
    return s


def read_arff(text: str) -> pd.DataFrame:
    """Read a dense ARFF file into a DataFrame.

    Nominal attributes become ``category`` columns with the declared values as
    categories (so declared-but-unused values count, as in Weka); numeric attributes
    become float64; string attributes become ``string``-dtype columns. ``?`` is missing.
    """
    names: list[str] = []
    kinds: list[object] = []
    lines = text.splitlines()
    start = 0
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("%"):
            continue
        low = s.lower()
        if low.startswith("@attribute"):
            m = _ATTR.match(s)
            if m is None:
                raise ValueError(f"cannot parse ARFF attribute line: {s!r}")
            names.append(_unquote(m.group(1)))
            spec = m.group(2).strip()
            if spec.startswith("{"):
                body = spec[1 : spec.rindex("}")]
                vals = next(csv.reader([body], quotechar="'", skipinitialspace=True))
                kinds.append([_unquote(v) for v in vals])
            else:
                kinds.append(spec.split()[0].lower())
        elif low.startswith("@data"):
            start = i + 1
            break
    body = [ln for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("%")]
    quote = "'" if any("'" in ln[:3] for ln in body[:5]) and '"' not in body[0] else '"'
    rows = list(csv.reader(body, quotechar=quote, skipinitialspace=True, escapechar="\\"))
    cols: dict[str, object] = {}
    for j, (name, kind) in enumerate(zip(names, kinds)):
        raw = [_unquote(r[j]) if j < len(r) else "?" for r in rows]
        raw_na = [None if v == "?" else v for v in raw]
        if isinstance(kind, list):
            cols[name] = pd.Categorical(raw_na, categories=kind)
        elif kind in ("numeric", "real", "integer"):
            cols[name] = np.array([np.nan if v is None else float(v) for v in raw_na])
        else:
            cols[name] = pd.Series(raw_na, dtype="string")  # ARFF string: free text
    return pd.DataFrame(cols)


def _to_float(v: object) -> float:
    if v is None or v == [] or v == "":
        return float("nan")
    return float(v)  # type: ignore[arg-type]


def load_sklearn_fixture(data_id: int) -> OpenMLFixture | None:
    """Load dataset ``data_id`` from scikit-learn's wheel, or None if incomplete."""
    d = sklearn_openml_dir() / f"id_{data_id}"
    jdq = d / f"api-v1-jdq-{data_id}.json.gz"
    if not jdq.exists():
        return None
    raw_q = json.loads(gzip.open(jdq, "rt").read())
    if "data_qualities" not in raw_q:
        return None
    qualities = {q["name"]: _to_float(q["value"]) for q in raw_q["data_qualities"]["quality"]}
    desc = json.loads(gzip.open(d / f"api-v1-jd-{data_id}.json.gz", "rt").read())
    desc = desc["data_set_description"]
    feats = json.loads(gzip.open(d / f"api-v1-jdf-{data_id}.json.gz", "rt").read())
    feats = feats["data_features"]["feature"]
    arff = next(d.glob("data-v1-dl-*.arff.gz"))
    frame = read_arff(gzip.open(arff, "rt", encoding="utf-8").read())
    target = desc["default_target_attribute"]
    drop = [
        f["name"] for f in feats if f["is_ignore"] == "true" or f["is_row_identifier"] == "true"
    ]
    frame = frame.rename(columns={c: c for c in frame.columns})
    X = frame.drop(columns=[target, *[c for c in drop if c in frame.columns]])
    return OpenMLFixture(desc["name"], data_id, X, frame[target], qualities)


def load_anneal_fixture() -> OpenMLFixture | None:
    """Load anneal (id 2) from openml-python's test cache, or None if missing."""
    if not (ANNEAL_DIR / "dataset.arff").exists():
        return None
    frame = read_arff((ANNEAL_DIR / "dataset.arff").read_text(encoding="utf-8"))
    text = (ANNEAL_DIR / "qualities.xml").read_text(encoding="utf-8")
    pairs = re.findall(r"<oml:name>(.*?)</oml:name>\s*<oml:value>(.*?)</oml:value>", text)
    qualities = {n: _to_float(v) for n, v in pairs}
    feats = (ANNEAL_DIR / "features.xml").read_text(encoding="utf-8")
    target = re.findall(
        r"<oml:name>([^<]*)</oml:name>(?:(?!</oml:feature>).)*<oml:is_target>true", feats, re.S
    )[0]
    return OpenMLFixture("anneal", 2, frame.drop(columns=[target]), frame[target], qualities)


SKLEARN_IDS = {
    61: "iris",
    3: "kr-vs-kp",
    40675: "glass2",
    40945: "Titanic",
    42585: "penguins",
    561: "cpu",
    62: "zoo",
}
