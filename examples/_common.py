"""What every example script shares: its command line and how it saves figures.

Each example prints its numbers and, when matplotlib is installed, saves its figures as
PNG files in ``--out`` (default: ./pygdx_figures). ``--quick`` runs fewer iterations, for
a smoke test.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Sequence

DEFAULT_OUT = Path("pygdx_figures")


def parse_args(description: str, argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the figures (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="fewer iterations, for a smoke test")
    parser.add_argument("--no-figures", action="store_true", help="print the numbers only")
    return parser.parse_args(argv)


def new_figure(
    args: argparse.Namespace, ncols: int = 1, nrows: int = 1, width: float = 6.0, height: float = 4.5
) -> Any:
    """(figure, axes) to draw on, or None when figures are off or matplotlib is missing.

    A bare matplotlib Figure (no pyplot): nothing opens a window, nothing global is kept.
    """
    if args.no_figures:
        return None
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print('matplotlib is not installed, so no figures: pip install "pygdx[plot]"')
        return None
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False).ravel()


def save(fig: Any, args: argparse.Namespace, name: str) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{name}.png"
    fig.savefig(path, dpi=110)
    print(f"saved {path}")
    return path
