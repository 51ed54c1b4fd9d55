"""Benchmarks live in bench_*.py files (one per hot path), collected here so that
``pytest benchmarks/ --benchmark-enable`` times them all (plain ``pytest`` runs them untimed) without the test suite's test_*.py naming."""

from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself already.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None
