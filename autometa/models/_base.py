"""The meta-model interface and its declared abilities.

A meta-model is fitted on :class:`TaskData` (one task and one metric of a knowledge base:
the meta-features of the training datasets and their per-dataset normalized performance
matrix) and, for the meta-features of new datasets, predicts the normalized score of each
configuration of the pool. Sequential use goes through :meth:`MetaModel.rank`, which may
take the scores observed so far on the new dataset into account.

Normalized scores: per dataset, 1 for the best configuration of the pool (the oracle) and
0 for the worst; regret = 1 - normalized score.

What a meta-model can do beyond fitting, predicting and ranking is declared, never probed:

- abilities are abstract base classes a model inherits beside :class:`MetaModel`:
  :class:`Adaptive` (``adapt`` to the trials observed on a new dataset), :class:`Explainer`
  (``neighbours`` and ``learner_probabilities``), :class:`OODScorer` (``ood_distance``,
  ``ood_score`` and ``ood_threshold_``); callers test them with ``isinstance``;
- properties are class attributes of :class:`MetaModel`: ``deterministic`` (the fit does
  not depend on ``random_state``) and ``predicts_scores`` (``predict`` estimates normalized
  scores; False: its values only order the pool).

``tests/models/test_conformance.py`` checks every registered model against what it declares.
"""

from __future__ import annotations

import json
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from autometa import _atomic
from autometa._atomic import sha256_file
from autometa._exceptions import DataError, ModelError, NotFittedError

# the models' scalar checks (one definition, in autometa._validation)
from autometa._validation import check_nonnegative_float, check_positive_int  # noqa: F401
from autometa.models._intervals import IntervalCalibration

__all__ = [
    "MODEL_SCHEMA_VERSION",
    "Adaptive",
    "Explainer",
    "MetaModel",
    "OODScorer",
    "Prediction",
    "TaskData",
]

#: 3: the arrays are ``arrays.npz`` (numpy reads them; no torch needed to load a model);
#: 2 (still read): ``arrays.pt`` (torch tensors), its sha256 recorded in ``model.json``;
#: 1 (still read): ``arrays.pt`` without a checksum.
MODEL_SCHEMA_VERSION = 3
MODEL_FILE = "model.json"
MODEL_FORMAT = "autometa-meta-model"
ARRAYS_FILE = "arrays.npz"
#: The arrays file of schema 1 and 2 (``torch.save`` of a dict of tensors); read with torch.
LEGACY_ARRAYS_FILE = "arrays.pt"
_REQUIRED_KEYS = ("model", "task", "metric", "config_ids", "state")


def _is_model_dir(path: Path) -> bool:
    return _atomic.has_format(path / MODEL_FILE, MODEL_FORMAT)


def _check_model_target(path: Path) -> None:
    foreign = _atomic.foreign_target(path, _is_model_dir)
    if foreign == "file":
        raise ModelError(
            f"Cannot save the meta-model to '{path}': it is a file. Give a directory path "
            "that is new, empty or a meta-model directory."
        )
    if foreign == "directory":
        raise ModelError(
            f"Cannot save the meta-model to '{path}': it is a non-empty directory that "
            "autometa did not write (no autometa model.json), and saving would replace it. "
            "Give a new or empty directory."
        )


def _read_header(meta_path: Path) -> dict[str, Any]:
    header = _atomic.read_json_header(
        meta_path,
        format=MODEL_FORMAT,
        reads=MODEL_SCHEMA_VERSION,
        error=ModelError,
        what="an autometa meta-model file",
        fix="Retrain the model (`autometa models train`) or restore the directory; a "
        "meta-model is a directory written by MetaModel.save or `autometa models train`.",
        required=_REQUIRED_KEYS,
    )
    if header["schema_version"] >= 2:
        name = arrays_file(header)
        files = header.get("files")
        entry = files.get(name) if isinstance(files, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise ModelError(
                f"'{meta_path}' does not record the checksum of '{name}': the file is "
                "damaged. Retrain the model or restore the directory."
            )
    return header


def arrays_file(header: Mapping[str, Any]) -> str:
    """The name of the arrays file of a model directory, from its header: ``arrays.npz``
    (schema 3) or ``arrays.pt`` (schema 1 and 2, or a schema 3 header that records it)."""
    files = header.get("files")
    if isinstance(files, dict) and LEGACY_ARRAYS_FILE in files and ARRAYS_FILE not in files:
        return LEGACY_ARRAYS_FILE
    version = header.get("schema_version", 0)
    return ARRAYS_FILE if isinstance(version, int) and version >= 3 else LEGACY_ARRAYS_FILE


def _read_arrays(path: Path, header: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The named arrays of a model directory, checked against the header's checksum
    (schema >= 2): ``arrays.npz`` with numpy, or a legacy ``arrays.pt`` with torch."""
    name = arrays_file(header)
    file = path / name
    if not file.is_file():
        raise ModelError(
            f"The meta-model at '{path}' is incomplete: '{name}' is missing. Restore "
            "it, or retrain the model (`autometa models train`)."
        )
    files = header.get("files")
    if isinstance(files, dict) and name in files:
        expected = str(files[name]["sha256"])
        actual = sha256_file(file)
        if actual != expected:
            raise ModelError(
                f"The file '{file}' is corrupted, truncated or was changed after saving: its "
                f"sha256 is {actual[:12]}..., '{MODEL_FILE}' records {expected[:12]}.... "
                "Restore it, or retrain the model (`autometa models train`)."
            )
    if name == ARRAYS_FILE:
        return _read_npz(file)
    return _read_pt(file)


def _pickle_refused(file: Path) -> ModelError:
    return ModelError(
        f"Refusing to load '{file}': it holds pickled Python objects, not only arrays. "
        "autometa never loads those, because loading a pickle can run arbitrary code. "
        "Delete the file and retrain the model (`autometa models train`), or get the "
        "model from a source you trust."
    )


def _unreadable(file: Path, exc: BaseException) -> ModelError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelError(
        f"Cannot read '{file}' ({first}): the file is truncated or corrupted. Restore "
        "it, or retrain the model (`autometa models train`)."
    )


def _read_npz(file: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive, read with ``allow_pickle=False``."""
    import zipfile
    import zlib

    if not zipfile.is_zipfile(file):
        raise _unreadable(file, ValueError("not a numpy .npz archive"))
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {str(key): archive[key] for key in archive.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # an object array: numpy refuses to unpickle it
            raise _pickle_refused(file) from None
        raise _unreadable(file, exc) from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise _unreadable(file, exc) from None
    return arrays


def _read_pt(file: Path) -> dict[str, np.ndarray]:
    """The tensors of a legacy ``arrays.pt`` (``torch.load(weights_only=True)``)."""
    import pickle
    import zipfile

    import torch

    try:
        with warnings.catch_warnings():  # torch's notes on foreign pickles: our error says it
            warnings.filterwarnings("ignore", message=".*pickle protocol", category=UserWarning)
            loaded = torch.load(file, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        raise _pickle_refused(file) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        raise _unreadable(file, exc) from None
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()
    ):
        raise ModelError(
            f"'{file}' does not hold a dictionary of named tensors, as autometa writes. "
            "Retrain the model (`autometa models train`) or restore the directory."
        )
    return {k: v.numpy() for k, v in loaded.items()}


def _write_npz(file: Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` archive numpy reads with ``allow_pickle=False``.

    Byte for byte reproducible (sorted names, fixed timestamps), so that saving the same
    model twice gives the same file and checksum. Each array keeps its memory order (C or
    Fortran), as ``torch.save`` kept it: sums over an axis round the same way after loading
    as before saving. Object arrays are refused.
    """
    import zipfile

    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            value = np.asarray(arrays[key])
            if value.dtype.hasobject:
                raise ModelError(
                    f"Cannot save the array '{key}': it holds Python objects ({value.dtype}), "
                    "which autometa never pickles. Save numeric arrays."
                )
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, value, allow_pickle=False)


def _is_complete_model(path: Path) -> bool:
    try:
        header = _read_header(path / MODEL_FILE)
        name = arrays_file(header)
        return sha256_file(path / name) == header["files"][name]["sha256"]
    except (ModelError, OSError, KeyError, TypeError):
        return False


@dataclass(frozen=True)
class TaskData:
    """What a meta-model learns from: one task and metric of a knowledge base.

    Attributes
    ----------
    task : str
        ``"classification"`` or ``"regression"``.
    metric : str
        The metric the scores come from (see ``autometa.kb.METRICS``).
    metafeatures : DataFrame
        Index ``dataset_id``; one float column per meta-feature; NaN where undefined.
    configurations : DataFrame
        Index ``config_id``; columns ``learner`` and ``params`` (canonical JSON).
    scores : DataFrame
        Normalized scores, index ``dataset_id`` (same order as ``metafeatures``), columns
        ``config_id`` (same order as ``configurations``); 1 = best of the pool, 0 = worst;
        failed runs count as 0.
    raw : DataFrame
        The metric's raw values in the same layout (NaN for failed runs).
    families : Series
        ``dataset_id`` -> family; near-duplicate datasets share a family.
    """

    task: str
    metric: str
    metafeatures: pd.DataFrame
    configurations: pd.DataFrame
    scores: pd.DataFrame
    raw: pd.DataFrame
    families: pd.Series

    @classmethod
    def from_kb(cls, kb: Any, task: str, metric: str | None = None) -> TaskData:
        """Build the data of ``task`` from a :class:`~autometa.kb.KnowledgeBase`.

        The knowledge base's dense matrix of ``task``
        (:meth:`~autometa.kb.KnowledgeBase.dense`): the pool, the configurations evaluated
        on at least half of the task's datasets, compared at each dataset's reference size;
        a second source kept apart from it (LCDB's learning curves) is left out. Only
        datasets with meta-features are kept.
        """
        from autometa.kb import DEFAULT_METRIC

        metric = metric or DEFAULT_METRIC[task]
        sub = kb.dense(task)
        scores = sub.normalized_matrix(metric, task=task)
        raw = sub.performance_matrix(metric, task=task)
        mf = sub.metafeatures
        keep = [d for d in scores.index if d in mf.index]
        if not keep:
            raise ModelError(
                f"The knowledge base has no {task} dataset with both runs for metric "
                f"'{metric}' and meta-features; nothing to fit a meta-model on."
            )
        scores = scores.loc[keep]
        configs = sub.configurations.set_index("config_id").loc[list(scores.columns)]
        datasets = sub.datasets.set_index("dataset_id")
        families = datasets.loc[keep, "family"].astype(str)
        return cls(
            task=task,
            metric=metric,
            metafeatures=mf.loc[keep].astype("float64"),
            configurations=configs[["learner", "params"]],
            scores=scores.astype("float64"),
            raw=raw.loc[keep, list(scores.columns)].astype("float64"),
            families=families,
        )

    @property
    def dataset_ids(self) -> list[str]:
        return list(self.scores.index)

    @property
    def config_ids(self) -> list[str]:
        return list(self.scores.columns)

    def without(self, dataset_ids: Sequence[str]) -> TaskData:
        """The same data without ``dataset_ids`` (for leave-out evaluation)."""
        drop = set(dataset_ids)
        keep = [d for d in self.scores.index if d not in drop]
        return TaskData(
            task=self.task,
            metric=self.metric,
            metafeatures=self.metafeatures.loc[keep],
            configurations=self.configurations,
            scores=self.scores.loc[keep],
            raw=self.raw.loc[keep],
            families=self.families.loc[keep],
        )


@dataclass(frozen=True)
class Prediction:
    """Predicted normalized scores: ``mean`` and, where the model has one, ``std``.

    Both are DataFrames with index = the queried datasets (``dataset_id`` or position) and
    columns = ``config_id``. Whether ``mean`` estimates normalized scores or only orders
    the pool is the model class's :attr:`MetaModel.predicts_scores`. ``extras`` holds
    model-specific diagnostics (e.g. the nearest-datasets distances); nothing relies on it.
    """

    mean: pd.DataFrame
    std: pd.DataFrame | None = None
    extras: Mapping[str, Any] = field(default_factory=dict)


class MetaModel(ABC):
    """Base class of meta-models.

    Subclasses set :attr:`name` (the key they are registered under, see
    :mod:`autometa.models._registry`), implement :meth:`_fit` and :meth:`_predict`, and, to
    be saved, :meth:`_state` / :meth:`_load_state` (JSON metadata plus named numpy
    arrays; never pickles). Models that use the scores observed so far override
    :meth:`rank`; abilities are declared by inheriting :class:`Adaptive`,
    :class:`Explainer` or :class:`OODScorer`, properties by the class attributes below.
    A model whose predictions have a spread (``Prediction.std``) can calibrate the interval
    shown around its scores on held-out families (:meth:`calibrate_intervals`).
    """

    name: ClassVar[str] = "base"
    #: The fitted model does not depend on ``random_state`` (evaluation harnesses fit it
    #: once for all seeds).
    deterministic: ClassVar[bool] = False
    #: :meth:`predict` estimates normalized scores. False: its values are ordering scores
    #: (decreasing by position in the model's order, not estimates), so callers that show a
    #: score take it from elsewhere (e.g. the nearest datasets).
    predicts_scores: ClassVar[bool] = True

    def __init__(self, *, random_state: int = 0) -> None:
        self.random_state = random_state
        self.task_: str | None = None
        self.metric_: str | None = None
        self.config_ids_: list[str] | None = None
        self.configurations_: pd.DataFrame | None = None
        #: How the interval of the predicted scores is computed and what it held on held-out
        #: families (:meth:`calibrate_intervals`); None: uncalibrated (``mean +/- 1.96 std``).
        self.interval_calibration_: IntervalCalibration | None = None

    # -- fitting and prediction --------------------------------------------------------
    def fit(self, data: TaskData) -> MetaModel:
        """Fit on the normalized performance matrix and meta-features of ``data``."""
        if data.scores.shape[0] == 0:
            raise ModelError("Cannot fit a meta-model on zero datasets.")
        self.task_ = data.task
        self.metric_ = data.metric
        self.config_ids_ = list(data.config_ids)
        self.configurations_ = data.configurations
        self.interval_calibration_ = None  # a calibration belongs to the fit it was made for
        self._fit(data)
        return self

    def calibrate_intervals(
        self, data: TaskData, *, folds: int = 5, nominal: float = 0.95
    ) -> MetaModel:
        """Calibrate the interval of the predicted scores on held-out families of ``data``.

        Call it after :meth:`fit` on the same ``data`` (``autometa models train`` does).
        The families of ``data`` are dealt into ``folds`` groups; a copy of this model
        (same hyperparameters) is fitted without each group and predicts it, and the
        interval ``mean +/- multiplier * (std + floor)`` is scaled to hold ``nominal`` of
        those out-of-family scores (split-conformal; see
        :mod:`autometa.models._intervals`). The predicted means, hence the ranking, do not
        change. Costs ``folds`` more fits.

        Parameters
        ----------
        data : TaskData
            The data the model was fitted on.
        folds : int, default=5
            Groups of families held out in turn (at most the number of families).
        nominal : float, default=0.95
            The coverage aimed at.

        Returns
        -------
        MetaModel
            ``self``, with :attr:`interval_calibration_` set (saved with the model).

        Raises
        ------
        ModelError
            If the model predicts no spread (``Prediction.std`` is None) or ``data`` has
            fewer than two families.
        """
        from autometa.models._intervals import calibrate

        self._check_fitted()
        if list(data.config_ids) != list(self.config_ids_ or []):
            raise ModelError(
                f"{type(self).__name__}.calibrate_intervals needs the data the model was "
                "fitted on: its configurations differ from the model's. Pass the same "
                "TaskData as to fit."
            )
        self.interval_calibration_ = calibrate(self, data, folds=folds, nominal=nominal)
        return self

    def unfitted_copy(self) -> MetaModel:
        """A new, unfitted model of the same class with the same constructor parameters
        (read back from the attributes of the same names, as scikit-learn's ``clone``)."""
        import inspect

        params = inspect.signature(type(self).__init__).parameters
        kwargs = {
            name: getattr(self, name)
            for name, p in params.items()
            if name != "self" and p.kind is p.KEYWORD_ONLY and hasattr(self, name)
        }
        return type(self)(**kwargs)

    @abstractmethod
    def _fit(self, data: TaskData) -> None: ...

    def predict(self, metafeatures: pd.DataFrame | pd.Series) -> Prediction:
        """Predicted normalized score of every configuration for each row of ``metafeatures``."""
        self._check_fitted()
        return self._predict(as_frame(metafeatures, type(self).__name__))

    @abstractmethod
    def _predict(self, metafeatures: pd.DataFrame) -> Prediction: ...

    def rank(
        self,
        metafeatures: pd.Series,
        observed: Mapping[str, float] | None = None,
    ) -> list[str]:
        """Configurations in the order to try them on one new dataset.

        ``observed`` maps configuration ids already evaluated on that dataset to their raw
        metric values (larger = better after orientation by the caller). Static models
        ignore it; the observed configurations are left out of the returned order.
        """
        mean = self.predict(metafeatures).mean.iloc[0]
        order = mean.sort_values(ascending=False, kind="stable").index
        seen = set(observed or ())
        return [c for c in order if c not in seen]

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Save as the directory ``path``: ``model.json`` (metadata, with the sha256 of the
        arrays) and ``arrays.npz`` (the named numpy arrays of the model: weights and
        fitted state; read with ``numpy.load(allow_pickle=False)``, so loading needs
        neither torch nor pickles).

        The directory is written beside ``path`` and swapped into place (see
        :mod:`autometa._atomic`): after a crash ``path`` holds the old or the new model,
        and :meth:`load` recovers a save killed between its two renames. ``path`` may be
        absent, empty, or a meta-model directory (replaced); anything else is refused, so
        that files autometa did not write are never overwritten.
        """
        self._check_fitted()
        assert self.configurations_ is not None
        path = Path(path)
        _check_model_target(path)
        meta, arrays = self._state()
        tmp = _atomic.temp_dir_for(path)
        try:
            _write_npz(tmp / ARRAYS_FILE, arrays)
            header = {
                "format": MODEL_FORMAT,
                "schema_version": MODEL_SCHEMA_VERSION,
                "model": self.name,
                "task": self.task_,
                "metric": self.metric_,
                "config_ids": self.config_ids_,
                "configurations": {
                    "learner": [str(v) for v in self.configurations_["learner"]],
                    "params": [str(v) for v in self.configurations_["params"]],
                },
                "random_state": self.random_state,
                "files": {
                    ARRAYS_FILE: {
                        "sha256": sha256_file(tmp / ARRAYS_FILE),
                        "bytes": (tmp / ARRAYS_FILE).stat().st_size,
                    }
                },
                "state": meta,
            }
            if self.interval_calibration_ is not None:
                header["interval_calibration"] = self.interval_calibration_.to_dict()
            (tmp / MODEL_FILE).write_text(json.dumps(header, indent=1, sort_keys=True))
        except BaseException:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _atomic.replace_dir(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> MetaModel:
        """Load a model saved by :meth:`save` (the right subclass is chosen from the file).

        Raises
        ------
        ModelError
            If the directory or a file is missing, truncated, altered (checksum), not
            autometa's, of a newer format, or holds pickled objects instead of arrays.
            The message names the file and the fix. Models saved with ``arrays.pt``
            (schema 1 and 2) are read with torch; ``arrays.npz`` needs only numpy.
        """
        from autometa.models._registry import model_class

        path = Path(path)
        _atomic.recover(path, _is_complete_model, "meta-model")
        meta_path = path / MODEL_FILE
        if not path.exists():
            copies = _atomic.stranded(path)
            left = (
                f" An interrupted save left copies beside it that could not be recovered: "
                f"{', '.join(str(c) for c in copies)}."
                if copies
                else ""
            )
            raise ModelError(
                f"No meta-model at '{path}': the path does not exist.{left} Give a directory "
                "written by MetaModel.save or `autometa models train`."
            )
        if not meta_path.is_file():
            raise ModelError(
                f"No meta-model at '{path}': '{meta_path.name}' is missing. "
                "Give a directory written by MetaModel.save or `autometa models train`."
            )
        header = _read_header(meta_path)
        klass = model_class(str(header["model"]))
        if cls is not MetaModel and not issubclass(klass, cls):
            raise ModelError(f"'{path}' holds a '{header['model']}' model, not a {cls.name!r}.")
        arrays = _read_arrays(path, header)
        model = klass.__new__(klass)
        MetaModel.__init__(model, random_state=header.get("random_state", 0))
        try:
            model.task_ = header["task"]
            model.metric_ = header["metric"]
            model.config_ids_ = list(header["config_ids"])
            configs = header.get("configurations", {})
            model.configurations_ = pd.DataFrame(
                {"learner": configs.get("learner", []), "params": configs.get("params", [])},
                index=pd.Index(model.config_ids_ if configs else [], name="config_id"),
            )
            model._load_state(header["state"], arrays)
        except ModelError:
            raise
        except (KeyError, ValueError, TypeError, IndexError, RuntimeError, AttributeError) as exc:
            raise ModelError(
                f"The meta-model at '{path}' is damaged: its files do not fit together "
                f"({type(exc).__name__}: {exc}). Retrain it (`autometa models train`) or "
                "restore the directory."
            ) from None
        # models saved before calibrations existed have none: shown as uncalibrated
        calibration = header.get("interval_calibration")
        if calibration is not None:
            try:
                model.interval_calibration_ = IntervalCalibration.from_dict(calibration)
            except ModelError as exc:
                raise ModelError(
                    f"The meta-model at '{path}' is damaged: its interval calibration in "
                    f"'{MODEL_FILE}' is unreadable ({exc}) Retrain it (`autometa models "
                    "train`) or restore the directory."
                ) from None
        return model

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError(f"{type(self).__name__} cannot be saved.")

    def _load_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__} cannot be loaded.")

    # -- helpers ------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if self.config_ids_ is None:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call 'fit' with TaskData first."
            )

    def _frame(self, values: np.ndarray, index: Any) -> pd.DataFrame:
        return pd.DataFrame(values, index=index, columns=self.config_ids_)

    def __repr__(self) -> str:
        fitted = f"task={self.task_!r}, metric={self.metric_!r}" if self.task_ else "unfitted"
        return f"{type(self).__name__}({fitted})"


# ---------------------------------------------------------------------------------------------
# abilities
class Adaptive(ABC):
    """Ability: adapt to the trials observed on one new dataset.

    Used by :class:`autometa.optuna.MetaSampler` between trials.
    """

    @abstractmethod
    def adapt(
        self,
        metafeatures: pd.Series | pd.DataFrame,
        observations: Mapping[str, float],
        *,
        steps: int | None = None,
    ) -> MetaModel:
        """A copy of the model adapted to ``observations`` (``config_id`` -> raw metric
        value, larger = better; NaN = failed) on the dataset of ``metafeatures`` (one
        row). Its :meth:`MetaModel.predict` uses what it learnt from them; the model
        itself is unchanged."""


class Explainer(ABC):
    """Ability: say which training datasets a new one resembles and which learner wins.

    Used by :func:`autometa.recommend` for the nearest datasets and learner probabilities.
    """

    @abstractmethod
    def neighbours(self, metafeatures: pd.Series | pd.DataFrame, k: int = 5) -> pd.DataFrame:
        """The ``k`` training datasets nearest to one dataset: columns ``dataset_id`` and
        ``distance`` (nearest first), and possibly more."""

    @abstractmethod
    def learner_probabilities(self, metafeatures: pd.Series | pd.DataFrame) -> pd.DataFrame:
        """Probability that each learner (columns) wins, per dataset (rows); rows sum to 1."""


class OODScorer(ABC):
    """Ability: tell how far a new dataset is from the training datasets.

    Fitted properties: ``ood_threshold_``, the :meth:`ood_distance` above which a dataset
    is out of distribution; ``reference_distances_``, the training datasets' own distances
    to the training datasets of other families (sorted), which the threshold and
    :meth:`ood_score` are calibrated on.
    """

    @property
    @abstractmethod
    def ood_threshold_(self) -> float:
        """The :meth:`ood_distance` above which a dataset is out of distribution."""

    @property
    @abstractmethod
    def reference_distances_(self) -> np.ndarray:
        """The training datasets' distances to the other families' (sorted)."""

    @abstractmethod
    def ood_distance(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """The distance from one dataset to its nearest training dataset (>= 0)."""

    @abstractmethod
    def ood_score(self, metafeatures: pd.Series | pd.DataFrame) -> float:
        """How unusual one dataset is, in [0, 1] (above 0.95: out of distribution)."""


ABILITIES: tuple[type[ABC], ...] = (Adaptive, Explainer, OODScorer)


def abilities(model: MetaModel | type[MetaModel]) -> list[str]:
    """Names of the abilities a model (or model class) declares, e.g. ``["Adaptive"]``."""
    klass = model if isinstance(model, type) else type(model)
    return [a.__name__ for a in ABILITIES if issubclass(klass, a)]


def as_frame(metafeatures: pd.DataFrame | pd.Series, owner: str) -> pd.DataFrame:
    """A one-row frame for a Series; a frame unchanged; a clear error otherwise."""
    if isinstance(metafeatures, pd.Series):
        return metafeatures.to_frame().T
    if isinstance(metafeatures, pd.DataFrame):
        return metafeatures
    raise DataError(
        f"The meta-features given to {owner} must be a pandas Series (one dataset) or "
        f"DataFrame (one row per dataset). Got {type(metafeatures).__name__} instead."
    )
