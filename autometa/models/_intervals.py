"""Calibrated intervals of the predicted normalized scores (issue 14, item 8).

A meta-model with a spread (``Prediction.std``: the ensemble's disagreement) shows, for
each configuration, the interval ``mean +/- half_width`` clipped to [0, 1], the scale of
the normalized scores. Uncalibrated, ``half_width = 1.96 * std``: how much the ensemble
members disagree, which says little about where the true score lies (on held-out families
of the default knowledge base such "95%" intervals of the shipped ranker's method held 55%
of the classification scores and 62% of the regression ones: ``benchmarks/README.md``,
"Interval coverage").

:meth:`MetaModel.calibrate_intervals <autometa.models.MetaModel.calibrate_intervals>`
calibrates it by split-conformal scaling on held-out families:

1. the families of the training datasets are dealt at random into ``folds`` groups; for
   each group, a copy of the model (same hyperparameters) is fitted on the other groups
   and predicts the group's datasets: out-of-family residuals ``|y - mean|`` with the
   spread ``std`` the model gave them;
2. ``half_width = multiplier * (std + floor)``: for each candidate ``floor`` (a share of the
   median spread, :data:`FLOOR_SHARES`), ``multiplier`` is the conformal ``nominal``
   quantile of ``|y - mean| / (std + floor)``; the pair with the narrowest mean interval
   is kept (every pair covers ``nominal`` of the residuals by construction). The floor
   keeps configurations on which the members happen to agree from getting a zero-width
   interval;
3. the same choice is cross-validated over the groups (chosen on all groups but one,
   measured on that one, for each group): ``coverage``, ``coverage_top`` (the ``top``
   configurations each held-out dataset would be recommended, what users see) and
   ``width`` are what the procedure held on families it was not calibrated on.

The interval is for display: it never changes the predicted means, so the ranking is the
same with or without a calibration. A model without one (saved before calibrations
existed, or never calibrated) shows the 1.96 spread, labelled uncalibrated.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from autometa._exceptions import ModelError, ParameterError

if TYPE_CHECKING:
    from autometa.models._base import MetaModel, TaskData

__all__ = ["IntervalCalibration", "RAW_Z", "interval_bounds"]

logger = logging.getLogger(__name__)

#: The half-width of an uncalibrated interval, in standard deviations of the spread.
RAW_Z = 1.96
#: The nominal coverage of the calibrated interval.
NOMINAL = 0.95
#: How many of the first recommendations count as "what users see" (``top_k``'s default).
TOP = 10
#: Candidate floors, as shares of the median out-of-family spread.
FLOOR_SHARES = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass(frozen=True)
class IntervalCalibration:
    """How a model's interval is computed, and what it held on held-out families.

    Attributes
    ----------
    nominal : float
        The nominal coverage (0.95: a 95% interval).
    multiplier, floor : float
        The half-width is ``multiplier * (std + floor)``.
    coverage : float
        Cross-validated share of the held-out (dataset, configuration) cells whose true
        normalized score fell inside the interval (chosen without their family).
    coverage_top : float
        The same over the ``top`` configurations each held-out dataset was predicted best.
    width : float
        Mean width of those intervals, clipped to [0, 1].
    raw_coverage : float
        Share of the same cells inside the uncalibrated ``mean +/- 1.96 std``.
    folds : int
        Groups of families the calibration held out in turn.
    n_datasets, n_families, n_cells : int
        What it was fitted on: datasets, families and residuals (finite cells).
    top : int
        See ``coverage_top``.
    """

    nominal: float
    multiplier: float
    floor: float
    coverage: float
    coverage_top: float
    width: float
    raw_coverage: float
    folds: int
    n_datasets: int
    n_families: int
    n_cells: int
    top: int = TOP

    def half_width(self, std: Any) -> np.ndarray:
        """``multiplier * (std + floor)`` (NaN where ``std`` is NaN)."""
        return self.multiplier * (np.asarray(std, dtype=float) + self.floor)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (what :meth:`MetaModel.save` stores in ``model.json``)."""
        return {k: (float(v) if isinstance(v, float) else int(v)) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> IntervalCalibration:
        """The calibration stored by :meth:`to_dict`; a :class:`ModelError` if it is not one."""
        if not isinstance(values, Mapping):
            raise ModelError(
                f"The interval calibration must be a mapping of its fields. Got "
                f"{type(values).__name__} instead."
            )
        fields = cls.__dataclass_fields__
        missing = [k for k in fields if k not in values and k != "top"]
        if missing:
            raise ModelError(f"The interval calibration lacks {missing}.")
        kwargs: dict[str, Any] = {}
        for name, spec in fields.items():
            if name not in values:
                continue
            value = values[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ModelError(f"The interval calibration's '{name}' must be a number.")
            kwargs[name] = int(value) if spec.type == "int" else float(value)
        cal = cls(**kwargs)
        if not (0 < cal.nominal < 1 and cal.multiplier >= 0 and cal.floor >= 0) or not all(
            math.isfinite(v) for v in (cal.multiplier, cal.floor)
        ):
            raise ModelError(
                f"The interval calibration is invalid: nominal {cal.nominal}, multiplier "
                f"{cal.multiplier}, floor {cal.floor}."
            )
        return cal

    def describe(self) -> str:
        """The interval and what it held, in words (for ``explain()`` and the CLI)."""
        return (
            f"a {self.nominal:.0%} interval calibrated on held-out families of the knowledge "
            f"base ({self.folds} groups of families held out in turn): it held "
            f"{self.coverage:.0%} of their true scores, {self.coverage_top:.0%} for the "
            f"{self.top} best-predicted configurations of each dataset"
        )


def interval_bounds(
    mean: Any, std: Any, calibration: IntervalCalibration | None
) -> tuple[np.ndarray, np.ndarray]:
    """The shown interval, clipped to [0, 1]: ``mean +/- half_width`` (the calibration's,
    or ``1.96 * std`` without one). NaN where ``std`` or ``mean`` is NaN."""
    m = np.asarray(mean, dtype=float)
    s = np.asarray(std, dtype=float)
    half = calibration.half_width(s) if calibration is not None else RAW_Z * s
    with np.errstate(invalid="ignore"):
        low = np.clip(m - half, 0.0, 1.0)
        high = np.clip(m + half, 0.0, 1.0)
    bad = ~(np.isfinite(m) & np.isfinite(s))
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


# ---------------------------------------------------------------------------------------------
# fitting
@dataclass(frozen=True)
class Residuals:
    """Out-of-family predictions of the finite cells: flat arrays of the same length."""

    mean: np.ndarray
    std: np.ndarray
    y: np.ndarray
    group: np.ndarray  # the held-out group each cell belongs to
    top: np.ndarray  # the cell is among the TOP best-predicted of its dataset

    def take(self, keep: np.ndarray) -> Residuals:
        return Residuals(
            self.mean[keep], self.std[keep], self.y[keep], self.group[keep], self.top[keep]
        )


def conformal_quantile(values: np.ndarray, nominal: float) -> float:
    """The split-conformal ``nominal`` quantile: the ``ceil((n + 1) * nominal)``-th smallest
    value (inf when there are too few values)."""
    n = values.size
    k = math.ceil((n + 1) * nominal)
    if n == 0 or k > n:
        return math.inf
    return float(np.partition(values, k - 1)[k - 1])


def _widths(r: Residuals, multiplier: float, floor: float) -> np.ndarray:
    half = multiplier * (r.std + floor)
    return np.clip(r.mean + half, 0, 1) - np.clip(r.mean - half, 0, 1)


def choose_scale(r: Residuals, nominal: float) -> tuple[float, float]:
    """``(multiplier, floor)`` of the narrowest interval covering ``nominal`` of ``r``."""
    scale = float(np.median(r.std)) if r.std.size else 0.0
    if not scale > 0:
        scale = float(np.mean(r.std)) if r.std.size and np.mean(r.std) > 0 else 1e-3
    best: tuple[float, float, float] | None = None
    err = np.abs(r.y - r.mean)
    for share in FLOOR_SHARES:
        floor = share * scale
        denom = r.std + floor
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(denom > 0, err / denom, np.where(err > 0, np.inf, 0.0))
        q = conformal_quantile(ratio, nominal)
        if not math.isfinite(q):
            continue
        width = float(_widths(r, q, floor).mean())
        if best is None or width < best[0] - 1e-12:
            best = (width, q, floor)
    if best is None:
        need = math.ceil(nominal / (1 - nominal))
        raise ModelError(
            f"Cannot calibrate a {nominal:.0%} interval on {r.y.size} held-out scores: it "
            f"needs at least {need} in every group of families left after holding one out, "
            "and a spread that is not zero wherever the model errs. Fit on a larger "
            "knowledge base, or use fewer folds."
        )
    return best[1], best[2]


def _inside(r: Residuals, multiplier: float, floor: float) -> np.ndarray:
    half = multiplier * (r.std + floor)
    return (r.y >= r.mean - half - 1e-12) & (r.y <= r.mean + half + 1e-12)


def family_folds(families: Any, folds: int, random_state: int) -> np.ndarray:
    """Each dataset's group: its family's, the families dealt at random into ``folds``."""
    names = np.asarray(families, dtype=str)
    unique = sorted(set(names.tolist()))
    order = np.random.default_rng(random_state).permutation(len(unique))
    group = {unique[i]: j % folds for j, i in enumerate(order)}
    return np.array([group[n] for n in names], dtype=np.int64)


def out_of_family_residuals(
    make: Callable[[], MetaModel],
    data: TaskData,
    *,
    folds: int,
    random_state: int,
    top: int = TOP,
) -> Residuals:
    """Fit ``make()`` on all groups of families but one and predict that one, for each
    group (see the module docstring); the finite cells' residuals."""
    groups = family_folds(data.families, folds, random_state)
    ids = np.asarray(data.dataset_ids)
    parts: list[tuple[np.ndarray, ...]] = []
    for g in range(folds):
        held = ids[groups == g]
        if held.size == 0:
            continue
        model = make().fit(data.without(list(held)))
        test = data.without(list(ids[groups != g]))
        pred = model.predict(test.metafeatures)
        if pred.std is None:
            raise ModelError(
                f"Cannot calibrate the interval of {type(model).__name__}: it predicts no "
                "spread (std), so there is no interval to calibrate."
            )
        mean = pred.mean[test.config_ids].to_numpy(dtype=float)
        std = pred.std[test.config_ids].to_numpy(dtype=float)
        y = test.scores.to_numpy(dtype=float)
        order = np.argsort(-mean, axis=1, kind="stable")
        is_top = np.zeros_like(mean, dtype=bool)
        np.put_along_axis(is_top, order[:, :top], True, axis=1)
        ok = np.isfinite(mean) & np.isfinite(std) & np.isfinite(y)
        parts.append((mean[ok], std[ok], y[ok], np.full(int(ok.sum()), g), is_top[ok]))
    if not parts:
        raise ModelError("Cannot calibrate the interval: no held-out cell.")
    return Residuals(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))


def calibrate(
    model: MetaModel, data: TaskData, *, folds: int, nominal: float, top: int = TOP
) -> IntervalCalibration:
    """The :class:`IntervalCalibration` of ``model`` on ``data`` (see the module docstring)."""
    from autometa._validation import check_positive_int

    owner = f"{type(model).__name__}.calibrate_intervals"
    folds = check_positive_int(folds, "folds", owner)
    if folds < 2:
        raise ParameterError(
            f"The 'folds' parameter of {owner} must be an int >= 2. Got {folds!r} instead."
        )
    ok = isinstance(nominal, (int, float)) and not isinstance(nominal, bool)
    if not ok or not 0 < float(nominal) < 1:
        raise ParameterError(
            f"The 'nominal' parameter of {owner} must be a float in (0, 1). Got {nominal!r} "
            "instead."
        )
    n_families = int(data.families.nunique())
    if n_families < 2:
        raise ModelError(
            f"Cannot calibrate the interval on {n_families} family of datasets: calibrating "
            "holds out whole families, so it needs at least 2."
        )
    folds = min(folds, n_families)
    r = out_of_family_residuals(
        model.unfitted_copy, data, folds=folds, random_state=int(model.random_state), top=top
    )
    cal = calibration_from_residuals(
        r,
        nominal=float(nominal),
        folds=folds,
        n_datasets=len(data.dataset_ids),
        n_families=n_families,
        top=top,
    )
    logger.info(
        "%s interval calibrated: half-width %.3g * (std + %.3g); held-out coverage %.3f "
        "(top %d: %.3f; uncalibrated %.3f)",
        type(model).__name__,
        cal.multiplier,
        cal.floor,
        cal.coverage,
        top,
        cal.coverage_top,
        cal.raw_coverage,
    )
    return cal


def calibration_from_residuals(
    r: Residuals, *, nominal: float, folds: int, n_datasets: int, n_families: int, top: int = TOP
) -> IntervalCalibration:
    """The calibration chosen on the out-of-family residuals ``r``, with its
    cross-validated coverage (chosen without each group, measured on it)."""
    multiplier, floor = choose_scale(r, nominal)
    # cross-validated: chosen without each group, measured on it
    inside = np.zeros(r.y.size, dtype=bool)
    width = np.zeros(r.y.size)
    for g in np.unique(r.group):
        held = r.group == g
        m, f = choose_scale(r.take(~held), nominal)
        inside[held] = _inside(r.take(held), m, f)
        width[held] = _widths(r.take(held), m, f)
    raw = _inside(r, RAW_Z, 0.0)
    return IntervalCalibration(
        nominal=nominal,
        multiplier=multiplier,
        floor=floor,
        coverage=float(inside.mean()),
        coverage_top=float(inside[r.top].mean()) if r.top.any() else math.nan,
        width=float(width.mean()),
        raw_coverage=float(raw.mean()),
        folds=folds,
        n_datasets=n_datasets,
        n_families=n_families,
        n_cells=int(r.y.size),
        top=top,
    )
