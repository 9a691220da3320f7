"""mlopt.EmpiricalRisk against hand NumPy formulas on real data, minibatch gradients, the curvature
constants L and μ, and input validation."""

from __future__ import annotations

import numpy as np
import pytest

import mlopt
from conftest import make_least_squares, make_logistic
from mlopt import losses, regularizers


def sig(v):
    """Sigmoid, via tanh (stable, independent of mlopt)."""
    return 0.5 * (1.0 + np.tanh(0.5 * v))


# --- hand formulas -----------------------------------------------------------------------------

def squared_hand(X, y, th, lam):
    n, d = X.shape
    r = X @ th - y
    return (np.mean(r ** 2) + lam * th @ th,
            2.0 / n * X.T @ r + 2 * lam * th,
            2.0 / n * X.T @ X + 2 * lam * np.eye(d))


def logistic_hand(X, y, th, lam):
    n, d = X.shape
    zv = X @ th
    s = sig(zv)
    return (np.mean(np.logaddexp(0.0, zv) - y * zv) + lam * th @ th,
            X.T @ (s - y) / n + 2 * lam * th,
            X.T @ (X * (s * (1 - s))[:, None]) / n + 2 * lam * np.eye(d))


@pytest.mark.parametrize("lam", [0.0, 0.1, 3.0])
def test_squared_on_diabetes(diabetes, lam):
    X, y = diabetes
    rng = np.random.default_rng(30)
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.squared, regularizer=regularizers.l2, lam=lam)
    for _ in range(3):
        th = rng.normal(scale=10.0, size=X.shape[1])
        v, g, H = squared_hand(X, y, th, lam)
        val = obj.value(th)
        assert isinstance(val, float)
        np.testing.assert_allclose(val, v, rtol=1e-12, atol=0)
        np.testing.assert_allclose(obj.gradient(th), g, rtol=1e-11, atol=1e-10)
        np.testing.assert_allclose(obj.hessian(th), H, rtol=1e-12, atol=1e-13)
        vv, gg = obj.value_and_gradient(th)
        np.testing.assert_allclose(vv, v, rtol=1e-12, atol=0)
        np.testing.assert_allclose(gg, g, rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("lam", [0.0, 0.01, 1.0])
def test_logistic_on_breast_cancer(breast_cancer, lam):
    X, y = breast_cancer
    rng = np.random.default_rng(31)
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=lam)
    for scale in (0.0, 0.3, 5.0):  # scale 5 puts many |z| far beyond 30
        th = rng.normal(scale=scale, size=X.shape[1])
        v, g, H = logistic_hand(X, y, th, lam)
        np.testing.assert_allclose(obj.value(th), v, rtol=1e-12, atol=0)
        np.testing.assert_allclose(obj.gradient(th), g, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(obj.hessian(th), H, rtol=1e-10, atol=1e-14)


def test_default_loss_and_regularizer(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.5)
    assert obj.loss is losses.squared and obj.regularizer is regularizers.l2
    assert (obj.n_samples, obj.n_features) == X.shape
    th = np.ones(X.shape[1])
    np.testing.assert_allclose(obj.value(th), squared_hand(X, y, th, 0.5)[0], rtol=1e-12, atol=0)


def test_l1_and_elastic_net_terms(diabetes):
    X, y = diabetes
    th = np.linspace(-2.0, 2.5, X.shape[1])  # no zero entry
    base = mlopt.EmpiricalRisk(X, y, regularizer=regularizers.none)
    v0, g0, H0 = base.value(th), base.gradient(th), base.hessian(th)
    lam = 0.3
    l1 = mlopt.EmpiricalRisk(X, y, regularizer=regularizers.l1, lam=lam)
    np.testing.assert_allclose(l1.value(th), v0 + lam * np.abs(th).sum(), rtol=1e-13, atol=0)
    np.testing.assert_allclose(l1.gradient(th), g0 + lam * np.sign(th), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(l1.hessian(th), H0, rtol=1e-14, atol=0)
    en = mlopt.EmpiricalRisk(X, y, regularizer=regularizers.elastic_net(0.25), lam=lam)
    np.testing.assert_allclose(en.value(th), v0 + lam * (0.25 * np.abs(th).sum() + 0.75 * th @ th),
                               rtol=1e-13, atol=0)
    np.testing.assert_allclose(en.gradient(th), g0 + lam * (0.25 * np.sign(th) + 1.5 * th),
                               rtol=1e-13, atol=1e-12)


@pytest.mark.parametrize("which", ["squared", "logistic", "huber"])
def test_gradient_passes_check_gradient(which, diabetes, breast_cancer):
    if which == "logistic":
        X, y = breast_cancer
        obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=0.05)
    else:
        X, y = diabetes
        loss = losses.squared if which == "squared" else losses.huber(20.0)
        obj = mlopt.EmpiricalRisk(X, y, loss=loss, lam=0.05)
    th = np.random.default_rng(32).normal(size=X.shape[1])
    err = mlopt.check_gradient(obj.value, obj.gradient, th)
    assert 0.0 <= err < 1e-6


# --- minibatch gradients -------------------------------------------------------------------------

def test_minibatch_gradient_is_the_hand_formula_on_the_rows(diabetes):
    X, y = diabetes
    lam = 0.2
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    rng = np.random.default_rng(33)
    th = rng.normal(size=X.shape[1])
    idx = rng.choice(X.shape[0], size=25, replace=False)
    Xb, yb = X[idx], y[idx]
    expected = 2.0 / 25 * Xb.T @ (Xb @ th - yb) + 2 * lam * th
    np.testing.assert_allclose(obj.gradient(th, batch=idx), expected, rtol=1e-12, atol=1e-12)
    # a list of ints and repeated indices behave as an index array
    rep = [3, 3, 10]
    Xr, yr = X[rep], y[rep]
    np.testing.assert_allclose(obj.gradient(th, batch=rep),
                               2.0 / 3 * Xr.T @ (Xr @ th - yr) + 2 * lam * th, rtol=1e-12, atol=1e-12)
    # the full index set is the full gradient
    np.testing.assert_allclose(obj.gradient(th, batch=np.arange(X.shape[0])), obj.gradient(th),
                               rtol=1e-12, atol=1e-12)


def test_minibatch_logistic_hand_formula(small_logistic):
    X, y = small_logistic
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=0.1)
    th = np.array([0.5, -1.0, 2.0, 0.1])
    idx = np.array([0, 5, 17, 99, 119])
    Xb, yb = X[idx], y[idx]
    expected = Xb.T @ (sig(Xb @ th) - yb) / 5 + 0.2 * th
    np.testing.assert_allclose(obj.gradient(th, batch=idx), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("problem", ["diabetes", "logistic"])
def test_minibatch_gradients_average_to_full_gradient(problem, diabetes):
    """Over a partition of the samples into equal-size batches the mean estimate is ∇J."""
    rng = np.random.default_rng(34)
    if problem == "diabetes":
        X, y = diabetes  # n = 442 = 13 · 34
        obj = mlopt.EmpiricalRisk(X, y, lam=0.3)
        size = 34
    else:
        X, y = make_logistic(35, n=120, d=5)
        obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=0.3)
        size = 12
    th = rng.normal(size=X.shape[1])
    perm = rng.permutation(X.shape[0])
    batches = perm.reshape(-1, size)
    mean = np.mean([obj.gradient(th, batch=b) for b in batches], axis=0)
    np.testing.assert_allclose(mean, obj.gradient(th), rtol=1e-11, atol=1e-12)


def test_risk_is_the_data_term(diabetes, breast_cancer):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.7)
    th = np.linspace(-1.0, 1.0, X.shape[1])
    np.testing.assert_allclose(obj.risk(th), np.mean((X @ th - y) ** 2), rtol=1e-13, atol=0)
    np.testing.assert_allclose(obj.value(th) - obj.risk(th), 0.7 * th @ th, rtol=1e-10, atol=0)
    np.testing.assert_allclose(obj.risk_smoothness(), 2 * np.linalg.eigvalsh(X.T @ X / X.shape[0])[-1],
                               rtol=1e-10, atol=0)
    Xc, yc = breast_cancer
    lg = mlopt.EmpiricalRisk(Xc, yc, loss=losses.logistic, lam=0.7)
    thc = np.full(Xc.shape[1], 0.1)
    np.testing.assert_allclose(lg.risk(thc), logistic_hand(Xc, yc, thc, 0.0)[0], rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match=r"theta must have shape"):
        obj.risk(np.zeros(3))


# --- curvature constants ---------------------------------------------------------------------------

@pytest.mark.parametrize("lam", [0.0, 0.05, 2.0])
def test_smoothness_and_strong_convexity_exact_for_squared_l2(diabetes, lam):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    eig = np.linalg.eigvalsh(2.0 / X.shape[0] * X.T @ X + 2 * lam * np.eye(X.shape[1]))
    np.testing.assert_allclose(obj.smoothness(), eig[-1], rtol=1e-10, atol=0)
    np.testing.assert_allclose(obj.strong_convexity(), eig[0], rtol=1e-8, atol=0)
    np.testing.assert_allclose(obj.condition_number(), eig[-1] / eig[0], rtol=1e-8, atol=0)


def test_strong_convexity_zero_when_more_features_than_samples():
    X, y, _ = make_least_squares(36, n=5, d=8)
    obj = mlopt.EmpiricalRisk(X, y)
    assert obj.strong_convexity() == 0.0
    assert obj.condition_number() == float("inf")
    np.testing.assert_allclose(obj.smoothness(), np.linalg.eigvalsh(2 / 5 * X.T @ X)[-1], rtol=1e-10, atol=0)


@pytest.mark.parametrize("lam", [0.0, 0.01, 0.5])
def test_logistic_curvature_bounds_hold(breast_cancer, lam):
    X, y = breast_cancer
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=lam)
    L, mu = obj.smoothness(), obj.strong_convexity()
    G_eigs = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    np.testing.assert_allclose(L, 0.25 * G_eigs[-1] + 2 * lam, rtol=1e-10, atol=0)
    np.testing.assert_allclose(mu, 2 * lam, rtol=1e-14, atol=0)
    rng = np.random.default_rng(37)
    for scale in (0.0, 0.1, 1.0, 10.0):
        th = rng.normal(scale=scale, size=X.shape[1])
        eig = np.linalg.eigvalsh(obj.hessian(th))
        assert eig[-1] <= L * (1 + 1e-10)
        assert eig[0] >= mu * (1 - 1e-10) - 1e-12
    # at θ = 0 (σ = 1/2 everywhere) the bound L is attained
    np.testing.assert_allclose(np.linalg.eigvalsh(obj.hessian(np.zeros(X.shape[1])))[-1], L, rtol=1e-10, atol=0)


def test_curvature_needs_bounds_for_custom_loss():
    import sympy as sp

    a, b = sp.symbols("a b", real=True)
    quartic = mlopt.Loss.from_sympy((a - b) ** 4, a, b, name="quartic")
    X, y, _ = make_least_squares(38, n=20, d=3)
    obj = mlopt.EmpiricalRisk(X, y, loss=quartic)
    with pytest.raises(ValueError, match="curvature_bounds"):
        obj.smoothness()
    with pytest.raises(ValueError, match="curvature_bounds"):
        obj.strong_convexity()


# --- inputs: conversion, no mutation ------------------------------------------------------------

def test_inputs_never_modified(diabetes):
    X0, y0 = diabetes
    X, y = np.array(X0), np.array(y0)  # writable copies
    th = np.random.default_rng(39).normal(size=X.shape[1])
    Xc, yc, thc = X.copy(), y.copy(), th.copy()
    for loss, yy in ((losses.squared, y), (losses.huber(5.0), y)):
        obj = mlopt.EmpiricalRisk(X, yy, loss=loss, lam=0.1)
        obj.value(th)
        obj.gradient(th)
        obj.gradient(th, batch=np.arange(10))
        obj.value_and_gradient(th)
        obj.hessian(th)
        obj.smoothness()
        obj.strong_convexity()
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    np.testing.assert_array_equal(th, thc)


def test_logistic_inputs_never_modified(small_logistic):
    X, y = (np.array(a) for a in small_logistic)
    th = np.array([0.3, -0.2, 1.0, 0.0])
    Xc, yc, thc = X.copy(), y.copy(), th.copy()
    obj = mlopt.EmpiricalRisk(X, y, loss=losses.logistic, lam=0.1)
    obj.value(th), obj.gradient(th), obj.hessian(th), obj.gradient(th, batch=[1, 2])
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(y, yc)
    np.testing.assert_array_equal(th, thc)


def test_lists_and_integer_arrays_match_floats():
    rng = np.random.default_rng(40)
    Xi = rng.integers(-5, 6, size=(30, 3))
    yi = rng.integers(-10, 11, size=30)
    thi = np.array([1, -2, 0])
    ref = mlopt.EmpiricalRisk(Xi.astype(float), yi.astype(float), lam=0.5)
    th = thi.astype(float)
    for X, y, t in ((Xi, yi, thi), (Xi.tolist(), yi.tolist(), thi.tolist()),
                    (Xi.astype(np.int32), yi.astype(np.int16), thi)):
        obj = mlopt.EmpiricalRisk(X, y, lam=0.5)
        assert obj.X.dtype == np.float64 and obj.y.dtype == np.float64
        np.testing.assert_allclose(obj.value(t), ref.value(th), rtol=1e-15, atol=0)
        np.testing.assert_allclose(obj.gradient(t), ref.gradient(th), rtol=1e-15, atol=0)
        np.testing.assert_allclose(obj.hessian(t), ref.hessian(th), rtol=1e-15, atol=0)
    # integer labels for the logistic loss
    yl = rng.integers(0, 2, size=30)
    a = mlopt.EmpiricalRisk(Xi, yl.tolist(), loss=losses.logistic)
    b = mlopt.EmpiricalRisk(Xi.astype(float), yl.astype(float), loss=losses.logistic)
    np.testing.assert_allclose(a.gradient(th), b.gradient(th), rtol=1e-15, atol=0)


# --- bad input -----------------------------------------------------------------------------------------

def _Xy(n=10, d=3):
    X, y, _ = make_least_squares(41, n=n, d=d)
    return X, y


def _with(arr, index, value):
    out = np.array(arr, dtype=float)
    out[index] = value
    return out


@pytest.mark.parametrize("make,match", [
    (lambda X, y: (X[:, 0], y), r"X must be 2-D.*got shape \(10,\)"),
    (lambda X, y: (X[None], y), r"X must be 2-D.*got shape \(1, 10, 3\)"),
    (lambda X, y: (_with(X, (2, 1), np.nan), y), r"X must be finite.*nan.*\(2, 1\)"),
    (lambda X, y: (_with(X, (0, 0), np.inf), y), r"X must be finite.*inf"),
    (lambda X, y: (_with(X, (4, 2), -np.inf), y), r"X must be finite.*-inf"),
    (lambda X, y: (X, _with(y, 3, np.nan)), r"y must be finite.*nan.*index 3"),
    (lambda X, y: (X, y[:-1]), r"y must have one entry per row of X.*10 rows.*\(9,\)"),
    (lambda X, y: (X, y[:, None]), r"y must be 1-D.*\(10, 1\)"),
    (lambda X, y: (np.empty((0, 3)), np.empty(0)), r"X must not be empty"),
    (lambda X, y: (np.empty((10, 0)), y), r"X must not be empty|X must have at least one feature"),
    (lambda X, y: (X.astype(complex), y), r"X must hold real numbers"),
    (lambda X, y: (X, np.array(["a"] * 10)), r"y must hold real numbers"),
    (lambda X, y: ([[1.0, 2.0], [3.0]], y[:2]), r"X must be an array of numbers"),
], ids=["X1d", "X3d", "Xnan", "Xinf", "X-inf", "ynan", "mismatch", "y2d", "empty", "nofeatures",
        "complex", "ystr", "ragged"])
def test_bad_data(make, match):
    X, y = make(*_Xy())
    with pytest.raises(ValueError, match=match):
        mlopt.EmpiricalRisk(X, y)


@pytest.mark.parametrize("lam,match", [
    (-0.1, r"lam must be >= 0.*lam=-0\.1"),
    (float("nan"), r"lam must be finite.*lam=nan"),
    (float("inf"), r"lam must be finite"),
    ("0.1", r"lam must be a real number"),
    (None, r"lam must be a real number"),
    (np.array([0.1, 0.2]), r"lam must be a real number"),
])
def test_bad_lam(lam, match):
    X, y = _Xy()
    with pytest.raises(ValueError, match=match):
        mlopt.EmpiricalRisk(X, y, lam=lam)


def test_logistic_labels_minus_one_one_rejected():
    X, y = _Xy()
    ypm = np.where(np.arange(10) % 2 == 0, -1.0, 1.0)
    with pytest.raises(ValueError, match=r"y must take values in \{0, 1\} for the logistic loss; got -1"):
        mlopt.EmpiricalRisk(X, ypm, loss=losses.logistic)
    with pytest.raises(ValueError, match=r"y must take values in \{0, 1\}"):
        mlopt.EmpiricalRisk(X, np.full(10, 0.5), loss=losses.logistic)


@pytest.mark.parametrize("loss", ["squared", losses.squared.expr, None, regularizers.l2])
def test_loss_not_a_loss(loss):
    X, y = _Xy()
    with pytest.raises(ValueError, match="loss must be an mlopt.Loss"):
        mlopt.EmpiricalRisk(X, y, loss=loss)


@pytest.mark.parametrize("reg", ["l2", None, losses.squared])
def test_regularizer_not_a_regularizer(reg):
    X, y = _Xy()
    with pytest.raises(ValueError, match="regularizer must be an mlopt Regularizer"):
        mlopt.EmpiricalRisk(X, y, regularizer=reg)


@pytest.mark.parametrize("theta,match", [
    (np.zeros(2), r"theta must have shape \(3,\).*got shape \(2,\)"),
    (np.zeros(4), r"theta must have shape \(3,\).*got shape \(4,\)"),
    (np.zeros((3, 1)), r"theta must have shape \(3,\).*got shape \(3, 1\)"),
    (np.array([0.0, np.nan, 1.0]), r"theta must be finite"),
    (np.array([0.0, np.inf, 1.0]), r"theta must be finite"),
    (3.0, r"theta must have shape \(3,\)"),
    (np.array(["a", "b", "c"]), r"theta must hold real numbers"),
], ids=["short", "long", "column", "nan", "inf", "scalar", "str"])
@pytest.mark.parametrize("method", ["value", "gradient", "hessian", "value_and_gradient"])
def test_bad_theta(theta, match, method):
    X, y = _Xy()
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.raises(ValueError, match=match):
        getattr(obj, method)(theta)


@pytest.mark.parametrize("batch,match", [
    (np.array([0, 10]), r"batch indices must lie in \[0, 10\)"),
    (np.array([3, 100]), r"batch indices must lie in \[0, 10\)"),
    (np.array([-11]), r"batch indices must lie in \[0, 10\)"),
    (np.array([0.0, 1.0]), r"batch must hold integer sample indices.*float64"),
    ([0.5, 2.0], r"batch must hold integer sample indices"),
    (np.array([], dtype=int), r"batch must be a non-empty 1-D array"),
    (np.array([[0, 1]]), r"batch must be a non-empty 1-D array.*\(1, 2\)"),
    (np.array(["0", "1"]), r"batch must hold integer sample indices"),
], ids=["n", "far", "neg", "float", "floatlist", "empty", "2d", "str"])
def test_bad_batch(batch, match):
    X, y = _Xy()
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.raises(ValueError, match=match):
        obj.gradient(np.zeros(3), batch=batch)


def test_fused_chunked_gradient_matches_the_whole_array_formula(monkeypatch):
    # Data above FUSE_BYTES is walked in row chunks: same value and gradient up to round-off.
    from mlopt import objective

    monkeypatch.setattr(objective, "FUSE_BYTES", 2**20)
    monkeypatch.setattr(objective, "CHUNK_BYTES", 2**16)
    rng = np.random.default_rng(8)
    n, d = objective.FUSE_BYTES // (8 * 20) + 1000, 20
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    theta = rng.standard_normal(d)
    obj = mlopt.EmpiricalRisk(X, y, lam=0.3)
    assert obj.unchecked._rows is not None   # the chunked path
    r = X @ theta - y
    np.testing.assert_allclose(obj.value(theta), np.mean(r * r) + 0.3 * theta @ theta, rtol=1e-12)
    np.testing.assert_allclose(obj.gradient(theta), 2 * r @ X / n + 0.6 * theta, rtol=1e-10, atol=1e-12)
    v, g = obj.value_and_gradient(theta)
    np.testing.assert_allclose(g, obj.gradient(theta), rtol=1e-14)


# --- array-likes: converted when the data are unambiguous, refused by name otherwise ------------

@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_masked_and_pandas_inputs_are_converted(diabetes):
    X, y = diabetes
    ref = mlopt.EmpiricalRisk(X, y, lam=0.1)
    theta = np.linspace(-1, 1, X.shape[1])
    for Xa in (np.matrix(X), np.ma.masked_array(X, mask=False)):
        obj = mlopt.EmpiricalRisk(Xa, y, lam=0.1)
        assert type(obj.X) is np.ndarray and obj.value(theta) == ref.value(theta)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    frame["flag"] = X[:, 3] > 0                                  # a bool column
    frame["nullable"] = pd.array(X[:, 4], dtype="Float64")       # a nullable float column
    obj = mlopt.EmpiricalRisk(frame, pd.Series(y), lam=0.1)
    expected = np.column_stack([X[:, :3], (X[:, 3] > 0).astype(float), X[:, 4]])
    np.testing.assert_array_equal(obj.X, expected)
    frame.loc[3, "nullable"] = pd.NA
    with pytest.raises(ValueError, match=r"X must be finite \(no NaN or inf\); got nan at index \(3, 4\)"):
        mlopt.EmpiricalRisk(frame, y)


def test_sparse_and_masked_entries_are_refused_by_name(diabetes):
    X, y = diabetes
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(ValueError, match=r"X must be a dense array; got a scipy.sparse .*X.toarray\(\)"):
        mlopt.EmpiricalRisk(sparse.csr_matrix(X), y)
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, dtype=bool))
    masked[5, 2] = np.ma.masked
    with pytest.raises(ValueError, match="X must not have masked entries; got a masked array with 1 masked"):
        mlopt.EmpiricalRisk(masked, y)
    with pytest.raises(ValueError, match="y must not have masked entries"):
        mlopt.ridge(X, np.ma.masked_array(y, mask=np.arange(y.size) == 0), 0.1)


def test_batch_indices_must_be_in_range(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.raises(ValueError, match=r"batch indices must lie in \[0, 442\); got values from -1 to 3"):
        obj.gradient(np.zeros(10), batch=np.array([-1, 3]))
