"""One thread for native pools (BLAS, OpenMP) while meta-features are computed.

The matrices here are small (at most 100,000 x 300 for the correlations, a few
thousand rows for the landmarkers), so parallel BLAS and OpenMP gain little, and on a
busy machine they lose a lot: OpenBLAS and OpenMP worker threads spin while they
wait, and with every core taken a 100,000 x 50 correlation matrix took 6 s with two
OpenBLAS threads instead of 0.03 s with one. :func:`single_native_thread` limits the
pools for the duration of a block and restores them afterwards, as scikit-learn does
around its own OpenMP code.

``threadpoolctl`` is a dependency of scikit-learn; without it the block runs
unchanged. Controllers are cached (creating one inspects every loaded library and
takes milliseconds); the one used with scikit-learn is created after scikit-learn's
OpenMP runtime is loaded, so that it is limited too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

logger = logging.getLogger(__name__)

_CONTROLLERS: dict[bool, object] = {}


def _controller(with_sklearn: bool) -> object | None:
    if with_sklearn not in _CONTROLLERS:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a scikit-learn dependency
            _CONTROLLERS[with_sklearn] = None
        else:
            if with_sklearn:
                # loads the OpenMP runtime of scikit-learn's tree and neighbours code
                import sklearn.neighbors
                import sklearn.tree  # noqa: F401
            _CONTROLLERS[with_sklearn] = ThreadpoolController()
    return _CONTROLLERS[with_sklearn]


@contextlib.contextmanager
def single_native_thread(*, with_sklearn: bool = False) -> Iterator[None]:
    """Limit BLAS and OpenMP thread pools to one thread inside the block.

    Parameters
    ----------
    with_sklearn : bool, default=False
        Also cover scikit-learn's OpenMP runtime (imports ``sklearn.tree`` and
        ``sklearn.neighbors`` the first time).
    """
    ctl = _controller(with_sklearn)
    if ctl is None:
        yield
        return
    with ctl.limit(limits=1):  # type: ignore[attr-defined]
        yield
