"""mlopt.newton: one step on quadratics, logistic regression against scikit-learn, and the
gradient-descent solution of the same problem."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp
from sklearn.linear_model import LogisticRegression

import mlopt
from mlopt import losses


@pytest.mark.parametrize("lam", [0.0, 0.01, 1.0])
def test_one_step_on_a_quadratic(diabetes, lam):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    theta0 = np.random.default_rng(70).normal(size=X.shape[1])
    res = mlopt.newton(obj, theta0, record_theta=True)
    assert res.converged, res.message
    assert res.n_iter == 1
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, lam), rtol=1e-10, atol=1e-10)
    assert res.history["lr"][1] == 1.0  # the full step is accepted
    np.testing.assert_array_equal(res.history["theta"][0], theta0)


def test_one_step_without_line_search(noisy_least_squares):
    X, y, _ = noisy_least_squares
    obj = mlopt.EmpiricalRisk(X, y, lam=0.3)
    res = mlopt.newton(obj, np.zeros(X.shape[1]), line_search=False)
    assert res.converged and res.n_iter == 1
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, 0.3), rtol=1e-12, atol=1e-12)


def _logistic_reference(X, y, lam, solver):
    n = X.shape[0]
    # J = (1/n) Σ loss + lam‖θ‖²  ∝  C Σ loss + ½‖θ‖²  with  C = 1/(2 lam n)
    clf = LogisticRegression(C=1.0 / (2 * lam * n), fit_intercept=False, tol=1e-12, max_iter=10000,
                             solver=solver)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        clf.fit(X, y)
    return clf.coef_.ravel()


@pytest.mark.parametrize("lam", [1e-2, 1e-1])
def test_logistic_matches_sklearn_lbfgs(breast_cancer, lam):
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=lam)
    res = mlopt.newton(obj, np.zeros(X.shape[1]))
    assert res.converged, res.message
    assert res.n_iter <= 15
    coef = _logistic_reference(X, y, lam, "lbfgs")
    np.testing.assert_allclose(res.theta, coef, rtol=0, atol=1e-6)


def test_logistic_matches_sklearn_newton_cholesky(breast_cancer):
    """A second-order reference solver agrees much more tightly."""
    X, y = breast_cancer
    lam = 1e-3
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=lam)
    res = mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-12)
    assert res.converged, res.message
    coef = _logistic_reference(X, y, lam, "newton-cholesky")
    np.testing.assert_allclose(res.theta, coef, rtol=0, atol=1e-8)


def test_logistic_newton_and_gradient_descent_agree(breast_cancer):
    X, y = breast_cancer
    lam = 1e-2
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=lam)
    nt = mlopt.newton(obj, np.zeros(X.shape[1]))
    # tol=1e-7, not lower: an Armijo test cannot see decreases below J's round-off, and on some
    # CPUs the line search stalls at ||grad|| ~ 3e-9
    gd = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr="backtracking", tol=1e-7, max_iter=20000)
    assert nt.converged and gd.converged, (nt.message, gd.message)
    # J is 2λ-strongly convex: ‖θ_gd − θ*‖ ≤ ‖∇J(θ_gd)‖/(2λ) ≤ 1e-7/0.02 = 5e-6
    np.testing.assert_allclose(gd.theta, nt.theta, rtol=0, atol=5e-6)
    # and J(θ_gd) − J* ≤ ‖∇J‖²/(2μ) ≤ 1e-14/0.04 = 2.5e-13
    assert -1e-15 <= gd.objective - nt.objective <= 2.5e-13 + 1e-15
    # Newton needs far fewer iterations
    assert nt.n_iter < gd.n_iter / 5


def test_quadratic_convergence_on_logistic(breast_cancer):
    """Near the minimum the gradient norm is (at least) squared at each step."""
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=1e-2)
    res = mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-13)
    g = res.history["grad_norm"]
    tail = [(g[t], g[t + 1]) for t in range(len(g) - 1) if 1e-8 < g[t] < 1e-2]
    assert tail, g
    for before, after in tail:
        assert after <= 100 * before ** 2 + 1e-14, (before, after)


def test_newton_on_symbolic_function():
    a, b = sp.symbols("a b", real=True)
    rosen = mlopt.SymbolicFunction((1 - a) ** 2 + 100 * (b - a ** 2) ** 2, [a, b])
    res = mlopt.newton(rosen, np.array([-1.2, 1.0]), max_iter=100, tol=1e-10)
    assert res.converged, res.message
    np.testing.assert_allclose(res.theta, [1.0, 1.0], rtol=0, atol=1e-8)


def test_history_and_theta0_untouched(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    theta0 = np.ones(X.shape[1])
    keep = theta0.copy()
    res = mlopt.newton(obj, theta0, record_theta=True)
    np.testing.assert_array_equal(theta0, keep)
    assert {len(v) for v in res.history.values()} == {res.n_iter + 1}
    res2 = mlopt.newton(obj, theta0)
    assert "theta" not in res2.history


def test_max_iter_warns(breast_cancer):
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=1e-3)
    with pytest.warns(mlopt.ConvergenceWarning, match="max_iter: all 1 iterations ran"):
        res = mlopt.newton(obj, np.zeros(X.shape[1]), max_iter=1)
    assert not res.converged and res.n_iter == 1


@pytest.mark.parametrize("kwargs,match", [
    (dict(max_iter=0), r"max_iter must be >= 1"),
    (dict(tol=-1.0), r"tol must be >= 0"),
    (dict(line_search=1), r"line_search must be True or False"),
    (dict(callback="no"), r"callback must be callable"),
])
def test_bad_options(diabetes, kwargs, match):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.raises(ValueError, match=match):
        mlopt.newton(obj, np.zeros(X.shape[1]), **kwargs)


def test_bad_theta0_and_objective(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.raises(ValueError, match=r"theta0 must have shape \(10,\)"):
        mlopt.newton(obj, np.zeros(3))
    with pytest.raises(ValueError, match=r"theta0 must be finite"):
        mlopt.newton(obj, np.full(10, np.nan))

    class NoHessian:
        n_features = 2

        def value(self, t):
            return float(t @ t)

        def gradient(self, t):
            return 2 * t

    with pytest.raises(ValueError, match=r"obj must have value\(theta\), gradient\(theta\) and hessian\(theta\)"):
        mlopt.newton(NoHessian(), np.ones(2))


def test_pure_newton_that_blows_up_is_reported_as_diverged():
    # sqrt(1 + x²): the pure Newton step maps x to -x³, so 1.5 -> -3.4 -> 38 -> -5.6e4 ...: the run
    # stops once J has grown 1e10-fold and says "diverged", with the advice it can follow
    x = sp.Symbol("x", real=True)
    f = mlopt.SymbolicFunction(sp.sqrt(1 + x ** 2), [x])
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.newton(f, np.array([1.5]), line_search=False, max_iter=20, record_theta=True)
    assert res.status == "diverged" and res.n_iter < 20 and not res.converged
    assert "line_search=True" in res.message
    np.testing.assert_allclose(res.history["theta"][1:4, 0], [-1.5 ** 3, 1.5 ** 9, -1.5 ** 27], rtol=1e-12)
    assert np.isfinite(res.objective) and res.objective <= 1e10 * res.history["objective"][0]
    # with the line search the same start converges
    assert mlopt.newton(f, np.array([1.5])).converged


def test_newton_stops_when_the_step_no_longer_moves():
    # a flat direction at round-off: J(θ) = (θ₀ − 1)⁴ near 1 + 1e-6 gives steps too small to
    # change θ in float64 before ||grad|| reaches a tiny tol
    x = sp.Symbol("x", real=True)
    f = mlopt.SymbolicFunction((x - 1) ** 4, [x])
    with pytest.warns(mlopt.ConvergenceWarning, match="stalled"):
        res = mlopt.newton(f, np.array([2.0]), line_search=False, tol=1e-300, max_iter=2000)
    assert res.status == "stalled" and res.n_iter < 2000


def test_newton_stops_as_stalled_at_the_noise_floor(breast_cancer):
    # tol far below what float64 gives: the run stops after a few steps without progress and
    # says why, instead of running out max_iter
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=1e-2)
    with pytest.warns(mlopt.ConvergenceWarning, match="stalled"):
        res = mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-30, max_iter=50)
    assert not res.converged and res.status == "stalled"
    assert res.n_iter < 20
    assert res.grad_norm < 1e-12   # it did reach the noise floor first
    # and a reachable tolerance converges, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-10).converged
