"""mlopt.lbfgs against SciPy's L-BFGS-B (same optimum, gradient evaluations within 1.2×), the
two-loop recursion against the explicit BFGS matrix, the strong Wolfe conditions at every accepted
step, Rosenbrock, and the ways a run can end."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.optimize as so
import sympy as sp

import mlopt
from mlopt._wolfe import strong_wolfe
from mlopt.quasi_newton import two_loop


def scipy_lbfgs(obj, theta0, target=None):
    """SciPy's L-BFGS-B with tight tolerances: (result, evaluations until J - J* <= target·|J*|)."""
    count = {"n": 0, "hit": None}

    def fg(theta):
        count["n"] += 1
        return obj.value_and_gradient(theta)

    def callback(xk):
        if target is not None and count["hit"] is None and obj.value(xk) - target[0] <= target[1]:
            count["hit"] = count["n"]

    res = so.minimize(fg, theta0, jac=True, method="L-BFGS-B", callback=callback,
                      options={"maxiter": 10_000, "ftol": 1e-16, "gtol": 1e-12, "maxcor": 10})
    return res, count["hit"]


def first_hit(res, f_star, gap):
    hit = np.nonzero(res.history["objective"] - f_star <= gap)[0]
    return int(res.history["n_grad"][hit[0]]) if hit.size else None


@pytest.fixture(scope="module")
def kappa_1e3():
    """The κ = 1e3 least-squares problem of the benchmarks (smaller n)."""
    X, y, _ = mlopt.datasets.make_regression(2000, 50, noise=0.5, condition_number=1e3, rng=4)
    return mlopt.EmpiricalRisk(X, y), mlopt.ridge(X, y, 0.0)


@pytest.fixture(scope="module")
def logistic_bc():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    X = np.column_stack([np.ones(len(X)), X])
    obj = mlopt.EmpiricalRisk(X, y * 1.0, loss=mlopt.losses.logistic, lam=1e-3)
    return obj, mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-12).theta


@pytest.mark.parametrize("problem", ["kappa_1e3", "logistic_bc"])
def test_same_optimum_as_scipy_and_as_many_gradients(problem, request):
    obj, theta_star = request.getfixturevalue(problem)
    theta0 = np.zeros(obj.n_features)
    f_star = obj.value(theta_star)
    res = mlopt.lbfgs(obj, theta0, tol=1e-10, max_iter=5000)
    assert res.status == "converged", res.message
    ref, ref_hit = scipy_lbfgs(obj, theta0, target=(f_star, 1e-10 * abs(f_star)))
    scale = np.linalg.norm(theta_star)
    # both reach the optimum; ours to 1e-8 relative (SciPy stops earlier, at its f tolerance)
    assert np.linalg.norm(res.theta - theta_star) <= 1e-8 * scale
    assert np.linalg.norm(ref.x - theta_star) <= 1e-5 * scale
    # gradient evaluations to the same relative gap: within 1.2x of SciPy's
    ours = first_hit(res, f_star, 1e-10 * abs(f_star))
    assert ours is not None and ref_hit is not None
    assert ours <= 1.2 * ref_hit, (ours, ref_hit)


def test_rosenbrock_like_scipy():
    a, b = sp.symbols("a b", real=True)
    f = mlopt.SymbolicFunction((1 - a) ** 2 + 100 * (b - a ** 2) ** 2, [a, b])
    res = mlopt.lbfgs(f, [-1.2, 1.0], tol=1e-10)
    assert res.status == "converged"
    np.testing.assert_allclose(res.theta, [1.0, 1.0], atol=1e-9)
    count = {"n": 0}

    def fg(t):
        count["n"] += 1
        return f.value(t), f.gradient(t)

    ref = so.minimize(fg, [-1.2, 1.0], jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-16})
    np.testing.assert_allclose(ref.x, [1.0, 1.0], atol=1e-6)
    assert res.history["n_grad"][-1] <= 1.2 * count["n"]


def test_two_loop_is_the_bfgs_inverse_hessian():
    rng = np.random.default_rng(3)
    d, m = 6, 4
    A = rng.standard_normal((d, d))
    A = A @ A.T + d * np.eye(d)
    pairs = []
    for _ in range(m):
        s = rng.standard_normal(d)
        y = A @ s                                # curvature pairs of a quadratic: sᵀy > 0
        pairs.append((s, y, 1.0 / (s @ y)))
    s, y, _ = pairs[-1]
    H = (s @ y) / (y @ y) * np.eye(d)            # H₀ = γI, then the BFGS updates oldest first
    for s, y, rho in pairs:
        V = np.eye(d) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    g = rng.standard_normal(d)
    g0 = g.copy()
    np.testing.assert_allclose(two_loop(g, pairs), H @ g, rtol=1e-12)
    np.testing.assert_array_equal(g, g0)
    np.testing.assert_array_equal(two_loop(g, []), g)


@pytest.mark.parametrize("problem", ["kappa_1e3", "logistic_bc"])
def test_every_accepted_step_meets_the_strong_wolfe_conditions(problem, request):
    obj, _ = request.getfixturevalue(problem)
    c1, c2 = 1e-4, 0.9
    res = mlopt.lbfgs(obj, np.zeros(obj.n_features), tol=1e-6, record_theta=True, c1=c1, c2=c2)
    thetas, fs = res.history["theta"], res.history["objective"]
    for t in range(res.n_iter):
        s = thetas[t + 1] - thetas[t]
        g0, g1 = obj.gradient(thetas[t]), obj.gradient(thetas[t + 1])
        assert g0 @ s < 0                                           # a descent direction
        noise = 64 * np.finfo(float).eps * abs(fs[t])
        assert fs[t + 1] <= fs[t] + c1 * (g0 @ s) + noise           # sufficient decrease
        assert abs(g1 @ s) <= c2 * abs(g0 @ s) * (1 + 1e-9)         # strong curvature


def test_strong_wolfe_on_a_one_dimensional_function():
    # φ(α) = J(θ + α p) for J(θ) = θ⁴/4 − θ from θ = 0 along p = 1: minimum at α = 1
    def vg(theta):
        return float(theta[0] ** 4 / 4 - theta[0]), np.array([theta[0] ** 3 - 1])

    for alpha0 in [1e-3, 0.5, 1.0, 3.0, 100.0]:
        ls = strong_wolfe(vg, np.zeros(1), np.ones(1), 0.0, np.array([-1.0]), alpha0, c1=1e-4, c2=0.1)
        a = ls.alpha
        assert a is not None and ls.strong
        assert a ** 4 / 4 - a <= 1e-4 * a * -1.0
        assert abs(a ** 3 - 1) <= 0.1
        assert ls.f == a ** 4 / 4 - a and ls.n_eval >= 1


def test_quadratic_and_memory_one():
    A = np.diag(np.geomspace(1.0, 100.0, 20))
    q = mlopt.Quadratic(A, b=np.ones(20))
    for m in (1, 3, 30):
        res = mlopt.lbfgs(q, np.zeros(20), m=m, tol=1e-10)
        assert res.status == "converged", (m, res.message)
        np.testing.assert_allclose(res.theta, q.minimizer(), rtol=1e-8)


def test_unreachable_tol_stalls_and_none_completes_quietly(kappa_1e3):
    obj, theta_star = kappa_1e3
    with pytest.warns(mlopt.ConvergenceWarning, match="^stalled: .*noise level"):
        res = mlopt.lbfgs(obj, np.zeros(50), tol=0.0, max_iter=5000)
    assert res.status == "stalled" and res.n_iter < 5000
    assert np.linalg.norm(res.theta - theta_star) <= 1e-10 * np.linalg.norm(theta_star)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlopt.lbfgs(obj, np.zeros(50), tol=None, max_iter=5)
    assert res.status == "completed" and res.n_iter == 5


def test_unbounded_below_is_reported_as_diverged():
    a, b = sp.symbols("a b", real=True)
    f = mlopt.SymbolicFunction(a ** 2 - b, [a, b])
    with pytest.warns(mlopt.ConvergenceWarning, match="unbounded below"):
        res = mlopt.lbfgs(f, [1.0, 1.0])
    assert res.status == "diverged" and np.all(np.isfinite(res.theta))


@pytest.mark.parametrize("kw, match", [
    ({"m": 0}, "m must be >= 1"), ({"m": 2.5}, "m must be an integer"),
    ({"c1": 0.0}, "c1 must be > 0"), ({"c2": 1.0}, "c2 must be < 1"),
    ({"c1": 0.5, "c2": 0.4}, "c1 must be < c2"), ({"tol": -1.0}, "tol must be >= 0"),
])
def test_bad_options_are_refused_by_name(kw, match):
    q = mlopt.Quadratic(np.eye(2))
    with pytest.raises(ValueError, match=match):
        mlopt.lbfgs(q, np.ones(2), **kw)


def test_a_wrong_gradient_fails_the_line_search():
    class Wrong:
        def value(self, theta):
            return float(theta @ theta)

        def gradient(self, theta):
            return -2.0 * theta                  # points uphill

    with pytest.warns(mlopt.ConvergenceWarning, match="^line_search_failed"):
        res = mlopt.lbfgs(Wrong(), np.ones(3))
    assert res.status == "line_search_failed"
    np.testing.assert_array_equal(res.theta, np.ones(3))
