"""The trainer's C++-level tests (tests/cpp/test_trainer.cpp): each stopping rule of
core/trainer.hpp and the held-out scores of core/validation.hpp, on scripted epochs,
compiled here with the machine's C++ compiler and run."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "cpp" / "test_trainer.cpp"
HEADERS = ROOT / "src" / "cpp"


def compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")


@pytest.mark.skipif(sys.platform == "win32", reason="built with a Unix-style C++ compiler")
def test_the_trainer_rules_at_the_cpp_level(tmp_path):
    cxx = compiler()
    if cxx is None or not (HEADERS / "core" / "trainer.hpp").exists():
        pytest.skip("needs a C++17 compiler and the source tree")
    program = tmp_path / "test_trainer"
    build = subprocess.run([cxx, "-std=c++17", "-O1", "-Wall", "-Wextra", "-I", str(HEADERS), str(SOURCE),
                            "-o", str(program), "-pthread"], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all trainer checks passed" in run.stdout
