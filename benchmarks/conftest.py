"""Benchmarks live in bench_*.py files (one per hot path), collected here so that
``pytest benchmarks/ --benchmark-enable`` times them all (plain ``pytest`` runs them untimed) without the test suite's test_*.py naming."""

from __future__ import annotations

import pytest


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself already.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_addoption(parser):
    parser.addoption("--quick-sizes", action="store_true", default=False,
                     help="time bench_floor.py and bench_small.py on the small sizes of the untimed run "
                          "(a quick check of a report, not a measurement)")


def benchmarks_timed(config) -> bool:
    # --benchmark-enable overrides the --benchmark-disable that pyproject's addopts sets.
    return config.getoption("benchmark_enable", False) or not config.getoption("benchmark_disable", False)


@pytest.fixture(scope="session")
def issue_sizes(request) -> bool:
    """True when the benchmarks run at the issues' sizes: timed, and not --quick-sizes."""
    return benchmarks_timed(request.config) and not request.config.getoption("quick_sizes", False)
