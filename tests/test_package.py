"""The installed package: its version and the typing files it ships."""

from __future__ import annotations

import json
from importlib import metadata, resources

import pytest

import pygdx
from pygdx import _core

TYPING_FILES = ["py.typed", "_core.pyi"]


def test_version_is_the_installed_metadata():
    assert pygdx.__version__ == metadata.version("pygdx")
    assert _core.__version__ == pygdx.__version__


@pytest.mark.parametrize("name", TYPING_FILES)
def test_typing_files_are_next_to_the_package(name):
    assert resources.files("pygdx").joinpath(name).is_file()


def is_editable_install() -> bool:
    direct_url = metadata.distribution("pygdx").read_text("direct_url.json")
    return bool(direct_url) and json.loads(direct_url).get("dir_info", {}).get("editable", False)


@pytest.mark.parametrize("name", TYPING_FILES)
def test_typing_files_are_recorded_in_the_wheel(name):
    if is_editable_install():
        pytest.skip("an editable install records no package files; checked when installed from a wheel")
    recorded = {str(f).replace("\\", "/") for f in metadata.files("pygdx")}
    assert f"pygdx/{name}" in recorded


def test_import_and_a_warning_fit_load_no_optional_dependency():
    """NumPy is the only runtime dependency: importing pygdx, and a fit that ends in a
    ConvergenceWarning, import none of the optional packages (each costs startup time)."""
    import subprocess
    import sys

    code = (
        "import sys, warnings, numpy as np, pygdx\n"
        "warnings.simplefilter('ignore')\n"
        "X = np.random.default_rng(0).normal(size=(50, 3))\n"
        "pygdx.GDRegressor(max_iter=1).fit(X, X.sum(axis=1))\n"
        "print(sorted(m for m in ('sklearn', 'matplotlib', 'dask', 'tqdm', 'scipy', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
