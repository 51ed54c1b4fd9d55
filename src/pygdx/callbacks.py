"""Callbacks the estimators call between epochs (never inside the compiled loop).

A callback is a :class:`Callback`, or any callable ``f(estimator, info)``; it runs after
every epoch with that epoch's numbers in ``info``:

- ``epoch``: epochs completed in this fit (1, 2, ...);
- ``loss``: the epoch's mean training objective (what ``loss_curve_`` records);
- ``validation_score``: the score on the held-out rows with ``early_stopping``, else None;
- ``lr``: the learning rate of the next step; ``t``: optimizer steps taken so far;
- ``elapsed``: seconds since the fit started.

Returning True stops training after this epoch (the fit then ends normally, without a
ConvergenceWarning).

>>> import numpy as np, pygdx
>>> X = np.random.default_rng(0).normal(size=(100, 3)); y = X @ [1.0, 2.0, 3.0]
>>> stop_early = lambda est, info: info["epoch"] == 2
>>> pygdx.GDRegressor(callbacks=[stop_early]).fit(X, y).n_iter_
2
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Union

from ._optional import require

__all__ = ["Callback", "History", "ProgressBar", "as_callbacks"]


class Callback:
    """Base class; override the hooks you need."""

    def on_train_begin(self, estimator: Any, max_epochs: int) -> None:
        """Called once before the first epoch of ``fit`` (not by ``partial_fit``)."""

    def on_epoch_end(self, estimator: Any, info: dict) -> bool | None:
        """Called after every epoch; return True to stop training."""
        return None

    def on_train_end(self, estimator: Any) -> None:
        """Called once after the last epoch of ``fit``, also when training stopped early."""


class _FunctionCallback(Callback):
    def __init__(self, fn: Callable[[Any, dict], Any]) -> None:
        self.fn = fn

    def on_epoch_end(self, estimator: Any, info: dict) -> bool | None:
        return bool(self.fn(estimator, info))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fn!r})"


class History(Callback):
    """Keeps every epoch's ``info`` in ``self.epochs`` (a list of dicts)."""

    def __init__(self) -> None:
        self.epochs: list[dict] = []

    def on_train_begin(self, estimator: Any, max_epochs: int) -> None:
        self.epochs = []

    def on_epoch_end(self, estimator: Any, info: dict) -> None:
        self.epochs.append(dict(info))


class ProgressBar(Callback):
    """A tqdm progress bar over epochs showing the loss (needs ``pip install "pygdx[progress]"``)."""

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self.tqdm_kwargs = tqdm_kwargs
        self._bar: Any = None

    def on_train_begin(self, estimator: Any, max_epochs: int) -> None:
        tqdm_auto = require("tqdm.auto", "progress", "pygdx.callbacks.ProgressBar")
        self._bar = tqdm_auto.tqdm(total=max_epochs, desc=type(estimator).__name__, unit="epoch", **self.tqdm_kwargs)

    def on_epoch_end(self, estimator: Any, info: dict) -> None:
        if self._bar is not None:
            shown = {"loss": f"{info['loss']:.4g}"}
            if info.get("validation_score") is not None:
                shown["val"] = f"{info['validation_score']:.4g}"
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)

    def on_train_end(self, estimator: Any) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __getstate__(self) -> dict:
        return {"tqdm_kwargs": self.tqdm_kwargs, "_bar": None}


CallbackLike = Union[Callback, Callable[[Any, dict], Any]]


def as_callbacks(callbacks: CallbackLike | Iterable[CallbackLike] | None) -> list[Callback]:
    """A list of Callback objects from None, one callback, or a sequence of them."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]
    out = []
    for cb in callbacks:
        if isinstance(cb, Callback):
            out.append(cb)
        elif callable(cb):
            out.append(_FunctionCallback(cb))
        else:
            raise TypeError(
                f"callbacks must be pygdx.callbacks.Callback objects or callables f(estimator, info), "
                f"not {type(cb).__name__}"
            )
    return out
