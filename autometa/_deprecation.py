"""Renamed public names: the old name keeps working for a release, with a FutureWarning.

scikit-learn's way: a renamed attribute is a read-only property under the old name that
warns and returns the new one (:func:`renamed_attribute`); a renamed keyword is still
accepted and warns (:func:`renamed_keyword`). The message names the old name, the new one
and the release that removes the old one (:data:`REMOVED_IN`).

Examples
--------
>>> import warnings
>>> class Fitted:
...     metafeatures_ = 1.0
...     meta_features_ = renamed_attribute("meta_features_", "metafeatures_")
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     Fitted().meta_features_
1.0
>>> caught[0].category.__name__
'FutureWarning'
"""

from __future__ import annotations

import warnings
from typing import Any

from autometa._exceptions import ParameterError

__all__ = [
    "RENAMED_IN",
    "REMOVED_IN",
    "renamed_attribute",
    "renamed_keyword",
    "renamed_in_state",
    "warn_renamed",
]

#: The release that renamed the names below, and the one that removes the old names.
RENAMED_IN = "0.2"
REMOVED_IN = "0.3"


def warn_renamed(old: str, new: str, *, stacklevel: int = 3) -> None:
    """The FutureWarning of a use of the old name ``old`` (renamed ``new``)."""
    warnings.warn(
        f"{old} was renamed {new} in autometa {RENAMED_IN}; the old name will be removed in "
        f"autometa {REMOVED_IN}. Use {new} instead.",
        FutureWarning,
        stacklevel=stacklevel,
    )


def renamed_attribute(old: str, new: str) -> Any:
    """A read-only property ``old`` that returns the attribute ``new`` and warns.

    Before the attribute exists (an estimator not fitted yet) it raises the
    ``AttributeError`` of ``new`` and does not warn, so ``hasattr`` stays quiet.
    """

    def get(self: Any) -> Any:
        value = getattr(self, new)
        warn_renamed(f"{type(self).__name__}.{old}", f"{type(self).__name__}.{new}")
        return value

    return property(
        get,
        doc=f"Deprecated alias of ``{new}`` (renamed in autometa {RENAMED_IN}, removed in "
        f"{REMOVED_IN}).",
    )


def renamed_keyword(value: Any, old_value: Any, old: str, new: str, owner: str) -> Any:
    """``value`` of the keyword ``new``, or ``old_value`` given under its old name ``old``
    (which warns). Both given is a :class:`~autometa.ParameterError`. None means "not given".
    """
    if old_value is None:
        return value
    if value is not None:
        raise ParameterError(
            f"{owner} got both '{new}' and its deprecated name '{old}'. Pass '{new}' only."
        )
    warn_renamed(f"The '{old}' parameter of {owner}", f"'{new}'", stacklevel=4)
    return old_value


def renamed_in_state(state: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The state of an object pickled before ``old`` was renamed ``new``, with the new name
    (for ``__setstate__``: such pickles still load)."""
    if old not in state:
        return state
    state = dict(state)
    state[new] = state.pop(old)
    return state
