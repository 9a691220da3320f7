"""mlopt.Quadratic: its value, gradient and Hessian against hand formulas and finite differences,
its minimizer against a linear solve, its refusals, and its equality with least squares; and
EmpiricalRisk.hessian_vector against the full Hessian."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mlopt


def random_spd(seed, d, kappa=10.0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    eigs = np.geomspace(1.0, kappa, d)
    return (Q * eigs) @ Q.T, rng.standard_normal(d)


def test_value_gradient_hessian_by_hand():
    q = mlopt.Quadratic([[2.0, 1.0], [1.0, 3.0]], b=[1.0, -1.0], c=0.5)
    theta = np.array([1.0, 2.0])
    # ½ (2·1 + 2·1·2 + 3·4) − (1 − 2) + 0.5 = ½·18 + 1 + 0.5
    assert q.value(theta) == 10.5
    np.testing.assert_array_equal(q.gradient(theta), [2 + 2 - 1, 1 + 6 + 1])
    np.testing.assert_array_equal(q.hessian(theta), [[2.0, 1.0], [1.0, 3.0]])
    np.testing.assert_array_equal(q.hessian_vector(theta, [1.0, 0.0]), [2.0, 1.0])
    f, g = q.value_and_gradient(theta)
    assert f == q.value(theta) and np.array_equal(g, q.gradient(theta))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_and_hessian_against_finite_differences(seed):
    A, b = random_spd(seed, 6)
    q = mlopt.Quadratic(A, b, c=1.0)
    theta = np.random.default_rng(seed + 10).standard_normal(6)
    assert mlopt.check_gradient(q.value, q.gradient, theta) < 1e-7
    for i in range(6):
        e = np.eye(6)[i]
        col = (q.gradient(theta + 1e-5 * e) - q.gradient(theta - 1e-5 * e)) / 2e-5
        np.testing.assert_allclose(col, q.hessian(theta)[:, i], rtol=1e-7, atol=1e-9)


def test_curvature_constants_and_minimizer():
    A, b = random_spd(3, 8, kappa=50.0)
    q = mlopt.Quadratic(A, b)
    assert q.smoothness() == pytest.approx(50.0, rel=1e-12)
    assert q.strong_convexity() == pytest.approx(1.0, rel=1e-12)
    assert q.condition_number() == pytest.approx(50.0, rel=1e-12)
    np.testing.assert_allclose(q.eigenvalues(), np.geomspace(1.0, 50.0, 8), rtol=1e-12)
    theta = q.minimizer()
    np.testing.assert_allclose(A @ theta, b, rtol=0, atol=1e-12)
    assert np.linalg.norm(q.gradient(theta)) < 1e-12


def test_singular_minimizer_is_the_least_norm_one_and_inconsistent_b_is_refused():
    A = np.diag([2.0, 1.0, 0.0])
    q = mlopt.Quadratic(A, b=[2.0, 1.0, 0.0])
    np.testing.assert_allclose(q.minimizer(), [1.0, 1.0, 0.0], atol=1e-15)
    assert q.strong_convexity() == 0.0 and q.condition_number() == float("inf")
    with pytest.raises(ValueError, match="unbounded below"):
        mlopt.Quadratic(A, b=[2.0, 1.0, 1.0]).minimizer()


def test_equals_the_least_squares_objective(diabetes):
    X, y = diabetes
    lam, n = 0.3, X.shape[0]
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    q = mlopt.Quadratic(2 * X.T @ X / n + 2 * lam * np.eye(X.shape[1]), 2 * X.T @ y / n, c=y @ y / n)
    theta = np.random.default_rng(5).standard_normal(X.shape[1])
    assert q.value(theta) == pytest.approx(obj.value(theta), rel=1e-12)
    np.testing.assert_allclose(q.gradient(theta), obj.gradient(theta), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(q.minimizer(), mlopt.ridge(X, y, lam), rtol=1e-10, atol=1e-12)
    assert q.smoothness() == pytest.approx(obj.smoothness(), rel=1e-10)


@pytest.mark.parametrize("A, b, c, match", [
    ([[1.0, 2.0], [0.0, 1.0]], None, 0.0, "A must be symmetric"),
    ([[1.0, 0.0], [0.0, -1.0]], None, 0.0, "A must be positive semidefinite"),
    ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], None, 0.0, "square"),
    (np.eye(2), [1.0, 2.0, 3.0], 0.0, r"b must have shape \(2,\)"),
    (np.eye(2), None, float("nan"), "c must be finite"),
    ([[1.0, np.inf], [np.inf, 1.0]], None, 0.0, "A"),
])
def test_bad_input_is_refused_by_name(A, b, c, match):
    with pytest.raises(ValueError, match=match):
        mlopt.Quadratic(A, b, c)


def test_inputs_are_copied_and_it_pickles():
    A, b = random_spd(4, 4)
    A0, b0 = A.copy(), b.copy()
    q = mlopt.Quadratic(A, b)
    A[0, 0] = 100.0
    b[0] = 100.0
    assert q.A[0, 0] == A0[0, 0] and q.b[0] == b0[0]
    q2 = pickle.loads(pickle.dumps(q))
    theta = np.ones(4)
    assert q2.value(theta) == q.value(theta)
    with pytest.raises(ValueError, match=r"theta must have shape \(4,\)"):
        q.value(np.ones(3))


@pytest.mark.parametrize("loss, lam, regularizer", [
    (mlopt.losses.squared, 0.0, mlopt.regularizers.none),
    (mlopt.losses.squared, 0.5, mlopt.regularizers.l2),
    (mlopt.losses.logistic, 0.1, mlopt.regularizers.l2),
    (mlopt.losses.huber(0.5), 0.2, mlopt.regularizers.elastic_net(0.5)),
])
def test_hessian_vector_matches_the_hessian(breast_cancer, loss, lam, regularizer):
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=loss, regularizer=regularizer, lam=lam)
    rng = np.random.default_rng(8)
    theta, v = 0.3 * rng.standard_normal(X.shape[1]), rng.standard_normal(X.shape[1])
    v0 = v.copy()
    np.testing.assert_allclose(obj.hessian_vector(theta, v), obj.hessian(theta) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(v, v0)
    with pytest.raises(ValueError, match=r"v must have shape \(30,\)"):
        obj.hessian_vector(theta, v[:3])


def test_squared_loss_has_a_constant_second_derivative():
    assert mlopt.losses.squared.constant_dz2 == 2.0
    assert mlopt.losses.logistic.constant_dz2 is None
    assert mlopt.losses.huber(1.0).constant_dz2 is None
