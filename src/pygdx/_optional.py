"""Lazy imports of optional dependencies, with an error that says how to install them.

pygdx needs only NumPy to import. Everything else (matplotlib, tqdm, scikit-learn, dask,
scipy, torch) is imported inside the function that uses it, through :func:`require`, so
that ``import pygdx`` stays light and a missing extra fails only where it is needed, with
the exact ``pip install`` line that fixes it.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming ``pip install "pygdx[extra]"``.

    ``feature`` says what needed it (for example ``"pygdx.plot"``), so the message tells
    the user both why the import happened and how to make it work.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        raise ImportError(
            f"{feature} needs {top}, which is not installed; install it with: pip install \"pygdx[{extra}]\""
        ) from exc
