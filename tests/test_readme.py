"""Every code block of README.md runs.

Python blocks are executed, in order, in a fresh folder. In shell blocks, every `pygdx`
command is run there as a user would type it (the data file the examples name is made
first). `pip`, `pytest` and `cibuildwheel` lines are not re-run inside the test suite (they
would reinstall or recurse); instead their extras, options and configuration are checked
against pyproject.toml, and the install and test lines are the ones CI runs.
"""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)
SHELL_BLOCKS = re.findall(r"```bash\n(.*?)```", README, re.S)


def shell_lines(block):
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line:
            yield line


def test_readme_starts_with_the_two_commands():
    first = SHELL_BLOCKS[0]
    assert README.index(first) < 40
    lines = list(shell_lines(first))
    assert lines == ['pip install ".[cli]" && pygdx demo', 'pip install ".[test]" && pytest']
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install ".[test]"' in ci and "\npytest" in ci


@pytest.mark.parametrize("index", range(len(PYTHON_BLOCKS)))
def test_python_block_runs(index, tmp_path, monkeypatch):
    if "matplotlib" in PYTHON_BLOCKS[index]:
        pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    exec(compile(PYTHON_BLOCKS[index], f"README.md python block {index}", "exec"), {"__name__": "__main__"})


def _houses_csv(folder):
    from pygdx.datasets import make_regression

    X, y, _ = make_regression(400, 3, noise=0.1, random_state=0)
    rows = ["rooms,area,age,price"] + [",".join(f"{v:.10g}" for v in (*r, t)) for r, t in zip(X, y)]
    (folder / "houses.csv").write_text("\n".join(rows) + "\n")


def _penguins_and_sales_csv(folder):
    """The other files the README's commands name: an R export with row names, NA cells and
    text; a Latin-1 file with thousands separators and dates."""
    rng = np.random.default_rng(1)
    n = 200
    island = rng.choice(["Biscoe", "Dream", "Torgersen"], n)
    flipper = rng.normal(200, 14, n)
    mass = 40 * flipper - 4000 + 300 * (island == "Biscoe") + rng.normal(0, 200, n)
    rows = ['"","island","flipper_length_mm","sex","year","body_mass_g"']
    for i in range(n):
        sex = rng.choice(['"male"', '"female"', "NA"])
        cell = "NA" if i % 17 == 0 else f"{mass[i]:.0f}"
        rows.append(f'"{i + 1}","{island[i]}",{flipper[i]:.1f},{sex},{2007 + i % 3},{cell}')
    (folder / "penguins.csv").write_text("\n".join(rows) + "\n")
    region = rng.choice(["Zürich", "Genève", "Bâle"], n)
    price = rng.integers(900, 3000, n)
    units = 5000 - price + 300 * (region == "Genève") + rng.normal(0, 50, n)
    dates = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    rows = ["region,price,date,shop,units"] + [f'{r},"{p:,}",{d},shop {i},{u:.0f}'
                                               for i, (r, p, d, u) in enumerate(zip(region, price, dates, units))]
    (folder / "sales.csv").write_bytes(("\n".join(rows) + "\n").encode("latin-1"))


def _sparse_files(folder):
    """news.svm / news-test.svm (svmlight) and clicks.npz with clicked.txt (SciPy .npz, target file)."""
    import scipy.sparse as sp
    from sklearn.datasets import dump_svmlight_file

    from pygdx.datasets import make_text_classification

    X, y = make_text_classification(600, 300, 20, random_state=0)
    dump_svmlight_file(X[:500], y[:500], str(folder / "news.svm"), zero_based=False)
    dump_svmlight_file(X[500:], y[500:], str(folder / "news-test.svm"), zero_based=False)
    sp.save_npz(folder / "clicks.npz", X)
    (folder / "clicked.txt").write_text("clicked\n" + "\n".join(str(v) for v in y) + "\n")


def test_shell_blocks_pygdx_commands_run(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("pandas")
    pytest.importorskip("scipy")
    pytest.importorskip("sklearn")
    _houses_csv(tmp_path)
    _penguins_and_sales_csv(tmp_path)
    _sparse_files(tmp_path)
    commands = [line for block in SHELL_BLOCKS for line in shell_lines(block) if line.startswith("pygdx ")]
    assert {c.split()[1] for c in commands} == {"demo", "fit", "predict", "bench"}
    for command in commands:
        argv = shlex.split(command)
        if argv[1] == "bench":
            argv += ["--max-size", "1000", "--repeat", "1"]  # the same command, kept short here
        if argv[1] == "demo":
            argv += ["--samples", "2000", "--epochs", "5", "--steps", "300"]
        r = subprocess.run([sys.executable, "-m", "pygdx", *argv[1:]], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, f"{command}\n{r.stderr}"
    assert (tmp_path / "model.npz").exists() and (tmp_path / "predictions.csv").exists()
    assert len(np.loadtxt(tmp_path / "predictions.csv", skiprows=1)) == 400


def test_shell_blocks_install_lines_match_the_project():
    pyproject = (ROOT / "pyproject.toml").read_text()
    extras_table = re.findall(r"`pygdx\[(\w+)\]`", README)
    for line in (line for block in SHELL_BLOCKS for line in shell_lines(block)):
        for extra in re.findall(r"\[(\w+)\]", line) + extras_table:
            assert re.search(rf"^{extra} = ", pyproject, re.M), f"README names an unknown extra [{extra}]"
        if line.startswith("cibuildwheel"):
            assert "[tool.cibuildwheel]" in pyproject and "test-command" in pyproject
        if "PYGDX_NATIVE" in line:
            assert "PYGDX_NATIVE" in (ROOT / "CMakeLists.txt").read_text()
    assert "PYGDX_NATIVE" in (ROOT / "CMakeLists.txt").read_text()
    assert os.path.exists(ROOT / ".ci" / "run")
