"""The powers and divisions an optimizer step skips once their value is exact
(core/step_coefficients.hpp, core/optimizers.hpp): a bias correction that rounds to 1 is
neither computed with pow nor divided by; NAdam's momentum factor and RAdam's rho_t stop
calling pow once they are settled. Past those steps the core must take the same steps as its
own formulas computing every power and dividing every time, written here in NumPy in the
core's order of operations (the scalars in double, the elements in the parameter's type): bit
for bit, in float64 and float32, with betas small enough that a run crosses every skip in a
few hundred steps."""

import math

import numpy as np
import pytest

from pygdx import optim

# beta1 = 0.5: 1 - beta1^t is exactly 1 from step 57; beta2 = 0.9: from step 370; RAdam's rho_t
# is rho_inf from step 464; NAdam's momentum factor is exactly beta1 once 0.96^(2 t)
# (momentum_decay=2) is below 2^-56, from step 476.
B1, B2, EPS, LR, STEPS = 0.5, 0.9, 1e-8, 0.01, 700


def adam(p, g, m, v, t, T):
    bc1, bc2 = 1.0 - B1**t, 1.0 - B2**t
    return p - T(LR / bc1) * (m / (np.sqrt(v) / T(math.sqrt(bc2)) + T(EPS)))


def nadam_with(psi):
    mu_product = [1.0]

    def nadam(p, g, m, v, t, T):
        mu = B1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = B1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * psi))
        mu_product[0] *= mu
        grad_coef = LR * (1.0 - mu) / (1.0 - mu_product[0])
        avg_coef = LR * mu_next / (1.0 - mu_product[0] * mu_next)
        d = np.sqrt(v / T(1.0 - B2**t)) + T(EPS)
        return p - T(grad_coef) * (g / d) - T(avg_coef) * (m / d)

    return nadam


def radam(p, g, m, v, t, T):
    bc1, bc2 = 1.0 - B1**t, 1.0 - B2**t
    rho_inf = 2.0 / (1.0 - B2) - 1.0
    rho_t = rho_inf - 2.0 * t * B2**t / bc2
    m_hat = m / T(bc1)
    if rho_t <= 5.0:
        return p - m_hat * T(LR)
    rect = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
    return p - m_hat * T(LR * rect * math.sqrt(bc2)) / (np.sqrt(v) + T(EPS))


CASES = {"Adam": ({}, adam), "NAdam": ({"momentum_decay": 2.0}, None), "RAdam": ({}, radam)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CASES))
def test_steps_past_the_exact_powers_are_the_every_power_steps_bit_for_bit(name, dtype):
    options, rule = CASES[name]
    rule = rule or nadam_with(options["momentum_decay"])
    T = dtype
    rng = np.random.default_rng(0)
    ours = rng.standard_normal(7).astype(T)
    p, m, v = ours.copy(), np.zeros(7, T), np.zeros(7, T)
    fast = getattr(optim, name)([ours], lr=LR, betas=(B1, B2), eps=EPS, **options)
    for t in range(1, STEPS + 1):
        g = ((1.0 + 0.5 * np.sin(t / 7.0)) * rng.standard_normal(7)).astype(T)
        fast.step([g])
        m = T(B1) * m + T(1.0 - B1) * g
        v = T(B2) * v + T(1.0 - B2) * g * g
        p = rule(p, g, m, v, float(t), T)
        np.testing.assert_array_equal(ours, p, err_msg=f"{name} step {t}")
