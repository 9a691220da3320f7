"""Tests of mlopt.proximal_gradient (ISTA / FISTA) against scikit-learn's Lasso and ElasticNet."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet, Lasso

import mlopt


@pytest.mark.parametrize("lam", [0.5, 5.0, 50.0])
@pytest.mark.parametrize("accelerated", [False, True])
def test_lasso_matches_scikit_learn(diabetes, lam, accelerated):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=lam)
    res = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), accelerated=accelerated, tol=1e-10,
                                  max_iter=100_000)
    # scikit-learn: (1/2n)‖y − Xw‖² + alpha‖w‖₁ = ½ J(w) with alpha = lam/2
    ref = Lasso(alpha=lam / 2, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
    assert res.converged
    np.testing.assert_allclose(res.theta, ref, atol=1e-6 * max(1.0, np.abs(ref).max()))
    np.testing.assert_array_equal(res.theta == 0, ref == 0)


def test_elastic_net_matches_scikit_learn(diabetes):
    X, y = diabetes
    lam, rho = 2.0, 0.7
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.elastic_net(rho), lam=lam)
    res = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), tol=1e-11, max_iter=100_000)
    # ours/2: (1/2n)‖·‖² + (lam ρ/2)‖w‖₁ + (lam(1−ρ)/2)‖w‖²; sklearn: alpha·l1_ratio‖w‖₁ + ½alpha(1−l1_ratio)‖w‖²
    a1, a2 = lam * rho / 2, lam * (1 - rho)  # required sklearn l1 weight and (½·alpha·(1-r))·2
    alpha = a1 + a2
    ref = ElasticNet(alpha=alpha, l1_ratio=a1 / alpha, fit_intercept=False, tol=1e-14,
                     max_iter=1_000_000).fit(X, y).coef_
    np.testing.assert_allclose(res.theta, ref, atol=1e-6)


def test_with_l2_it_is_ridge(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l2, lam=0.1)
    res = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), tol=1e-10, max_iter=100_000)
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, 0.1), atol=1e-8)


def test_ista_objective_is_monotone_and_fista_is_faster(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=0.2)
    ista = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), tol=1e-8, max_iter=50_000)
    fista = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), tol=1e-8, max_iter=50_000, accelerated=True)
    f = ista.history["objective"]
    assert np.all(np.diff(f) <= 1e-13 * f[:-1])  # non-increasing up to round-off
    assert fista.n_iter < ista.n_iter


def test_large_lambda_gives_exactly_zero(diabetes):
    X, y = diabetes
    lam_max = 2 * np.abs(X.T @ y).max() / X.shape[0]  # smallest λ with θ* = 0
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=1.01 * lam_max)
    res = mlopt.proximal_gradient(obj, np.ones(X.shape[1]), tol=1e-12, max_iter=10_000)
    np.testing.assert_array_equal(res.theta, 0.0)
    obj2 = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=0.9 * lam_max)
    res2 = mlopt.proximal_gradient(obj2, np.zeros(X.shape[1]), tol=1e-12, max_iter=10_000)
    assert np.count_nonzero(res2.theta) >= 1


def test_divergence_and_bad_input(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=0.1)
    L = obj.risk_smoothness()
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.proximal_gradient(obj, np.zeros(10), lr=3.0 / L, max_iter=5000)
    assert not res.converged and np.all(np.isfinite(res.theta))
    with pytest.raises(ValueError, match="lr must be > 0"):
        mlopt.proximal_gradient(obj, np.zeros(10), lr=0.0)
    with pytest.raises(ValueError, match="lr must be a positive float or 'auto'; got lr='backtracking'"):
        mlopt.proximal_gradient(obj, np.zeros(10), lr="backtracking")
    assert "backtracking" not in res.message   # advice names only what proximal_gradient accepts
    assert res.status == "diverged" and "2/L" in res.message
    with pytest.raises(ValueError, match=r"theta0 must have shape \(10,\)"):
        mlopt.proximal_gradient(obj, np.zeros(2))
    with pytest.raises(ValueError, match="obj must be an mlopt.EmpiricalRisk"):
        mlopt.proximal_gradient(lambda t: 0.0, np.zeros(2))


def test_tol_none_runs_every_iteration_without_warning(diabetes):
    import warnings

    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), tol=None, max_iter=10)
    assert res.n_iter == 10 and not res.converged
    assert "tol=None" in res.message


@pytest.mark.parametrize("accelerated", [False, True])
def test_the_returned_point_meets_the_tolerance(diabetes, accelerated):
    # FISTA tests its criterion at the extrapolated point y; it returns prox(y), whose own
    # gradient mapping is at the tolerance too (θₜ can be a ripple away from the optimum)
    X, y = diabetes
    n = X.shape[0]
    lam = 2 / n * np.max(np.abs(X.T @ y)) * 10 ** (-3 * 30 / 39)
    obj = mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=lam)
    res = mlopt.proximal_gradient(obj, np.zeros(X.shape[1]), accelerated=accelerated, tol=1e-8, max_iter=50_000)
    assert res.status == "converged"
    eta = 1 / obj.risk_smoothness()
    step = obj.regularizer.prox(res.theta - eta * (obj.gradient(res.theta) - lam * obj.regularizer.gradient(res.theta)),
                                eta * lam)
    assert np.linalg.norm(res.theta - step) / eta <= 2e-8
    np.testing.assert_array_equal(res.history["theta"][-1] if "theta" in res.history else res.theta, res.theta)
    assert res.objective == res.history["objective"][-1]
