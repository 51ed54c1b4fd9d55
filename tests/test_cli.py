"""The command line, driven as a user would: in a subprocess, reading exit codes and output."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "pygdx", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env=env)


DEMO_SMALL = ("demo", "--samples", "1500", "--epochs", "4", "--steps", "200")


def test_demo_trains_prints_tables_and_writes_pictures(tmp_path):
    pytest.importorskip("matplotlib")
    r = run(*DEMO_SMALL, "--out", "pics", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for heading in ("GDRegressor", "GDClassifier", "minimize(rosenbrock"):
        assert heading in r.stdout
    for column in ("optimizer", "batch", "final loss", "R^2", "accuracy", "time"):
        assert column in r.stdout
    for name in ("regression-loss.png", "classification-loss.png", "rosenbrock-paths.png"):
        data = (tmp_path / "pics" / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000
    # a second run never writes into the first one's folder
    r = run(*DEMO_SMALL, "--out", "pics", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "pics-2/" in r.stdout and (tmp_path / "pics-2" / "rosenbrock-paths.png").exists()


def test_demo_without_matplotlib_still_runs(tmp_path):
    hidden = tmp_path / "hide"
    (hidden / "matplotlib").mkdir(parents=True)
    (hidden / "matplotlib" / "__init__.py").write_text("raise ImportError('hidden for this test')\n")
    env = {**os.environ, "PYTHONPATH": str(hidden)}
    r = run(*DEMO_SMALL, "--quiet", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "GDRegressor" in r.stdout
    assert 'pip install "pygdx[plot]"' in r.stdout
    assert not (tmp_path / "pygdx-demo").exists()


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
    assert "speed-up" in r.stdout and "machine:" in r.stdout


def test_bench_times_a_slow_baseline_over_fewer_calls_and_a_fast_one_over_all(monkeypatch):
    """best_time's calls are counted on a scripted clock: each call of `fn` takes `cost` seconds."""
    from pygdx import bench

    clock = {"now": 0.0}
    monkeypatch.setattr(bench.time, "perf_counter", lambda: clock["now"])

    def timed(cost):
        calls = []

        def fn():
            calls.append(1)
            clock["now"] += cost
        return fn, calls

    slow, slow_calls = timed(0.004)  # 4 ms a call: 8 calls fill the 20 ms minimum
    assert bench.best_time(slow, repeat=3, number=10_000) == pytest.approx(0.004)
    assert len(slow_calls) == 1 + (2 + 4 + 8) + 3 * 8  # the warm-up is the first try, of one call
    fast, fast_calls = timed(1e-7)  # every one of `number` calls is needed to reach it
    assert bench.best_time(fast, repeat=2, number=1000) == pytest.approx(1e-7)
    assert len(fast_calls) == 1 + sum(min(1000, 2 ** k) for k in range(1, 11)) + 2 * 1000
    once, once_calls = timed(1.0)
    assert bench.best_time(once, repeat=2) == pytest.approx(1.0) and len(once_calls) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "missing.csv", "--target", "y"], "missing.csv: no such file"),
        (["predict", "missing.npz", "data.csv"], "no such model file"),
        (["fit", "data.csv", "--target", "y", "--lr", "-1"], "--lr must be a positive number"),
        (["fit", "data.csv", "--target", "y", "--validation-split", "1.5"], "--validation-split must be in"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "data.csv").write_text("a,y\n1,2\n3,4\n")
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_option_value_is_a_usage_error(tmp_path):
    r = run("fit", "data.csv", "--batch-size", "zero")
    assert r.returncode == 2 and "expected a whole number" in r.stderr


@pytest.fixture
def regression_csv(tmp_path):
    from pygdx.datasets import make_regression

    X, y, _ = make_regression(300, 3, noise=0.05, random_state=1)
    lines = ["a,b,c,price"] + [",".join(f"{v:.17g}" for v in (*row, t)) for row, t in zip(X, y)]
    (tmp_path / "houses.csv").write_text("\n".join(lines) + "\n")
    return tmp_path / "houses.csv"


@pytest.fixture
def labels_csv(tmp_path):
    from pygdx.datasets import make_classification

    X, y = make_classification(300, 4, 3, class_sep=4.0, random_state=2)
    names = np.array(["setosa", "versicolor", "virginica"])
    lines = ["p,q,r,s,species"] + [",".join([*(f"{v:.17g}" for v in row), names[k]]) for row, k in zip(X, y)]
    (tmp_path / "flowers.csv").write_text("\n".join(lines) + "\n")
    return tmp_path / "flowers.csv"


def test_fit_then_predict_regression(tmp_path, regression_csv):
    r = run("fit", "houses.csv", "--target", "price", "--optimizer", "gd", "--lr", "0.5", "--batch-size", "full",
            "--epochs", "200", "--tol", "1e-9", "--plot", "", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "regression on houses.csv" in r.stdout and "R^2" in r.stdout
    validation_r2 = float(r.stdout.split("validation")[-1].split()[1])
    assert validation_r2 > 0.99
    r = run("predict", "model.npz", "houses.csv", "--out", "pred.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pred = np.loadtxt(tmp_path / "pred.csv", skiprows=1)
    truth = np.loadtxt(regression_csv, delimiter=",", skiprows=1)[:, -1]
    assert 1 - np.mean((pred - truth) ** 2) / np.var(truth) > 0.99


def test_fit_classification_with_text_labels_and_loss_plot(tmp_path, labels_csv):
    pytest.importorskip("matplotlib")
    r = run("fit", "flowers.csv", "--target", "species", "--epochs", "20", "--out", "flowers.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "classification on flowers.csv" in r.stdout and "accuracy" in r.stdout
    assert "epoch 20/20" in r.stdout
    png = (tmp_path / "flowers-loss.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 2000
    r = run("predict", "flowers.npz", "flowers.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "species"
    truth = [row.rsplit(",", 1)[1] for row in labels_csv.read_text().split()[1:]]
    assert np.mean(np.array(lines[1:]) == np.array(truth)) > 0.95


def test_fit_npy_and_npz(tmp_path):
    from pygdx.datasets import make_regression

    X, y, _ = make_regression(200, 2, random_state=3)
    np.save(tmp_path / "d.npy", np.c_[X, y])
    np.savez(tmp_path / "d.npz", X=X, y=y)
    r = run("fit", "d.npy", "--target", "-1", "--out", "a.npz", "--plot", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("fit", "d.npz", "--task", "regression", "--out", "b.npz", "--plot", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = run("predict", "b.npz", "d.npy", cwd=tmp_path)
    assert r.returncode == 2 and "has 3 feature columns but the model was trained on 2" in r.stderr


def test_existing_files_are_not_overwritten(tmp_path, regression_csv):
    (tmp_path / "model.npz").write_bytes(b"mine")
    r = run("fit", "houses.csv", "--target", "price", "--plot", "", cwd=tmp_path)
    assert r.returncode == 2 and "already exists; pass --force" in r.stderr
    assert (tmp_path / "model.npz").read_bytes() == b"mine"
    r = run("fit", "houses.csv", "--target", "price", "--plot", "", "--force", "--quiet", "--epochs", "2", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "model.npz").read_bytes() != b"mine"


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("a,price\n1,2\n", ["--target", "cost"], "no column named 'cost'"),
        # (issue 14: text, NA and short rows are no longer refused; test_cli_csv.py covers them)
        ("a,price\n1,2\nfoo,3\n", ["--target", "price"], "no column is left to use (name the ones to keep in features): column 'a': ID-like"),
        ("", ["--target", "price"], "the file is empty"),
        ("a,price\n1,2\n3,4,5\n", ["--target", "price"], "Expected 2 fields in line 3, saw 3"),
        ("a,price\n1,x\n2,y\n", ["--target", "price", "--task", "regression"], "regression needs a numeric target"),
        ("a,price\n1,2\n", [], "name the column to predict with --target"),
    ],
)
def test_bad_data_is_one_line_and_exit_2(tmp_path, content, args, message):
    (tmp_path / "d.csv").write_text(content)
    r = run("fit", "d.csv", *args, "--plot", "", cwd=tmp_path)
    assert r.returncode == 2, r.stdout
    assert message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "model.npz").exists()


def test_diverging_learning_rate_is_reported(tmp_path, regression_csv):
    r = run("fit", "houses.csv", "--target", "price", "--optimizer", "gd", "--lr", "1e6", "--batch-size", "full",
            "--plot", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 2
    assert ("NaN or infinite" in r.stderr and "smaller lr" in r.stderr) or "training diverged" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "model.npz").exists()


def test_loss_that_grows_is_reported_as_divergence(tmp_path, regression_csv):
    r = run("fit", "houses.csv", "--target", "price", "--optimizer", "gd", "--lr", "3", "--batch-size", "full",
            "--epochs", "8", "--tol", "0", "--plot", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 2
    assert "training diverged" in r.stderr and "try a smaller --lr (e.g. 0.3)" in r.stderr
    assert not (tmp_path / "model.npz").exists()


def test_predict_rejects_a_file_that_is_not_a_model(tmp_path, regression_csv):
    (tmp_path / "fake.npz").write_bytes(b"not a zip")
    r = run("predict", "fake.npz", "houses.csv", cwd=tmp_path)
    assert r.returncode == 2 and "not a pygdx model file" in r.stderr


def test_bench_linear_cases_run_on_small_data():
    from pygdx import bench

    results = bench.run_cases(bench._linear_cases(2000, 5000, 10, n_threads=1), repeat=1)
    names = {(r.name, r.baseline) for r in results}
    assert ("SGD epoch, squared error", "NumPy") in names
    assert ("full-batch loss + gradient", "NumPy X.T @ (X @ w - y)") in names
    assert all(r.pygdx_seconds > 0 and r.baseline_seconds > 0 for r in results)


def test_a_target_in_the_hundreds_of_thousands_trains_with_default_settings(tmp_path):
    rng = np.random.default_rng(4)
    area, rooms, age = rng.uniform(50, 250, 400), rng.integers(1, 7, 400), rng.uniform(0, 80, 400)
    price = 1500 * area + 20000 * rooms - 800 * age + 50000 + rng.normal(0, 5000, 400)
    rows = ["area,rooms,age,price"] + [f"{a:.3f},{r},{g:.3f},{p:.2f}" for a, r, g, p in zip(area, rooms, age, price)]
    (tmp_path / "houses.csv").write_text("\n".join(rows) + "\n")
    r = run("fit", "houses.csv", "--target", "price", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "64",
            "--epochs", "40", "--plot", "", "--quiet", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split("validation")[-1].split()[1]) > 0.95
    r = run("predict", "model.npz", "houses.csv", cwd=tmp_path)
    pred = np.array(r.stdout.split()[1:], dtype=float)
    assert np.sqrt(np.mean((pred - price) ** 2)) < 0.05 * price.std() + 6000  # in dollars, not standardised units


def test_outputs_that_cannot_be_written_are_refused_before_training(tmp_path, regression_csv):
    for args, message in [(["--out", "missing/dir/m.npz"], "the folder of missing/dir/m.npz does not exist"),
                          (["--plot", "nodir/x.png"], "the folder of nodir/x.png does not exist")]:
        r = run("fit", "houses.csv", "--target", "price", *args, cwd=tmp_path)
        assert r.returncode == 2 and message in r.stderr, r.stderr
        assert "epoch" not in r.stdout  # nothing was trained
    assert not (tmp_path / "model.npz").exists()
    run("fit", "houses.csv", "--target", "price", "--plot", "", "--quiet", "--epochs", "2", cwd=tmp_path)
    r = run("predict", "model.npz", "houses.csv", "--out", "nodir/p.csv", cwd=tmp_path)
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_missing_target_is_named_before_the_data_is_parsed(tmp_path, labels_csv):
    r = run("fit", "flowers.csv", cwd=tmp_path)
    assert r.returncode == 2 and "name the column to predict with --target COLUMN" in r.stderr
    (tmp_path / "model.npz").write_bytes(b"x")
    r = run("fit", "nope.csv", "--target", "y", cwd=tmp_path)
    assert r.returncode == 2 and "nope.csv: no such file" in r.stderr


@pytest.mark.parametrize("names", [["u", "v"], None])
def test_predict_writes_a_column_per_output_of_a_multi_output_model(tmp_path, names):
    import csv

    import pygdx
    from pygdx.modelfile import SavedModel, save_model

    rng = np.random.default_rng(4)
    X = rng.normal(size=(30, 3))
    est = pygdx.GDRegressor(max_iter=20, tol=None, random_state=0).fit(X, X @ rng.normal(size=(3, 2)))
    model = SavedModel(est, ["a", "b", "c"], names, np.zeros(3), np.ones(3), "regression", np.array([1.0, -2.0]),
                       np.array([3.0, 0.5]))
    save_model(tmp_path / "m.npz", model)
    lines = ["a,b,c"] + [",".join(f"{v:.17g}" for v in row) for row in X]
    (tmp_path / "rows.csv").write_text("\n".join(lines) + "\n")
    r = run("predict", "m.npz", "rows.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    table = list(csv.reader(r.stdout.splitlines()))
    assert table[0] == (names or ["prediction_0", "prediction_1"])
    np.testing.assert_allclose(np.array(table[1:], dtype=float), model.predict(X), rtol=1e-12)
