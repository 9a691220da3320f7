"""mlopt.SymbolicFunction and mlopt.check_gradient against hand derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import mlopt
from mlopt import SymbolicFunction, check_gradient

a, b = sp.symbols("a b", real=True)


@pytest.fixture
def rosenbrock():
    return SymbolicFunction((1 - a) ** 2 + 100 * (b - a ** 2) ** 2, [a, b])


def rosen_hand(x, y):
    f = (1 - x) ** 2 + 100 * (y - x ** 2) ** 2
    g = np.array([-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)])
    H = np.array([[2 - 400 * (y - x ** 2) + 800 * x ** 2, -400 * x], [-400 * x, 200.0 + 0 * x]])
    return f, g, H


POINTS = [(0.0, 0.0), (1.0, 1.0), (-1.2, 1.0), (0.5, -0.3), (2.0, 3.0)]


@pytest.mark.parametrize("pt", POINTS)
def test_rosenbrock(rosenbrock, pt):
    f, g, H = rosen_hand(*pt)
    th = np.array(pt)
    val = rosenbrock.value(th)
    assert isinstance(val, float)
    np.testing.assert_allclose(val, f, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(rosenbrock(th), f, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(rosenbrock.gradient(th), g, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(rosenbrock.hessian(th), H, rtol=1e-13, atol=1e-12)


def test_rosenbrock_expressions(rosenbrock):
    ga, gb = rosenbrock.gradient_expr
    assert sp.simplify(ga - (-2 * (1 - a) - 400 * a * (b - a ** 2))) == 0
    assert sp.simplify(gb - 200 * (b - a ** 2)) == 0
    H = rosenbrock.hessian_expr
    assert sp.simplify(H - sp.Matrix([[1200 * a ** 2 - 400 * b + 2, -400 * a], [-400 * a, 200]])) == sp.zeros(2, 2)
    np.testing.assert_allclose(rosenbrock.gradient(np.array([1.0, 1.0])), [0.0, 0.0], rtol=0, atol=0)


def test_quadratic():
    rng = np.random.default_rng(50)
    M = rng.normal(size=(3, 3))
    A = M @ M.T + 3 * np.eye(3)
    c = rng.normal(size=3)
    xs = sp.symbols("x0:3", real=True)
    xv = sp.Matrix(xs)
    expr = (xv.T * sp.Matrix(A) * xv)[0] / 2 + (sp.Matrix(c).T * xv)[0] + 7
    f = SymbolicFunction(expr, xs)
    assert f.n_features == 3
    for _ in range(3):
        th = rng.normal(size=3)
        np.testing.assert_allclose(f.value(th), th @ A @ th / 2 + c @ th + 7, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(f.gradient(th), A @ th + c, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(f.hessian(th), A, rtol=1e-13, atol=1e-13)


def test_saddle():
    f = SymbolicFunction(a ** 2 - b ** 2, [a, b])
    assert f.gradient_expr == [2 * a, -2 * b]
    np.testing.assert_allclose(f.gradient(np.array([1.5, -2.0])), [3.0, 4.0], rtol=0, atol=0)
    np.testing.assert_allclose(f.hessian(np.array([1.5, -2.0])), [[2.0, 0.0], [0.0, -2.0]], rtol=0, atol=0)
    np.testing.assert_allclose(f.value(np.zeros(2)), 0.0, rtol=0, atol=0)
    # the origin is a critical point with one negative curvature direction
    eig = np.linalg.eigvalsh(f.hessian(np.zeros(2)))
    np.testing.assert_allclose(eig, [-2.0, 2.0], rtol=0, atol=0)


def test_vectorized_grid(rosenbrock):
    A, B = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 3, 5))
    P = np.stack([A, B])
    F = rosenbrock.value(P)
    G = rosenbrock.gradient(P)
    H = rosenbrock.hessian(P)
    assert F.shape == (5, 7) and G.shape == (2, 5, 7) and H.shape == (2, 2, 5, 7)
    for i in range(5):
        for j in range(7):
            f, g, h = rosen_hand(A[i, j], B[i, j])
            np.testing.assert_allclose(F[i, j], f, rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(G[:, i, j], g, rtol=1e-13, atol=1e-12)
            np.testing.assert_allclose(H[:, :, i, j], h, rtol=1e-13, atol=1e-12)


def test_vectorized_constant_parts_broadcast():
    f = SymbolicFunction(a ** 2 - b ** 2, [a, b])
    P = np.zeros((2, 4, 3))
    H = f.hessian(P)
    assert H.shape == (2, 2, 4, 3)
    np.testing.assert_array_equal(H[0, 0], np.full((4, 3), 2.0))
    np.testing.assert_array_equal(H[0, 1], np.zeros((4, 3)))
    np.testing.assert_array_equal(H[1, 1], np.full((4, 3), -2.0))
    lin = SymbolicFunction(3 * a + b, [a, b])
    np.testing.assert_array_equal(lin.gradient(P), np.stack([np.full((4, 3), 3.0), np.ones((4, 3))]))


def test_single_symbol_variable():
    f = SymbolicFunction(a ** 3, a)
    np.testing.assert_allclose(f.gradient(np.array([2.0])), [12.0], rtol=0, atol=0)
    np.testing.assert_allclose(f.hessian(np.array([2.0])), [[12.0]], rtol=0, atol=0)


# --- check_gradient -----------------------------------------------------------------------------

def test_check_gradient_correct_is_small(rosenbrock):
    # (1, 1) is left out: there ∇f = 0 exactly and any relative error is 0/0-like by definition
    for pt in [p for p in POINTS if p != (1.0, 1.0)]:
        err = check_gradient(rosenbrock.value, rosenbrock.gradient, np.array(pt))
        assert 0.0 <= err < 1e-7


def test_check_gradient_quadratic_and_array_gradient():
    rng = np.random.default_rng(51)
    th = rng.normal(size=6)
    f = lambda t: float(t @ t)
    assert check_gradient(f, lambda t: 2 * t, th) < 1e-8
    assert check_gradient(f, 2 * th, th) < 1e-8  # gradient given as an array


def test_check_gradient_wrong_is_order_one():
    rng = np.random.default_rng(52)
    th = rng.normal(size=6)
    f = lambda t: float(t @ t)
    err = check_gradient(f, lambda t: t, th)  # missing the factor 2
    np.testing.assert_allclose(err, 0.5, rtol=1e-6, atol=0)  # ‖t − 2t‖ / ‖2t‖
    # a wrong sign is even worse
    np.testing.assert_allclose(check_gradient(f, lambda t: -2 * t, th), 2.0, rtol=1e-6, atol=0)


def test_check_gradient_zero_gradient():
    assert check_gradient(lambda t: 5.0, lambda t: np.zeros_like(t), np.ones(3)) == 0.0


def test_check_gradient_on_objective(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    th = np.random.default_rng(53).normal(size=X.shape[1])
    assert check_gradient(obj.value, obj.gradient, th) < 1e-7
    wrong = lambda t: obj.gradient(t) / 2
    assert check_gradient(obj.value, wrong, th) > 0.3


# --- bad input ------------------------------------------------------------------------------------

def test_symbolic_bad_variables():
    with pytest.raises(ValueError, match="variables must be a non-empty list of SymPy symbols"):
        SymbolicFunction(a ** 2, [])
    with pytest.raises(ValueError, match="variables must be a non-empty list of SymPy symbols"):
        SymbolicFunction(a ** 2, ["a"])
    with pytest.raises(ValueError, match="variables must be a non-empty list of SymPy symbols"):
        SymbolicFunction(a ** 2, [a ** 2])
    with pytest.raises(ValueError, match="variables must be distinct"):
        SymbolicFunction(a ** 2, [a, a])


def test_symbolic_extra_symbol():
    c = sp.Symbol("c")
    with pytest.raises(ValueError, match="expr has symbols that are not variables: c"):
        SymbolicFunction(c * a ** 2, [a])


def test_symbolic_non_expression():
    with pytest.raises(ValueError, match="expr"):
        SymbolicFunction(object(), [a])


@pytest.mark.parametrize("theta,match", [
    (np.zeros(3), r"theta must have shape \(2,\) or \(2, \.\.\.\); got shape \(3,\)"),
    (np.zeros((3, 4)), r"theta must have shape \(2,\) or \(2, \.\.\.\)"),
    (1.0, r"theta must have shape \(2,\)"),
    (np.array([np.nan, 0.0]), r"theta must be finite"),
])
@pytest.mark.parametrize("method", ["value", "gradient", "hessian"])
def test_symbolic_bad_theta(rosenbrock, theta, match, method):
    with pytest.raises(ValueError, match=match):
        getattr(rosenbrock, method)(theta)


def test_check_gradient_bad_input():
    f = lambda t: float(t @ t)
    with pytest.raises(ValueError, match="fun must be callable"):
        check_gradient(3.0, lambda t: 2 * t, np.ones(2))
    with pytest.raises(ValueError, match=r"grad must have the shape of theta \(2,\); got shape \(3,\)"):
        check_gradient(f, lambda t: np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"theta must be 1-D"):
        check_gradient(f, lambda t: 2 * t, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"theta must be finite"):
        check_gradient(f, lambda t: 2 * t, np.array([1.0, np.nan]))
    for eps in (0.0, -1e-6, float("nan")):
        with pytest.raises(ValueError, match="eps"):
            check_gradient(f, lambda t: 2 * t, np.ones(2), eps=eps)
    with pytest.raises(ValueError, match="not finite"):
        check_gradient(f, lambda t: np.array([np.nan, 1.0]), np.ones(2))


@pytest.mark.parametrize("fun,grad", [
    (lambda t: float("inf"), lambda t: np.zeros(2)),
    (lambda t: float("nan"), lambda t: np.ones(2)),
], ids=["inf-fun-zero-grad", "nan-fun"])
def test_check_gradient_non_finite_function(fun, grad):
    """A non-finite f must raise, never report an error of 0 or NaN."""
    with pytest.raises(ValueError, match="not finite"):
        check_gradient(fun, grad, np.ones(2))


def test_non_differentiable_expressions_are_refused_when_built():
    a, b = sp.symbols("a b", real=True)
    with pytest.raises(ValueError, match="expr must be twice differentiable everywhere; its gradient contains sign"):
        mlopt.SymbolicFunction(sp.Abs(a) + b ** 2, [a, b])
    with pytest.raises(ValueError, match="twice differentiable"):
        mlopt.SymbolicFunction(sp.Max(a, b), [a, b])
    mlopt.SymbolicFunction(sp.sqrt(a ** 2 + 1) + b ** 2, [a, b])   # the smooth stand-in is fine


def test_check_gradient_refuses_a_vector_valued_function():
    with pytest.raises(ValueError, match=r"fun must return a scalar .*; got an array of shape \(3,\)"):
        mlopt.check_gradient(lambda t: 2 * t, lambda t: 2 * np.ones(3), np.ones(3))
    with pytest.raises(TypeError):   # eps is keyword-only
        mlopt.check_gradient(lambda t: t @ t, lambda t: 2 * t, np.ones(3), 1e-6)
