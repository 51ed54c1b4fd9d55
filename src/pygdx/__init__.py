"""pygdx: gradient descent with a compiled core.

- ``pygdx.optim``: torch.optim-exact optimizers updating NumPy arrays in place.
- ``pygdx.schedules``: learning-rate schedules evaluated in the compiled loops.
- ``pygdx.reference``: plain-NumPy versions of everything, the oracle for tests.
- ``pygdx.GDRegressor`` / ``pygdx.GDClassifier``: scikit-learn compatible linear models
  trained in the C++ core; ``pygdx.losses`` and ``pygdx.callbacks`` go with them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import callbacks, losses, optim, schedules
from .estimators import GDClassifier, GDRegressor

try:
    __version__ = version("pygdx")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "optim", "schedules", "losses", "callbacks", "GDRegressor", "GDClassifier"]
