"""How y enters the core: a regressor's values as they are, or a classifier's classes as
±1 (two classes, one output) or class indices (K outputs), with the rows' class weights."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import check_finite, check_row_weights, class_weights

__all__ = ["Targets"]


def known_classes(y: np.ndarray, classes: Any, fitted: np.ndarray | None, partial: bool) -> np.ndarray:
    """The sorted class labels of a classifier's fit: ``fitted`` (the classes_ of an earlier
    partial_fit, which ``classes`` must repeat if given), else ``classes`` (required by a
    first partial_fit), else those found in ``y``."""
    if fitted is not None:
        if classes is not None and not np.array_equal(_sorted_labels(classes, "classes"), fitted):
            raise ValueError(f"classes={classes!r} is not the same as on the first call to partial_fit ({fitted!r})")
        return fitted
    if partial and classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit.")
    return _sorted_labels(y, "y") if classes is None else _sorted_labels(classes, "classes")


def _sorted_labels(labels: Any, name: str) -> np.ndarray:
    try:
        return np.unique(np.asarray(labels))
    except TypeError as exc:  # labels of kinds that do not compare: say so, not '<' not supported
        raise TypeError(f"the class labels in {name} cannot be sorted ({exc}): use labels of one kind, all numbers "
                        "or all texts") from None


class Targets:
    """How y enters the core: a regressor's values, or a classifier's classes as ±1 (two
    classes, one output) or class indices (K outputs), with the rows' class weights."""

    def __init__(self, classes: np.ndarray | None, n_outputs: int, class_weight: Any = None) -> None:
        self.classes, self.n_outputs, self.class_weight = classes, n_outputs, class_weight

    def encode(self, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
        if self.classes is None:
            if y.dtype.kind not in "fiub":
                raise ValueError(f"y must be numeric for a regressor, got dtype {y.dtype}")
            y_core = np.ascontiguousarray(y, dtype=dtype)
            check_finite(y_core, "y")
            return y_core
        classes = self.classes
        if self.n_outputs == 1:
            positive = y == classes[1]
            if np.count_nonzero(positive) + np.count_nonzero(y == classes[0]) != y.shape[0]:
                self._raise_unknown_labels(y)
            # +1 / -1 in two in-place passes: a fourth of the time of a masked assignment
            signs = positive.astype(dtype)
            signs *= 2
            signs -= 1
            return signs
        idx = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
        if np.any(classes[idx] != y):
            self._raise_unknown_labels(y)
        return idx.astype(dtype)

    def _raise_unknown_labels(self, y: np.ndarray) -> None:
        unknown = np.setdiff1d(y, self.classes)
        raise ValueError(f"y contains labels {unknown[:5]!r} that are not in classes {self.classes!r}")

    def class_index(self, y_core: np.ndarray) -> np.ndarray:
        return (y_core > 0).astype(np.intp) if self.n_outputs == 1 else y_core.astype(np.intp)

    def row_weights(self, sw: np.ndarray | None, y_core: np.ndarray, dtype: np.dtype) -> np.ndarray | None:
        """sample_weight times the class weight of each row's class."""
        if self.classes is None or self.class_weight is None:
            return sw
        weights = class_weights(self.class_weight, self.classes, self.class_index(y_core))
        with np.errstate(over="ignore"):
            per_row = weights[self.class_index(y_core)].astype(dtype)
            out = per_row if sw is None else np.ascontiguousarray(sw * per_row)
        check_row_weights(out, "sample_weight times class_weight")
        return out
