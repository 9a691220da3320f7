"""mlopt.datasets: shapes, determinism, exact conditioning, labels, separability, validation."""

from __future__ import annotations

import numpy as np
import pytest

from mlopt import datasets
from mlopt.datasets import make_classification, make_regression


@pytest.mark.parametrize("n,d", [(50, 3), (10, 20), (1, 1)])
def test_regression_shapes(n, d):
    X, y, theta = make_regression(n, d, rng=0)
    assert X.shape == (n, d) and y.shape == (n,) and theta.shape == (d,)
    assert X.dtype == y.dtype == theta.dtype == np.float64


def test_regression_noise_free_is_exactly_linear():
    X, y, theta = make_regression(40, 5, noise=0.0, rng=1)
    np.testing.assert_allclose(y, X @ theta, rtol=0, atol=0)


def test_regression_noise_level():
    X, y, theta = make_regression(20000, 3, noise=0.5, rng=2)
    resid = y - X @ theta
    # sample std of 20000 N(0, 0.25) draws: within 3% of 0.5 with overwhelming probability
    np.testing.assert_allclose(resid.std(), 0.5, rtol=0.03, atol=0)


@pytest.mark.parametrize("kappa", [1.0, 10.0, 1e3, 1e6])
@pytest.mark.parametrize("n,d", [(200, 5), (30, 30), (100, 2)])
def test_condition_number_exact(kappa, n, d):
    X, _, _ = make_regression(n, d, condition_number=kappa, rng=3)
    G = X.T @ X / n
    np.testing.assert_allclose(np.linalg.cond(G), kappa, rtol=1e-8, atol=0)
    eig = np.linalg.eigvalsh(G)
    np.testing.assert_allclose(eig[::-1], np.geomspace(1.0, 1.0 / kappa, d), rtol=1e-8, atol=0)


@pytest.mark.parametrize("make", [make_regression, make_classification])
def test_determinism(make):
    a = make(30, 4, rng=7)
    b = make(30, 4, rng=7)
    c = make(30, 4, rng=8)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], c[2])
    # a Generator is accepted and consumed: two calls in a row differ
    g = np.random.default_rng(7)
    first = make(30, 4, rng=g)
    second = make(30, 4, rng=g)
    for u, v in zip(first, a):
        np.testing.assert_array_equal(u, v)  # default_rng(7) and seed 7 agree
    assert not np.array_equal(first[0], second[0])


def test_determinism_with_condition_number():
    a = make_regression(30, 4, condition_number=50.0, rng=9)
    b = make_regression(30, 4, condition_number=50.0, rng=9)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_no_global_state():
    np.random.seed(0)
    before = np.random.random()
    np.random.seed(0)
    make_regression(10, 2, rng=1)
    make_classification(10, 2, rng=1)
    assert np.random.random() == before


def test_classification_shapes_and_labels():
    X, y, theta = make_classification(300, 6, signal=2.0, rng=10)
    assert X.shape == (300, 6) and y.shape == (300,) and theta.shape == (6,)
    assert y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_allclose(np.linalg.norm(theta), 2.0, rtol=1e-14, atol=0)


def test_classification_labels_follow_the_model():
    X, y, theta = make_classification(20000, 3, signal=3.0, rng=11)
    p = 1 / (1 + np.exp(-(X @ theta)))
    # mean label equals mean probability up to sampling error (std ≤ 0.5/√n ≈ 0.0035)
    np.testing.assert_allclose(y.mean(), p.mean(), rtol=0, atol=0.02)
    # and labels agree with the sign of xᵀθ* more often than not
    assert np.mean(y == (X @ theta > 0)) > 0.75


def test_separable():
    X, y, theta = make_classification(500, 4, separable=True, rng=12)
    zv = X @ theta
    np.testing.assert_array_equal(y, (zv > 0).astype(float))
    assert np.all(zv[y == 1] > 0) and np.all(zv[y == 0] <= 0)
    assert 0 < y.sum() < 500


def test_output_feeds_the_objective():
    import mlopt

    X, y, _ = make_classification(50, 3, rng=13)
    obj = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic)  # labels pass the {0, 1} check
    assert np.isfinite(obj.value(np.zeros(3)))


@pytest.mark.parametrize("call,match", [
    (lambda: make_regression(0, 3), r"n_samples must be >= 1"),
    (lambda: make_regression(-5, 3), r"n_samples must be >= 1"),
    (lambda: make_regression(10.5, 3), r"n_samples must be an integer"),
    (lambda: make_regression("10", 3), r"n_samples must be an integer"),
    (lambda: make_regression(10, 0), r"n_features must be >= 1"),
    (lambda: make_regression(10, 3, noise=-0.1), r"noise must be >= 0"),
    (lambda: make_regression(10, 3, noise=float("nan")), r"noise must be finite"),
    (lambda: make_regression(10, 3, condition_number=0.5), r"condition_number must be >= 1"),
    (lambda: make_regression(10, 3, condition_number=float("inf")), r"condition_number must be finite"),
    (lambda: make_regression(3, 10, condition_number=5.0), r"condition_number needs n_samples >= n_features"),
    (lambda: make_regression(50, 1, condition_number=10.0), r"condition_number"),
    (lambda: make_classification(0, 3), r"n_samples must be >= 1"),
    (lambda: make_classification(10, -1), r"n_features must be >= 1"),
    (lambda: make_classification(10, 3, signal=-1.0), r"signal must be >= 0"),
    (lambda: make_classification(10, 3, separable=1), r"separable must be True or False"),
], ids=["n0", "nneg", "nfrac", "nstr", "d0", "noiseneg", "noisenan", "kappa<1", "kappainf", "kappa-n<d",
        "kappa-d1", "cls-n0", "cls-dneg", "signalneg", "separable-int"])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_module_exports():
    assert set(datasets.__all__) == {"make_regression", "make_classification"}
