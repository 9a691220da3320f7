"""mlopt.svrg and mlopt.saga: linear convergence with a constant step to the exact optimum
(ridge and scikit-learn's logistic regression) where constant-step SGD stalls, the estimators'
unbiasedness and vanishing variance at θ*, their memory (n scalars), pass counting, and the
chunked path over large or memory-mapped X."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import mlopt
import mlopt.objective as objective_module
from mlopt.variance_reduction import SAGAEstimator, SVRGEstimator, minibatch_smoothness

METHODS = {"svrg": mlopt.svrg, "saga": mlopt.saga}


@pytest.fixture(scope="module")
def ridge_problem():
    X, y, _ = mlopt.datasets.make_regression(1500, 12, noise=0.5, condition_number=10, rng=3)
    obj = mlopt.EmpiricalRisk(X, y, lam=0.05)
    return obj, mlopt.ridge(X, y, 0.05)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("batch_size", [1, 32])
def test_reaches_the_ridge_solution_where_sgd_stalls(ridge_problem, name, batch_size):
    obj, star = ridge_problem
    res = METHODS[name](obj, np.zeros(12), batch_size=batch_size, epochs=25, rng=0)
    err = np.linalg.norm(res.theta - star)
    assert err <= 1e-8 * np.linalg.norm(star), err
    # the same constant step in plain SGD stops at its noise floor
    lr = 1.0 / ((4.0 if name == "svrg" else 3.0) * minibatch_smoothness(obj, batch_size))
    sgd = mlopt.sgd(obj, np.zeros(12), lr=lr, batch_size=batch_size, epochs=25, rng=0)
    assert np.linalg.norm(sgd.theta - star) >= 1e4 * err


@pytest.mark.parametrize("name", METHODS)
def test_reaches_scikit_learns_logistic_regression(breast_cancer, name):
    X, y = breast_cancer
    lam = 0.1
    obj = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic, lam=lam)
    res = METHODS[name](obj, np.zeros(X.shape[1]), batch_size=8, epochs=100, rng=1)
    newton = mlopt.newton(obj, np.zeros(X.shape[1]), tol=1e-12)
    np.testing.assert_allclose(res.theta, newton.theta, atol=1e-9)
    # J = mean log-loss + lam‖θ‖² ⇔ scikit-learn's C = 1/(2 lam n), no intercept
    ref = LogisticRegression(C=1 / (2 * lam * X.shape[0]), fit_intercept=False, tol=1e-12, max_iter=10_000)
    ref.fit(X, y)
    np.testing.assert_allclose(res.theta, ref.coef_.ravel(), atol=1e-8)


@pytest.mark.parametrize("name", METHODS)
def test_linear_rate_per_epoch(ridge_problem, name):
    obj, star = ridge_problem
    f_star = obj.value(star)
    res = METHODS[name](obj, np.zeros(12), epochs=12, rng=2, record="exact")
    gap = res.history["objective"] - f_star
    resolved = gap > 1e-12 * abs(f_star)
    ratios = gap[1:][resolved[1:]] / gap[:-1][resolved[1:]]
    assert ratios.size >= 4
    assert np.all(ratios < 0.3), ratios           # every epoch divides the gap by more than 3


@pytest.mark.parametrize("make", [SVRGEstimator, SAGAEstimator])
def test_estimators_are_unbiased_and_exact_at_the_optimum(ridge_problem, make):
    obj, star = ridge_problem
    fast, n = obj.unchecked, obj.n_samples
    rng = np.random.default_rng(4)
    anchor = star + 0.3 * rng.standard_normal(12)        # snapshot / table point
    theta = star + 0.1 * rng.standard_normal(12)
    est = make(fast, n)
    est.begin_epoch(anchor)
    rows = np.arange(n)
    if make is SAGAEstimator:   # the mean over all single rows, each from the same table
        table, mean = est.phi.copy(), est.mean.copy()
        estimates = []
        for i in rows:
            est.phi, est.mean = table.copy(), mean.copy()
            estimates.append(est(theta, rows[i:i + 1], obj.y[i:i + 1])[1])
    else:
        estimates = [est(theta, rows[i:i + 1], obj.y[i:i + 1])[1] for i in rows]
    np.testing.assert_allclose(np.mean(estimates, axis=0), obj.gradient(theta), rtol=1e-9, atol=1e-10)
    # plain SGD's single-row gradients vary at θ*; the variance-reduced ones vanish there
    est = make(fast, n)
    est.begin_epoch(star)
    at_star = np.array([est(star, rows[i:i + 1], obj.y[i:i + 1])[1] for i in rows[:200]])
    plain = np.array([fast.minibatch(star, rows[i:i + 1])[1] for i in rows[:200]])
    assert np.abs(at_star).max() <= 1e-10 * np.abs(plain).max()


def test_saga_table_is_n_scalars_and_passes_are_counted(ridge_problem):
    obj, _ = ridge_problem
    est = SAGAEstimator(obj.unchecked, obj.n_samples)
    assert est.begin_epoch(np.zeros(12)) == 1.0 and est.begin_epoch(np.zeros(12)) == 0.0
    assert est.phi.shape == (obj.n_samples,) and est.phi.dtype == np.float64
    svrg = mlopt.svrg(obj, np.zeros(12), epochs=3, rng=0)
    saga = mlopt.saga(obj, np.zeros(12), epochs=3, rng=0)
    np.testing.assert_allclose(svrg.history["n_grad"], [0, 2, 4, 6])       # snapshot + one pass per epoch
    np.testing.assert_allclose(saga.history["n_grad"], [0, 2, 3, 4])       # the table's first pass, then one


def test_chunked_data_gives_the_same_run(ridge_problem, monkeypatch):
    obj, _ = ridge_problem
    a = mlopt.saga(obj, np.zeros(12), epochs=3, rng=5)
    monkeypatch.setattr(objective_module, "FUSE_BYTES", 0)     # force the chunked full passes
    monkeypatch.setattr(objective_module, "MIN_CHUNK_ROWS", 100)
    monkeypatch.setattr(objective_module, "CHUNK_BYTES", 100 * 8 * 12)
    chunked = mlopt.EmpiricalRisk(obj.X, obj.y, lam=obj.lam)
    assert chunked.unchecked._rows == 100
    b = mlopt.saga(chunked, np.zeros(12), epochs=3, rng=5)
    np.testing.assert_allclose(b.theta, a.theta, rtol=1e-12, atol=1e-14)


def test_early_stopping_and_reproducibility(ridge_problem):
    obj, _ = ridge_problem
    a = mlopt.svrg(obj, np.zeros(12), epochs=50, rng=7, tol=1e-10, early_stopping=True)
    b = mlopt.svrg(obj, np.zeros(12), epochs=50, rng=7, tol=1e-10, early_stopping=True)
    assert a.status == "early_stopping" and np.array_equal(a.theta, b.theta)


@pytest.mark.parametrize("name", METHODS)
def test_bad_options_are_refused(ridge_problem, name):
    obj, _ = ridge_problem
    with pytest.raises(ValueError, match="lr must be"):
        METHODS[name](obj, np.zeros(12), lr="fast")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        METHODS[name](obj, np.zeros(12), batch_size=0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        METHODS[name](obj, np.zeros(12), momentum=0.9)
    with pytest.raises(ValueError, match="obj must be an mlopt.EmpiricalRisk"):
        METHODS[name](mlopt.Quadratic(np.eye(2)), np.zeros(2))


def test_minibatch_smoothness_runs_from_L_max_to_L(ridge_problem):
    obj, _ = ridge_problem
    n = obj.n_samples
    assert minibatch_smoothness(obj, 1) == pytest.approx(obj.max_sample_smoothness())
    assert minibatch_smoothness(obj, n) == pytest.approx(obj.smoothness())
    values = [minibatch_smoothness(obj, B) for B in (1, 2, 8, 64, n)]
    assert all(a >= b for a, b in zip(values, values[1:]))


@pytest.mark.parametrize("name, factor", [("svrg", 4), ("saga", 3)])
def test_a_diverging_run_names_the_methods_own_safe_step(diabetes, name, factor):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged.*" + re.escape(f"above {name}'s step 1/({factor} L(B))")):
        res = METHODS[name](obj, np.zeros(10), lr=1 / obj.smoothness(), batch_size=1, epochs=5, rng=0)
    assert res.status == "diverged"
    safe = 1 / (factor * minibatch_smoothness(obj, 1))
    assert f"={safe:.3g}" in res.message
