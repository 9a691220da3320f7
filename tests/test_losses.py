"""mlopt.losses: SymPy-derived derivatives against hand formulas and finite differences,
the stable logistic form against the literal one, extreme arguments, custom losses, caching,
and input validation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import mlopt
from mlopt import losses
from mlopt.losses import Loss

Z, Y = losses.z, losses.y


def sigma(v):
    """Logistic sigmoid written independently of mlopt (for moderate |v| only)."""
    return 1.0 / (1.0 + np.exp(-v))


def central_dz(fun, zv, yv, h=1e-5):
    return (fun(zv + h, yv) - fun(zv - h, yv)) / (2 * h)


@pytest.fixture
def grid():
    """Moderate z values and labels: a mix of y ∈ {0, 1} (valid for every loss here)."""
    rng = np.random.default_rng(10)
    zv = rng.uniform(-4.0, 4.0, size=200)
    yv = rng.integers(0, 2, size=200).astype(np.float64)
    return zv, yv


# --- symbolic derivatives against hand formulas ------------------------------------------------

def test_squared_symbolic_derivatives():
    assert sp.simplify(losses.squared.expr - (Z - Y) ** 2) == 0
    assert sp.simplify(losses.squared.dz_expr - 2 * (Z - Y)) == 0
    assert sp.simplify(losses.squared.dz2_expr - 2) == 0


def test_logistic_symbolic_derivatives():
    s = 1 / (1 + sp.exp(-Z))
    assert sp.simplify(losses.logistic.dz_expr - (s - Y)) == 0
    assert sp.simplify(losses.logistic.dz2_expr - s * (1 - s)) == 0


def test_huber_symbolic_derivatives_pointwise():
    # Piecewise expressions: compare by substitution at points on both sides of |r| = delta.
    delta = 1.5
    hub = losses.huber(delta)
    for zval, yval in [(0.3, 0.0), (-1.2, 0.0), (2.0, 0.0), (-4.0, 1.0), (3.0, 1.0), (1.0, 1.0)]:
        r = zval - yval
        d1 = float(hub.dz_expr.subs({Z: zval, Y: yval}))
        d2 = float(hub.dz2_expr.subs({Z: zval, Y: yval}))
        assert d1 == pytest.approx(float(np.clip(r, -delta, delta)), abs=1e-14)
        assert d2 == pytest.approx(1.0 if abs(r) <= delta else 0.0, abs=1e-14)


# --- numeric derivatives against hand formulas ---------------------------------------------------

def test_squared_numeric(grid):
    zv, yv = grid
    np.testing.assert_allclose(losses.squared.value(zv, yv), (zv - yv) ** 2, rtol=1e-14, atol=0)
    np.testing.assert_allclose(losses.squared.dz(zv, yv), 2 * (zv - yv), rtol=1e-14, atol=0)
    np.testing.assert_allclose(losses.squared.dz2(zv, yv), np.full_like(zv, 2.0), rtol=0, atol=0)


def test_logistic_numeric(grid):
    zv, yv = grid
    s = sigma(zv)
    np.testing.assert_allclose(losses.logistic.value(zv, yv), np.log1p(np.exp(zv)) - yv * zv,
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(losses.logistic.dz(zv, yv), s - yv, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(losses.logistic.dz2(zv, yv), s * (1 - s), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_numeric(grid, delta):
    zv, yv = grid
    r = zv - yv
    r = r[np.abs(np.abs(r) - delta) > 1e-6]  # stay off the switch points
    yv0 = np.zeros_like(r)
    hub = losses.huber(delta)
    expected = np.where(np.abs(r) <= delta, r ** 2 / 2, delta * (np.abs(r) - delta / 2))
    np.testing.assert_allclose(hub.value(r, yv0), expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hub.dz(r, yv0), np.clip(r, -delta, delta), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hub.dz2(r, yv0), (np.abs(r) <= delta).astype(float), rtol=0, atol=0)


# --- derivatives against central finite differences of .value -----------------------------------

@pytest.mark.parametrize("loss", [losses.squared, losses.logistic, losses.huber(1.0), losses.huber(0.3)],
                         ids=["squared", "logistic", "huber1", "huber0.3"])
def test_derivatives_match_finite_differences(grid, loss):
    zv, yv = grid
    if loss.name.startswith("huber"):
        delta = float(loss.name.split("=")[1].rstrip(")"))
        keep = np.abs(np.abs(zv - yv) - delta) > 1e-3  # away from the kinks of ℓ''
        zv, yv = zv[keep], yv[keep]
    np.testing.assert_allclose(loss.dz(zv, yv), central_dz(loss.value, zv, yv), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(loss.dz2(zv, yv), central_dz(loss.dz, zv, yv), rtol=1e-7, atol=1e-8)


# --- the lambdified literal forms against the stable logistic forms ------------------------------

def test_logistic_literal_matches_stable_for_moderate_z():
    zv = np.linspace(-30.0, 30.0, 241)
    for label in (0.0, 1.0):
        yv = np.full_like(zv, label)
        lg = losses.logistic
        # atol covers the cancellation of the literal forms (e.g. log(1 + 1e-13)) near |z| = 30
        np.testing.assert_allclose(lg.literal_value(zv, yv), lg.value(zv, yv), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lg.literal_dz(zv, yv), lg.dz(zv, yv), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lg.literal_dz2(zv, yv), lg.dz2(zv, yv), rtol=1e-9, atol=1e-12)
    assert losses.logistic.has_stable_form


def test_squared_literal_is_the_value():
    zv = np.array([-2.0, 0.0, 3.5])
    yv = np.array([1.0, 0.0, -1.0])
    np.testing.assert_allclose(losses.squared.literal_value(zv, yv), losses.squared.value(zv, yv), rtol=0, atol=0)
    np.testing.assert_allclose(losses.squared.literal_dz(zv, yv), [-6.0, 0.0, 9.0], rtol=0, atol=0)


# --- the logistic loss far out --------------------------------------------------------------------

def test_logistic_finite_at_extreme_z():
    zv = np.array([-1e4, -1e3, -710.0, -50.0, 0.0, 50.0, 710.0, 1e3, 1e4])
    for label in (0.0, 1.0):
        yv = np.full_like(zv, label)
        for f in (losses.logistic.value, losses.logistic.dz, losses.logistic.dz2):
            out = f(zv, yv)
            assert out.shape == zv.shape
            assert np.all(np.isfinite(out)), (f, label, out)


def test_logistic_extreme_values_against_asymptotics():
    lg = losses.logistic
    big = np.array([1e4])
    zero, one = np.array([0.0]), np.array([1.0])
    # value: log(1 + e^z) − y z  →  z − y z for z → +∞,  −y z for z → −∞
    np.testing.assert_allclose(lg.value(big, zero), [1e4], rtol=1e-15, atol=0)
    np.testing.assert_allclose(lg.value(big, one), [0.0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(lg.value(-big, zero), [0.0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(lg.value(-big, one), [1e4], rtol=1e-15, atol=0)
    # moderate-but-large z: log(1 + e^{-50}) = e^{-50} to double precision
    np.testing.assert_allclose(lg.value(np.array([-50.0]), zero), [np.exp(-50.0)], rtol=1e-12, atol=0)
    np.testing.assert_allclose(lg.value(np.array([50.0]), zero), [50.0 + np.exp(-50.0)], rtol=1e-15, atol=0)
    # dz = σ(z) − y: exactly 1 − y and −y in floating point at |z| = 1e4
    assert lg.dz(big, zero)[0] == 1.0
    assert lg.dz(big, one)[0] == 0.0
    assert lg.dz(-big, zero)[0] == 0.0
    assert lg.dz(-big, one)[0] == -1.0
    # dz2 = σ(1 − σ) underflows to 0 (never NaN) at |z| = 1e4; e^{-40}-ish at |z| = 40
    assert lg.dz2(big, zero)[0] == 0.0
    assert lg.dz2(-big, one)[0] == 0.0
    np.testing.assert_allclose(lg.dz2(np.array([40.0, -40.0]), np.zeros(2)),
                               np.exp(-40.0) / (1 + np.exp(-40.0)) ** 2 * np.ones(2), rtol=1e-12, atol=0)


def test_logistic_labels_check():
    assert losses.logistic.labels == (0.0, 1.0)
    losses.logistic.check_labels(np.array([0.0, 1.0, 1.0]))  # no error
    with pytest.raises(ValueError, match=r"y must take values in \{0, 1\}.*got -1"):
        losses.logistic.check_labels(np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must take values in \{0, 1\}.*got 0\.5"):
        losses.logistic.check_labels(np.array([0.0, 0.5]), name="labels")
    # the squared loss has no label restriction
    assert losses.squared.labels is None
    losses.squared.check_labels(np.array([-3.2, 7.0]))


# --- broadcasting and inputs ---------------------------------------------------------------------

def test_scalar_and_list_inputs_broadcast():
    out = losses.squared.value(3.0, 1.0)
    assert np.shape(out) == ()
    assert float(out) == 4.0
    np.testing.assert_allclose(losses.squared.dz([1.0, 2.0], 0.0), [2.0, 4.0], rtol=0, atol=0)
    # a constant second derivative still has the broadcast shape
    assert losses.squared.dz2(np.zeros((3, 2)), 0.0).shape == (3, 2)
    assert losses.huber(1.0).dz2(np.zeros(4), np.zeros(4)).shape == (4,)


# --- Loss.from_sympy ------------------------------------------------------------------------------

def test_from_sympy_quartic():
    a, b = sp.symbols("a b", real=True)
    quartic = Loss.from_sympy((a - b) ** 4, a, b, name="quartic")
    assert sp.simplify(quartic.dz_expr - 4 * (a - b) ** 3) == 0
    assert sp.simplify(quartic.dz2_expr - 12 * (a - b) ** 2) == 0
    rng = np.random.default_rng(3)
    zv, yv = rng.normal(size=50), rng.normal(size=50)
    r = zv - yv
    np.testing.assert_allclose(quartic.value(zv, yv), r ** 4, rtol=1e-13, atol=0)
    np.testing.assert_allclose(quartic.dz(zv, yv), 4 * r ** 3, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(quartic.dz2(zv, yv), 12 * r ** 2, rtol=1e-13, atol=0)
    np.testing.assert_allclose(quartic.dz(zv, yv), central_dz(quartic.value, zv, yv), rtol=1e-7, atol=1e-8)
    assert quartic.name == "quartic"


def test_from_sympy_log_cosh():
    zz, yy = sp.symbols("z y")  # plain (not real=True) symbols work too
    lc = Loss.from_sympy(sp.log(sp.cosh(zz - yy)), zz, yy, name="logcosh")
    rng = np.random.default_rng(4)
    zv, yv = rng.uniform(-5, 5, size=50), rng.uniform(-1, 1, size=50)
    r = zv - yv
    np.testing.assert_allclose(lc.value(zv, yv), np.log(np.cosh(r)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lc.dz(zv, yv), np.tanh(r), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(lc.dz2(zv, yv), 1.0 / np.cosh(r) ** 2, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(lc.dz2(zv, yv), central_dz(lc.dz, zv, yv), rtol=1e-7, atol=1e-8)


def test_custom_loss_in_objective():
    """A custom loss plugs into EmpiricalRisk: the gradient is Xᵀℓ'(Xθ, y)/n."""
    a, b = sp.symbols("a b", real=True)
    quartic = Loss.from_sympy((a - b) ** 4, a, b, name="quartic")
    rng = np.random.default_rng(5)
    X, yv, th = rng.normal(size=(30, 3)), rng.normal(size=30), rng.normal(size=3)
    obj = mlopt.EmpiricalRisk(X, yv, loss=quartic)
    r = X @ th - yv
    np.testing.assert_allclose(obj.value(th), np.mean(r ** 4), rtol=1e-13, atol=0)
    np.testing.assert_allclose(obj.gradient(th), X.T @ (4 * r ** 3) / 30, rtol=1e-12, atol=1e-14)


# --- caching ---------------------------------------------------------------------------------------

def test_derivation_is_cached():
    derive = losses._derive
    expr = (Z - Y) ** 6 + sp.Rational(1, 7) * (Z - Y) ** 2  # used nowhere else
    before = derive.cache_info()
    first = Loss(expr, Z, Y, name="a")
    mid = derive.cache_info()
    second = Loss(expr, Z, Y, name="b")
    after = derive.cache_info()
    assert mid.misses == before.misses + 1
    assert after.hits == mid.hits + 1
    assert after.misses == mid.misses
    # both losses share the one derivation
    assert first.dz_expr is second.dz_expr
    assert first.dz2_expr is second.dz2_expr


def test_huber_factory_is_cached():
    assert losses.huber(0.75) is losses.huber(0.75)
    # the default and an explicit delta=1 build the same expression: one shared derivation
    assert losses.huber(1.0).dz_expr is losses.huber().dz_expr
    assert losses.huber(1.0).dz2_expr is losses.huber().dz2_expr


# --- bad input --------------------------------------------------------------------------------------

@pytest.mark.parametrize("expr", ["(z - y)**2", 3.0, lambda zz, yy: (zz - yy) ** 2, None],
                         ids=["str", "float", "lambda", "None"])
def test_non_sympy_expression_rejected(expr):
    with pytest.raises(ValueError, match="expr must be a SymPy expression"):
        Loss(expr, Z, Y)


def test_extra_symbol_rejected():
    c = sp.Symbol("c")
    with pytest.raises(ValueError, match=r"expr may only contain the symbols z and y; it also contains c"):
        Loss.from_sympy(c * (Z - Y) ** 2, Z, Y)


def test_expression_without_z_rejected():
    with pytest.raises(ValueError, match="expr must depend on the prediction symbol z"):
        Loss.from_sympy(Y ** 2, Z, Y)
    with pytest.raises(ValueError, match="expr must depend on the prediction symbol z"):
        Loss(sp.Integer(1) + 0 * Z, Z, Y)


def test_bad_symbols_rejected():
    with pytest.raises(ValueError, match="z_symbol must be a SymPy Symbol"):
        Loss((Z - Y) ** 2, "z", Y)
    with pytest.raises(ValueError, match="y_symbol must be a SymPy Symbol"):
        Loss((Z - Y) ** 2, Z, 1.0)
    with pytest.raises(ValueError, match="z_symbol and y_symbol must differ"):
        Loss(Z ** 2, Z, Z)


def test_bad_stable_keys_and_curvature_bounds():
    with pytest.raises(ValueError, match="stable may only have the keys"):
        Loss((Z - Y) ** 2, Z, Y, stable={"grad": lambda a, b: a})
    with pytest.raises(ValueError, match="curvature_bounds must satisfy 0 <= low <= high"):
        Loss((Z - Y) ** 2, Z, Y, curvature_bounds=(2.0, 1.0))


@pytest.mark.parametrize("delta", [0.0, -1.0, float("nan"), float("inf"), "1", None, [1.0], 1e200],
                         ids=["zero", "negative", "nan", "inf", "str", "None", "list", "huge"])
def test_huber_bad_delta(delta):
    with pytest.raises(ValueError, match="delta"):
        losses.huber(delta)


def _custom_losses():
    import sympy as sp

    zz, yy = sp.symbols("z y", real=True)
    return [losses.Loss.from_sympy(e, zz, yy, name=str(e)) for e in
            ((zz + yy) ** 2, (zz - 2 * yy) ** 2, 2 * (zz - yy) ** 2 + zz ** 2, (zz - yy) ** 2 / 2,
             sp.log(sp.cosh(zz - yy)), (zz - yy) ** 4)]


@pytest.mark.parametrize("loss", [losses.squared, losses.logistic, losses.huber(1.0), losses.huber(0.3)]
                         + _custom_losses(), ids=lambda l: l.name)
def test_kernel_agrees_with_the_public_functions(loss):
    # the fast path of every kind (affine in-place derivatives with ratios -1, 1, -2 and none, the
    # shared square, the generic pair) against the checked functions
    rng = np.random.default_rng(3)
    zv = rng.standard_normal(50) * 5
    yv = (rng.random(50) < 0.5).astype(float)
    k = loss.kernel
    np.testing.assert_allclose(k.value(zv.copy(), yv), loss.value(zv, yv), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(k.scale * k.dz(zv.copy(), yv), loss.dz(zv, yv), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(k.dz2(zv.copy(), yv), loss.dz2(zv, yv), rtol=1e-13, atol=1e-15)
    total, u = k.sum_and_dz(zv.copy(), yv)
    np.testing.assert_allclose(total, loss.value(zv, yv).sum(), rtol=1e-13)
    np.testing.assert_allclose(k.scale * u, loss.dz(zv, yv), rtol=1e-13, atol=1e-13)


def test_losses_pickle():
    import pickle

    zv, yv = np.array([-2.0, 0.5, 3.0]), np.array([0.0, 1.0, 1.0])
    for loss in [losses.squared, losses.logistic, losses.huber(0.7)] + _custom_losses():
        back = pickle.loads(pickle.dumps(loss))
        assert back.expr == loss.expr and back.name == loss.name
        np.testing.assert_array_equal(back.value(zv, yv), loss.value(zv, yv))
        np.testing.assert_array_equal(back.dz(zv, yv), loss.dz(zv, yv))


def test_from_sympy_with_plain_symbols_treats_them_as_real():
    import sympy as sp

    zz, yy = sp.symbols("z y")  # no real=True: |z − y| must still differentiate to sign(z − y)
    cubic = mlopt.Loss.from_sympy(sp.Abs(zz - yy) ** 3, zz, yy, name="cubic")
    zv, yv = np.array([1.0, -2.0, 0.5]), np.array([0.0, 0.0, 1.5])
    r = zv - yv
    np.testing.assert_allclose(cubic.dz(zv, yv), 3 * np.abs(r) * r, rtol=1e-14)
    np.testing.assert_allclose(cubic.dz2(zv, yv), 6 * np.abs(r), rtol=1e-14)


def test_from_sympy_refuses_an_expression_without_closed_form_derivatives():
    import sympy as sp

    zz, yy = sp.symbols("z y", real=True)
    f = sp.Function("f")
    with pytest.raises(ValueError, match="twice differentiable in z"):
        mlopt.Loss.from_sympy(f(zz - yy), zz, yy)
