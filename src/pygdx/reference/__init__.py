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
- ``pygdx.reference.linear``: the linear models' full-batch objective and gradient and an
  epoch loop (with :mod:`pygdx.losses`), the oracle of the C++ linear core.
"""

from __future__ import annotations

from . import linear, optim, schedules

__all__ = ["linear", "optim", "schedules"]
