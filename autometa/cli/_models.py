"""``autometa models train``: fit meta-models on a knowledge base and save them.

Writes ``<out>/<task>/<model_name>/`` (:meth:`MetaModel.save` directories) and
``<out>/models.json``, the index read by :func:`autometa.models.load_default_model`
(format in :mod:`autometa.models._defaults`): the knowledge base's manifest hash, the
command, the versions, the date, and per task the ranker, the explainer and the models.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import logging
import platform
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from autometa._atomic import foreign_target, has_format, sha256_file, write_text
from autometa._exceptions import ParameterError

logger = logging.getLogger(__name__)

DEFAULT_MODELS = ("surrogate", "prototypes", "maml")
_RANKER_PREFERENCE = ("maml", "surrogate", "nearest", "portfolio", "sbs", "prototypes")


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="train and save meta-models")
    models_sub = models.add_subparsers(dest="models_command", metavar="MODELS_COMMAND")
    models.set_defaults(func=lambda args: (models.print_help(), 2)[1])
    train = models_sub.add_parser(
        "train",
        help="fit meta-models on a knowledge base and save them with an index",
        description="Fit the chosen meta-models on each task of a knowledge base and save "
        "them as <out>/<task>/<model>/ with an index <out>/models.json (knowledge-base "
        "manifest hash, command, versions, date, ranker and explainer of each task).",
    )
    train.add_argument(
        "--kb",
        type=Path,
        default=None,
        metavar="KB",
        help="knowledge-base directory (default: the one shipped with autometa)",
    )
    train.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output directory: new, empty, or one written by 'autometa models train' "
        "(files autometa did not write are never overwritten)",
    )
    train.add_argument(
        "--in-package",
        action="store_true",
        help="replace the meta-models shipped inside the installed autometa package "
        "(autometa/data/models); required to write there",
    )
    train.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated meta-model names (default: {','.join(DEFAULT_MODELS)})",
    )
    train.add_argument(
        "--ranker",
        default=None,
        help="the model that orders configurations: a name, or one per task as "
        "'classification=NAME,regression=NAME' (default: the first trained of "
        f"{', '.join(_RANKER_PREFERENCE)})",
    )
    train.add_argument(
        "--task",
        choices=["classification", "regression"],
        action="append",
        default=None,
        help="train only for this task (repeatable; default: every task of the KB)",
    )
    train.add_argument("--seed", type=int, default=0, help="random_state of every model")
    train.add_argument(
        "--calibration-folds",
        type=int,
        default=5,
        metavar="K",
        help="calibrate the interval of the predicted scores of every model with a spread "
        "on K groups of held-out families (K more fits of each; default: 5; 0: do not "
        "calibrate, the interval is then shown as uncalibrated)",
    )
    train.add_argument(
        "--cost-lcdb",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="fit the cost model on LCDB's measured training times too (up to 2.2 million "
        "rows): the installed lcdb package, or PATH (its files or sdist)",
    )
    train.set_defaults(func=_train)


MARKER = ".autometa-models"


def _package_models_dir() -> Path:
    from autometa.models import default_models_dir

    return default_models_dir()


def _is_models_dir(path: Path) -> bool:
    """Written by ``autometa models train``: its marker, or an autometa models index."""
    if (path / MARKER).is_file():
        return True
    from autometa.models import MODELS_INDEX_FORMAT

    return has_format(path / "models.json", MODELS_INDEX_FORMAT)


def _resolve_out(out: Path | None, in_package: bool) -> Path:
    """The output directory, checked before any work (see ``--out`` and ``--in-package``)."""
    package = _package_models_dir()
    if out is None:
        if not in_package:
            raise ParameterError(
                "autometa models train needs an output directory. Pass '--out DIR' (new, "
                "empty, or written by 'autometa models train'), or '--in-package' to replace "
                f"the meta-models shipped inside the installed package ({package})."
            )
        out = package
    elif out.resolve() == package.resolve() and not in_package:
        raise ParameterError(
            f"The '--out' option points into the installed autometa package ({package}). "
            "Writing there replaces the shipped meta-models for every user of this "
            "installation: add '--in-package' to confirm, or choose another directory."
        )
    foreign = foreign_target(out, _is_models_dir)
    if foreign == "file":
        raise ParameterError(
            f"The '--out' option must be a directory. Got the file '{out}' instead; give a "
            "new or empty directory."
        )
    if foreign == "directory":
        raise ParameterError(
            f"Refusing to write into '{out}': it is a non-empty directory that "
            "'autometa models train' did not write (no models.json index, no "
            f"{MARKER} marker), so files in it could be overwritten. Give a new or "
            "empty directory."
        )
    out.mkdir(parents=True, exist_ok=True)
    if not _is_models_dir(out):  # new or empty: mark it as ours before any work
        (out / MARKER).write_text("written by autometa models train\n")
    return out


def _manifest_sha256(kb: Any) -> str | None:
    path = getattr(kb, "path", None)
    if path is None or not (Path(path) / "manifest.json").is_file():
        return None
    return sha256_file(Path(path) / "manifest.json")


def _versions() -> dict[str, str]:
    import numpy
    import pandas
    import sklearn
    import torch

    from autometa import __version__

    return {
        "autometa": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "torch": torch.__version__,
    }


def _parse_models(text: str) -> list[str]:
    from autometa.models import model_names

    names = [n.strip() for n in text.split(",") if n.strip()]
    known = model_names()
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise ParameterError(
            f"The '--models' option must be a comma-separated list of meta-models among "
            f"{', '.join(known)}. Got {text!r} instead."
        )
    return list(dict.fromkeys(names))


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _parse_rankers(text: str | None, names: list[str]) -> dict[str, str]:
    """``--ranker``: one name for every task, or ``task=name`` pairs separated by commas."""
    if text is None:
        return {}
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    if len(pairs) == 1 and "=" not in pairs[0]:
        pairs = [f"{task}={pairs[0]}" for task in ("classification", "regression")]
    rankers: dict[str, str] = {}
    for pair in pairs:
        task, _, name = pair.partition("=")
        if task not in ("classification", "regression") or name not in names:
            raise ParameterError(
                f"The '--ranker' option must be one of the trained models {names}, or "
                "'classification=NAME,regression=NAME' with such names. "
                f"Got {text!r} instead."
            )
        rankers[task] = name
    return rankers


def _has_interval(model: Any, data: Any) -> bool:
    """Whether ``model`` predicts scores with a spread (an interval to calibrate)."""
    if not type(model).predicts_scores:
        return False
    return model.predict(data.metafeatures.iloc[:1]).std is not None


def _train_cost(kb: Any, out: Path, index: dict[str, Any], lcdb: str | None = None) -> None:
    """The cost model (predicted fit times) on every run of ``kb`` with a data size (its
    LCDB import included), and on LCDB's measured training times read from its files when
    ``lcdb`` is given ("" for the installed package; what ``kb`` holds is not added twice)."""
    from autometa._exceptions import ModelError
    from autometa.models import CostModel

    start = time.perf_counter()
    table = CostModel.training_table(kb, lcdb=False if lcdb is None else (lcdb or True))
    sources = table["source"].value_counts()
    for source, what in (("lcdb", "the knowledge base"), (CostModel.LCDB_FILES, "LCDB's files")):
        if sources.get(source, 0):
            print(f"cost model      {sources[source]} LCDB training times from {what}")
    try:
        cost = CostModel().fit_table(table)
    except ModelError as exc:
        print(f"no cost model: {exc}")
        return
    cost.save(out / "cost")
    index["cost"] = "cost"
    runs = sum(cost.n_runs_.values())
    seconds = time.perf_counter() - start
    print(f"cost model      fitted on {runs} runs in {seconds:6.1f} s -> {out / 'cost'}")


def _write_snapshots(kb_dir: Path | None, out: Path) -> None:
    """What recommend derives from the knowledge base, saved beside the models (a fast start
    with the default models; autometa/recommend/_snapshot.py)."""
    from autometa._resources import package_data
    from autometa.recommend import write_state_snapshots

    start = time.perf_counter()
    written = write_state_snapshots(kb_dir or package_data("default_kb"), out)
    seconds = time.perf_counter() - start
    print(f"kb state        of {len(written)} task(s) written in {seconds:6.1f} s -> {out}/*/")


def _train(args: argparse.Namespace) -> int:
    from autometa._exceptions import ModelError
    from autometa.kb import KnowledgeBase
    from autometa.models import (
        MODELS_INDEX_FORMAT,
        MODELS_INDEX_SCHEMA_VERSION,
        OODScorer,
        TaskData,
        abilities,
        model_class,
    )

    names = _parse_models(args.models)
    rankers = _parse_rankers(args.ranker, names)
    folds = args.calibration_folds
    if folds != 0 and folds < 2:
        raise ParameterError(
            "The '--calibration-folds' option must be 0 (no calibration) or an int >= 2. "
            f"Got {folds} instead."
        )
    out = _resolve_out(args.out, args.in_package)
    kb = KnowledgeBase.default() if args.kb is None else KnowledgeBase.load(args.kb)
    tasks = args.task or kb.tasks
    index: dict[str, Any] = {
        "format": MODELS_INDEX_FORMAT,
        "schema_version": MODELS_INDEX_SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "autometa " + shlex.join(sys.argv[1:]) if sys.argv else "autometa",
        "versions": _versions(),
        "kb": {
            "path": str(args.kb) if args.kb is not None else "(default)",
            "manifest_sha256": _manifest_sha256(kb),
        },
        "seed": args.seed,
        "tasks": {},
    }
    for task in tasks:
        data = TaskData.from_kb(kb, task)
        entry: dict[str, Any] = {
            "metric": data.metric,
            "models": {},
            "sha256": {},
            "fit_seconds": {},
        }
        for name in names:
            start = time.perf_counter()
            model = model_class(name)(random_state=args.seed).fit(data)
            seconds = time.perf_counter() - start
            if folds and _has_interval(model, data):
                start = time.perf_counter()
                try:
                    model.calibrate_intervals(data, folds=folds)
                except ModelError as exc:  # too small a knowledge base: shown uncalibrated
                    print(f"{task:<15} {name:<12} interval not calibrated: {exc}")
                entry.setdefault("calibration_seconds", {})[name] = round(
                    time.perf_counter() - start, 2
                )
            rel = f"{task}/{name}"
            model.save(out / rel)
            entry["models"][name] = rel
            entry["sha256"][name] = sha256_file(out / rel / "model.json")
            entry["fit_seconds"][name] = round(seconds, 2)
            print(f"{task:<15} {name:<12} fitted in {seconds:6.1f} s -> {out / rel}")
            cal = model.interval_calibration_
            if cal is not None:
                print(
                    f"{task:<15} {name:<12} {cal.nominal:.0%} interval: half-width "
                    f"{cal.multiplier:.3g} * (std + {cal.floor:.3g}); it held {cal.coverage:.1%} "
                    f"of the held-out scores ({cal.coverage_top:.1%} of the top {cal.top}; "
                    f"uncalibrated {cal.raw_coverage:.1%}), {cal.folds} groups of families "
                    "held out in turn"
                )
            if isinstance(model, OODScorer):
                ref = model.reference_distances_
                beyond = int((ref > model.ood_threshold_).sum())
                print(
                    f"{task:<15} {name:<12} out-of-distribution threshold "
                    f"{model.ood_threshold_:.4g}: {beyond} of {ref.size} knowledge-base "
                    "datasets lie beyond it (leave one family out)"
                )
        ranker = rankers.get(task) or next((n for n in _RANKER_PREFERENCE if n in names), names[0])
        entry["ranker"] = ranker
        # the roles follow the declared abilities (recommend needs both of the explainer's)
        has = {n: set(abilities(model_class(n))) for n in names}
        explainers = [n for n in names if {"Explainer", "OODScorer"} <= has[n]]
        adaptive = [n for n in names if "Adaptive" in has[n]]
        if explainers:
            entry["explainer"] = explainers[0]
        if adaptive:
            entry["adaptive"] = adaptive[0]
        index["tasks"][task] = entry
    _train_cost(kb, out, index, args.cost_lcdb)
    write_text(out / "models.json", json.dumps(index, indent=1) + "\n")
    _write_snapshots(args.kb, out)
    size = _dir_size(out)
    print(f"wrote {out / 'models.json'} ({size / 1e6:.2f} MB in total)")
    if size > 5e6:
        logger.warning("the saved models take %.1f MB (more than 5 MB)", size / 1e6)
    return 0
