"""mlopt.gradient_descent on exactly solvable problems, the linear-rate bound, the history record,
divergence and stopping diagnostics, and input validation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy as sp

import mlopt
from conftest import make_least_squares
from mlopt import schedules


def hess_eigs(X, lam=0.0):
    """Eigenvalues of the Hessian (2/n)XᵀX + 2λI of the squared-loss objective (ascending)."""
    n, d = X.shape
    return np.linalg.eigvalsh(2.0 / n * X.T @ X + 2 * lam * np.eye(d))


def no_convergence_warning(fn, *args, **kwargs):
    """Call fn and fail if it emits a ConvergenceWarning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    bad = [w for w in caught if issubclass(w.category, mlopt.ConvergenceWarning)]
    assert not bad, [str(w.message) for w in bad]
    return out


@pytest.fixture
def exact():
    """(obj, θ*, L): y = Xθ* exactly, so θ* is the unique minimizer of the unregularized J."""
    X, y, theta_star = make_least_squares(60, n=60, d=5)
    obj = mlopt.EmpiricalRisk(X, y)
    L = hess_eigs(X)[-1]
    return obj, theta_star, L


def _lr_cases():
    # L is only known inside the test, so each case maps L to (lr, extra kwargs)
    return {
        "float": lambda L: (1.0 / L, {}),
        "float-1.9/L": lambda L: (1.9 / L, {}),
        "auto": lambda L: ("auto", {}),
        "backtracking": lambda L: ("backtracking", {}),
        "constant-schedule": lambda L: (schedules.constant(1.0 / L), {}),
        "inverse_time": lambda L: (schedules.inverse_time(1.0 / L, 1e-3), {}),
        "step_decay": lambda L: (schedules.step_decay(1.5 / L, 0.8, 100), {}),
        "cosine": lambda L: (schedules.cosine(1.5 / L, 2000, lr_min=0.2 / L), {}),
        "inverse_scaling": lambda L: (schedules.inverse_scaling(1.0 / L, 0.1), {}),
        "momentum": lambda L: (1.0 / L, {"momentum": 0.5}),
        "momentum-0.9": lambda L: (0.5 / L, {"momentum": 0.9}),
        "nesterov": lambda L: (1.0 / L, {"momentum": 0.9, "nesterov": True}),
        "nesterov-auto": lambda L: ("auto", {"momentum": 0.5, "nesterov": True}),
    }


@pytest.mark.parametrize("case", list(_lr_cases()))
def test_converges_to_the_exact_solution(exact, case):
    obj, theta_star, L = exact
    lr, kw = _lr_cases()[case](L)
    res = no_convergence_warning(mlopt.gradient_descent, obj, np.zeros(5), lr=lr, tol=1e-11,
                                 max_iter=20000, **kw)
    assert res.converged, res.message
    assert res.status == "converged"
    np.testing.assert_allclose(res.theta, theta_star, rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.objective, 0.0, rtol=0, atol=1e-18)
    assert res.grad_norm <= 1e-11
    assert isinstance(res, mlopt.Result)


@pytest.mark.parametrize("lr", ["auto", "backtracking", "momentum", "nesterov"])
def test_matches_ridge_with_regularization(noisy_least_squares, lr):
    X, y, _ = noisy_least_squares
    lam = 0.1
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    kw = {}
    if lr in ("momentum", "nesterov"):
        kw = {"momentum": 0.6, "nesterov": lr == "nesterov"}
        lr = "auto"
    # Armijo backtracking compares values of J, and stops (stalled) once a step's decrease
    # η‖∇J‖²/2 is below J's round-off 64·eps·J: ‖∇J‖ ≈ 1e-7 here; the other rules use gradients only.
    tol = 3e-7 if lr == "backtracking" else 1e-11
    res = mlopt.gradient_descent(obj, np.ones(X.shape[1]), lr=lr, tol=tol, max_iter=20000, **kw)
    assert res.converged, res.message
    mu = hess_eigs(X, lam)[0]
    # ‖θ − θ̂‖ ≤ ‖∇J(θ)‖/μ ≤ tol/μ (≈ 2.4e-7 for backtracking, ≈ 1e-11 otherwise)
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, lam), rtol=0, atol=max(1e-8, tol / mu))


def test_backtracking_stops_at_the_roundoff_floor(noisy_least_squares):
    """Past the point where J is flat to machine precision, Armijo's test J(θ − ηg) ≤ J(θ) − cη‖g‖²
    only holds through rounding (no actual decrease): the run should then stop with the
    line-search message, not spin through max_iter and advise "increase max_iter or lr"."""
    X, y, _ = noisy_least_squares
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.gradient_descent(obj, np.ones(X.shape[1]), lr="backtracking", tol=1e-14, max_iter=3000)
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, 0.1), rtol=0, atol=1e-7)
    assert not res.converged and res.status == "stalled", res.message
    assert res.n_iter < 1000, res.message
    assert "increase max_iter" not in res.message, res.message
    # it stopped where a step's decrease η‖∇J‖²/2 fell below J's round-off, not before
    assert res.grad_norm < 1e-5


def test_matches_ridge_on_diabetes(diabetes):
    X, y = diabetes
    lam = 0.05
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr="auto", tol=1e-9, max_iter=20000)
    assert res.converged, res.message
    # ‖θ − θ̂‖ ≤ ‖∇J‖/μ
    mu = hess_eigs(X, lam)[0]
    np.testing.assert_allclose(res.theta, mlopt.ridge(X, y, lam), rtol=0, atol=1e-9 / mu * 1.01)


def test_linear_rate_bound_each_step(diabetes):
    """For lr = 1/L on a quadratic, ‖θ_t − θ*‖ ≤ (1 − μ/L)^t ‖θ_0 − θ*‖ at every t."""
    X, y = diabetes
    lam = 0.01
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    eig = hess_eigs(X, lam)
    mu, L = eig[0], eig[-1]
    theta_star = mlopt.ridge(X, y, lam)
    theta0 = np.random.default_rng(61).normal(scale=20.0, size=X.shape[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.gradient_descent(obj, theta0, lr=1.0 / L, tol=None, max_iter=300, record_theta=True)
    path = res.history["theta"]
    assert path.shape == (301, X.shape[1])
    err = np.linalg.norm(path - theta_star, axis=1)
    bound = (1 - mu / L) ** np.arange(301) * err[0]
    assert np.all(err <= bound * (1 + 1e-9) + 1e-12), np.max(err / bound)
    # and the error really shrinks
    assert err[-1] < 0.5 * err[0]


def test_linear_rate_bound_well_conditioned():
    """The same bound on a constructed quadratic with κ = 10, until round-off."""
    rng = np.random.default_rng(62)
    n, d = 50, 4
    Q, _ = np.linalg.qr(rng.normal(size=(n, d)))
    V, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eigs = np.geomspace(1.0, 0.1, d)
    X = np.sqrt(n) * (Q * np.sqrt(eigs)) @ V.T  # XᵀX/n = V diag(eigs) Vᵀ
    theta_star = rng.normal(size=d)
    y = X @ theta_star
    obj = mlopt.EmpiricalRisk(X, y)
    L, mu = 2 * eigs[0], 2 * eigs[-1]
    res = mlopt.gradient_descent(obj, np.zeros(d), lr=1.0 / L, tol=1e-12, max_iter=2000, record_theta=True)
    assert res.converged
    err = np.linalg.norm(res.history["theta"] - theta_star, axis=1)
    t = np.arange(err.size)
    assert np.all(err <= (1 - mu / L) ** t * err[0] * (1 + 1e-9) + 1e-13)


# --- history ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [dict(lr="auto"), dict(lr="backtracking"), dict(lr="auto", momentum=0.5),
                                dict(lr="auto", momentum=0.5, nesterov=True),
                                dict(lr=schedules.inverse_time(0.2, 0.01))],
                         ids=["auto", "backtracking", "momentum", "nesterov", "schedule"])
def test_history_record(diabetes, kw):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    theta0 = np.full(X.shape[1], 0.5)
    # backtracking stalls near ||grad|| ~ 1e-5 here (its decrease falls below J's round-off)
    tol = 1e-4 if kw["lr"] == "backtracking" else 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error", mlopt.ConvergenceWarning)
        res = mlopt.gradient_descent(obj, theta0, tol=tol, max_iter=3000, record_theta=True, **kw)
    h = res.history
    for key in ("objective", "grad_norm", "lr", "time", "n_grad", "theta"):
        assert key in h, key
        assert len(h[key]) == res.n_iter + 1, key
    assert h["theta"].shape == (res.n_iter + 1, X.shape[1])
    # entry 0 is the start
    np.testing.assert_array_equal(h["theta"][0], theta0)
    np.testing.assert_allclose(h["objective"][0], obj.value(theta0), rtol=1e-13, atol=0)
    np.testing.assert_allclose(h["grad_norm"][0], np.linalg.norm(obj.gradient(theta0)), rtol=1e-12, atol=0)
    assert h["lr"][0] == 0.0
    assert h["n_grad"][0] == 1
    # the last entry is the result
    np.testing.assert_array_equal(h["theta"][-1], res.theta)
    np.testing.assert_allclose(h["objective"][-1], res.objective, rtol=1e-14, atol=0)
    # each entry describes its iterate
    for t in (1, res.n_iter // 2, res.n_iter):
        np.testing.assert_allclose(h["objective"][t], obj.value(h["theta"][t]), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(h["grad_norm"][t], np.linalg.norm(obj.gradient(h["theta"][t])),
                                   rtol=1e-10, atol=1e-14)
    if kw["lr"] == "backtracking":   # one per update, and one per search whose first trial was rejected
        steps = np.diff(h["n_grad"])
        assert set(steps) <= {1, 2} and 1 in steps
    else:
        assert np.all(np.diff(h["n_grad"]) == 1)  # one gradient per update, Nesterov included
    assert np.all(h["lr"][1:] > 0)
    if kw.get("momentum", 0) == 0:
        # without momentum every accepted step decreases J
        assert np.all(np.diff(h["objective"]) <= 1e-12 * np.abs(h["objective"][:-1]))


def test_history_without_theta(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), tol=1e-4)
    assert "theta" not in res.history
    lengths = {k: len(v) for k, v in res.history.items()}
    assert set(lengths.values()) == {res.n_iter + 1}, lengths
    assert {"objective", "grad_norm", "lr", "time", "n_grad"} <= set(res.history)


def test_history_lr_records_the_schedule(exact):
    obj, _, L = exact
    sched = schedules.inverse_time(0.5 / L, 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.gradient_descent(obj, np.zeros(5), lr=sched, tol=None, max_iter=20)
    # history["lr"][t] is the step that produced iterate t, i.e. schedule(t − 1)
    np.testing.assert_allclose(res.history["lr"][1:], 0.5 / L / (1 + 0.1 * np.arange(20)), rtol=1e-14, atol=0)


def test_plain_step_is_theta_minus_lr_grad(exact):
    obj, _, L = exact
    theta0 = np.arange(5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        res = mlopt.gradient_descent(obj, theta0, lr=0.7 / L, max_iter=1, record_theta=True)
        mom = mlopt.gradient_descent(obj, theta0, lr=0.7 / L, momentum=0.5, max_iter=2, record_theta=True)
        nes = mlopt.gradient_descent(obj, theta0, lr=0.7 / L, momentum=0.5, nesterov=True, max_iter=2,
                                     record_theta=True)
    eta = 0.7 / L
    t1 = theta0 - eta * obj.gradient(theta0)
    np.testing.assert_allclose(res.theta, t1, rtol=1e-14, atol=1e-14)
    # heavy ball (buffer form): b1 = g0, θ1 = θ0 − η b1; b2 = β b1 + g(θ1), θ2 = θ1 − η b2
    g0 = obj.gradient(theta0)
    th1 = theta0 - eta * g0
    b2 = 0.5 * g0 + obj.gradient(th1)
    np.testing.assert_allclose(mom.history["theta"][2], th1 - eta * b2, rtol=1e-13, atol=1e-13)
    # Nesterov: θ1 = θ0 − η(g0 + β g0); θ2 = θ1 − η(g1 + β b2), one gradient per step
    n1 = theta0 - eta * (g0 + 0.5 * g0)
    g1 = obj.gradient(n1)
    nb2 = 0.5 * g0 + g1
    np.testing.assert_allclose(nes.history["theta"][2], n1 - eta * (g1 + 0.5 * nb2), rtol=1e-13, atol=1e-13)


# --- diagnostics ------------------------------------------------------------------------------------

def test_divergence(exact):
    obj, _, L = exact
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.gradient_descent(obj, np.zeros(5), lr=2.5 / L, max_iter=5000, record_theta=True)
    assert res.converged is False
    assert res.status == "diverged"
    assert "2/L" in res.message
    assert np.all(np.isfinite(res.theta))
    assert np.isfinite(res.objective)
    assert res.n_iter < 5000
    for key, v in res.history.items():
        assert np.all(np.isfinite(v)), key
        assert len(v) == res.n_iter + 1
    np.testing.assert_array_equal(res.history["theta"][-1], res.theta)
    # the run stopped as soon as J grew 1e10-fold: the last kept point is below that, the next above
    J0 = res.history["objective"][0]
    assert res.history["objective"][-1] <= 1e10 * max(J0, 1) and "more than 1e+10 times" in res.message


def test_finite_blow_up_within_max_iter_is_reported_as_divergence(exact):
    obj, _, L = exact
    # fewer updates than it takes to grow 1e10-fold, more than 1e3-fold: diverged at the end
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.gradient_descent(obj, np.zeros(5), lr=2.5 / L, max_iter=12, tol=None)
    J0, J = res.history["objective"][0], res.objective
    assert 1e3 * max(J0, 1) < J < 1e10 * max(J0, 1), (J0, J)
    assert np.isfinite(res.objective) and res.n_iter == 12
    assert res.status == "diverged" and "grew" in res.message and "2/L" in res.message


def test_divergence_on_real_data(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    L = hess_eigs(X)[-1]
    with pytest.warns(mlopt.ConvergenceWarning):
        res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr=2.5 / L, max_iter=5000)
    assert not res.converged
    assert res.status == "diverged" and "2/L" in res.message
    assert np.all(np.isfinite(res.theta))


def test_max_iter_exhaustion(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.warns(mlopt.ConvergenceWarning, match="max_iter: all 5 iterations ran"):
        res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr="auto", max_iter=5, tol=1e-12)
    assert res.converged is False
    assert res.n_iter == 5
    assert len(res.history["objective"]) == 6
    assert np.all(np.isfinite(res.theta))


def test_callback_stops(exact):
    obj, _, L = exact
    seen = []

    def cb(t, theta, f):
        seen.append((t, theta, f))
        return t >= 3

    res = no_convergence_warning(mlopt.gradient_descent, obj, np.zeros(5), lr=0.1 / L, callback=cb,
                                 record_theta=True)
    assert res.converged is False
    assert res.n_iter == 3
    assert res.status == "callback" and res.message.startswith("callback")
    assert [s[0] for s in seen] == [1, 2, 3]
    for t, theta, f in seen:
        np.testing.assert_array_equal(theta, res.history["theta"][t])
        np.testing.assert_allclose(f, res.history["objective"][t], rtol=0, atol=0)
    # returning a falsy value never stops
    res2 = mlopt.gradient_descent(obj, np.zeros(5), lr="auto", callback=lambda *a: None, tol=1e-10)
    assert res2.converged


def test_on_symbolic_function():
    a, b = sp.symbols("a b", real=True)
    f = mlopt.SymbolicFunction((a - 1) ** 2 + 4 * (b + 2) ** 2, [a, b])
    res = mlopt.gradient_descent(f, np.zeros(2), lr=0.1, tol=1e-10, max_iter=5000)
    assert res.converged
    np.testing.assert_allclose(res.theta, [1.0, -2.0], rtol=0, atol=1e-10)
    res = mlopt.gradient_descent(f, [3, 3], lr="backtracking", tol=1e-10, max_iter=5000)
    np.testing.assert_allclose(res.theta, [1.0, -2.0], rtol=0, atol=1e-10)


# --- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(lr=0.0), r"lr must be > 0.*lr=0"),
    (dict(lr=-0.1), r"lr must be > 0(\.0)?; got lr=-0\.1"),
    (dict(lr=float("nan")), r"lr must be finite"),
    (dict(lr="fast"), r"lr must be .*'auto' or 'backtracking'; got lr='fast'"),
    (dict(lr=None), r"lr must be"),
    (dict(momentum=-0.1), r"momentum must be >= 0.*momentum=-0\.1"),
    (dict(momentum=1.0), r"momentum must be < 1.*momentum=1\.0"),
    (dict(momentum=1.5), r"momentum must be < 1"),
    (dict(nesterov=True), r"nesterov=True needs momentum"),
    (dict(nesterov="yes", momentum=0.5), r"nesterov must be True or False"),
    (dict(max_iter=0), r"max_iter must be >= 1.*max_iter=0"),
    (dict(max_iter=-5), r"max_iter must be >= 1"),
    (dict(max_iter=2.5), r"max_iter must be an integer"),
    (dict(tol=-1e-6), r"tol must be >= 0"),
    (dict(callback=3), r"callback must be callable"),
    (dict(record_theta="yes"), r"record_theta must be True or False"),
    (dict(lr="backtracking", momentum=0.5), r"lr='backtracking' works without momentum"),
], ids=lambda v: str(v) if not isinstance(v, dict) else ",".join(f"{k}={v[k]!r}" for k in v))
def test_bad_options(exact, kwargs, match):
    obj, _, _ = exact
    with pytest.raises(ValueError, match=match):
        mlopt.gradient_descent(obj, np.zeros(5), **kwargs)


@pytest.mark.parametrize("theta0,match", [
    (np.zeros(4), r"theta0 must have shape \(5,\).*got shape \(4,\)"),
    (np.zeros(6), r"theta0 must have shape \(5,\).*got shape \(6,\)"),
    (np.zeros((5, 1)), r"theta0 must be 1-D"),
    (np.array([0.0, np.nan, 0.0, 0.0, 0.0]), r"theta0 must be finite.*nan"),
    (np.array([0.0, 0.0, 0.0, np.inf, 0.0]), r"theta0 must be finite.*inf"),
    ("zeros", r"theta0 must hold real numbers"),
], ids=["short", "long", "column", "nan", "inf", "str"])
def test_bad_theta0(exact, theta0, match):
    obj, _, _ = exact
    with pytest.raises(ValueError, match=match):
        mlopt.gradient_descent(obj, theta0, lr=0.1)


def test_bad_objective():
    with pytest.raises(ValueError, match="obj must have value"):
        mlopt.gradient_descent(lambda t: t @ t, np.zeros(2), lr=0.1)


def test_auto_needs_smoothness():
    a, b = sp.symbols("a b", real=True)
    f = mlopt.SymbolicFunction(a ** 2 + b ** 2, [a, b])
    with pytest.raises(ValueError, match="lr='auto'"):
        mlopt.gradient_descent(f, np.ones(2), lr="auto")


def test_bad_schedule_values(exact):
    obj, _, _ = exact
    with pytest.raises(ValueError, match="lr schedule must return a finite number >= 0"):
        mlopt.gradient_descent(obj, np.zeros(5), lr=lambda t: -0.1)
    with pytest.raises(ValueError, match="lr schedule must return a finite number >= 0"):
        mlopt.gradient_descent(obj, np.zeros(5), lr=lambda t: float("nan"))
    with pytest.raises(ValueError, match="lr schedule"):
        mlopt.gradient_descent(obj, np.zeros(5), lr=lambda t: "fast")


def test_theta0_not_modified_and_list_accepted(exact):
    obj, theta_star, _ = exact
    theta0 = np.array([1.0, -1.0, 2.0, 0.5, 0.0])
    keep = theta0.copy()
    for kw in (dict(lr="auto"), dict(lr="backtracking"), dict(lr="auto", momentum=0.5, nesterov=True)):
        res = mlopt.gradient_descent(obj, theta0, tol=1e-10, max_iter=20000, **kw)
        np.testing.assert_array_equal(theta0, keep)
        assert res.theta is not theta0
    res_list = mlopt.gradient_descent(obj, theta0.tolist(), lr="auto", tol=1e-10, max_iter=20000)
    res_arr = mlopt.gradient_descent(obj, theta0, lr="auto", tol=1e-10, max_iter=20000)
    np.testing.assert_array_equal(res_list.theta, res_arr.theta)
    np.testing.assert_allclose(res_arr.theta, theta_star, rtol=0, atol=1e-9)


def test_starting_at_the_minimum_converges_at_once(exact):
    obj, theta_star, _ = exact
    res = mlopt.gradient_descent(obj, theta_star, lr="auto", tol=1e-8)
    assert res.converged and res.n_iter == 0
    np.testing.assert_array_equal(res.theta, theta_star)


def test_tol_none_runs_every_iteration_without_warning(least_squares):
    X, y, _ = least_squares
    obj = mlopt.EmpiricalRisk(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr=0.01, tol=None, max_iter=25)
    assert res.n_iter == 25 and not res.converged
    assert "tol=None" in res.message
    assert len(res.history["objective"]) == 26


def test_callback_in_scipy_form_receives_theta(least_squares):
    X, y, _ = least_squares
    obj = mlopt.EmpiricalRisk(X, y)
    seen = []
    res = mlopt.gradient_descent(obj, np.zeros(X.shape[1]), lr=0.01, max_iter=5, tol=None,
                                 callback=lambda theta: seen.append(theta.copy()))
    assert len(seen) == 5
    np.testing.assert_array_equal(seen[-1], res.theta)
    full = []
    mlopt.sgd(obj, np.zeros(X.shape[1]), epochs=3, rng=0, callback=lambda epoch, theta, f: full.append((epoch, f)))
    assert [e for e, _ in full] == [1, 2, 3]
    with pytest.raises(ValueError, match="callback must be callable"):
        mlopt.newton(obj, np.zeros(X.shape[1]), callback="print")
