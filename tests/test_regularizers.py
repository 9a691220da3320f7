"""mlopt.regularizers: values, gradients, Hessians and proximal operators against hand formulas,
finite differences and brute-force 1-D minimization."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from conftest import fd_gradient
from mlopt import regularizers as R


@pytest.fixture
def theta():
    """A random vector with no entry near 0 (so ‖·‖₁ is differentiable there)."""
    rng = np.random.default_rng(20)
    t = rng.uniform(0.2, 2.0, size=7) * rng.choice([-1.0, 1.0], size=7)
    return t


def hand(name, t, rho=None):
    """(value, gradient, Hessian) written out by hand."""
    d = t.size
    if name == "l2":
        return float(np.sum(t ** 2)), 2 * t, 2 * np.eye(d)
    if name == "l1":
        return float(np.sum(np.abs(t))), np.sign(t), np.zeros((d, d))
    if name == "none":
        return 0.0, np.zeros(d), np.zeros((d, d))
    if name == "elastic_net":
        return (rho * np.sum(np.abs(t)) + (1 - rho) * np.sum(t ** 2),
                rho * np.sign(t) + 2 * (1 - rho) * t, 2 * (1 - rho) * np.eye(d))
    raise AssertionError(name)


CASES = [("l2", R.l2, None), ("l1", R.l1, None), ("none", R.none, None),
         ("elastic_net", R.elastic_net(0.3), 0.3), ("elastic_net", R.elastic_net(0.5), 0.5),
         ("elastic_net", R.elastic_net(0.9), 0.9)]
IDS = ["l2", "l1", "none", "en0.3", "en0.5", "en0.9"]


@pytest.mark.parametrize("name,reg,rho", CASES, ids=IDS)
def test_value_gradient_hessian_hand(name, reg, rho, theta):
    v, g, H = hand(name, theta, rho)
    assert isinstance(reg.value(theta), float)
    np.testing.assert_allclose(reg.value(theta), v, rtol=1e-14, atol=0)
    np.testing.assert_allclose(reg.gradient(theta), g, rtol=1e-14, atol=0)
    np.testing.assert_allclose(reg.hessian(theta), H, rtol=0, atol=0)


@pytest.mark.parametrize("name,reg,rho", CASES, ids=IDS)
def test_gradient_and_hessian_finite_differences(name, reg, rho, theta):
    np.testing.assert_allclose(reg.gradient(theta), fd_gradient(reg.value, theta), rtol=1e-7, atol=1e-8)
    # Hessian column j = derivative of the gradient along e_j
    h = 1e-6
    H_fd = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        H_fd[:, j] = (reg.gradient(theta + e) - reg.gradient(theta - e)) / (2 * h)
    np.testing.assert_allclose(reg.hessian(theta), H_fd, rtol=1e-7, atol=1e-7)


def test_l1_subgradient_at_zero():
    """At 0, sign(0) = 0 is a valid subgradient of |·|."""
    t = np.array([0.0, 1.5, -2.0])
    np.testing.assert_array_equal(R.l1.gradient(t), [0.0, 1.0, -1.0])


def test_smooth_flags_and_curvature():
    assert R.l2.smooth and R.none.smooth
    assert not R.l1.smooth and not R.elastic_net(0.5).smooth
    assert R.l2.curvature == 2.0
    assert R.l1.curvature == 0.0
    assert R.none.curvature == 0.0
    np.testing.assert_allclose(R.elastic_net(0.25).curvature, 1.5, rtol=1e-15, atol=0)


# --- proximal operator against a brute-force 1-D minimization ------------------------------------

def brute_prox_1d(reg, v, step):
    """argmin_u Ω(u) + (u − v)²/(2 step) for a scalar u, by bounded 1-D minimization."""
    obj = lambda u: reg.value(np.array([u])) + (u - v) ** 2 / (2 * step)
    res = minimize_scalar(obj, bounds=(-abs(v) - 1.0, abs(v) + 1.0), method="bounded",
                          options={"xatol": 1e-12, "maxiter": 2000})
    return res.x, obj


@pytest.mark.parametrize("name,reg,rho", CASES, ids=IDS)
@pytest.mark.parametrize("step", [0.1, 0.7, 2.0])
def test_prox_against_brute_force(name, reg, rho, step):
    rng = np.random.default_rng(21)
    v = np.concatenate([rng.normal(scale=2.0, size=9), [0.0, 0.05, -0.05]])
    p = reg.prox(v, step)
    assert p.shape == v.shape
    for vi, pi in zip(v, p):
        u, obj = brute_prox_1d(reg, vi, step)
        # the prox value is at least as good as the brute-force minimizer ...
        assert obj(pi) <= obj(u) + 1e-12
        # ... and the minimizer is unique (strongly convex), so they coincide
        np.testing.assert_allclose(pi, u, rtol=0, atol=1e-6)


@pytest.mark.parametrize("step", [0.1, 0.7, 2.0])
def test_prox_closed_forms(step):
    v = np.array([-3.0, -0.5, 0.0, 0.2, 1.0, 4.0])
    soft = np.sign(v) * np.maximum(np.abs(v) - step, 0.0)
    np.testing.assert_allclose(R.l1.prox(v, step), soft, rtol=1e-15, atol=0)
    np.testing.assert_allclose(R.l2.prox(v, step), v / (1 + 2 * step), rtol=1e-15, atol=0)
    np.testing.assert_array_equal(R.none.prox(v, step), v)
    np.testing.assert_allclose(R.soft_threshold(v, step), soft, rtol=1e-15, atol=0)


def test_prox_does_not_modify_or_alias_input():
    v = np.array([1.0, -2.0, 3.0])
    v0 = v.copy()
    for reg in (R.l2, R.l1, R.none, R.elastic_net(0.5)):
        out = reg.prox(v, 0.5)
        out[...] = 99.0  # writing to the result must not touch v
        np.testing.assert_array_equal(v, v0)


def test_prox_zero_step_is_identity():
    v = np.array([1.0, -2.0, 0.0])
    for reg in (R.l2, R.l1, R.elastic_net(0.5)):
        np.testing.assert_array_equal(reg.prox(v, 0.0), v)


@pytest.mark.parametrize("step", [-0.1, float("nan"), "big"])
def test_prox_bad_step(step):
    with pytest.raises(ValueError, match="step"):
        R.l1.prox(np.ones(3), step)


# --- elastic net endpoints and validation ---------------------------------------------------------

@pytest.mark.parametrize("rho,ref", [(0.0, R.l2), (1.0, R.l1)], ids=["l2", "l1"])
def test_elastic_net_endpoints(rho, ref, theta):
    en = R.elastic_net(rho)
    assert en.l1_weight == ref.l1_weight and en.l2_weight == ref.l2_weight
    assert en.smooth == ref.smooth
    np.testing.assert_allclose(en.value(theta), ref.value(theta), rtol=1e-15, atol=0)
    np.testing.assert_allclose(en.gradient(theta), ref.gradient(theta), rtol=1e-15, atol=0)
    np.testing.assert_allclose(en.hessian(theta), ref.hessian(theta), rtol=0, atol=0)
    np.testing.assert_allclose(en.prox(theta, 0.3), ref.prox(theta, 0.3), rtol=1e-15, atol=0)


@pytest.mark.parametrize("rho", [-0.1, 1.1, float("nan"), float("inf"), "half", None, True],
                         ids=["neg", "above1", "nan", "inf", "str", "None", "bool"])
def test_elastic_net_bad_l1_ratio(rho):
    with pytest.raises(ValueError, match="l1_ratio"):
        R.elastic_net(rho)


def test_soft_threshold_refuses_a_negative_threshold():
    with pytest.raises(ValueError, match="t must be >= 0; got t=-0.5"):
        R.soft_threshold(np.ones(3), -0.5)
