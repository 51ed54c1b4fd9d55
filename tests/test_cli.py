"""The command line, driven as a user would: in a subprocess, reading exit codes and output."""

import json
import subprocess
import sys

import pytest


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pygdx", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("pygdx ")
    r = run("--help")
    assert r.returncode == 0
    for command in ("demo", "fit", "predict", "bench"):
        assert command in r.stdout


def test_unknown_command_is_a_usage_error():
    r = run("train")
    assert r.returncode == 2
    assert "invalid choice" in r.stderr


def test_bench_json_reports_ratios_against_numpy():
    r = run("bench", "--json", "--repeat", "1", "--max-size", "1000")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["machine"]["cores"] >= 1
    numpy_rows = [row for row in data["results"] if row["baseline"] == "NumPy"]
    assert {row["case"] for row in numpy_rows} >= {"Adam step", "SGD momentum step"}
    for row in numpy_rows:
        assert row["pygdx_seconds"] > 0 and row["baseline_seconds"] > 0
        assert row["speedup"] == pytest.approx(row["baseline_seconds"] / row["pygdx_seconds"])


def test_bench_table():
    r = run("bench", "--repeat", "1", "--max-size", "10", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert "pygdx faster by" in r.stdout and "machine:" in r.stdout


def test_bad_option_value_is_a_usage_error(tmp_path):
    r = run("fit", "data.csv", "--batch-size", "zero")
    assert r.returncode == 2 and "expected a whole number" in r.stderr
