"""The exceptions autometa raises.

Every error raised on purpose derives from :class:`AutometaError`; each subclass also
derives from the matching builtin so that ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AutometaError",
    "DataError",
    "KnowledgeBaseError",
    "ModelError",
    "ModelWarning",
    "NotFittedError",
    "OpenMLUnavailableError",
    "OutOfDistributionWarning",
    "ParameterError",
    "TaskInferenceWarning",
]


class AutometaError(Exception):
    """Base class of every error raised on purpose by autometa."""


class ParameterError(AutometaError, ValueError):
    """A parameter has a value that is not allowed."""


class DataError(AutometaError, ValueError):
    """The data given cannot be used (empty, wrong shape, unreadable, unknown column, ...)."""


class KnowledgeBaseError(AutometaError, ValueError):
    """A knowledge base on disk or in memory is missing, malformed or of another version."""


class ModelError(AutometaError, ValueError):
    """A meta-model file is missing, malformed, or does not match the knowledge base."""


class NotFittedError(AutometaError, AttributeError):
    """A meta-model was used before ``fit``."""


class OpenMLUnavailableError(AutometaError, ConnectionError):
    """OpenML's server cannot be reached."""


class OutOfDistributionWarning(UserWarning):
    """The dataset is unlike every dataset of the knowledge base: recommendations for it are
    extrapolations and less reliable than usual."""


class TaskInferenceWarning(UserWarning):
    """The task was inferred from an ambiguous target (whole numbers with few distinct
    values: classes or a quantity?). Pass ``task=`` to say which, and to silence it."""


class ModelWarning(UserWarning):
    """A part of the meta-models that is not needed to rank (e.g. the explainer) is missing
    or damaged; the result is produced without it."""
