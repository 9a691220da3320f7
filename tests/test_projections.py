"""mlopt.projections: each projection against its optimality condition
(v − P(v))ᵀ(u − P(v)) ≤ 0 for all u in C, checked on points of C, plus membership, idempotence,
hand-computed cases, the simplex against a brute-force QP, and the refusals."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from mlopt import projections as P

vectors = arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e3, 1e3))


def sample_points(proj, d, rng, k=200):
    """Points of C: projections of random points (all of C's boundary and interior reachable)."""
    return [proj(rng.standard_normal(d) * s) for s in np.geomspace(0.01, 100, k)]


def check_optimality(proj, v, rng):
    p = proj(v)
    assert proj.contains(p, atol=1e-9)
    np.testing.assert_allclose(proj(p), p, rtol=0, atol=1e-12 * (1 + np.abs(p).max()))   # idempotent
    scale = 1e-9 * (1 + np.linalg.norm(v)) ** 2
    for u in sample_points(proj, v.size, rng, k=50):
        assert (v - p) @ (u - p) <= scale, "the residual must make an obtuse angle with C"


SETS = {
    "box": lambda: P.box(-0.5, 2.0),
    "ball": lambda: P.ball(1.5),
    "nonnegative": lambda: P.nonnegative,
    "simplex": lambda: P.simplex(1.0),
    "simplex 3": lambda: P.simplex(3.0),
    "l1 ball": lambda: P.l1_ball(2.0),
}


@pytest.mark.parametrize("name", [k for k in SETS if k != "box arrays"])
@given(v=vectors)
def test_optimality_condition(name, v):
    check_optimality(SETS[name](), v, np.random.default_rng(0))


def test_box_with_bounds_per_coordinate():
    proj = P.box(np.array([0.0, -1.0, -np.inf]), np.array([1.0, 1.0, 0.0]))
    np.testing.assert_array_equal(proj(np.array([2.0, -3.0, 5.0])), [1.0, -1.0, 0.0])
    check_optimality(proj, np.array([0.3, 4.0, -2.0]), np.random.default_rng(1))
    with pytest.raises(ValueError, match=r"box lower has shape \(3,\), theta has shape \(2,\)"):
        proj(np.zeros(2))


def test_hand_computed_cases():
    np.testing.assert_allclose(P.ball(1.0)(np.array([3.0, 4.0])), [0.6, 0.8], rtol=1e-15)
    np.testing.assert_array_equal(P.ball(10.0)(np.array([3.0, 4.0])), [3.0, 4.0])
    np.testing.assert_array_equal(P.nonnegative(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    # simplex: (0.5, 1.5, −1) − τ with τ = 0.5 → (0, 1, 0); (0.2, 0.3, 0.5) is already in it
    np.testing.assert_allclose(P.simplex()(np.array([0.5, 1.5, -1.0])), [0.0, 1.0, 0.0])
    np.testing.assert_allclose(P.simplex()(np.array([0.2, 0.3, 0.5])), [0.2, 0.3, 0.5])
    np.testing.assert_allclose(P.simplex()(np.zeros(4)), [0.25] * 4)       # τ = −1/4
    # l1 ball of radius 1: (2, −0.5, 0.1) soft-thresholded at τ = 1 → (1, 0, 0); inside points stay
    np.testing.assert_allclose(P.l1_ball(1.0)(np.array([2.0, -0.5, 0.1])), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(P.l1_ball(1.0)(np.array([0.3, -0.5])), [0.3, -0.5])
    np.testing.assert_allclose(P.l1_ball(3.0)(np.array([3.0, -2.0, 1.0])), [2.0, -1.0, 0.0])   # τ = 1


def test_simplex_against_a_quadratic_program():
    from scipy.optimize import minimize

    rng = np.random.default_rng(3)
    for _ in range(5):
        v = rng.standard_normal(6) * 2
        ref = minimize(lambda u: 0.5 * np.sum((u - v) ** 2), np.full(6, 1 / 6), jac=lambda u: u - v,
                       bounds=[(0, None)] * 6, constraints=[{"type": "eq", "fun": lambda u: u.sum() - 1,
                                                             "jac": lambda u: np.ones(6)}],
                       method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
        np.testing.assert_allclose(P.simplex()(v), ref.x, atol=1e-6)


def test_inputs_are_not_modified_and_results_are_new_arrays():
    for proj in (P.box(0, 1), P.ball(1.0), P.nonnegative, P.simplex()):
        v = np.array([0.5, 0.25, 0.1])
        before = v.copy()
        out = proj(v)
        np.testing.assert_array_equal(v, before)
        assert out is not v
        out[0] = 99.0
        np.testing.assert_array_equal(v, before)


@pytest.mark.parametrize("make, match", [
    (lambda: P.box(1.0, 0.0), "lower <= upper"),
    (lambda: P.box(np.nan, 1.0), "lower must be"),
    (lambda: P.ball(-1.0), "radius must be >= 0"),
    (lambda: P.simplex(0.0), "total must be > 0"),
    (lambda: P.simplex("one"), "total must be a real number"),
])
def test_bad_parameters_are_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_theta_is_refused():
    with pytest.raises(ValueError, match="theta"):
        P.ball(1.0)(np.array([np.nan, 1.0]))


def test_they_pickle_and_say_what_they_are():
    for proj in (P.box(0.0, 1.0), P.ball(2.0), P.nonnegative, P.simplex(3.0), P.l1_ball(1.5)):
        again = pickle.loads(pickle.dumps(proj))
        v = np.array([3.0, -1.0, 0.5])
        np.testing.assert_array_equal(again(v), proj(v))
        assert repr(again) == repr(proj)
    assert repr(P.ball(2.0)) == "Projection(ball(radius=2))"
