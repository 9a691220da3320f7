"""Tests of mlopt.stochastic: sgd, adagrad, rmsprop, adam (one loop, four update rules)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import mlopt
from mlopt import schedules

SOLVERS = {
    "sgd": (mlopt.sgd, {"lr": 0.02}),
    "adagrad": (mlopt.adagrad, {"lr": 0.5}),
    "rmsprop": (mlopt.rmsprop, {"lr": 0.01}),
    "adam": (mlopt.adam, {"lr": 0.02}),
}


@pytest.fixture(scope="module")
def diabetes_ridge(diabetes):
    X, y = diabetes
    lam = 0.1  # κ ≈ 38 (at λ = 0.01, κ ≈ 217 and 60 epochs of SGD are far from enough)
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)
    theta_star = mlopt.ridge(X, y, lam)
    return obj, theta_star, obj.value(theta_star)


# --- the minibatch gradient ----------------------------------------------------------------------

def test_minibatch_gradients_over_a_partition_average_to_the_full_gradient(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.3)
    theta = np.linspace(-1, 1, X.shape[1])
    perm = np.random.default_rng(0).permutation(X.shape[0])
    batches = np.array_split(perm, 13)  # unequal sizes: weight each batch by its size
    mean = sum(b.size * obj.gradient(theta, batch=b) for b in batches) / X.shape[0]
    np.testing.assert_allclose(mean, obj.gradient(theta), rtol=1e-12, atol=1e-12)


def test_minibatch_gradient_variance_falls_like_one_over_batch_size(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    theta = np.zeros(X.shape[1])
    n = X.shape[0]
    full = obj.gradient(theta)
    per_sample = np.stack([obj.gradient(theta, batch=np.array([i])) for i in range(n)])
    trace_cov = np.sum(np.var(per_sample, axis=0))  # population variance over the n samples
    rng = np.random.default_rng(1)
    for B in (4, 16, 64):
        draws = np.stack([obj.gradient(theta, batch=rng.choice(n, B, replace=False)) for _ in range(3000)])
        measured = np.mean(np.sum((draws - full) ** 2, axis=1))
        theory = trace_cov / B * (n - B) / (n - 1)   # sampling without replacement
        assert measured == pytest.approx(theory, rel=0.1), (B, measured, theory)


# --- convergence -----------------------------------------------------------------------------------

def test_sgd_with_decaying_schedule_reaches_ridge_on_diabetes(diabetes_ridge):
    obj, theta_star, f_star = diabetes_ridge
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=schedules.inverse_time(0.05, 0.01),
                    batch_size=16, epochs=60, rng=0)
    # stated tolerance: relative suboptimality below 5e-4 and θ within 3% of the ridge solution
    assert (res.objective - f_star) / f_star < 5e-4
    assert np.linalg.norm(res.theta - theta_star) / np.linalg.norm(theta_star) < 0.03


def test_sgd_averaging_beats_the_last_iterate_at_constant_lr(diabetes_ridge):
    obj, theta_star, f_star = diabetes_ridge
    kw = dict(lr=0.05, batch_size=16, epochs=60, rng=0)
    last = mlopt.sgd(obj, np.zeros(obj.n_features), **kw)
    avg = mlopt.sgd(obj, np.zeros(obj.n_features), average=100, **kw)
    assert avg.objective - f_star < 0.5 * (last.objective - f_star)
    # stated tolerance: relative suboptimality below 1e-4 and θ within 2% of the ridge solution
    assert (avg.objective - f_star) / f_star < 1e-4
    assert np.linalg.norm(avg.theta - theta_star) / np.linalg.norm(theta_star) < 0.02


@pytest.mark.parametrize("momentum,nesterov", [(0.5, False), (0.5, True)])
def test_sgd_momentum_reaches_ridge(diabetes_ridge, momentum, nesterov):
    obj, theta_star, f_star = diabetes_ridge
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=schedules.inverse_time(0.02, 0.01),
                    momentum=momentum, nesterov=nesterov, batch_size=32, epochs=60, rng=0)
    assert (res.objective - f_star) / f_star < 1e-3


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_adaptive_methods_find_a_known_optimum(name):
    # y = X θ* exactly: the minimum of the squared loss is 0 at θ*, and every minibatch gradient
    # vanishes there, so adaptive methods can reach it with a constant lr.
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 4)) * np.array([1.0, 3.0, 0.3, 1.0])
    theta_star = np.array([1.0, -2.0, 0.5, 3.0])
    obj = mlopt.EmpiricalRisk(X, X @ theta_star)
    solver, _ = SOLVERS[name]
    lr = {"adagrad": 0.5, "rmsprop": 0.003, "adam": 0.01}[name]
    res = solver(obj, np.zeros(4), lr=lr, batch_size=20, epochs=150, rng=0)
    np.testing.assert_allclose(res.theta, theta_star, atol=5e-3)


def test_adam_first_step_matches_the_formula():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10, 3))
    y = rng.standard_normal(10)
    obj = mlopt.EmpiricalRisk(X, y)
    theta0 = np.array([0.1, -0.2, 0.3])
    g = obj.gradient(theta0)
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    m = (1 - b1) * g
    v = (1 - b2) * g * g
    expected = theta0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    res = mlopt.adam(obj, theta0, lr=lr, batch_size=10, epochs=1, rng=0)
    np.testing.assert_allclose(res.theta, expected, rtol=1e-12)
    # the bias-corrected first step has size lr·|g|/(|g| + eps) ≈ lr in every coordinate
    np.testing.assert_allclose(np.abs(res.theta - theta0), lr, rtol=10 * eps / np.abs(g).min())


def test_full_batch_sgd_is_gradient_descent():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 3))
    y = rng.standard_normal(30)
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    res = mlopt.sgd(obj, np.zeros(3), lr=0.1, batch_size=30, epochs=7, rng=0)
    theta = np.zeros(3)
    for _ in range(7):
        theta = theta - 0.1 * obj.gradient(theta)
    np.testing.assert_allclose(res.theta, theta, rtol=1e-12, atol=1e-14)


def test_full_batch_heavy_ball_matches_the_recursion():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((25, 2))
    y = rng.standard_normal(25)
    obj = mlopt.EmpiricalRisk(X, y)
    lr, beta = 0.05, 0.8
    for nesterov in (False, True):
        res = mlopt.sgd(obj, np.zeros(2), lr=lr, momentum=beta, nesterov=nesterov, batch_size=25,
                        epochs=5, rng=0)
        theta, b = np.zeros(2), np.zeros(2)
        for _ in range(5):
            g = obj.gradient(theta)
            b = beta * b + g
            theta = theta - lr * ((g + beta * b) if nesterov else b)
        np.testing.assert_allclose(res.theta, theta, rtol=1e-12)


# --- reproducibility, history, stopping ------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_same_seed_is_bitwise_identical_and_different_seeds_differ(diabetes_ridge, name):
    obj, _, _ = diabetes_ridge
    solver, kw = SOLVERS[name]
    a = solver(obj, np.zeros(obj.n_features), epochs=2, rng=11, **kw)
    b = solver(obj, np.zeros(obj.n_features), epochs=2, rng=11, **kw)
    c = solver(obj, np.zeros(obj.n_features), epochs=2, rng=12, **kw)
    assert np.array_equal(a.theta, b.theta)
    assert np.array_equal(a.history["objective"], b.history["objective"])
    assert not np.array_equal(a.theta, c.theta)


def test_rng_generator_is_used_not_global_state(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    a = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=1, rng=np.random.default_rng(7))
    np.random.seed(0)
    b = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=1, rng=np.random.default_rng(7))
    assert np.array_equal(a.theta, b.theta)


def test_history_per_epoch_and_per_step(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    n = obj.n_samples
    res = mlopt.sgd(obj, np.zeros(obj.n_features), batch_size=50, epochs=4, rng=0, record_theta=True,
                    record="exact")
    assert res.history_kind == "exact"
    h = res.history
    lengths = {k: len(v) for k, v in h.items()}
    assert set(lengths.values()) == {5}, lengths
    assert h["theta"].shape == (5, obj.n_features)
    np.testing.assert_array_equal(h["epoch"], np.arange(5))
    steps_per_epoch = -(-n // 50)
    assert res.n_iter == 4 * steps_per_epoch
    np.testing.assert_allclose(h["n_grad"], np.arange(5), rtol=1e-12)   # one epoch = one full gradient
    assert np.all(np.diff(h["time"]) >= 0)
    assert h["objective"][0] == pytest.approx(obj.value(np.zeros(obj.n_features)), rel=1e-12)
    for k in range(5):   # exact values at the recorded points
        assert h["objective"][k] == pytest.approx(obj.value(h["theta"][k]), rel=1e-12)
    assert res.objective == h["objective"][-1]
    step = mlopt.sgd(obj, np.zeros(obj.n_features), batch_size=50, epochs=2, rng=0, record="step")
    assert len(step.history["objective"]) == 2 * steps_per_epoch + 1
    assert np.all(np.diff(step.history["n_grad"]) > 0)
    assert "theta" not in step.history


def test_default_history_is_the_epoch_mean_of_the_minibatch_objectives(diabetes_ridge):
    # record="epoch" (default): no extra pass over the data; entry 0 is J and ‖∇J‖ at θ₀ on up to
    # 1024 evenly spaced rows (all 442 here), entry k the mean over epoch k of the minibatch
    # objectives J_B(θₜ) (weighted by |B|) and the norm of the mean minibatch gradient.
    # Recomputed here from the same sample order.
    obj, _, _ = diabetes_ridge
    B, lr = 50, 0.01
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=lr, batch_size=B, epochs=3, rng=0)
    assert res.history_kind == "estimate"
    rng = np.random.default_rng(0)
    theta = np.zeros(obj.n_features)
    means, norms = [], []
    first = (obj.value(theta), np.linalg.norm(obj.gradient(theta)))
    for _ in range(3):
        order = rng.permutation(obj.n_samples)
        vals, grads, sizes = [], [], []
        for s in range(0, obj.n_samples, B):
            idx = order[s:s + B]
            g = obj.gradient(theta, batch=idx)
            r = obj.X[idx] @ theta - obj.y[idx]
            vals.append(np.mean(r * r) + obj.lam * theta @ theta)
            grads.append(g)
            sizes.append(idx.size)
            theta = theta - lr * g
        means.append(np.dot(vals, sizes) / sum(sizes))
        norms.append(np.linalg.norm(np.mean(grads, axis=0)))
    h = res.history
    np.testing.assert_allclose(h["objective"], [first[0]] + means, rtol=1e-12)
    np.testing.assert_allclose(h["grad_norm"], [first[1]] + norms, rtol=1e-12)
    np.testing.assert_allclose(res.theta, theta, rtol=1e-12)
    # Result.objective is J of the returned θ, exact, computed when read
    assert res.objective == pytest.approx(obj.value(res.theta), rel=1e-14)


def test_schedule_is_counted_in_updates(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    sched = schedules.step_decay(0.02, 0.5, every=3)
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=sched, batch_size=obj.n_samples // 2 + 1,
                    epochs=4, rng=0, record="step")
    np.testing.assert_allclose(res.history["lr"][1:], [sched(t) for t in range(8)], rtol=1e-15)


def test_tol_stops_with_scikit_learn_rule(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=0.01, tol=1e-3, n_iter_no_change=3, epochs=200, rng=0)
    assert res.status == "converged" and res.converged
    f = res.history["objective"][1:]
    # the last 3 epochs did not improve on the best before them by tol
    best_before = f[:-3].min()
    assert np.all(f[-3:] > best_before - 1e-3)
    assert len(f) < 200


def test_early_stopping_returns_the_best_validation_iterate():
    rng = np.random.default_rng(0)
    n, d = 60, 40  # few samples per feature: the validation loss turns up
    X = rng.standard_normal((n, d))
    y = X[:, 0] + 0.5 * rng.standard_normal(n)
    obj = mlopt.EmpiricalRisk(X, y)
    res = mlopt.sgd(obj, np.zeros(d), lr=0.01, batch_size=4, epochs=300, tol=1e-4,
                    n_iter_no_change=10, early_stopping=True, validation_fraction=0.25, rng=1,
                    record_theta=True)
    val = res.history["val_loss"]
    assert res.converged
    best = int(np.argmin(val))
    np.testing.assert_array_equal(res.theta, res.history["theta"][best])
    assert len(val) < 301


def test_memmap_data_gives_the_same_run_as_in_memory(tmp_path, diabetes):
    X, y = diabetes
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    Xm = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    obj_m = mlopt.EmpiricalRisk(Xm, y, lam=0.01)
    assert isinstance(obj_m.X, np.memmap)  # not copied into memory
    obj = mlopt.EmpiricalRisk(X, y, lam=0.01)
    a = mlopt.sgd(obj_m, np.zeros(X.shape[1]), epochs=3, rng=0)           # memmap: blocks by default
    b = mlopt.sgd(obj, np.zeros(X.shape[1]), epochs=3, rng=0, shuffle="blocks")
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12)
    np.testing.assert_allclose(a.history["objective"], b.history["objective"], rtol=1e-12)
    c = mlopt.sgd(obj_m, np.zeros(X.shape[1]), epochs=3, rng=0, shuffle="rows")
    d = mlopt.sgd(obj, np.zeros(X.shape[1]), epochs=3, rng=0)
    np.testing.assert_allclose(c.theta, d.theta, rtol=1e-12)


@pytest.mark.parametrize("n,batch_size,block", [(10, 3, None), (10, 3, 4), (200, 7, 64), (64, 8, 64), (5, 5, 2)])
def test_epoch_visits_every_sample_once(n, batch_size, block):
    from mlopt._sampling import epoch_batches as _epoch_batches
    from mlopt._sampling import steps_per_epoch as _steps_per_epoch

    batches = list(_epoch_batches(np.random.default_rng(0), n, batch_size, block))
    assert len(batches) == _steps_per_epoch(n, batch_size, block)
    assert all(1 <= b.size <= batch_size for b in batches)
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    if block is not None:  # each batch stays inside one block
        assert all(len(set(b // block)) == 1 for b in batches)


def test_sampling_with_replacement_draws_uniform_rows_and_still_converges(diabetes_ridge):
    from mlopt._sampling import REPLACEMENT, epoch_batches, steps_per_epoch

    n = 1000
    rows = np.concatenate([np.concatenate(list(epoch_batches(np.random.default_rng(s), n, 10, REPLACEMENT)))
                           for s in range(200)])
    assert len(list(epoch_batches(np.random.default_rng(0), n, 10, REPLACEMENT))) == steps_per_epoch(n, 10, REPLACEMENT)
    counts = np.bincount(rows, minlength=n)
    # 200 epochs of n uniform draws: each row about 200 times (Poisson-like spread), and an epoch
    # misses about n/e rows, which a permutation never does
    assert abs(counts.mean() - 200) < 1e-9 and counts.std() == pytest.approx(np.sqrt(200), rel=0.15)
    one = np.concatenate(list(epoch_batches(np.random.default_rng(1), n, 10, REPLACEMENT)))
    assert abs(n - np.unique(one).size - n / np.e) < 4 * np.sqrt(n * 0.23)
    obj, star, _ = diabetes_ridge
    res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=mlopt.schedules.inverse_time(0.05, 0.01), epochs=40,
                    rng=0, shuffle="replacement")
    assert np.linalg.norm(res.theta - star) < 0.1 * np.linalg.norm(star)
    with pytest.raises(ValueError, match="saga needs minibatches without repeated rows"):
        mlopt.saga(obj, np.zeros(obj.n_features), shuffle="replacement")
    with pytest.raises(ValueError, match="shuffle must be 'auto', 'rows', 'blocks' or 'replacement'"):
        mlopt.sgd(obj, np.zeros(obj.n_features), shuffle="random")


# --- divergence and bad input ------------------------------------------------------------------------

def test_divergence_stops_warns_and_keeps_a_finite_iterate(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=5.0, epochs=50, rng=0)
    assert not res.converged
    assert res.status == "diverged"
    assert "2/L" in res.message
    assert np.all(np.isfinite(res.theta))
    assert np.all(np.isfinite(res.history["objective"]))
    assert res.n_iter < 50 * 14


def test_growth_without_overflow_is_reported_as_divergence():
    # A run whose objective explodes by 1e29 while staying finite must not report "completed".
    X, y, _ = mlopt.datasets.make_regression(512, 20, noise=0.001, condition_number=100, rng=0)
    obj = mlopt.EmpiricalRisk(X, y)
    with pytest.warns(mlopt.ConvergenceWarning, match="diverged"):
        res = mlopt.sgd(obj, np.zeros(20), lr=1.5 / obj.smoothness(), momentum=0.9, nesterov=True,
                        batch_size=64, epochs=40, rng=0)
    assert res.status == "diverged" and "grew" in res.message
    assert "backtracking" not in res.message  # sgd has no line search to recommend
    assert not res.converged and np.isfinite(res.objective)


def test_divergence_advice_names_the_per_sample_limit(diabetes):
    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y)
    L = obj.smoothness()
    with pytest.warns(mlopt.ConvergenceWarning):
        res = mlopt.sgd(obj, np.zeros(X.shape[1]), lr=1.5 / L, batch_size=1, epochs=20, rng=0)
    assert res.status == "diverged"
    L_max = 2 * np.max(np.sum(X * X, axis=1))
    assert f"max_i L_i={L_max:.3g}" in res.message


def test_epochs_running_out_with_tol_warns(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with pytest.warns(mlopt.ConvergenceWarning, match="epochs=2 ran out"):
        res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=1e-4, tol=1e-12, n_iter_no_change=5, epochs=2, rng=0)
    assert not res.converged


def test_no_warning_without_a_stopping_criterion(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=2, rng=0)
    assert "tol=None" in res.message


@pytest.mark.parametrize("kwargs,match", [
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"batch_size": 10_000}, "batch_size must be <= n_samples=442"),
    ({"batch_size": 2.5}, "batch_size must be an integer"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"lr": 0.0}, "lr must be > 0"),
    ({"lr": -0.1}, "lr must be > 0"),
    ({"lr": "adaptive"}, "lr must be a positive float or a schedule"),
    ({"momentum": 1.0}, "momentum must be < 1"),
    ({"momentum": -0.1}, "momentum must be >= 0"),
    ({"nesterov": True}, "nesterov=True needs momentum"),
    ({"tol": -1.0}, "tol must be >= 0"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be >= 1"),
    ({"early_stopping": True}, "early_stopping=True needs a tol"),
    ({"validation_fraction": 1.0, "early_stopping": True, "tol": 1e-3}, "validation_fraction must be < 1"),
    ({"record": "batch"}, "record must be one of \\('epoch', 'exact', 'step'\\)"),
    ({"shuffle": "none"}, "shuffle must be 'auto', 'rows', 'blocks' or 'replacement'"),
    ({"average": -1}, "average must be >= 0"),
    ({"callback": 3}, "callback must be callable"),
])
def test_sgd_bad_input(diabetes_ridge, kwargs, match):
    obj, _, _ = diabetes_ridge
    with pytest.raises(ValueError, match=match):
        mlopt.sgd(obj, np.zeros(obj.n_features), **kwargs)


@pytest.mark.parametrize("solver,kwargs,match", [
    (mlopt.adam, {"beta1": 1.0}, "beta1 must be < 1"),
    (mlopt.adam, {"beta2": -0.5}, "beta2 must be >= 0"),
    (mlopt.adam, {"eps": 0.0}, "eps must be > 0"),
    (mlopt.rmsprop, {"rho": 1.0}, "rho must be < 1"),
    (mlopt.rmsprop, {"eps": -1e-8}, "eps must be > 0"),
    (mlopt.adagrad, {"eps": 0.0}, "eps must be > 0"),
    (mlopt.adagrad, {"initial_accumulator": -1.0}, "initial_accumulator must be >= 0"),
])
def test_adaptive_bad_input(diabetes_ridge, solver, kwargs, match):
    obj, _, _ = diabetes_ridge
    with pytest.raises(ValueError, match=match):
        solver(obj, np.zeros(obj.n_features), **kwargs)


def test_theta0_shape_and_obj_type_are_checked(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with pytest.raises(ValueError, match=r"theta0 must have shape \(10,\)"):
        mlopt.sgd(obj, np.zeros(3))
    with pytest.raises(ValueError, match="obj must be an mlopt.EmpiricalRisk"):
        mlopt.sgd(object(), np.zeros(3))


def test_inputs_are_not_modified(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    theta0 = np.full(obj.n_features, 0.5)
    before = theta0.copy()
    X_before = obj.X.copy()
    mlopt.adam(obj, theta0, epochs=1, rng=0)
    mlopt.sgd(obj, theta0, momentum=0.9, epochs=1, rng=0)
    np.testing.assert_array_equal(theta0, before)
    np.testing.assert_array_equal(obj.X, X_before)


def test_nesterov_advice_uses_the_nesterov_stability_limit():
    X, y, _ = mlopt.datasets.make_regression(512, 20, noise=0.001, condition_number=100, rng=0)
    obj = mlopt.EmpiricalRisk(X, y)
    L = obj.smoothness()
    with pytest.warns(mlopt.ConvergenceWarning):
        res = mlopt.sgd(obj, np.zeros(20), lr=1.5 / L, momentum=0.9, nesterov=True, batch_size=64,
                        epochs=40, rng=0)
    limit = 2 * 1.9 / (2.8 * L)  # 2(1+β)/((1+2β)L) < 1.5/L < 2(1+β)/L
    assert f"exceeds 2(1+momentum)/((1+2 momentum)L)={limit:.3g}" in res.message


def test_progress_bar_goes_to_stderr_and_changes_nothing(diabetes_ridge, capsys):
    pytest.importorskip("tqdm")
    obj, _, _ = diabetes_ridge
    quiet = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=3, rng=0)
    shown = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=3, rng=0, progress=True)
    captured = capsys.readouterr()
    assert "sgd" in captured.err and "/3" in captured.err and captured.out == ""
    np.testing.assert_array_equal(quiet.theta, shown.theta)
    with pytest.raises(ValueError, match="progress must be True or False"):
        mlopt.sgd(obj, np.zeros(obj.n_features), progress="yes")


def test_progress_without_tqdm_warns_and_runs(diabetes_ridge, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    obj, _, _ = diabetes_ridge
    with pytest.warns(UserWarning, match="progress=True needs tqdm"):
        res = mlopt.sgd(obj, np.zeros(obj.n_features), epochs=2, rng=0, progress=True)
    assert len(res.history["objective"]) == 3


@pytest.mark.parametrize("rng, shown", [(-1, "-1"), (1.5, "1.5"), ("seed", "'seed'"), (True, "True")])
def test_rng_of_a_wrong_type_or_a_negative_seed(diabetes_ridge, rng, shown):
    obj, _, _ = diabetes_ridge
    with pytest.raises(ValueError, match=f"rng must be None, a seed >= 0 or a numpy.random.Generator; got rng=.*{shown}"):
        mlopt.sgd(obj, np.zeros(obj.n_features), epochs=1, rng=rng)


def test_sgd_schedule_returning_a_non_number_names_lr(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    for bad in (lambda t: None, lambda t: "fast", lambda t: np.array([0.1, 0.2])):
        with pytest.raises(ValueError, match="lr schedule must return a number"):
            mlopt.sgd(obj, np.zeros(obj.n_features), lr=bad, epochs=1, rng=0)


def test_diverging_average_reports_the_objective_of_the_returned_theta(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
        res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=5.0, average=True, epochs=20, rng=0)
    assert res.status == "diverged" and np.all(np.isfinite(res.theta))
    assert np.isfinite(res.objective) and res.objective == pytest.approx(obj.value(res.theta), rel=1e-12)


def test_adam_with_a_huge_lr_is_not_a_normal_finish(diabetes_ridge):
    obj, _, _ = diabetes_ridge
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
        res = mlopt.adam(obj, np.zeros(obj.n_features), lr=1e6, epochs=10, rng=0)
    assert res.status == "diverged" and "grew" in res.message


def test_step_record_keeps_no_rejected_point_and_advice_quotes_the_lr(diabetes_ridge):
    # a run diverging in its first epoch: the history ends at the last acceptable point, the
    # advice quotes the lr actually used
    obj, _, _ = diabetes_ridge
    lr = 1 / obj.smoothness()
    for record in ("epoch", "exact", "step"):
        with pytest.warns(mlopt.ConvergenceWarning, match="^diverged"):
            res = mlopt.sgd(obj, np.zeros(obj.n_features), lr=lr, batch_size=1, epochs=20, rng=0, record=record)
        h = res.history["objective"]
        assert np.all(h <= 1e10 * max(abs(h[0]), 1)), record
        assert f"lr={lr:g}" in res.message, res.message
        assert res.objective == pytest.approx(obj.value(res.theta), rel=1e-12)
