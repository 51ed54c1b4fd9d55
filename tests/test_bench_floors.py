"""pygdx bench's floor rows and small-data cases (pygdx.bench): each epoch shown as a
multiple of the floor measured in the same run, and a small fit's time per epoch."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from pygdx import bench, cli


def test_linear_cases_show_each_epoch_against_its_floor():
    results = bench.run_cases(bench._linear_cases(2000, 5000, 10, n_threads=1), repeat=1)
    floors = {(r.name, r.baseline): r for r in results if r.is_floor}
    assert set(floors) == {
        ("SGD epoch, squared error", "shuffled-read floor, 1 core"),
        ("stochastic epoch (bs=1)", "shuffled-read floor, 1 core"),
        ("full-batch loss + gradient", "streaming floor, 1 core"),
    }
    for r in floors.values():
        assert r.baseline_seconds > 0
        assert r.times_floor == pytest.approx(r.pygdx_seconds / r.baseline_seconds)
        assert r.ratio_text == f"{r.times_floor:.2f}x floor"
    others = [r for r in results if not r.is_floor]
    assert others and all(r.times_floor is None and r.ratio_text.endswith("x") for r in others)


def test_units_turn_a_call_into_time_per_unit():
    case = bench.Case("sleep", "-", lambda: time.sleep(0.02), {"other": lambda: time.sleep(0.02)},
                      units={"pygdx": 10, "other": 2})
    (result,) = bench.run_cases([case], repeat=1)
    assert 0.002 <= result.pygdx_seconds < 0.008
    assert 0.01 <= result.baseline_seconds < 0.04


def test_small_data_cases_time_an_epoch_of_every_kind():
    cases = bench.small_data_cases(optimizers=("sgd", "radam"), epochs=5, numpy_epochs=2)
    assert [c.size for c in cases] == ["n=16 d=3 bs=full", "n=16 d=3 bs=16", "n=16 d=3 bs=1"] * 2
    results = bench.run_cases(cases, repeat=1)
    assert {r.baseline for r in results} >= {"NumPy loop", "scikit-learn SGDRegressor"}
    assert all(r.pygdx_seconds > 0 and r.baseline_seconds > 0 and not r.is_floor for r in results)


@pytest.mark.parametrize("optimizer", bench.SMALL_DATA_OPTIMIZERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_loop_makes_the_estimators_update(optimizer, dtype):
    import pygdx

    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 4)).astype(dtype)
    y = (X @ rng.standard_normal(4)).astype(dtype)
    est = pygdx.GDRegressor(optimizer=optimizer, lr=0.01, batch_size=None, max_iter=15, tol=None, penalty=None,
                            random_state=0).fit(X, y)
    w, b = bench.numpy_linear_fit(X, y, optimizer, 0.01, None, 15)
    assert w.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(est.coef_, w, rtol=tol, atol=tol)
    np.testing.assert_allclose(est.intercept_, b, rtol=tol, atol=tol)
    # mini-batches: the same kind of update, another order; both reduce the loss
    w_batches, b_batches = bench.numpy_linear_fit(X, y, optimizer, 0.01, 8, 15)
    assert np.mean((X @ w_batches + b_batches - y) ** 2) < np.mean(y**2)


def test_every_core_floors_beside_one_core():
    cases = bench._linear_cases(2000, 5000, 10, n_threads=None)
    assert [sorted(c.floors) for c in cases] == [
        ["shuffled-read floor, 1 core", "shuffled-read floor, all cores"]] * 3 + [["streaming floor, all cores"]]
    assert sorted(bench._linear_cases(2000, 5000, 10, n_threads=2)[0].floors) == [
        "shuffled-read floor, 1 core", "shuffled-read floor, 2 threads"]


def test_cli_bench_reports_floor_rows(monkeypatch, capsys):
    monkeypatch.setattr(bench, "default_cases", lambda **kw: bench._linear_cases(2000, 5000, 10, n_threads=2))
    assert cli.main(["bench", "--json", "--repeat", "1"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    floor_rows = [row for row in rows if row["floor"]]
    assert len(floor_rows) == 7  # two shuffled floors for each of 3 epochs, one streaming
    for row in floor_rows:
        assert row["times_floor"] == pytest.approx(row["pygdx_seconds"] / row["baseline_seconds"])
    assert all(row["times_floor"] is None for row in rows if not row["floor"])
    assert cli.main(["bench", "--repeat", "1"]) == 0
    table = capsys.readouterr().out
    assert "x floor" in table and "streaming floor" in table
