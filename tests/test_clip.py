"""pygdx.clip: torch.nn.utils' gradient clipping on NumPy arrays, against torch itself
(when installed) and against the definition."""

from __future__ import annotations

import math

import numpy as np
import pytest

import pygdx
from pygdx import clip


def gradients(dtype, seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.normal(size=shape)).astype(dtype) for shape in [(5,), (3, 4), (1,), (2, 2, 2)]]


NORMS = [2.0, 1.0, 3.0, 0.5, math.inf, "inf"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", NORMS, ids=[str(n) for n in NORMS])
@pytest.mark.parametrize("max_norm", [0.1, 5.0, 1e6])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours = gradients(dtype)
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name))) for g in ours]
    for p, g in zip(params, ours):
        p.grad = torch.tensor(g.copy())
    expected_norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    total = pygdx.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    rtol = 1e-6 if dtype == np.float32 else 1e-13
    assert isinstance(total, np.floating) and total.dtype == dtype
    assert total == pytest.approx(expected_norm.item(), rel=rtol)
    for g, p in zip(ours, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=rtol * 10)


def test_clip_grad_norm_against_its_definition():
    g = gradients(np.float64, seed=3)
    flat = np.concatenate([a.ravel() for a in g])
    norm = np.sqrt(np.sum(flat**2))
    before = [a.copy() for a in g]
    assert pygdx.clip_grad_norm_(g, 1.0) == pytest.approx(norm, rel=1e-14)
    for a, b in zip(g, before):
        np.testing.assert_allclose(a, b / (norm + 1e-6), rtol=1e-14)
    assert np.sqrt(sum(np.sum(a**2) for a in g)) == pytest.approx(1.0, rel=1e-5)
    # under the limit nothing changes; the norm is still reported
    g = [np.array([0.3, 0.4])]
    assert pygdx.clip_grad_norm_(g, 1.0) == pytest.approx(0.5) and g[0].tolist() == [0.3, 0.4]
    g1 = np.array([1.0, -4.0, 2.0])
    assert pygdx.clip_grad_norm_(g1, 2.0, norm_type="inf") == 4.0
    np.testing.assert_allclose(g1, np.array([1.0, -4.0, 2.0]) * 2.0 / (4.0 + 1e-6))


def test_clip_grad_norm_nonfinite():
    torch = pytest.importorskip("torch")
    g = [np.array([1.0, np.inf]), np.array([2.0])]
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        pygdx.clip_grad_norm_(g, 1.0, error_if_nonfinite=True)
    assert g[0].tolist() == [1.0, np.inf] and g[1].tolist() == [2.0]  # nothing changed
    p = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    p.grad = torch.tensor([1.0, float("inf")], dtype=torch.float64)
    q = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    q.grad = torch.tensor([2.0], dtype=torch.float64)
    theirs = torch.nn.utils.clip_grad_norm_([p, q], 1.0)
    ours = pygdx.clip_grad_norm_(g, 1.0)
    assert math.isinf(ours) and math.isinf(theirs.item())
    np.testing.assert_array_equal(g[0], p.grad.numpy())
    np.testing.assert_array_equal(g[1], q.grad.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    ours = gradients(dtype, seed=1)
    ours[0][1] = np.nan
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=getattr(torch, np.dtype(dtype).name))) for g in ours]
    for p, g in zip(params, ours):
        p.grad = torch.tensor(g.copy())
    torch.nn.utils.clip_grad_value_(params, 1.5)
    assert pygdx.clip_grad_value_(ours, 1.5) is None
    for g, p in zip(ours, params):
        np.testing.assert_array_equal(g, p.grad.numpy())
    assert np.nanmax(np.abs(np.concatenate([g.ravel() for g in ours]))) == dtype(1.5)


def test_total_norm_and_two_step_clip_match_torch():
    torch = pytest.importorskip("torch")
    ours = gradients(np.float64, seed=2)
    theirs = [torch.tensor(g.copy()) for g in ours]
    norm = clip.get_total_norm(ours, 3.0)
    assert norm == pytest.approx(torch.nn.utils.get_total_norm(theirs, 3.0).item(), rel=1e-13)
    params = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in ours]
    for p, t in zip(params, theirs):
        p.grad = t
    torch.nn.utils.clip_grads_with_norm_(params, 0.5, torch.tensor(norm))
    clip.clip_grads_with_norm_(ours, 0.5, norm)
    for g, p in zip(ours, params):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-14)


def test_empty_and_single_array():
    assert pygdx.clip_grad_norm_([], 1.0) == 0.0
    g = np.array([3.0, 4.0])
    assert pygdx.clip_grad_norm_(g, 10.0) == 5.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: pygdx.clip_grad_norm_([[3.0, 4.0]], 1.0), TypeError, "pass NumPy arrays"),
        (lambda: pygdx.clip_grad_norm_([np.array([1, 2])], 1.0), TypeError, "dtype int64"),
        (lambda: pygdx.clip_grad_norm_([np.ones(2)], -1.0), ValueError, "Invalid max_norm: -1.0"),
        (lambda: pygdx.clip_grad_norm_([np.ones(2)], float("nan")), ValueError, "Invalid max_norm: nan"),
        (lambda: pygdx.clip_grad_norm_([np.ones(2)], 1.0, norm_type=0), ValueError, "Invalid norm_type: 0"),
        (lambda: pygdx.clip_grad_norm_([np.ones(2)], 1.0, norm_type="two"), ValueError, "Invalid norm_type"),
        (lambda: pygdx.clip_grad_value_([np.ones(2)], -0.5), ValueError, "Invalid clip_value: -0.5"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_read_only_gradient_is_refused_and_unchanged():
    g = np.array([3.0, 4.0])
    g.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        pygdx.clip_grad_norm_([np.ones(2) * 10, g], 1.0)
    assert g.tolist() == [3.0, 4.0]


def test_minimize_clips_the_steps_it_takes_not_the_users_gradient():
    """With clip_grad_norm, each step of plain gradient descent moves x by at most lr * max_norm,
    and the arrays jac returns are left alone."""
    returned = []

    def jac(x):
        g = 2.0 * (x - 100.0)
        returned.append((g, g.copy()))
        return g

    res = pygdx.minimize(lambda x: float(np.sum((x - 100.0) ** 2)), np.zeros(2), jac=jac, method="gd", lr=0.1,
                         max_iter=20, clip_grad_norm=1.0, keep_path=True)
    steps = np.linalg.norm(np.diff(res.history.x, axis=0), axis=1)
    assert np.all(steps <= 0.1 * 1.0 + 1e-12) and steps[0] == pytest.approx(0.1, rel=1e-5)
    assert all(np.array_equal(g, copy) for g, copy in returned)
    free = pygdx.minimize(lambda x: float(np.sum((x - 100.0) ** 2)), np.zeros(2), jac=jac, method="gd", lr=0.1,
                          max_iter=20)
    assert free.fun < res.fun
    by_value = pygdx.minimize(lambda x: float(np.sum((x - 100.0) ** 2)), np.zeros(2), jac=jac, method="gd",
                              lr=0.1, max_iter=3, clip_grad_value=0.5, keep_path=True)
    np.testing.assert_allclose(np.diff(by_value.history.x, axis=0), 0.05, rtol=1e-12)
    with pytest.raises(ValueError, match="Invalid clip_grad_norm"):
        pygdx.minimize(lambda x: float(x[0] ** 2), [1.0], method="gd", clip_grad_norm=-1.0)
