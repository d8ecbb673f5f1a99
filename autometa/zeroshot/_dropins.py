"""Zero-shot drop-ins: scikit-learn's estimators whose unset parameters come from the
recommendation.

One class per learner of the registry, generated at import, so adding a learner adds its
drop-in. Each class has the constructor signature of the scikit-learn class it stands for
(every parameter keyword-only) plus ``meta_model`` and ``meta_kb`` (the estimators'
``model`` and ``kb``, prefixed because they share one namespace with the learner's own
parameters). The hyperparameters the
meta-model searches default to :data:`RECOMMENDED`; the others default to the registry's
fixed values (e.g. ``n_jobs=1``, ``max_iter=1000``), otherwise scikit-learn's defaults, and
``random_state`` to 0. So ``get_params()`` returns what the user passed (or a real default);
the recommended values live in the fitted attributes ``recommended_params_`` and
``model_.get_params()``. In ``fit``: the meta-features of the data, the best configuration
of that learner according to the meta-model, then the parameters the user set override it.
"""

from __future__ import annotations

import inspect
import logging
import warnings
from typing import Any, ClassVar

from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.compose import TransformedTargetRegressor

from autometa._exceptions import ParameterError
from autometa._validation import StrOptions, validate_params
from autometa.estimators import MetaEstimatorMixin

__all__ = ["RECOMMENDED", "ZeroShotMixin", "make_dropin"]

logger = logging.getLogger(__name__)

#: The default of every scikit-learn parameter of a drop-in: "take it from the
#: recommendation". A string, so that ``clone``, ``repr`` and pickling treat it as a value.
RECOMMENDED = "recommended"

_META_PARAMS = ("meta_model", "meta_kb")


def _is_recommended(value: Any) -> bool:
    return isinstance(value, str) and value == RECOMMENDED


class ZeroShotMixin(MetaEstimatorMixin):
    """The ``fit`` of the drop-ins (see the module docstring)."""

    _learner: ClassVar[str] = ""
    _sklearn_params: ClassVar[tuple[str, ...]] = ()
    _searched: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    #: scikit-learn's constraints of the learner's class; the searched hyperparameters also
    #: accept :data:`RECOMMENDED`. Checked at the start of ``fit``.
    _parameter_constraints: ClassVar[dict[str, Any]] = {}

    def _prefit_has(self, attr: str) -> bool:
        from autometa.learners import get_learner

        sk_class = get_learner(self._learner).estimator_class()
        return hasattr(sk_class(**self.user_params()), attr)

    def __getattr__(self, name: str) -> Any:
        # The fitted attributes of the scikit-learn estimator (coef_, feature_importances_,
        # n_iter_, ...) are the drop-in's own, as with the original class.
        if name.endswith("_") and not name.startswith("__"):
            model = self.__dict__.get("model_")
            if model is not None and hasattr(model, name):
                return getattr(model, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def user_params(self) -> dict[str, Any]:
        """The scikit-learn parameters that override the recommended configuration: the
        searched ones set by the user (not :data:`RECOMMENDED`) and the others that differ
        from the drop-in's default."""
        out = {}
        for k in self._sklearn_params:
            value = getattr(self, k)
            if _is_recommended(value):
                continue
            if k not in self._searched and _same(value, self._defaults.get(k, RECOMMENDED)):
                continue
            out[k] = value
        return out

    def fit(self, X: Any, y: Any) -> Any:
        """Recommend this learner's hyperparameters for ``(X, y)``, apply the parameters set
        by the user on top, and fit the pipeline (preprocessing + estimator).

        Returns
        -------
        self
        """
        from autometa.learners import get_learner

        validate_params(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        X, y = self._check_Xy(X, y)
        user = self.user_params()
        rs = getattr(self, "random_state", 0)
        seed = rs if isinstance(rs, int) and not isinstance(rs, bool) else 0
        try:
            rec = self._recommend(
                X,
                y,
                top_k=1,
                learners=[self._learner],
                metric=None,
                kb=self.meta_kb,
                model=self.meta_model,
                random_state=seed,
            )
            config = rec[0]
        except ParameterError as exc:
            if "has a configuration" not in str(exc):
                raise
            warnings.warn(
                f"The meta-model's pool has no configuration of {self._learner}; "
                f"scikit-learn's defaults are used. ({exc})",
                UserWarning,
                stacklevel=2,
            )
            rec, config = None, get_learner(self._learner).default_configuration()
        pipe = config.make_pipeline(random_state=seed)
        final = pipe.named_steps["model"]
        inner = final.regressor if isinstance(final, TransformedTargetRegressor) else final
        inner.set_params(**user)
        self.recommendation_ = rec
        self.recommended_params_ = dict(config.params)
        self.estimator_ = pipe.fit(X, y)
        fitted = self.estimator_.named_steps["model"]
        self.model_ = (
            fitted.regressor_ if isinstance(fitted, TransformedTargetRegressor) else fitted
        )
        if self._task == "classification":
            self.classes_ = self.estimator_.classes_
        return self


def _same(a: Any, b: Any) -> bool:
    """Whether ``a`` is the default ``b`` (identity, or equal values of the same type)."""
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return False


def _make_init(names: tuple[str, ...], defaults: dict[str, Any]) -> Any:
    allowed = frozenset(names) | frozenset(_META_PARAMS)

    def __init__(self: Any, **kwargs: Any) -> None:
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                f"{unknown[0]!r}"
            )
        for name in names:
            setattr(self, name, kwargs.get(name, defaults[name]))
        self.meta_model = kwargs.get("meta_model")
        self.meta_kb = kwargs.get("meta_kb")

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=defaults[n]) for n in names
    ]
    params += [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None) for n in _META_PARAMS
    ]
    __init__.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    return __init__


def make_dropin(learner_name: str, module: str = "autometa.zeroshot") -> type:
    """The drop-in class of a registry learner (see the module docstring)."""
    from autometa.learners import get_learner

    learner = get_learner(learner_name)
    sk_class = learner.estimator_class()
    names = tuple(
        p.name
        for p in inspect.signature(sk_class.__init__).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )
    sk_defaults = {
        p.name: p.default
        for p in inspect.signature(sk_class.__init__).parameters.values()
        if p.name in names
    }
    searched = tuple(learner.param_names)
    defaults: dict[str, Any] = {}
    for name in names:
        if name in searched:
            defaults[name] = RECOMMENDED
        elif name == "random_state":
            defaults[name] = 0
        elif name in learner.fixed:
            defaults[name] = learner.fixed[name]
        else:
            defaults[name] = sk_defaults[name]
    sk_constraints: dict[str, Any] = getattr(sk_class, "_parameter_constraints", {})
    constraints: dict[str, Any] = {n: "no_validation" for n in _META_PARAMS}
    for name in names:
        allowed = sk_constraints.get(name, "no_validation")
        if name in searched and allowed != "no_validation":
            allowed = [*allowed, StrOptions({RECOMMENDED})]
        constraints[name] = allowed
    mixin = ClassifierMixin if learner.task == "classification" else RegressorMixin
    doc = f"""Zero-shot :class:`{learner.estimator}`: unset parameters come from the recommendation.

    Takes every parameter of scikit-learn's ``{sk_class.__name__}`` (keyword-only). The
    searched hyperparameters ({", ".join(learner.param_names)}) default to ``"recommended"``:
    in ``fit``, the meta-model's best configuration of ``{learner.name}`` for the data gives
    them, unless you set them. The other parameters default to the registry's fixed values
    or scikit-learn's defaults (``random_state`` to 0). ``get_params()`` returns these
    values; the recommended ones are in ``recommended_params_``. The data go through the
    registry's preprocessing (raw DataFrames welcome).

    Parameters
    ----------
    **params
        scikit-learn's parameters of ``{sk_class.__name__}``.
    meta_model : MetaModel, path or None, default=None
        The meta-model; None: the shipped default.
    meta_kb : KnowledgeBase, path or None, default=None
        The knowledge base; None: the shipped default.

    Attributes
    ----------
    estimator_ : Pipeline
        The fitted pipeline (preprocessing + ``{sk_class.__name__}``).
    model_ : {sk_class.__name__}
        The fitted scikit-learn estimator inside it.
    recommended_params_ : dict
        The recommended hyperparameters (before your parameters are applied).
    recommendation_ : Recommendation or None
        The recommendation restricted to this learner.
    metafeatures_ : Series
        The training data's meta-features (``meta_features_``, its old name, is
        deprecated: it warns and will be removed in autometa 0.3).

    Notes
    -----
    ``meta_model`` and ``meta_kb`` are what ``MetaClassifier``/``MetaRegressor`` call
    ``model`` and ``kb``; here they share one namespace (``get_params``, ``set_params``,
    grid searches) with the parameters of ``{sk_class.__name__}``, and the ``meta_`` prefix
    keeps them from clashing with a scikit-learn parameter of the same name.

    Examples
    --------
    >>> from autometa.zeroshot import {learner.name}
    >>> est = {learner.name}()  # every parameter from the recommendation at fit
    """
    cls = type(
        learner.name,
        (mixin, ZeroShotMixin),
        {
            "__init__": _make_init(names, defaults),
            "_searched": searched,
            "_defaults": defaults,
            "_parameter_constraints": constraints,
            "__doc__": doc,
            "__module__": module,
            "__qualname__": learner.name,
            "_learner": learner.name,
            "_sklearn_params": names,
            "_task": learner.task,
        },
    )
    return cls
