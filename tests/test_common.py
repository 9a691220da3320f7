"""The contract every solver keeps, checked over all of them (like optax's list of optimizers
under test or scikit-learn's common checks). A solver added later gets these tests by being
listed in SOLVERS.

For each solver: inputs are never modified; the history has the documented keys and lengths;
status, converged, message and warnings follow the one table (mlopt.result.STATUSES);
``tol=None`` never warns; a callback stops the run; bad θ₀ and bad lr are refused by name; a
diverging run stops with a finite θ and says so; ``Result.objective`` is J of ``Result.theta``;
seeded runs repeat bitwise; results pickle and compare equal.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import sympy as sp

import mlopt
from mlopt.result import STATUSES


@dataclass
class Case:
    name: str
    solve: object                      # solve(obj, theta0, **options) -> Result
    options: dict = field(default_factory=dict)
    stochastic: bool = False
    has_lr: bool = True
    diverge: dict | None = None        # options that make it diverge on the ridge problem

    def __call__(self, obj, theta0, **kw):
        return self.solve(obj, theta0, **{**self.options, **kw})

    def budget(self, n):
        return {"epochs": n} if self.stochastic else {"max_iter": n}


def _newton(obj, theta0, **kw):
    return mlopt.newton(obj, theta0, **kw)


def _projected_box(obj, theta0, **kw):
    return mlopt.projected_gradient(obj, theta0, project=mlopt.projections.box(), **kw)   # unbounded box


def _projected_ball(obj, theta0, **kw):
    return mlopt.projected_gradient(obj, theta0, project=mlopt.projections.ball(2.0), **kw)


def _minibatch_adam(obj, theta0, **kw):
    return mlopt.minibatch_descent(obj, theta0, mlopt.update_rules.Adam(), **kw)


SOLVERS = [
    Case("gradient_descent", mlopt.gradient_descent, {"lr": "auto"}, diverge={"lr": 50.0}),
    Case("gd_momentum", mlopt.gradient_descent, {"lr": "auto", "momentum": 0.5}, diverge={"lr": 50.0}),
    Case("gd_nesterov", mlopt.gradient_descent, {"lr": "auto", "momentum": 0.5, "nesterov": True},
         diverge={"lr": 50.0}),
    Case("gd_backtracking", mlopt.gradient_descent, {"lr": "backtracking"}),
    Case("newton", _newton, {}, has_lr=False),
    Case("projected_box", _projected_box, {"lr": "auto"}, diverge={"lr": 50.0}),
    Case("projected_ball", _projected_ball, {"lr": "backtracking"}),
    Case("conjugate_gradient", mlopt.conjugate_gradient, {}, has_lr=False),
    Case("lbfgs", mlopt.lbfgs, {}, has_lr=False),
    Case("ista", mlopt.proximal_gradient, {"lr": "auto"}, diverge={"lr": 50.0}),
    Case("fista", mlopt.proximal_gradient, {"lr": "auto", "accelerated": True}, diverge={"lr": 50.0}),
    Case("sgd", mlopt.sgd, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 5.0}),
    Case("sgd_momentum", mlopt.sgd, {"lr": 0.01, "momentum": 0.9, "rng": 0}, stochastic=True,
         diverge={"lr": 5.0}),
    Case("sgd_nesterov", mlopt.sgd, {"lr": 0.01, "momentum": 0.9, "nesterov": True, "rng": 0},
         stochastic=True, diverge={"lr": 5.0}),
    Case("sgd_average", mlopt.sgd, {"lr": 0.01, "average": True, "rng": 0}, stochastic=True,
         diverge={"lr": 5.0}),
    Case("sgd_exact_record", mlopt.sgd, {"lr": 0.01, "record": "exact", "rng": 0}, stochastic=True,
         diverge={"lr": 5.0}),
    # AdaGrad recovers even from lr=1e6 (its steps shrink like 1/sqrt(sum of g²)): no divergence case
    Case("adagrad", mlopt.adagrad, {"lr": 0.1, "rng": 0}, stochastic=True),
    Case("rmsprop", mlopt.rmsprop, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 1e6}),
    Case("adam", mlopt.adam, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 1e6}),
    Case("adamw", mlopt.adamw, {"lr": 0.01, "weight_decay": 0.01, "rng": 0}, stochastic=True,
         diverge={"lr": 1e6}),
    Case("svrg", mlopt.svrg, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 5.0}),
    Case("saga", mlopt.saga, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 5.0}),
    Case("minibatch_descent", _minibatch_adam, {"lr": 0.01, "rng": 0}, stochastic=True, diverge={"lr": 1e6}),
]
IDS = [c.name for c in SOLVERS]


@pytest.fixture
def problem(diabetes):
    """Ridge on diabetes (read-only X and y) and a θ₀ that the test can check for changes."""
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    theta0 = np.linspace(-1.0, 1.0, X.shape[1])
    theta0.setflags(write=False)
    return obj, theta0


def quietly(case, obj, theta0, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        return case(obj, theta0, **kw)


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_history_status_and_inputs(case, problem):
    obj, theta0 = problem
    before = theta0.copy()
    res = quietly(case, obj, theta0, **case.budget(3), tol=None)
    np.testing.assert_array_equal(theta0, before)
    assert isinstance(res, mlopt.Result)
    h = res.history
    assert {"objective", "grad_norm", "lr", "time", "n_grad"} <= set(h)
    assert len({len(v) for v in h.values()}) == 1, {k: len(v) for k, v in h.items()}
    assert len(h["objective"]) == (3 if case.stochastic else res.n_iter) + 1
    assert np.all(np.diff(h["n_grad"]) > 0)
    assert res.status in STATUSES and res.converged == STATUSES[res.status].success
    assert res.message.startswith(res.status + ":")
    assert res.theta.shape == theta0.shape and np.all(np.isfinite(res.theta))
    assert res.objective == pytest.approx(obj.value(res.theta), rel=1e-12)


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_tol_none_never_warns(case, problem):
    obj, theta0 = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = case(obj, theta0, **case.budget(2), tol=None)
    assert res.status in ("completed", "stalled") and not res.converged


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_budget_exhaustion_warns(case, problem):
    obj, theta0 = problem
    with pytest.warns(mlopt.ConvergenceWarning, match="^max_iter: "):
        res = case(obj, theta0, **case.budget(1), tol=1e-300 if not case.stochastic else 1e-12)
    assert res.status == "max_iter" and not res.converged


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_callback_stops_without_warning(case, problem):
    obj, theta0 = problem
    seen = []

    def stop(t, theta, f):
        seen.append((t, f))
        return True

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = case(obj, theta0, **case.budget(10), callback=stop)
    assert res.status == "callback" and not res.converged and len(seen) == 1
    assert seen[0][0] == 1 and seen[0][1] == res.history["objective"][-1]
    # SciPy's form callback(theta) receives θ
    thetas = []
    quietly(case, obj, theta0, **case.budget(2), tol=None, callback=lambda theta: thetas.append(theta))
    assert len(thetas) == 2 and thetas[0].shape == theta0.shape


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_bad_theta0(case, problem):
    obj, theta0 = problem
    with pytest.raises(ValueError, match=r"theta0 must have shape \(10,\)"):
        case(obj, np.zeros(3))
    with pytest.raises(ValueError, match="theta0 must be finite"):
        case(obj, np.full(10, np.nan))


WITH_LR = [c for c in SOLVERS if c.has_lr and c.options.get("lr") != "backtracking"]   # those set lr themselves


@pytest.mark.parametrize("case", WITH_LR, ids=[c.name for c in WITH_LR])
@pytest.mark.parametrize("lr, match", [
    (-0.1, "lr must be > 0"),
    ("fast", "lr must be a positive float"),
    (lambda t: None, "lr schedule must return a number; got None at step 0"),
    (lambda t: "fast", "lr schedule must return a number"),
    (lambda t: -1.0, "lr schedule must return a finite number >= 0"),
])
def test_bad_lr_is_refused_by_name(case, problem, lr, match):
    obj, theta0 = problem
    if callable(lr) and case.solve is mlopt.proximal_gradient:   # no schedules there
        match = "lr must be a positive float or 'auto'; got a callable"
    if callable(lr) and case.solve is _projected_box:
        match = "lr must be a positive float, 'auto' or 'backtracking'; got a callable"
    with pytest.raises(ValueError, match=match):
        quietly(case, obj, theta0, lr=lr, **case.budget(2))


DIVERGING = [c for c in SOLVERS if c.diverge]


@pytest.mark.parametrize("case", DIVERGING, ids=[c.name for c in DIVERGING])
def test_divergence_stops_with_a_finite_theta_and_says_so(case, problem):
    obj, theta0 = problem
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
        res = case(obj, theta0, **case.budget(200), **case.diverge, tol=None)
    assert res.status == "diverged" and not res.converged
    assert np.all(np.isfinite(res.theta))
    assert np.isfinite(res.objective) and res.objective == pytest.approx(obj.value(res.theta), rel=1e-12)
    for key, v in res.history.items():
        assert np.all(np.isfinite(v)), key
    if "backtracking" in res.message:   # advice names only options the solver accepts
        assert case.solve is mlopt.gradient_descent and not case.options.get("momentum")


def test_newton_divergence_without_line_search():
    x = sp.Symbol("x", real=True)
    f = mlopt.SymbolicFunction(sp.sqrt(1 + x ** 2), [x])
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
        res = mlopt.newton(f, np.array([1.5]), line_search=False, tol=None)
    assert res.status == "diverged" and np.isfinite(res.objective)


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_reproducible_and_pickled_results_compare_equal(case, problem):
    obj, theta0 = problem
    a = quietly(case, obj, theta0, **case.budget(3))
    b = quietly(case, obj, theta0, **case.budget(3))
    a.history.pop("time"), b.history.pop("time")   # wall-clock seconds differ between runs
    assert a == b
    back = pickle.loads(pickle.dumps(a))
    assert back == a and back.status == a.status
    c = quietly(case, obj, theta0 + 0.5, **case.budget(3))
    c.history.pop("time")
    assert not (a == c)


@pytest.mark.parametrize("case", SOLVERS, ids=IDS)
def test_a_huge_budget_is_not_preallocated(case, problem):
    # 10**12 updates or epochs with a reachable tolerance: memory follows what the run records
    obj, theta0 = problem
    kw = {"tol": 1e-3} if not case.stochastic else {"tol": 1e-3, "early_stopping": True}
    res = quietly(case, obj, theta0, **case.budget(10 ** 12), **kw)
    assert res.converged, res.message


def test_objective_and_rng_pickle_for_worker_processes(problem):
    obj, theta0 = problem
    logistic = mlopt.EmpiricalRisk(obj.X, (obj.y > 0).astype(float), loss=mlopt.losses.logistic, lam=0.1)
    for o in (obj, logistic):
        back = pickle.loads(pickle.dumps(o))
        assert back.value(theta0) == o.value(theta0)
        np.testing.assert_array_equal(back.gradient(theta0), o.gradient(theta0))


def test_import_mlopt_does_not_import_matplotlib():
    code = "import sys, mlopt; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    # and it is there once a picture is drawn
    code = ("import sys, matplotlib; matplotlib.use('Agg'); import mlopt; "
            "mlopt.plotting.plot_losses({'squared': mlopt.losses.squared}); print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
