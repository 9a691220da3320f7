"""mlopt.ridge against scikit-learn, the normal equations, the pseudo-inverse, and invariances
(Hypothesis property tests)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

import mlopt
from conftest import make_least_squares


def normal_equations_residual(X, y, lam, theta):
    """‖(XᵀX/n + λI)θ − Xᵀy/n‖, relative to ‖Xᵀy/n‖."""
    n, d = X.shape
    r = (X.T @ X / n + lam * np.eye(d)) @ theta - X.T @ y / n
    return np.linalg.norm(r) / np.linalg.norm(X.T @ y / n)


@pytest.mark.parametrize("lam", [1e-6, 1e-3, 0.1, 1.0, 100.0])
def test_against_sklearn_on_diabetes(diabetes, lam):
    X, y = diabetes
    n = X.shape[0]
    theta = mlopt.ridge(X, y, lam)
    ref = Ridge(alpha=n * lam, fit_intercept=False).fit(X, y).coef_
    np.testing.assert_allclose(theta, ref, rtol=1e-10, atol=0)
    assert normal_equations_residual(X, y, lam, theta) < 1e-12


def test_lam_zero_is_least_squares(diabetes):
    X, y = diabetes
    theta = mlopt.ridge(X, y, 0.0)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(theta, ref, rtol=1e-10, atol=0)
    # the residual is orthogonal to the columns of X
    np.testing.assert_allclose(X.T @ (X @ theta - y), 0.0, rtol=0, atol=1e-9)


@pytest.mark.parametrize("lam", [1e-4, 0.05, 2.0])
def test_more_features_than_samples(lam):
    X, y, _ = make_least_squares(80, n=15, d=40, noise=0.3)
    theta = mlopt.ridge(X, y, lam)
    ref = Ridge(alpha=15 * lam, fit_intercept=False).fit(X, y).coef_
    np.testing.assert_allclose(theta, ref, rtol=1e-9, atol=1e-12)
    assert normal_equations_residual(X, y, lam, theta) < 1e-10
    # the solution lies in the row space of X: θ = Xᵀα
    alpha = np.linalg.lstsq(X.T, theta, rcond=None)[0]
    np.testing.assert_allclose(X.T @ alpha, theta, rtol=0, atol=1e-10)


def test_rank_deficient_lam_zero_is_minimum_norm():
    rng = np.random.default_rng(81)
    B = rng.normal(size=(30, 3))
    X = np.column_stack([B, B[:, 0] + B[:, 1], 2.0 * B[:, 2], np.zeros(30)])  # rank 3 of 6
    y = rng.normal(size=30)
    theta = mlopt.ridge(X, y, 0.0)
    np.testing.assert_allclose(theta, np.linalg.pinv(X) @ y, rtol=1e-9, atol=1e-12)
    # underdetermined (n < d) with λ = 0: also the minimum-norm interpolant
    Xw, yw, _ = make_least_squares(82, n=6, d=12)
    tw = mlopt.ridge(Xw, yw, 0.0)
    np.testing.assert_allclose(tw, np.linalg.pinv(Xw) @ yw, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(Xw @ tw, yw, rtol=0, atol=1e-10)


def test_rank_deficient_small_lam_tends_to_minimum_norm():
    rng = np.random.default_rng(83)
    B = rng.normal(size=(40, 2))
    X = np.column_stack([B, B.sum(axis=1)])
    y = rng.normal(size=40)
    # θ_λ − X⁺y = O(λ/s²_min(X/√n)) in exact arithmetic; the Cholesky solve of a system with
    # condition number ~ ‖XᵀX/n‖/λ adds O(eps·‖XᵀX/n‖/λ): both are below 1e-6 here for λ = 1e-7
    for lam in (1e-5, 1e-7):
        np.testing.assert_allclose(mlopt.ridge(X, y, lam), np.linalg.pinv(X) @ y, rtol=1e-4, atol=1e-6)
    # and the exact SVD formula for the same λ
    lam = 1e-7
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    keep = s > 1e-12 * s[0]
    exact = Vt[keep].T @ (s[keep] / (s[keep] ** 2 + 40 * lam) * (U[:, keep].T @ y))
    np.testing.assert_allclose(mlopt.ridge(X, y, lam), exact, rtol=1e-6, atol=1e-9)


def test_is_the_minimizer_of_the_objective(noisy_least_squares):
    X, y, _ = noisy_least_squares
    lam = 0.2
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    theta = mlopt.ridge(X, y, lam)
    np.testing.assert_allclose(obj.gradient(theta), 0.0, rtol=0, atol=1e-13)
    rng = np.random.default_rng(84)
    for _ in range(5):
        assert obj.value(theta) <= obj.value(theta + 1e-3 * rng.normal(size=theta.size))


def test_inputs_not_modified_and_lists_accepted():
    X, y, _ = make_least_squares(85, n=20, d=4, noise=0.1)
    Xc, yc = X.copy(), y.copy()
    t = mlopt.ridge(X, y, 0.5)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    np.testing.assert_allclose(mlopt.ridge(X.tolist(), y.tolist(), 0.5), t, rtol=1e-15, atol=0)
    Xi = np.round(X * 10).astype(int)
    np.testing.assert_allclose(mlopt.ridge(Xi, y, 0.5), mlopt.ridge(Xi.astype(float), y, 0.5), rtol=1e-15, atol=0)


@pytest.mark.parametrize("args,match", [
    ((np.ones(5), np.ones(5), 0.1), r"X must be 2-D"),
    ((np.ones((5, 2)), np.ones(4), 0.1), r"y must have one entry per row of X"),
    ((np.ones((5, 2)), np.ones((5, 1)), 0.1), r"y must be 1-D"),
    ((np.ones((5, 2)), np.ones(5), -0.1), r"lam must be >= 0.*lam=-0\.1"),
    ((np.ones((5, 2)), np.ones(5), float("nan")), r"lam must be finite"),
    ((np.ones((5, 2)), np.ones(5), "1"), r"lam must be a real number"),
    ((np.array([[1.0, np.nan], [0.0, 1.0]]), np.ones(2), 0.1), r"X must be finite"),
    ((np.eye(2), np.array([1.0, np.inf]), 0.1), r"y must be finite"),
    ((np.empty((0, 2)), np.empty(0), 0.1), r"X must not be empty"),
], ids=["X1d", "mismatch", "y2d", "lamneg", "lamnan", "lamstr", "Xnan", "yinf", "empty"])
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        mlopt.ridge(*args)


# --- Hypothesis properties ------------------------------------------------------------------------

@st.composite
def problems(draw, min_n=3, max_n=40, max_d=8):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, max_d))
    lam = draw(st.floats(1e-4, 10.0))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1e-2, 1.0, 1e2]))
    X = scale * rng.normal(size=(n, d))
    y = rng.normal(size=n) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    return X, y, lam * scale ** 2  # λ on the scale of XᵀX/n keeps the systems well conditioned


def close(a, b, rtol=1e-8):
    """Relative agreement in norm (entries near 0 are compared on the scale of the vector)."""
    np.testing.assert_allclose(a, b, rtol=0, atol=rtol * max(np.linalg.norm(b), 1e-300))


@settings(max_examples=30, deadline=None)
@given(problems())
def test_duplicating_rows_leaves_solution_unchanged(p):
    X, y, lam = p
    close(mlopt.ridge(np.vstack([X, X]), np.concatenate([y, y]), lam), mlopt.ridge(X, y, lam))


@settings(max_examples=30, deadline=None)
@given(problems(), st.floats(-1e3, 1e3).filter(lambda c: abs(c) > 1e-3))
def test_scaling_y_scales_theta(p, c):
    X, y, lam = p
    close(mlopt.ridge(X, c * y, lam), c * mlopt.ridge(X, y, lam))


@settings(max_examples=30, deadline=None)
@given(problems(), st.integers(0, 2 ** 32 - 1))
def test_permuting_rows_leaves_solution_unchanged(p, seed):
    X, y, lam = p
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    close(mlopt.ridge(X[perm], y[perm], lam), mlopt.ridge(X, y, lam))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 8), st.integers(0, 30), st.floats(0.0, 50.0))
def test_orthogonal_design_closed_form(seed, d, extra, lam):
    """XᵀX/n = I gives θ = (Xᵀy/n) / (1 + λ)."""
    n = d + extra
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.normal(size=(n, d)))
    X = np.sqrt(n) * Q
    y = rng.normal(size=n)
    np.testing.assert_allclose(X.T @ X / n, np.eye(d), rtol=0, atol=1e-12)
    close(mlopt.ridge(X, y, lam), X.T @ y / n / (1 + lam), rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(problems(min_n=2, max_n=12, max_d=25))
def test_matches_sklearn_property(p):
    """Any shape, including n < d."""
    X, y, lam = p
    ref = Ridge(alpha=X.shape[0] * lam, fit_intercept=False, solver="svd").fit(X, y).coef_
    close(mlopt.ridge(X, y, lam), ref, rtol=1e-7)


# --- near singularity and extreme scales ---------------------------------------------------------

@pytest.mark.parametrize("lam", [0.0, 1e-16, 1e-12, 1e-3])
def test_equal_columns_get_equal_weights(lam):
    # two copies of one column: by symmetry the minimizer (of minimum norm when λ = 0) splits the
    # weight evenly, at every λ; Cholesky alone "succeeds" at λ = 1e-16 with an uneven split
    rng = np.random.default_rng(11)
    x = rng.standard_normal(200)
    other = rng.standard_normal(200)
    X = np.column_stack([x, other, x])
    y = 2 * x + other + 0.1 * rng.standard_normal(200)
    theta = mlopt.ridge(X, y, lam)
    assert theta[0] == pytest.approx(theta[2], rel=1e-9, abs=1e-12)
    single = mlopt.ridge(np.column_stack([2 * x, other]), y, lam / 2 if lam else 0.0)
    # X θ is the same function: [x, other, x]·(a, b, a) = [2x, other]·(a, b) with λ‖θ‖² = 2λa² + λb²
    if lam in (0.0, 1e-16):
        np.testing.assert_allclose(X @ theta, np.column_stack([2 * x, other]) @ single, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("scale", [1e160, 1e-160, 1e200])
def test_extreme_scales_give_the_scaled_answer(scale, noisy_least_squares):
    X, y, _ = noisy_least_squares
    lam = 0.1
    # X → sX, y → sy, λ → s²λ leaves θ unchanged; X → sX alone with λ → s²λ divides θ by s
    theta = mlopt.ridge(X, y, lam)
    if scale * scale < 1e300 and scale * scale > 1e-300:
        np.testing.assert_allclose(mlopt.ridge(scale * X, scale * y, scale ** 2 * lam), theta, rtol=1e-10)
    if scale > 1:   # λ negligible next to s²XᵀX/n: the least-squares solution
        big = mlopt.ridge(scale * X, scale * y, lam)
        np.testing.assert_allclose(big, mlopt.ridge(X, y, 0.0), rtol=1e-8)
    else:  # tiny X: λ dominates, θ ≈ s·Xᵀy/(nλ), tiny but not zero
        tiny = mlopt.ridge(scale * X, y, lam)
        n = X.shape[0]
        np.testing.assert_allclose(tiny, scale * X.T @ y / (n * lam), rtol=1e-8)
        assert np.all(tiny != 0)
