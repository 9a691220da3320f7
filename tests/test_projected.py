"""mlopt.projected_gradient: nonnegative least squares against scipy.optimize.nnls, box
constraints against lsq_linear, the ball ↔ ridge correspondence (λ from the multiplier), the KKT
conditions on the simplex, the contraction rate, feasibility of every iterate, and refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import lsq_linear, nnls

import mlopt
from mlopt import projections as P


@pytest.fixture(scope="module")
def lsq():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((150, 8))
    y = X @ rng.standard_normal(8) + 0.3 * rng.standard_normal(150)
    return X, y


@pytest.mark.parametrize("lr", ["auto", "backtracking"])
def test_nonnegative_least_squares_matches_scipy_nnls(lsq, lr):
    X, y = lsq
    res = mlopt.projected_gradient(mlopt.EmpiricalRisk(X, y), np.zeros(8), project=P.nonnegative, lr=lr, tol=1e-10)
    ref, _ = nnls(X, y)
    assert res.status == "converged", res.message
    assert (ref == 0).sum() >= 2              # the constraint is active: a real test
    np.testing.assert_allclose(res.theta, ref, atol=1e-9)


def test_box_constrained_least_squares_matches_scipy_lsq_linear(diabetes):
    X, y = diabetes
    res = mlopt.projected_gradient(mlopt.EmpiricalRisk(X, y), np.zeros(10), project=P.box(-10.0, 10.0), tol=1e-9,
                                   max_iter=100_000)
    ref = lsq_linear(X, y, bounds=(-10.0, 10.0), tol=1e-14, method="bvls")
    assert res.status == "converged"
    assert np.sum(np.isclose(np.abs(ref.x), 10.0)) >= 1
    np.testing.assert_allclose(res.theta, ref.x, atol=1e-6)


@pytest.mark.parametrize("lam", [0.01, 0.3, 3.0])
def test_the_ball_constraint_is_the_twin_of_ridge(diabetes, lam):
    X, y = diabetes
    ridge = mlopt.ridge(X, y, lam)
    radius = float(np.linalg.norm(ridge))
    obj = mlopt.EmpiricalRisk(X, y)                      # the risk alone, constrained to the ball
    res = mlopt.projected_gradient(obj, np.zeros(10), project=P.ball(radius), tol=1e-9, max_iter=100_000)
    assert res.status == "converged"
    np.testing.assert_allclose(res.theta, ridge, rtol=1e-6, atol=1e-8)
    # KKT: ∇R̂(θ) + ν θ = 0 with ν ≥ 0; ridge's stationarity says ν = 2λ
    g = obj.gradient(res.theta)
    nu = -float(g @ res.theta) / float(res.theta @ res.theta)
    assert nu == pytest.approx(2 * lam, rel=1e-5)
    np.testing.assert_allclose(g + nu * res.theta, 0.0, atol=1e-7)


def test_kkt_conditions_on_the_simplex(lsq):
    X, y = lsq
    obj = mlopt.EmpiricalRisk(X, y)
    res = mlopt.projected_gradient(obj, np.zeros(8), project=P.simplex(1.0), tol=1e-10, max_iter=100_000)
    theta, g = res.theta, obj.gradient(res.theta)
    assert P.simplex(1.0).contains(theta, atol=1e-12)
    active = theta > 1e-10
    assert 1 <= active.sum() < 8                         # some coordinates at zero: the constraint binds
    tau = g[active].mean()                               # the multiplier of Σθ = 1
    np.testing.assert_allclose(g[active], tau, atol=1e-8)     # equal partial derivatives on the support
    assert np.all(g[~active] >= tau - 1e-8)                   # none off the support would help


def test_an_interior_minimizer_is_the_unconstrained_one(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    star = mlopt.ridge(X, y, 0.1)
    res = mlopt.projected_gradient(obj, np.zeros(10), project=P.ball(2 * np.linalg.norm(star)), tol=1e-9)
    np.testing.assert_allclose(res.theta, star, rtol=1e-7, atol=1e-9)


def test_linear_contraction_and_feasible_iterates():
    q = mlopt.Quadratic(np.diag(np.geomspace(1.0, 20.0, 6)), b=np.full(6, 5.0))
    proj = P.box(-1.0, 1.0)
    res = mlopt.projected_gradient(q, np.full(6, 3.0), project=proj, tol=1e-12, record_theta=True)
    thetas = res.history["theta"]
    assert all(proj.contains(t) for t in thetas)        # θ₀ = 3 was projected first
    star = res.theta
    err = np.linalg.norm(thetas - star, axis=1)
    rate = 1 - q.strong_convexity() / q.smoothness()    # η = 1/L: ‖θₜ − θ*‖ ≤ (1 − μ/L)ᵗ ‖θ₀ − θ*‖
    assert np.all(err <= rate ** np.arange(len(err)) * err[0] * (1 + 1e-12) + 1e-14)


def test_inputs_not_modified_and_a_wrong_projection_is_named(lsq):
    X, y = lsq
    obj = mlopt.EmpiricalRisk(X, y)
    theta0 = np.full(8, 5.0)
    theta0.setflags(write=False)
    mlopt.projected_gradient(obj, theta0, project=P.ball(1.0), max_iter=3, tol=None)
    with pytest.raises(ValueError, match=r"project must return an array of theta's shape \(8,\)"):
        mlopt.projected_gradient(obj, theta0, project=lambda t: t[:3])
    with pytest.raises(ValueError, match="project must be callable"):
        mlopt.projected_gradient(obj, theta0, project="ball")


def test_a_step_too_long_diverges_without_a_bounded_set(lsq):
    X, y = lsq
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
        res = mlopt.projected_gradient(obj, np.zeros(8), project=P.nonnegative, lr=10 / obj.smoothness(), tol=None)
    assert res.status == "diverged" and np.all(np.isfinite(res.theta))


def test_a_step_too_long_in_a_bounded_set_oscillates_and_says_so(lsq):
    X, y = lsq
    obj = mlopt.EmpiricalRisk(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.projected_gradient(obj, np.zeros(8), project=P.box(-1, 1), lr=10 / obj.smoothness(),
                                       max_iter=200)
    assert res.status in ("max_iter", "diverged") and not res.converged


def test_a_cycling_run_says_that_more_iterations_will_not_help():
    q = mlopt.Quadratic(np.array([[2.0, 1.0], [1.0, 2.0]]), b=np.array([2.6, 3.0]))    # L = 3
    with pytest.warns(mlopt.ConvergenceWarning, match=r"^max_iter: .*more iterations will not help: lr=0.83+ exceeds 2/L"):
        res = mlopt.projected_gradient(q, np.zeros(2), project=mlopt.projections.nonnegative, lr=2.5 / 3,
                                       max_iter=500)
    assert res.status == "max_iter"
