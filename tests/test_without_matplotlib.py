"""pygdx without matplotlib: importing pygdx never loads it, and pygdx.plot says how to
install it. Each check runs in a fresh interpreter, where matplotlib can be truly absent."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HIDE_MATPLOTLIB = """
import importlib.abc
import sys


class HideMatplotlib(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HideMatplotlib())
"""


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)


def test_import_pygdx_does_not_import_matplotlib():
    done = run(
        """
        import sys
        import pygdx
        import pygdx.functions, pygdx.numdiff
        res = pygdx.minimize(pygdx.functions.booth, [0.0, 0.0], jac=pygdx.functions.booth.grad, lr=0.05)
        assert res.success
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")
        print("loaded:", loaded)
        """
    )
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


def test_pygdx_plot_without_matplotlib_names_the_extra():
    done = run(
        HIDE_MATPLOTLIB
        + """
import pygdx
from pygdx import functions
res = pygdx.minimize(functions.booth, [0.0, 0.0], jac=functions.booth.grad, lr=0.05)
calls = {
    "loss_curve": lambda: pygdx.plot.loss_curve(res),
    "trajectory": lambda: pygdx.plot.trajectory(functions.booth, res),
    "compare": lambda: pygdx.plot.compare({"gd": res}),
    "lr_sweep": lambda: pygdx.plot.lr_sweep(functions.booth, [0.0, 0.0], [0.01], jac=functions.booth.grad),
}
for name, call in calls.items():
    try:
        call()
    except ImportError as exc:
        print(name, "->", exc)
    else:
        print(name, "-> drew without matplotlib?!")
"""
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 4
    for line in lines:
        assert 'pip install "pygdx[plot]"' in line and "matplotlib" in line, line


def test_the_hiding_works():
    # Guard against a vacuous pass: with the finder installed matplotlib really is gone.
    done = run(HIDE_MATPLOTLIB + "import matplotlib\n")
    assert done.returncode != 0 and "ModuleNotFoundError" in done.stderr
