"""pygdx: gradient descent with a compiled core.

- ``pygdx.optim``: torch.optim-exact optimizers updating NumPy arrays in place.
- ``pygdx.schedules``: learning-rate schedules evaluated in the compiled loops.
- ``pygdx.GDRegressor`` / ``pygdx.GDClassifier``: scikit-learn compatible linear models
  trained in the C++ core; ``pygdx.losses`` and ``pygdx.callbacks`` go with them.
- ``pygdx.minimize``: any optimizer on any function (scipy conventions), with its history.
- ``pygdx.numerical_gradient`` / ``pygdx.check_gradient``: finite differences.
- ``pygdx.functions``: classic test functions with gradients and known minima.
- ``pygdx.plot``: loss curves, trajectories, comparisons (needs matplotlib; imported on
  first use, so ``import pygdx`` never imports matplotlib).
- ``pygdx.clip_grad_norm_`` / ``pygdx.clip_grad_value_`` (``pygdx.clip``): torch's gradient
  clipping on NumPy arrays; ``pygdx.swa_utils``: SWA and EMA of parameters (torch's
  AveragedModel).
- ``pygdx.reference``: plain-NumPy versions of everything, the oracle for tests.
- ``pygdx.outofcore.fit_chunks``: training over chunks read one at a time.
- ``pygdx.prepare.TablePreparer``: a table's columns (text, dates, missing cells) as the
  numbers a linear model needs, as a scikit-learn transformer (needs pandas).
- ``pygdx.dask``: training on Dask arrays, on one machine or a cluster (needs dask;
  imported on first use, like ``pygdx.plot``).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import callbacks, clip, functions, losses, optim, outofcore, schedules, swa_utils
from .clip import clip_grad_norm_, clip_grad_value_
from .estimators import GDClassifier, GDRegressor
from .minimize import OptimizeResult, minimize
from .numdiff import check_gradient, numerical_gradient

try:
    __version__ = version("pygdx")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "__version__",
    "optim",
    "schedules",
    "GDRegressor",
    "GDClassifier",
    "losses",
    "callbacks",
    "minimize",
    "OptimizeResult",
    "numerical_gradient",
    "check_gradient",
    "functions",
    "outofcore",
    "plot",
    "clip",
    "clip_grad_norm_",
    "clip_grad_value_",
    "swa_utils",
    "prepare",
]


def __getattr__(name: str) -> Any:
    # pygdx.plot, pygdx.dask and pygdx.prepare are loaded on first access: they are the
    # modules that use matplotlib, dask and pandas, so `import pygdx` imports none of them.
    if name in ("plot", "dask", "prepare"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
