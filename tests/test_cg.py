"""mlopt.conjugate_gradient: exact on ridge, finite termination in as many steps as distinct
eigenvalues, the √κ error bound at every step, Krylov optimality, SciPy's cg, and its refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import mlopt


def spd(seed, eigs):
    rng = np.random.default_rng(seed)
    d = len(eigs)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return (Q * np.asarray(eigs)) @ Q.T, rng.standard_normal(d)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_solves_ridge(diabetes, lam):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    theta0 = np.linspace(-1, 1, X.shape[1])
    res = mlopt.conjugate_gradient(obj, theta0, tol=1e-10)
    assert res.status == "converged", res.message
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, lam), rtol=1e-8, atol=1e-8)
    assert np.linalg.norm(obj.gradient(res.theta)) <= 1e-10
    assert res.n_iter <= X.shape[1] + 2   # d = 10 steps in exact arithmetic


@pytest.mark.parametrize("distinct", [1, 2, 3, 5])
def test_finishes_in_as_many_steps_as_distinct_eigenvalues(distinct):
    values = np.arange(1.0, distinct + 1.0)
    eigs = np.repeat(values, 4)              # d = 4·distinct, each eigenvalue four times
    A, b = spd(distinct, eigs)
    q = mlopt.Quadratic(A, b)
    res = mlopt.conjugate_gradient(q, np.zeros(len(eigs)), tol=1e-10 * np.linalg.norm(b))
    assert res.status == "converged", res.message
    assert res.n_iter == distinct
    np.testing.assert_allclose(res.theta, q.minimizer(), rtol=1e-9, atol=1e-10)


def test_at_most_d_steps_on_a_well_conditioned_problem():
    A, b = spd(7, np.linspace(1.0, 4.0, 40))
    res = mlopt.conjugate_gradient(mlopt.Quadratic(A, b), np.zeros(40), tol=1e-12)
    assert res.status == "converged" and res.n_iter <= 40


@pytest.mark.parametrize("kappa", [10.0, 1e3])
def test_error_in_the_A_norm_obeys_the_sqrt_kappa_bound(kappa):
    A, b = spd(11, np.geomspace(1.0, kappa, 60))
    q = mlopt.Quadratic(A, b)
    star = q.minimizer()
    res = mlopt.conjugate_gradient(q, np.zeros(60), tol=1e-9, record_theta=True)
    E = res.history["theta"] - star
    err = np.sqrt(np.einsum("ti,ij,tj->t", E, A, E))
    r = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    bound = 2 * r ** np.arange(len(err)) * err[0]
    assert np.all(err <= bound * (1 + 1e-8) + 1e-12 * err[0])
    # and it is far better than gradient descent's (κ − 1)/(κ + 1) per step when κ is large
    if kappa > 100:
        gd = ((kappa - 1) / (kappa + 1)) ** np.arange(len(err))
        assert err[len(err) // 2] < 1e-3 * gd[len(err) // 2] * err[0]


def test_each_iterate_minimizes_J_over_the_krylov_subspace():
    A, b = spd(5, np.geomspace(1.0, 100.0, 30))
    q = mlopt.Quadratic(A, b)
    theta0 = np.random.default_rng(6).standard_normal(30)
    res = mlopt.conjugate_gradient(q, theta0, tol=None, max_iter=6, record_theta=True)
    r0 = b - A @ theta0
    for t in range(1, 7):
        K = np.column_stack([np.linalg.matrix_power(A, k) @ r0 for k in range(t)])
        K, _ = np.linalg.qr(K)
        # min over c of J(θ0 + K c): (KᵀAK) c = Kᵀ r0
        c = np.linalg.solve(K.T @ A @ K, K.T @ r0)
        best = q.value(theta0 + K @ c)
        assert res.history["objective"][t] == pytest.approx(best, rel=1e-10, abs=1e-12)


def test_agrees_with_scipy_cg():
    A, b = spd(9, np.geomspace(1.0, 1e4, 80))
    res = mlopt.conjugate_gradient(mlopt.Quadratic(A, b), np.zeros(80), tol=1e-10)
    x, info = spla.cg(A, b, rtol=1e-14, atol=0.0, maxiter=2000)
    assert info == 0 and res.status == "converged"
    np.testing.assert_allclose(res.theta, x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.theta, np.linalg.solve(A, b), rtol=1e-6, atol=1e-8)


def test_history_is_the_objective_and_the_residual():
    A, b = spd(2, np.geomspace(1.0, 50.0, 20))
    q = mlopt.Quadratic(A, b)
    res = mlopt.conjugate_gradient(q, np.ones(20), tol=1e-8, record_theta=True)
    h = res.history
    np.testing.assert_allclose(h["objective"], [q.value(t) for t in h["theta"]], rtol=1e-14)
    true = np.array([np.linalg.norm(q.gradient(t)) for t in h["theta"]])
    np.testing.assert_allclose(h["grad_norm"], true, rtol=1e-6, atol=1e-12)
    assert np.all(np.diff(h["objective"]) < 0)       # exact line minimization: J strictly decreases
    assert h["n_grad"][0] == 1 and np.all(np.diff(h["n_grad"]) == 1)
    assert res.objective == q.value(res.theta)


@pytest.mark.parametrize("make, match", [
    (lambda X, y: mlopt.EmpiricalRisk(X, (y > 0) * 1.0, loss=mlopt.losses.logistic), "quadratic objective"),
    (lambda X, y: mlopt.EmpiricalRisk(X, y, regularizer=mlopt.regularizers.l1, lam=0.1), "quadratic objective"),
    (lambda X, y: mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.huber(1.0)), "quadratic objective"),
    (lambda X, y: mlopt.SymbolicFunction(mlopt.losses.z ** 2, [mlopt.losses.z]), "got SymbolicFunction"),
])
def test_refuses_objectives_without_a_constant_hessian(diabetes, make, match):
    with pytest.raises(ValueError, match=match):
        mlopt.conjugate_gradient(make(*diabetes), np.zeros(10))


def test_bad_options_are_refused_by_name():
    q = mlopt.Quadratic(np.eye(3))
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        mlopt.conjugate_gradient(q, np.zeros(3), max_iter=0)
    with pytest.raises(ValueError, match="tol must be >= 0"):
        mlopt.conjugate_gradient(q, np.zeros(3), tol=-1.0)
    with pytest.raises(ValueError, match=r"theta0 must have shape \(3,\)"):
        mlopt.conjugate_gradient(q, np.zeros(2))


def test_default_budget_is_ten_d():
    A, b = spd(3, np.geomspace(1.0, 1e12, 12))       # hopeless conditioning: the budget runs out
    with pytest.warns(mlopt.ConvergenceWarning):
        res = mlopt.conjugate_gradient(mlopt.Quadratic(A, b), np.zeros(12), tol=1e-300)
    assert res.status in ("max_iter", "stalled")
    if res.status == "max_iter":
        assert res.n_iter == 120


def test_unreachable_tol_stalls_with_a_warning():
    A, b = spd(4, np.geomspace(1.0, 1e6, 30))
    with pytest.warns(mlopt.ConvergenceWarning, match="^stalled: .*out of reach"):
        res = mlopt.conjugate_gradient(mlopt.Quadratic(A, b), np.zeros(30), tol=1e-300, max_iter=10_000)
    assert res.status == "stalled" and res.n_iter < 10_000
    assert np.linalg.norm(res.theta - np.linalg.solve(A, b)) < 1e-6 * np.linalg.norm(np.linalg.solve(A, b))


def test_unbounded_below_is_reported_as_diverged():
    q = mlopt.Quadratic(np.diag([1.0, 0.0]), b=[1.0, 1.0])
    with pytest.warns(mlopt.ConvergenceWarning, match="unbounded below"):
        res = mlopt.conjugate_gradient(q, np.zeros(2))
    assert res.status == "diverged" and np.all(np.isfinite(res.theta))


def test_a_converged_start_takes_no_step():
    q = mlopt.Quadratic(np.eye(3), b=np.ones(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlopt.conjugate_gradient(q, np.ones(3))
    assert res.status == "converged" and res.n_iter == 0


@pytest.mark.parametrize("tol", [1e-9, 1e-10, 1e-11, 1e-12])
def test_converged_is_checked_on_the_true_gradient(tol):
    # near the noise floor the recursive residual runs ahead of the true one: "converged" must
    # mean the true gradient meets tol, else the run restarts or stalls
    A, b = spd(4, np.geomspace(1.0, 1e6, 30))
    q = mlopt.Quadratic(A, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.conjugate_gradient(q, np.zeros(30), tol=tol, max_iter=10_000)
    assert res.status in ("converged", "stalled")
    if res.status == "converged":
        assert np.linalg.norm(q.gradient(res.theta)) <= tol
