"""mlopt._compat: what NumPy does differently on 32-bit WebAssembly (Pyodide, the in-browser
edition), simulated here: ``take`` with int64 indices, and a Cholesky factorization that fails
silently (NaN) instead of raising, as it does without floating-point exception flags."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import mlopt
from mlopt import _compat


@pytest.mark.parametrize("dtype", [np.int64, np.uint64, np.int32, np.uint32, np.int16, np.intp])
def test_take_rows_accepts_every_integer_dtype(dtype):
    X = np.arange(20.0).reshape(10, 2)
    rows = np.array([3, 0, 9, 3], dtype=dtype)
    np.testing.assert_array_equal(_compat.take_rows(X, rows), X[rows])
    np.testing.assert_array_equal(_compat.take_rows(X, [3, 0, 9, 3]), X[[3, 0, 9, 3]])


def test_minibatch_gradient_with_int64_indices(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    rows = np.random.default_rng(0).integers(0, X.shape[0], size=8)   # int64 on every platform
    theta = np.ones(X.shape[1])
    expected = obj.gradient(theta, rows.astype(np.int32))
    np.testing.assert_array_equal(obj.gradient(theta, rows), expected)
    np.testing.assert_array_equal(obj.gradient(theta, rows.astype(np.uint64)), expected)


def silent_cholesky(real):
    """np.linalg.cholesky as under WebAssembly: NaN where the factorization fails."""
    calls = {"failed": 0}

    def cholesky(a):
        try:
            return real(a)
        except np.linalg.LinAlgError:
            calls["failed"] += 1
            return np.full(np.shape(a), np.nan)
    return cholesky, calls


def test_cholesky_raises_where_numpy_returns_nan(monkeypatch):
    A = np.array([[1.0, 2.0], [2.0, 1.0]])                 # indefinite
    with pytest.raises(np.linalg.LinAlgError):
        _compat.cholesky(A)
    fake, calls = silent_cholesky(np.linalg.cholesky)
    monkeypatch.setattr(np.linalg, "cholesky", fake)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        _compat.cholesky(A)
    assert calls["failed"] == 1
    np.testing.assert_array_equal(_compat.cholesky(np.eye(2)), np.eye(2))
    with np.errstate(invalid="ignore"):
        nan_in = np.array([[np.nan, 0.0], [0.0, 1.0]])
        assert np.isnan(_compat.cholesky(nan_in)).any()     # NaN in, NaN out: not our failure


def test_quadratic_refuses_an_indefinite_matrix_without_fp_flags(monkeypatch):
    fake, calls = silent_cholesky(np.linalg.cholesky)
    monkeypatch.setattr(np.linalg, "cholesky", fake)
    with pytest.raises(ValueError, match="A must be positive semidefinite"):
        mlopt.Quadratic([[1.0, 0.0], [0.0, -1.0]])
    assert calls["failed"] == 1


def test_newton_takes_the_same_path_without_fp_flags(monkeypatch):
    a, b = sp.symbols("a b", real=True)
    rosen = mlopt.SymbolicFunction((1 - a) ** 2 + 100 * (b - a ** 2) ** 2, [a, b])
    theta0 = np.array([0.5, 1.0])
    assert np.linalg.eigvalsh(rosen.hessian(theta0))[0] < 0    # indefinite there: the lstsq step
    run = lambda: mlopt.newton(rosen, theta0, max_iter=50, tol=1e-10, line_search=False, record_theta=True)
    reference = run()
    assert reference.converged
    fake, calls = silent_cholesky(np.linalg.cholesky)
    monkeypatch.setattr(np.linalg, "cholesky", fake)
    res = run()
    assert calls["failed"] >= 1
    assert res.converged and res.n_iter == reference.n_iter
    np.testing.assert_array_equal(res.history["theta"], reference.history["theta"])
