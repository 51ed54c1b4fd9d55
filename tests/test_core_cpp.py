"""The core's C++-level tests (tests/cpp/*.cpp), compiled here with the machine's C++
compiler and run: each rule of the trainer (core/trainer.hpp) and the held-out scores
(core/validation.hpp) on scripted epochs, and the optimizer step's scalars against their
pow-every-step formulas (core/step_coefficients.hpp), and the adaptive rules' stochastic path
against the general small-batch path, bit for bit (core/row_steps.hpp), and epochs with their
rows gathered ahead against the same epochs read in place (core/rows_gathered_ahead.hpp)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ROOT / "src" / "cpp"
PROGRAMS = {"test_trainer.cpp": "all trainer checks passed",
            "test_step_coefficients.cpp": "all step coefficient checks passed",
            "test_team_parts.cpp": "all team checks passed",
            "test_row_steps.cpp": "all row step checks passed",
            "test_gather_ring.cpp": "all gather ring checks passed"}


def compiler() -> str | None:
    return os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")


@pytest.mark.skipif(sys.platform == "win32", reason="built with a Unix-style C++ compiler")
@pytest.mark.parametrize("program", PROGRAMS)
def test_core_rules_at_the_cpp_level(tmp_path, program):
    cxx = compiler()
    if cxx is None or not (HEADERS / "core" / "trainer.hpp").exists():
        pytest.skip("needs a C++17 compiler and the source tree")
    binary = tmp_path / Path(program).stem
    # the flags of the module's build that decide results (CMakeLists.txt)
    build = subprocess.run([cxx, "-std=c++17", "-O1", "-Wall", "-Wextra", "-fno-math-errno", "-ffp-contract=off",
                            "-I", str(HEADERS), str(ROOT / "tests" / "cpp" / program), "-o", str(binary), "-pthread"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert PROGRAMS[program] in run.stdout
