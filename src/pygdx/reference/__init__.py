"""Plain-NumPy implementations of pygdx's algorithms: the oracle for tests, the baseline
for benchmarks.

They are written from the published formulas (torch.optim's documented algorithms, the
schedules of ``pygdx.schedules``), not from the C++ core, so that agreement between the
two means something. They are vectorised NumPy, updating arrays in place where that is
natural, as a careful NumPy programmer would write them; they do not import the compiled
core.

- ``pygdx.reference.optim``: SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam,
  RAdam with the constructor signatures of :mod:`pygdx.optim`.
- ``pygdx.reference.schedules``: the learning-rate schedules of :mod:`pygdx.schedules`.
"""

from __future__ import annotations

from . import optim, schedules

__all__ = ["optim", "schedules"]
