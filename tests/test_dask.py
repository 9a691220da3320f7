"""EmpiricalRisk over dask arrays: the same numbers as in memory (value, gradient, Hessian,
curvature constants, every full-batch solver), chunk-local stochastic sampling (checked against a
hand-written replay of its order, bounded client memory, reproducible), a worker killed mid-run on
a real LocalCluster, mlopt without dask, and the checks of bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import mlopt

da = pytest.importorskip("dask.array", reason="the dask tests need the optional extra: pip install 'mlopt[dask]'")
distributed = pytest.importorskip("distributed", reason="the dask tests need dask.distributed ('mlopt[dask]')")
import dask  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes on this machine, started and closed by the tests themselves."""
    with mlopt.cluster.local_cluster(2) as client:
        yield client


def regression(n=3000, d=6, seed=0):
    X, y, _ = mlopt.datasets.make_regression(n, d, noise=0.3, condition_number=20, rng=seed)
    return X, y


def classification(n=3000, d=6, seed=0):
    X, y, _ = mlopt.datasets.make_classification(n, d, rng=seed)
    return X, y


def chunked(X, y, rows):
    return da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=rows)


def pair(X, y, rows, **kw):
    """The same objective in memory and over dask arrays chunked by ``rows`` (uneven last chunk)."""
    return mlopt.EmpiricalRisk(X, y, **kw), mlopt.EmpiricalRisk(*chunked(X, y, rows), **kw)


OBJECTIVES = {
    "ridge": (regression, dict(lam=0.1)),
    "lasso": (regression, dict(regularizer=mlopt.regularizers.l1, lam=0.01)),
    "logistic": (classification, dict(loss=mlopt.losses.logistic, lam=0.01)),
    "huber-elastic": (regression, dict(loss=mlopt.losses.huber(1.0),
                                       regularizer=mlopt.regularizers.elastic_net(0.5), lam=0.02)),
}


# --- the same numbers as in memory (dask's default threads) -----------------------------------

@pytest.mark.parametrize("name", OBJECTIVES)
def test_value_gradient_hessian_equal_the_in_memory_ones(name):
    make, kw = OBJECTIVES[name]
    X, y = make()
    mem, dsk = pair(X, y, 700, **kw)
    assert dsk.is_dask and len(dsk.X.chunks[0]) == 5
    theta, v = np.random.default_rng(1).standard_normal((2, X.shape[1]))
    assert dsk.value(theta) == pytest.approx(mem.value(theta), rel=1e-13)
    np.testing.assert_allclose(dsk.gradient(theta), mem.gradient(theta), rtol=1e-12, atol=1e-14)
    f, g = dsk.value_and_gradient(theta)
    assert f == pytest.approx(mem.value(theta), rel=1e-13)
    np.testing.assert_allclose(g, mem.gradient(theta), rtol=1e-12, atol=1e-14)
    assert dsk.risk(theta) == pytest.approx(mem.risk(theta), rel=1e-13)
    np.testing.assert_allclose(dsk.hessian(theta), mem.hessian(theta), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dsk.hessian_vector(theta, v), mem.hessian_vector(theta, v), rtol=1e-12, atol=1e-13)
    f3, g3, H3 = dsk.unchecked.value_gradient_hessian(theta)
    f0, g0, H0 = mem.unchecked.value_gradient_hessian(theta)
    assert f3 == pytest.approx(f0, rel=1e-13) and f0 == pytest.approx(mem.value(theta), rel=1e-13)
    np.testing.assert_allclose(g3, g0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g0, mem.gradient(theta), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H3, H0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H0, mem.hessian(theta), rtol=1e-12, atol=1e-14)
    rows = np.array([2999, 5, 5, 1400, 0])
    np.testing.assert_allclose(dsk.gradient(theta, batch=rows), mem.gradient(theta, batch=rows), rtol=1e-12)


@pytest.mark.parametrize("name", ["ridge", "logistic"])
def test_curvature_constants_come_from_one_reduced_gram(name):
    make, kw = OBJECTIVES[name]
    mem, dsk = pair(*make(), 512, **kw)
    np.testing.assert_allclose(dsk.gram_eigenvalues(), mem.gram_eigenvalues(), rtol=1e-11)
    for what in ("smoothness", "strong_convexity", "max_sample_smoothness", "condition_number"):
        assert getattr(dsk, what)() == pytest.approx(getattr(mem, what)(), rel=1e-11), what


def test_a_numpy_y_is_chunked_like_x_and_float32_chunks_are_computed_in_float64():
    X, y = regression()
    mem = mlopt.EmpiricalRisk(X.astype(np.float32), y.astype(np.float32), lam=0.1)
    dsk = mlopt.EmpiricalRisk(da.from_array(X.astype(np.float32), chunks=(1000, -1)), y.astype(np.float32), lam=0.1)
    assert dsk.y.chunks[0] == dsk.X.chunks[0]
    theta = np.ones(6)
    np.testing.assert_allclose(dsk.gradient(theta), mem.gradient(theta), rtol=1e-12)


def test_the_chunk_gradients_average_to_the_risk_gradient():
    X, y = classification()
    mem, dsk = pair(X, y, 700, loss=mlopt.losses.logistic, lam=0.5)
    theta = np.full(6, 0.3)
    G = mlopt.cluster.chunk_gradients(dsk, theta)
    sizes = np.array(dsk.X.chunks[0])
    assert G.shape == (5, 6)
    np.testing.assert_allclose(sizes @ G / sizes.sum(), mem.unchecked.risk_gradient(theta), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(G[1], mem.subset(np.arange(700, 1400)).unchecked.risk_gradient(theta), rtol=1e-12)
    with pytest.raises(ValueError, match="obj must be an mlopt.EmpiricalRisk over dask arrays"):
        mlopt.cluster.chunk_gradients(mem, theta)


def test_newton_needs_one_round_per_accepted_step(monkeypatch):
    """Newton's full step is tried with J, ∇J and ∇²J from one pass: when it is accepted (here
    every time), a step costs one round on a cluster, and the start one more."""
    X, y = classification(4000, 5, seed=6)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 1000), loss=mlopt.losses.logistic, lam=0.01)
    rounds = []
    run = mlopt._dask.DaskRisk.map_chunks

    def counted(self, fn, *args):
        rounds.append(fn.__name__)
        return run(self, fn, *args)

    monkeypatch.setattr(mlopt._dask.DaskRisk, "map_chunks", counted)
    res = mlopt.newton(dsk, np.zeros(5), tol=1e-10)
    assert res.status == "converged" and set(res.history["lr"][1:]) == {1.0}
    assert rounds == ["_chunk_all"] * (1 + res.n_iter)


def test_backtracking_needs_one_round_per_step_whose_first_trial_holds(monkeypatch):
    X, y = classification(4000, 5, seed=6)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 1000), loss=mlopt.losses.logistic, lam=0.01)
    rounds = []
    run = mlopt._dask.DaskRisk.map_chunks

    def counted(self, fn, *args):
        rounds.append(args[2:4])    # (value, grad) flags of the pass
        return run(self, fn, *args)

    monkeypatch.setattr(mlopt._dask.DaskRisk, "map_chunks", counted)
    res = mlopt.gradient_descent(dsk, np.zeros(5), lr="backtracking", tol=1e-6)
    both = sum(1 for r in rounds if r == (True, True))
    values = sum(1 for r in rounds if r == (True, False))
    assert res.status == "converged" and both + values == len(rounds)
    # the start, one per search (its first trial), J alone for each halving
    assert both == 1 + res.n_iter + (res.history["n_grad"][-1] - 1 - res.n_iter)
    assert values < res.n_iter


# --- the full-batch solvers, on a real LocalCluster -------------------------------------------

SOLVERS = {
    "gradient_descent": (lambda o, t: mlopt.gradient_descent(o, t, lr="auto", tol=1e-9, max_iter=5000), "ridge"),
    "newton": (lambda o, t: mlopt.newton(o, t, tol=1e-10), "logistic"),
    "lbfgs": (lambda o, t: mlopt.lbfgs(o, t, tol=1e-10), "logistic"),
    "proximal_gradient": (lambda o, t: mlopt.proximal_gradient(o, t, tol=1e-10, max_iter=5000), "lasso"),
    "conjugate_gradient": (lambda o, t: mlopt.conjugate_gradient(o, t, tol=1e-10), "ridge"),
}


@pytest.mark.parametrize("solver", SOLVERS)
def test_full_batch_solvers_give_the_in_memory_result_on_a_cluster(cluster, solver):
    run, name = SOLVERS[solver]
    make, kw = OBJECTIVES[name]
    X, y = make()
    mem = mlopt.EmpiricalRisk(X, y, **kw)
    Xd, yd = chunked(X, y, 800)
    dsk = mlopt.EmpiricalRisk(Xd.persist(), yd.persist(), **kw)
    a, b = run(mem, np.zeros(6)), run(dsk, np.zeros(6))
    assert b.status == a.status == "converged", (a.message, b.message)
    assert b.n_iter == pytest.approx(a.n_iter, abs=1)
    np.testing.assert_allclose(b.theta, a.theta, rtol=0, atol=1e-8)


def test_local_cluster_leaves_this_process_environment_as_it_was():
    """Dask's nanny sets OPENBLAS_NUM_THREADS=1 and a random PYTHONHASHSEED in the parent's
    environment for its workers; every kernel or build started afterwards would inherit them."""
    before = dict(os.environ)
    with mlopt.cluster.local_cluster(1) as client:
        inside = dict(os.environ)
        assert len(client.scheduler_info()["workers"]) == 1
    assert inside == before and dict(os.environ) == before


def test_a_client_connected_by_address_runs_the_same_code(cluster):
    """What a real cluster looks like from the client: a scheduler address, nothing else."""
    X, y = classification(2000, 4, seed=5)
    kw = dict(loss=mlopt.losses.logistic, lam=0.01)
    address = cluster.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    with distributed.Client(address) as other:
        dsk = mlopt.EmpiricalRisk(*chunked(X, y, 500), **kw)
        res = mlopt.lbfgs(dsk, np.zeros(4), tol=1e-10)
        assert distributed.default_client() is other
    np.testing.assert_allclose(res.theta, mlopt.lbfgs(mlopt.EmpiricalRisk(X, y, **kw), np.zeros(4), tol=1e-10).theta,
                               rtol=0, atol=1e-9)


def test_a_killed_worker_mid_run_changes_nothing(cluster):
    """Kill one worker process during a full-batch run: Dask recomputes the chunks it held (the
    nanny starts a new worker) and the run ends at the in-memory answer, never at a wrong θ."""
    X, y = classification(20000, 8, seed=4)
    kw = dict(loss=mlopt.losses.logistic, lam=1e-3)
    expected = mlopt.gradient_descent(mlopt.EmpiricalRisk(X, y, **kw), np.zeros(8), lr=2.0, tol=1e-8,
                                      max_iter=3000)
    Xd, yd = chunked(X, y, 2000)
    dsk = mlopt.EmpiricalRisk(Xd.persist(), yd.persist(), **kw)
    before = cluster.run(os.getpid)
    killed = []

    def kill_one(t, theta, objective):
        if t == 5:
            address, pid = sorted(before.items())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(address)
        return False

    res = mlopt.gradient_descent(dsk, np.zeros(8), lr=2.0, tol=1e-8, max_iter=3000, callback=kill_one)
    assert killed, "the callback never ran"
    assert res.status == expected.status == "converged"
    assert res.n_iter == expected.n_iter
    np.testing.assert_allclose(res.theta, expected.theta, rtol=0, atol=1e-12)
    cluster.wait_for_workers(2, timeout=60)
    after = cluster.run(os.getpid)
    assert before[killed[0]] not in after.values()   # that process is gone: a new one took its place


# --- chunk-local stochastic sampling ---------------------------------------------------------

def replay_chunk_sgd(X, y, rows, lr, batch_size, epochs, seed, lam):
    """Plain SGD written out with the documented order: chunks in rng.permutation(K) order, each
    chunk's rows in rng.permutation(n_k) order, cut into minibatches (the last may be smaller)."""
    rng = np.random.default_rng(seed)
    starts = np.arange(0, X.shape[0], rows)
    mem = mlopt.EmpiricalRisk(X, y, lam=lam)
    theta = np.zeros(X.shape[1])
    for _ in range(epochs):
        for k in rng.permutation(starts.size):
            size = min(rows, X.shape[0] - starts[k])
            order = starts[k] + rng.permutation(size)
            for s in range(0, size, batch_size):
                theta = theta - lr * mem.gradient(theta, batch=order[s:s + batch_size])
    return theta


def test_chunk_local_sgd_follows_the_documented_order():
    X, y = regression(2300, 5, seed=2)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 600), lam=0.05)
    res = mlopt.sgd(dsk, np.zeros(5), lr=0.02, batch_size=64, epochs=3, rng=7)
    expected = replay_chunk_sgd(X, y, 600, 0.02, 64, 3, 7, 0.05)
    np.testing.assert_allclose(res.theta, expected, rtol=1e-12, atol=1e-14)
    assert res.n_iter == 3 * (3 * 10 + 8)   # chunks of 600 rows: 10 minibatches; the last (500): 8


@pytest.mark.parametrize("method", ["sgd", "adam", "adagrad", "rmsprop"])
def test_the_same_seed_gives_the_same_run_on_a_cluster(cluster, method):
    X, y = classification(4000, 5, seed=1)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 1000), loss=mlopt.losses.logistic, lam=0.01)
    run = getattr(mlopt, method)
    a = run(dsk, np.zeros(5), lr=0.05, epochs=2, rng=3)
    b = run(dsk, np.zeros(5), lr=0.05, epochs=2, rng=3)
    c = run(dsk, np.zeros(5), lr=0.05, epochs=2, rng=4)
    assert np.array_equal(a.theta, b.theta) and not np.array_equal(a.theta, c.theta)
    for key in ("objective", "grad_norm"):
        assert np.array_equal(a.history[key], b.history[key])


def test_the_client_holds_a_few_chunks_not_the_data(cluster):
    """An epoch of SGD over 12 chunks of 6.4 MB: the client's peak allocation stays below four
    chunks (the one in use, the next one arriving and, for a moment, the receive buffer of its
    transfer), far from the 77 MB of X."""
    rng = np.random.default_rng(0)
    rows, d, K = 40_000, 20, 12
    X = da.random.default_rng(5).standard_normal((rows * K, d), chunks=(rows, d)).persist()
    y = (X[:, 0] + 0.1).persist()
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    chunk_bytes = rows * d * 8
    tracemalloc.start()
    try:
        res = mlopt.sgd(obj, np.zeros(d), lr=0.01, batch_size=256, epochs=1, rng=rng)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.status == "completed"
    assert peak < 4 * chunk_bytes, f"peak {peak / 1e6:.1f} MB for chunks of {chunk_bytes / 1e6:.1f} MB"


def test_chunks_reach_the_client_whole_and_gather_aligned_rows(cluster):
    """A chunk unpacked from a message may start at an odd address, where NumPy's row gather is a
    hundred times slower: the minibatch rows the chunk view gathers are aligned float64 copies."""
    X, y = classification(6000, 7, seed=2)
    obj = mlopt.EmpiricalRisk(*chunked(X, y, 1000), loss=mlopt.losses.logistic)
    firsts = []
    for view, order in obj.unchecked.epoch_chunks(np.random.default_rng(0)):
        assert view.y.flags.aligned and sorted(order) == list(range(view.X.shape[0]))
        rows = view.X.take(order[:5], axis=0)
        assert rows.flags.aligned and rows.flags.c_contiguous and rows.dtype == np.float64
        firsts.append(view.X.take([0], axis=0)[0])
    starts = sorted(int(np.flatnonzero((X == row).all(axis=1))[0]) for row in firsts)
    assert starts == list(range(0, 6000, 1000))


def test_rows_of_a_misaligned_chunk_are_gathered_exactly():
    X = np.random.default_rng(0).standard_normal((300, 7))
    raw = np.zeros(X.nbytes + 1, dtype=np.uint8)
    raw[1:] = X.view(np.uint8).ravel()
    odd = np.frombuffer(raw.data, dtype=np.float64, offset=1, count=X.size).reshape(X.shape)
    assert not odd.flags.aligned
    obj = mlopt.EmpiricalRisk(*chunked(X, np.zeros(300), 100), lam=0.1)
    view = obj.unchecked.chunk_view(odd, np.ones(300))
    assert isinstance(view.X, mlopt._dask.ByteRows)
    rows = np.array([299, 0, 17, 17])
    got = view.X.take(rows, axis=0)
    assert got.flags.aligned and np.array_equal(got, X[rows])
    f, g = view.minibatch(np.ones(7), rows)
    f0, g0 = mlopt.EmpiricalRisk(X, np.ones(300), lam=0.1).unchecked.minibatch(np.ones(7), rows)
    assert f == f0 and np.array_equal(g, g0)
    with pytest.raises(ValueError, match="axis must be 0"):
        view.X.take(rows, axis=1)


def test_early_stopping_holds_out_rows_of_dask_data():
    X, y = regression(3000, 4, seed=3)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 500), lam=0.01)
    res = mlopt.sgd(dsk, np.zeros(4), lr=0.01, epochs=30, tol=1e-4, early_stopping=True, rng=0)
    assert res.status in ("early_stopping", "max_iter")
    assert res.history["val_loss"].size == res.history["objective"].size


# --- mlopt without dask -----------------------------------------------------------------------

def test_mlopt_imports_and_works_without_dask():
    code = ("import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
            "import numpy as np, mlopt\n"
            "X, y, _ = mlopt.datasets.make_regression(200, 3, noise=0.1, rng=0)\n"
            "r = mlopt.lbfgs(mlopt.EmpiricalRisk(X, y, lam=0.1), np.zeros(3))\n"
            "assert r.converged and 'dask' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
            "try:\n    mlopt.cluster.local_cluster().__enter__()\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'mlopt[dask]'" in out.stdout


# --- bad input ---------------------------------------------------------------------------------

def test_bad_chunking_and_dtypes_are_refused_with_the_parameter_named():
    X, y = regression(1000, 4)
    Xd, yd = chunked(X, y, 250)
    with pytest.raises(ValueError, match=r"y must be chunked like the rows of X: X has row chunks \(250, 250, 250, 250\)"):
        mlopt.EmpiricalRisk(Xd, da.from_array(y, chunks=300))
    with pytest.raises(ValueError, match=r"X must be chunked by rows only, with all 4 columns in one chunk; got column chunks \(2, 2\)"):
        mlopt.EmpiricalRisk(da.from_array(X, chunks=(250, 2)), yd)
    with pytest.raises(ValueError, match="X must hold floats .*got dtype int64"):
        mlopt.EmpiricalRisk(Xd.astype(np.int64), yd)
    with pytest.raises(ValueError, match="y must hold floats .*got dtype int64"):
        mlopt.EmpiricalRisk(Xd, yd.astype(np.int64), loss=mlopt.losses.logistic)
    with pytest.raises(ValueError, match=r"y must have one entry per row of X: X has 1000 rows, y has shape \(999,\)"):
        mlopt.EmpiricalRisk(Xd, yd[:999])
    with pytest.raises(ValueError, match="X must be a dask array when y is one"):
        mlopt.EmpiricalRisk(X, yd)
    with pytest.raises(ValueError, match="X must be 2-D"):
        mlopt.EmpiricalRisk(yd, yd)
    unknown = Xd[Xd[:, 0] > -100]
    with pytest.raises(ValueError, match=r"X must have known chunk sizes.*compute_chunk_sizes"):
        mlopt.EmpiricalRisk(unknown, yd)


def counting_loads(X, rows):
    """X as a dask array whose chunk loads are counted (each chunk is made by a task)."""
    loads = []

    def load(block, block_info=None):
        loads.append(block_info[None]["chunk-location"][0])
        return block

    return da.from_array(X, chunks=(rows, -1)).map_blocks(load, dtype=X.dtype), loads


@pytest.mark.parametrize("bad", ["nan-in-X", "inf-in-y"])
def test_a_nan_in_one_chunk_is_found_by_the_first_pass_without_an_extra_one(bad):
    X, y = regression(1000, 4)
    X, y = X.copy(), y.copy()
    if bad == "nan-in-X":
        X[612, 2] = np.nan
        match = r"X must be finite \(no NaN or inf\); got nan at index \(612, 2\), in chunk 2"
    else:
        y[903] = np.inf
        match = r"y must be finite \(no NaN or inf\); got inf at row 903 \(chunk 3\)"
    Xd, loads = counting_loads(X, 250)
    with dask.config.set(scheduler="synchronous"):
        obj = mlopt.EmpiricalRisk(Xd, da.from_array(y, chunks=250), lam=0.1)
        assert loads == []                  # building the objective reads nothing
        with pytest.raises(ValueError, match=match):
            obj.gradient(np.zeros(4))
        assert sorted(loads) == [0, 1, 2, 3]   # one read of each chunk found it
        with pytest.raises(ValueError, match=match):   # and it stays refused
            mlopt.lbfgs(obj, np.zeros(4))


def test_a_pass_reads_each_chunk_once_and_checks_clean_chunks_only_once(monkeypatch):
    X, y = regression(1000, 4)
    Xd, loads = counting_loads(X, 250)
    calls = []
    sums = mlopt._dask._chunk_sums

    def counted(*args):
        calls.append(args[-1])          # the "check" flag of this task
        return sums(*args)

    monkeypatch.setattr(mlopt._dask, "_chunk_sums", counted)
    with dask.config.set(scheduler="synchronous"):
        obj = mlopt.EmpiricalRisk(Xd, da.from_array(y, chunks=250), lam=0.1)
        obj.gradient(np.zeros(4))
        obj.value(np.zeros(4))
    # two passes: each chunk read once per pass by one task; only the first pass checks
    assert sorted(loads) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert calls == [True] * 4 + [False] * 4


def test_a_minibatch_gradient_reads_only_the_chunks_that_hold_its_rows():
    X, y = regression(1000, 4)
    Xd, loads = counting_loads(X, 250)
    rows = np.array([990, 3, 3, 999, 12])          # chunks 3 and 0; row 3 twice
    mem = mlopt.EmpiricalRisk(X, y, lam=0.1)
    with dask.config.set(scheduler="synchronous"):
        obj = mlopt.EmpiricalRisk(Xd, da.from_array(y, chunks=250), lam=0.1)
        g = obj.gradient(np.ones(4), batch=rows)
    assert sorted(loads) == [0, 3]
    np.testing.assert_allclose(g, mem.gradient(np.ones(4), batch=rows), rtol=1e-13)


def test_labels_outside_the_loss_are_found_in_the_first_pass_and_by_sgd():
    X, y = classification(1000, 4)
    y = y.copy()
    y[777] = 2.0
    obj = mlopt.EmpiricalRisk(*chunked(X, y, 250), loss=mlopt.losses.logistic)
    with pytest.raises(ValueError, match=r"y must take values in \{0, 1\} for the logistic loss; got 2 at row 777 \(chunk 3\)"):
        mlopt.sgd(obj, np.zeros(4), lr=0.1, epochs=1, rng=0)
    with pytest.raises(ValueError, match=r"got 2 at row 777 \(chunk 3\)"):
        obj.value(np.zeros(4))


def test_stochastic_options_that_need_memory_are_refused():
    X, y = regression(1000, 4)
    dsk = mlopt.EmpiricalRisk(*chunked(X, y, 250), lam=0.1)
    with pytest.raises(ValueError, match="shuffle must be 'auto' or 'chunks' for data in dask arrays.*got shuffle='rows'"):
        mlopt.sgd(dsk, np.zeros(4), shuffle="rows")
    with pytest.raises(ValueError, match="obj must hold in-memory data for the variance-reduced methods"):
        mlopt.svrg(dsk, np.zeros(4), lr=0.01)
    with pytest.raises(ValueError, match=r"shuffle must be .*got shuffle='chunks' \('chunks' is for dask arrays\)"):
        mlopt.sgd(mlopt.EmpiricalRisk(X, y), np.zeros(4), shuffle="chunks")


def test_inputs_are_not_modified_and_repr_names_the_chunks():
    X, y = regression(1000, 4)
    Xd, yd = chunked(X, y, 250)
    keys = (Xd.name, yd.name)
    obj = mlopt.EmpiricalRisk(Xd, yd, lam=0.1)
    theta = np.ones(4)
    theta_copy = theta.copy()
    mlopt.lbfgs(obj, theta)
    assert np.array_equal(theta, theta_copy) and (obj.X.name, obj.y.name) == keys
    assert "chunks=4" in repr(obj)
