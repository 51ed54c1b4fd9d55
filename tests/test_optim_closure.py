"""step(closure), torch's way of letting the optimizer evaluate the loss (issue 13).

In torch the closure zeroes the gradients, computes the loss, calls ``backward()`` and
returns the loss; NumPy arrays carry no gradient, so pygdx's closure returns
``(loss, gradients)``. Both steps return the closure's loss and update identically."""

from __future__ import annotations

import numpy as np
import pytest

from pygdx import optim

A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
B = np.array([1.0, -2.0, 0.5])
CASES = [("SGD", {"momentum": 0.9, "nesterov": True}), ("Adagrad", {}), ("RMSprop", {"centered": True}),
         ("Adadelta", {}), ("Adam", {"amsgrad": True}), ("AdamW", {}), ("Adamax", {}), ("NAdam", {}),
         ("RAdam", {})]


def loss_and_grads(w, b):
    """A quadratic in w plus a quartic in b: 0.5 w'Aw - B'w + sum(b**4)."""
    loss = 0.5 * w @ A @ w - B @ w + np.sum(b**4)
    return float(loss), [A @ w - B, 4 * b**3]


@pytest.mark.parametrize(("name", "options"), CASES, ids=[c[0] for c in CASES])
def test_closure_steps_match_torch(name, options):
    torch = pytest.importorskip("torch")
    w, b = np.array([0.5, -0.5, 1.0]), np.array([0.7, -0.3])
    tw, tb = (torch.tensor(x.copy(), dtype=torch.float64, requires_grad=True) for x in (w, b))
    opt = getattr(optim, name)([w, b], lr=0.05, **options)
    topt = getattr(torch.optim, name)([tw, tb], lr=0.05, **options)
    tA, tB = torch.from_numpy(A), torch.from_numpy(B)

    def torch_closure():
        topt.zero_grad()
        loss = 0.5 * tw @ tA @ tw - tB @ tw + torch.sum(tb**4)
        loss.backward()
        return loss

    # torch keeps NAdam's product of momentum factors in its default dtype; pygdx in float64.
    default_dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for _ in range(15):
            got = opt.step(lambda: loss_and_grads(w, b))
            expected = topt.step(torch_closure)
            assert got == pytest.approx(expected.item(), rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(b, tb.detach().numpy(), rtol=1e-10, atol=1e-12)
    finally:
        torch.set_default_dtype(default_dtype)


def test_closure_as_keyword_and_the_same_update_as_gradients():
    w1, w2 = np.ones(3), np.ones(3)
    opt1, opt2 = optim.Adam(w1, lr=0.1), optim.Adam(w2, lr=0.1)
    calls = []

    def closure():
        calls.append(w2.copy())
        return float(w2 @ w2), 2 * w2

    for _ in range(3):
        assert opt1.step(2 * w1) is None
        assert opt2.step(closure=closure) == pytest.approx(float(calls[-1] @ calls[-1]))
        np.testing.assert_array_equal(w1, w2)
    assert len(calls) == 3  # once per step, before the update


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda opt: opt.step(), "needs the gradients"),
        (lambda opt: opt.step(np.ones(2), closure=lambda: (0.0, np.ones(2))), "not both"),
        (lambda opt: opt.step(closure=3), "must be callable"),
        (lambda opt: opt.step(lambda: 1.0), "pair"),
        (lambda opt: opt.step(lambda: (1.0, np.ones(2) + 1j)), "real numbers"),
    ],
)
def test_bad_closures_are_type_errors_that_change_nothing(call, match):
    w = np.ones(2)
    opt = optim.SGD(w, lr=0.1, momentum=0.9)
    opt.step(np.ones(2))
    before = w.copy(), opt.state_dict()
    with pytest.raises(TypeError, match=match):
        call(opt)
    np.testing.assert_array_equal(w, before[0])
    assert opt.t == before[1]["step"]
    np.testing.assert_array_equal(opt.state[0]["momentum_buffer"], before[1]["state"][0]["momentum_buffer"])
