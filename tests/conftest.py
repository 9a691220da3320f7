"""Shared fixtures of the mlopt unit tests.

Data sets come from scikit-learn's bundled copies (no download): ``load_diabetes`` (regression,
442 × 10) and ``load_breast_cancer`` (classification, 569 × 30), standardized column-wise.
Small random problems come from ``np.random.default_rng(seed)``; nothing seeds global state.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot

import numpy as np
import pytest
from hypothesis import settings

# No example database on disk (keeps the work tree clean); per-test @settings set the budget.
settings.register_profile("mlopt", database=None, deadline=None, max_examples=30)
settings.load_profile("mlopt")


def _standardize(X: np.ndarray) -> np.ndarray:
    return (X - X.mean(axis=0)) / X.std(axis=0)


@pytest.fixture(scope="session")
def diabetes():
    """(X, y): diabetes features standardized to mean 0 / std 1, targets centered."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X = _standardize(np.asarray(X, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean()
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


@pytest.fixture(scope="session")
def breast_cancer():
    """(X, y): breast-cancer features standardized, labels as floats in {0, 1}."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = _standardize(np.asarray(X, dtype=np.float64))
    y = np.asarray(y, dtype=np.float64)
    assert set(np.unique(y)) == {0.0, 1.0}
    X.setflags(write=False)
    y.setflags(write=False)
    return X, y


def make_least_squares(seed: int, n: int = 60, d: int = 5, noise: float = 0.0):
    """X (n × d, Gaussian), θ* (Gaussian) and y = Xθ* + noise·ε, from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    theta_star = rng.standard_normal(d)
    y = X @ theta_star + noise * rng.standard_normal(n)
    return X, y, theta_star


def make_logistic(seed: int, n: int = 120, d: int = 4):
    """X (n × d, Gaussian) and labels y ∈ {0, 1} drawn from a logistic model, from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    theta = rng.standard_normal(d)
    p = 1.0 / (1.0 + np.exp(-(X @ theta)))
    y = (rng.random(n) < p).astype(np.float64)
    return X, y


@pytest.fixture
def least_squares():
    """A small exactly solvable least-squares problem: (X, y, θ*) with y = Xθ* (no noise)."""
    return make_least_squares(0)


@pytest.fixture
def noisy_least_squares():
    """A small least-squares problem with noise: (X, y, θ*)."""
    return make_least_squares(1, n=80, d=6, noise=0.5)


@pytest.fixture
def small_logistic():
    """A small logistic-regression problem: (X, y) with y ∈ {0, 1}."""
    return make_logistic(2)


def fd_gradient(f, x, h=1e-6):
    """Central finite differences of a scalar function f at x (independent of mlopt)."""
    x = np.asarray(x, dtype=np.float64)
    g = np.empty_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h * max(1.0, abs(x[i]))
        g[i] = (f(x + e) - f(x - e)) / (2 * e[i])
    return g


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every matplotlib figure a test opened."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
