"""`make bench`: mlopt against hand-written NumPy, scikit-learn and SciPy, measured side by side.

Every figure is a ratio (or a count) measured in one process: both sides are warmed up, then
timed in interleaved repeats, and the median of each side is reported. The results go to
``benchmarks/results.json`` (read by the book's page *How fast is mlopt?*) and are printed as a
table with the machine and library versions.

Usage: ``python benchmarks/run.py [--quick] [--only NAME[,NAME...]] [--output PATH] [--merge]``
(``--quick`` uses smaller problems, for a smoke test; names: gradient, logistic, ridge, sgd,
solvers, lbfgs, variance_reduction, construct, memmap, dask_overhead, dask_disk, dask_glm, book).
A run of all benchmarks at full size writes ``results.json``; ``--merge`` writes the benchmarks
that ran into the existing file instead (their rows replace those of the same names, the others
stay), e.g. ``--only dask_glm --merge``.

The three on a Dask cluster each start their own ``mlopt.cluster.local_cluster(2)`` (two worker
processes, one thread each) and close it at the end:

- ``dask_overhead``: the full logistic gradient over a persisted dask array (2,000,000 × 50,
  800 MB) against the same ``EmpiricalRisk`` over the NumPy array in the client, for 4, 16, 64
  and 256 chunks (the ratio is the overhead of the map-reduce; its growth with the chunks, the
  cost per task);
- ``dask_disk``: a 4.1 GB data set written on disk one .npy per chunk (never held whole), read
  with ``da.from_npy_stack``: one gradient pass, 10 L-BFGS iterations and one SGD epoch, with the
  peak memory of the client (in MiB and in chunks: it must hold no more than a few) and of each
  worker (needs 4.1 GB free under ``$MLOPT_BENCH_TMP`` or the system's temporary folder);
- ``dask_glm``: mlopt against dask-glm (``gradient_descent``, ``newton``, ``lbfgs``) on the same
  dask arrays and cluster: time, passes over the data, suboptimality and distance to the optimum
  at 1e-6 relative suboptimality of an unregularized logistic regression (1,000,000 × 20).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mlopt  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"


def interleaved(funcs: dict, repeats: int, warmup: int = 2) -> dict:
    """Median seconds per call of each function, timed in interleaved rounds after a warm-up."""
    for _ in range(warmup):
        for f in funcs.values():
            f()
    times = {k: [] for k in funcs}
    for _ in range(repeats):
        for k, f in funcs.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def machine_info() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor() or "unknown", "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["processor"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import scipy
    import sklearn
    info.update(numpy=np.__version__, scipy=scipy.__version__, sklearn=sklearn.__version__,
                mlopt=mlopt.__version__)
    for name in ("dask", "distributed", "dask_glm"):      # the optional libraries of the Dask benchmarks
        try:
            info[name] = __import__(name).__version__
        except Exception:
            pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = ", ".join(sorted({f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads)"
                                         for p in threadpool_info()}))
    except Exception:  # threadpoolctl is optional
        pass
    return info


# --- the benchmarks ---------------------------------------------------------------------------------

def bench_gradient(quick):
    n, d = (20_000, 100) if quick else (200_000, 100)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    theta = rng.standard_normal(d)
    lam = 0.1
    obj = mlopt.EmpiricalRisk(X, y, lam=lam)

    def hand():
        r = X @ theta - y
        return (2.0 / n) * (r @ X) + 2.0 * lam * theta

    np.testing.assert_allclose(obj.gradient(theta), hand(), rtol=1e-10)
    t = interleaved({"mlopt": lambda: obj.gradient(theta), "numpy": hand}, repeats=7 if quick else 21)
    return {"name": "full-batch gradient, squared + l2", "n": n, "d": d,
            "mlopt_ms": 1e3 * t["mlopt"], "numpy_ms": 1e3 * t["numpy"],
            "ratio": t["mlopt"] / t["numpy"], "target": 1.05, "vs": "hand NumPy"}


def bench_logistic(quick):
    n, d = (20_000, 100) if quick else (200_000, 100)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 0.5).astype(float)
    theta = 0.1 * rng.standard_normal(d)
    obj = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic)

    def hand():
        z = X @ theta
        value = np.mean(np.logaddexp(0.0, z) - y * z)
        e = np.exp(-np.abs(z))
        sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return value, (sig - y) @ X / n

    v1, g1 = obj.value_and_gradient(theta)
    v2, g2 = hand()
    np.testing.assert_allclose(g1, g2, rtol=1e-10)
    assert abs(v1 - v2) < 1e-10 * abs(v2)
    t = interleaved({"mlopt": lambda: obj.value_and_gradient(theta), "numpy": hand}, repeats=7 if quick else 21)
    return {"name": "logistic value + gradient", "n": n, "d": d,
            "mlopt_ms": 1e3 * t["mlopt"], "numpy_ms": 1e3 * t["numpy"],
            "ratio": t["mlopt"] / t["numpy"], "target": 1.10, "vs": "hand stable NumPy"}


def bench_ridge(quick):
    from sklearn.linear_model import Ridge

    n, d = (20_000, 100) if quick else (200_000, 100)
    rng = np.random.default_rng(2)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    lam = 0.1
    sk = Ridge(alpha=n * lam, fit_intercept=False, solver="cholesky")
    diff = np.abs(mlopt.ridge(X, y, lam) - sk.fit(X, y).coef_).max()
    t = interleaved({"mlopt": lambda: mlopt.ridge(X, y, lam), "sklearn": lambda: sk.fit(X, y)},
                    repeats=5 if quick else 15)
    return {"name": "ridge solve", "n": n, "d": d, "mlopt_ms": 1e3 * t["mlopt"],
            "sklearn_ms": 1e3 * t["sklearn"], "ratio": t["mlopt"] / t["sklearn"], "target": 0.6,
            "vs": "scikit-learn Ridge(cholesky)", "max_abs_diff": float(diff), "diff_target": 1e-10}


def bench_sgd(quick):
    from sklearn.linear_model import SGDRegressor

    n, d = (20_000, 100) if quick else (200_000, 100)
    B, lr = 32, 1e-3
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n)
    obj = mlopt.EmpiricalRisk(X, y)
    theta0 = np.zeros(d)

    def mlopt_epoch():
        return mlopt.sgd(obj, theta0, lr=lr, batch_size=B, epochs=1, rng=0)

    def bare_epoch():
        r = np.random.default_rng(0)
        theta = theta0.copy()
        order = r.permutation(n)
        for s in range(0, n, B):
            idx = order[s:s + B]
            Xb = X[idx]
            g = (2.0 / idx.size) * ((Xb @ theta - y[idx]) @ Xb)
            theta -= lr * g
        return theta

    sk = SGDRegressor(loss="squared_error", penalty=None, learning_rate="constant", eta0=lr,
                      max_iter=1, tol=None, shuffle=True, fit_intercept=False, random_state=0)

    def sk_epoch():
        import warnings

        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk.fit(X, y)

    def exact_epoch():
        return mlopt.sgd(obj, theta0, lr=lr, batch_size=B, epochs=1, rng=0, record="exact")

    np.testing.assert_allclose(mlopt_epoch().theta, bare_epoch(), rtol=1e-9)
    # default options record the running mean of the minibatch objectives (no extra pass);
    # record="exact" adds a pass over the data at the start and after the epoch
    t = interleaved({"mlopt": mlopt_epoch, "numpy": bare_epoch, "sklearn": sk_epoch, "exact": exact_epoch},
                    repeats=3 if quick else 9, warmup=1)
    return [
        {"name": "one SGD epoch, batch 32", "n": n, "d": d, "mlopt_ms": 1e3 * t["mlopt"],
         "sklearn_ms": 1e3 * t["sklearn"], "ratio": t["mlopt"] / t["sklearn"], "target": 1.0,
         "vs": "scikit-learn SGDRegressor (1 epoch)"},
        {"name": "one SGD epoch, batch 32", "n": n, "d": d, "mlopt_ms": 1e3 * t["mlopt"],
         "numpy_ms": 1e3 * t["numpy"], "ratio": t["mlopt"] / t["numpy"], "target": 1.1,
         "vs": "bare NumPy loop"},
        {"name": "one SGD epoch, batch 32, record='exact'", "n": n, "d": d, "mlopt_ms": 1e3 * t["exact"],
         "numpy_ms": 1e3 * t["numpy"], "ratio": t["exact"] / t["numpy"], "target": None,
         "vs": "bare NumPy loop", "note": "exact J and ||grad J|| at the start and after the epoch: two passes"},
    ]


def scipy_lbfgs(obj, theta0, f_star, target):
    """SciPy's L-BFGS-B run to its tightest tolerances: (result, evaluations when the relative gap
    first fell to ``target``, iterations then). The count is read in SciPy's per-iteration callback,
    so it includes every line-search evaluation up to that iterate, as mlopt's history does."""
    from scipy.optimize import minimize

    count = {"n": 0, "hit": None, "iterations": 0}

    def fg(theta):
        count["n"] += 1
        return obj.value_and_gradient(theta)

    def callback(xk):
        count["iterations"] += 1
        if count["hit"] is None and (obj.value(xk) - f_star) / abs(f_star) <= target:
            count["hit"] = (count["n"], count["iterations"])

    res = minimize(fg, theta0, jac=True, method="L-BFGS-B", callback=callback,
                   options={"maxiter": 100_000, "ftol": 0.0, "gtol": 1e-12, "maxcor": 10})
    return res, count["hit"] or (None, None)


def bench_solvers(quick):
    """Gradient evaluations (and time) to reach 1e-6 relative suboptimality at κ = 1e3."""
    n, d = (5_000, 50) if quick else (20_000, 100)
    X, y, _ = mlopt.datasets.make_regression(n, d, noise=0.5, condition_number=1e3, rng=4)
    obj = mlopt.EmpiricalRisk(X, y)
    f_star = obj.value(mlopt.ridge(X, y, 0.0))
    L, mu = obj.smoothness(), obj.strong_convexity()
    target = 1e-6

    def stop_at_target(t, theta, f):
        return (f - f_star) / abs(f_star) <= target

    def first_hit(res):
        rel = (res.history["objective"] - f_star) / abs(f_star)
        hit = np.nonzero(rel <= target)[0]
        return (int(res.history["n_grad"][hit[0]]), int(hit[0])) if hit.size else (None, None)

    rows = []
    theta0 = np.zeros(d)
    q = (np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)
    runs = {
        "gradient descent (lr = 2/(L+mu))": lambda: mlopt.gradient_descent(
            obj, theta0, lr=2 / (L + mu), max_iter=100_000, tol=None, callback=stop_at_target),
        "Nesterov (lr = 1/L, momentum = (sqrt(k)-1)/(sqrt(k)+1))": lambda: mlopt.gradient_descent(
            obj, theta0, lr=1 / L, momentum=q, nesterov=True, max_iter=100_000, tol=None, callback=stop_at_target),
        "conjugate gradients": lambda: mlopt.conjugate_gradient(
            obj, theta0, max_iter=100_000, tol=None, callback=stop_at_target),
        "L-BFGS (m = 10)": lambda: mlopt.lbfgs(obj, theta0, max_iter=100_000, tol=None, callback=stop_at_target),
        "Newton": lambda: mlopt.newton(obj, theta0, tol=None, max_iter=20, callback=stop_at_target),
    }
    for name, run in runs.items():
        t0 = time.perf_counter()
        res = run()
        elapsed = time.perf_counter() - t0
        n_grad, iterations = first_hit(res)
        rows.append({"name": "to 1e-6 relative suboptimality, kappa = 1e3", "method": name, "n": n, "d": d,
                     "n_grad": n_grad, "iterations": iterations, "ms": 1e3 * elapsed})
    t0 = time.perf_counter()
    _, (n_grad, iterations) = scipy_lbfgs(obj, theta0, f_star, target)
    rows.append({"name": "to 1e-6 relative suboptimality, kappa = 1e3", "method": "SciPy L-BFGS-B (reference)",
                 "n": n, "d": d, "n_grad": n_grad, "iterations": iterations,
                 "ms": 1e3 * (time.perf_counter() - t0),
                 "note": "ms is SciPy's whole run (to its own tolerance); n_grad is counted to the target"})
    return rows


def bench_lbfgs(quick):
    """mlopt.lbfgs against SciPy's L-BFGS-B: the same optimum (max |Δθ|, both run to their tightest
    tolerance) and the gradient evaluations to a 1e-10 relative gap (ratio, target ≤ 1.2)."""
    from sklearn.datasets import load_breast_cancer

    Xb, yb = load_breast_cancer(return_X_y=True)
    Xb = np.column_stack([np.ones(len(Xb)), (Xb - Xb.mean(0)) / Xb.std(0)])
    n, d = (5_000, 50) if quick else (20_000, 100)
    Xk, yk, _ = mlopt.datasets.make_regression(n, d, noise=0.5, condition_number=1e3, rng=4)
    problems = {
        "breast cancer, logistic, lam = 1e-3": mlopt.EmpiricalRisk(Xb, yb * 1.0, loss=mlopt.losses.logistic, lam=1e-3),
        f"least squares, kappa = 1e3 (n = {n}, d = {d})": mlopt.EmpiricalRisk(Xk, yk),
    }
    rows, target = [], 1e-10
    for label, obj in problems.items():
        theta0 = np.zeros(obj.n_features)
        star = mlopt.newton(obj, theta0, tol=None, max_iter=30)
        f_star = min(star.objective, obj.value(star.theta))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", mlopt.ConvergenceWarning)   # tol=1e-12 may stall at the noise floor
            res = mlopt.lbfgs(obj, theta0, tol=1e-12, max_iter=100_000)
        ref, (ref_grads, _) = scipy_lbfgs(obj, theta0, f_star, target)
        rel = (res.history["objective"] - f_star) / abs(f_star)
        hit = np.nonzero(rel <= target)[0]
        ours = int(res.history["n_grad"][hit[0]]) if hit.size else None
        rows.append({"name": "L-BFGS gradient evaluations to 1e-10 gap", "problem": label, "vs": "SciPy L-BFGS-B",
                     "mlopt_grads": ours, "scipy_grads": ref_grads,
                     "ratio": ours / ref_grads if ours and ref_grads else float("inf"), "target": 1.2,
                     "max_abs_diff": float(np.max(np.abs(res.theta - ref.x))),
                     "mlopt_to_optimum": float(np.max(np.abs(res.theta - star.theta))),
                     "scipy_to_optimum": float(np.max(np.abs(ref.x - star.theta))),
                     "objective_rel_diff": abs(res.objective - float(ref.fun)) / abs(f_star),
                     "mlopt_status": res.status, "scipy_message": str(ref.message)})
    return rows


def bench_construct(quick):
    m = 100 if quick else 1000
    rng = np.random.default_rng(5)
    X = rng.standard_normal((100, 5))
    y = rng.standard_normal(100)
    before = mlopt.losses._derive.cache_info().misses
    t0 = time.perf_counter()
    for _ in range(m):
        mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.huber(1.0), lam=0.1)
    elapsed = time.perf_counter() - t0
    t1 = time.perf_counter()
    import sympy as sp

    z, yy = mlopt.losses.z, mlopt.losses.y
    for _ in range(m):
        mlopt.Loss.from_sympy(sp.log(sp.cosh(z - yy)), z, yy, name="logcosh")
    elapsed_loss = time.perf_counter() - t1
    derivations = mlopt.losses._derive.cache_info().misses - before
    return {"name": f"construct {m} objectives with the same loss", "objectives_ms": 1e3 * elapsed,
            "from_sympy_ms": 1e3 * elapsed_loss, "sympy_derivations": derivations,
            "note": "the log-cosh loss is derived once; later constructions hit the cache"}


MEMMAP_CHILD = r"""
import sys, threading, time, json, numpy as np
sys.path.insert(0, sys.argv[3])
import mlopt

def rss_anon():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('RssAnon:'):
                return int(line.split()[1]) * 1024
    return 0

peak = [rss_anon()]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss_anon()); time.sleep(0.005)
path, n = sys.argv[1], int(sys.argv[2]); d = 100
X = np.memmap(path, dtype=np.float64, mode='r', shape=(n, d))
y = np.memmap(path + '.y', dtype=np.float64, mode='r', shape=(n,))
base = rss_anon()
th = threading.Thread(target=sample, daemon=True); th.start()
t0 = time.perf_counter()
obj = mlopt.EmpiricalRisk(X, y, lam=0.01)
res = mlopt.sgd(obj, np.zeros(d), lr=1e-3, batch_size=256, epochs=1, rng=0)
elapsed = time.perf_counter() - t0
stop.set(); th.join()
print(json.dumps({'base': base, 'peak': peak[0], 'seconds': elapsed, 'objective': res.objective,
                  'memmap': isinstance(obj.X, np.memmap)}))
"""


def bench_memmap(quick):
    sizes_gb = (0.05, 0.2) if quick else (0.5, 2.0)
    d = 100
    rows = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("MLOPT_BENCH_TMP")) as tmp:
        for gb in sizes_gb:
            n = int(gb * 1e9 / (8 * d))
            path = os.path.join(tmp, f"X_{gb}.dat")
            X = np.memmap(path, dtype=np.float64, mode="w+", shape=(n, d))
            y = np.memmap(path + ".y", dtype=np.float64, mode="w+", shape=(n,))
            rng = np.random.default_rng(6)
            theta = rng.standard_normal(d)
            chunk = 50_000
            for s in range(0, n, chunk):
                block = rng.standard_normal((min(chunk, n - s), d))
                X[s:s + chunk] = block
                y[s:s + chunk] = block @ theta + rng.standard_normal(block.shape[0])
            X.flush()
            y.flush()
            del X, y
            out = subprocess.run([sys.executable, "-c", MEMMAP_CHILD, path, str(n), str(ROOT)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append({"name": "SGD over a memory-mapped file (1 epoch, batch 256)", "file_gb": gb, "n": n,
                         "d": d, "baseline_anon_mb": r["base"] / 2**20, "peak_anon_mb": r["peak"] / 2**20,
                         "growth_mb": (r["peak"] - r["base"]) / 2**20, "seconds": r["seconds"],
                         "stayed_memmap": r["memmap"]})
            os.remove(path)
            os.remove(path + ".y")
    return rows


def bench_book(quick):
    """Per-chapter execution time with the project's reproducible command, and a clean build."""
    rows = []
    chapters = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        for nb in chapters:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "scripts" / "execute_notebooks.py"), str(nb),
                            "--output-dir", tmp], check=True, capture_output=True)
            rows.append({"name": "chapter execution", "chapter": nb.stem, "seconds": time.perf_counter() - t0})
        if not quick:
            jb = Path(sys.executable).with_name("jupyter-book")
            t0 = time.perf_counter()
            subprocess.run([str(jb), "build", "--all", str(ROOT), "-W", "-n", "--keep-going",
                            "--path-output", tmp], check=True, capture_output=True)
            rows.append({"name": "clean book build", "seconds": time.perf_counter() - t0})
    return rows


def bench_variance_reduction(quick):
    """Time to 1e-6 relative suboptimality: mlopt.svrg / mlopt.saga (batch 32, lr="auto") against
    scikit-learn's SAGA solvers (Ridge(solver="saga"), LogisticRegression(solver="saga")) on the
    same data. Both are timed the same way: the run with the fewest epochs (doubled from 1) whose
    result reaches the target, timed alone (scikit-learn has no callback; a callback that computes
    the gap would add a pass per epoch to mlopt's time)."""
    from sklearn.exceptions import ConvergenceWarning as SkConvergenceWarning
    from sklearn.linear_model import LogisticRegression, Ridge

    n, d = (20_000, 20) if quick else (100_000, 50)
    lam, target = 1e-3, 1e-6
    Xr, yr, _ = mlopt.datasets.make_regression(n, d, noise=0.5, condition_number=10, rng=6)
    Xc, yc, _ = mlopt.datasets.make_classification(n, d, rng=6)
    problems = {
        "ridge": (mlopt.EmpiricalRisk(Xr, yr, lam=lam),
                  lambda k: Ridge(alpha=lam * n, solver="saga", fit_intercept=False, tol=0.0, max_iter=k)),
        "logistic": (mlopt.EmpiricalRisk(Xc, yc, loss=mlopt.losses.logistic, lam=lam),
                     lambda k: LogisticRegression(C=1 / (2 * lam * n), solver="saga", fit_intercept=False, tol=0.0,
                                                  max_iter=k)),
    }
    rows = []
    for label, (obj, make_sk) in problems.items():
        theta0 = np.zeros(d)
        star = mlopt.newton(obj, theta0, tol=None, max_iter=30)
        f_star = min(star.objective, obj.value(star.theta))

        def reached(theta):
            return (obj.value(theta) - f_star) / abs(f_star) <= target

        def fewest_epochs(fit):
            """(epochs, seconds) of the fewest epochs, doubled from 1, whose run reaches the target."""
            k = 1
            while k <= 4096:
                t0 = time.perf_counter()
                theta = fit(k)
                elapsed = time.perf_counter() - t0
                if reached(theta):
                    return k, elapsed
                k *= 2
            return None, float("nan")

        def sk_fit(k):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SkConvergenceWarning)
                return make_sk(k).fit(obj.X, obj.y).coef_.ravel()

        sk_epochs, sk_time = fewest_epochs(sk_fit)
        for name, method in (("svrg", mlopt.svrg), ("saga", mlopt.saga)):
            epochs, elapsed = fewest_epochs(lambda k: method(obj, theta0, epochs=k, rng=0).theta)
            rows.append({"name": f"{name} to 1e-6 gap, {label}",
                         "vs": f"sklearn saga ({sk_epochs} vs {epochs} epochs)",
                         "mlopt_ms": 1e3 * elapsed, "sklearn_ms": 1e3 * sk_time, "ratio": elapsed / sk_time,
                         "target": None, "n": n, "d": d, "mlopt_epochs": epochs, "sklearn_epochs": sk_epochs})
    return rows


# --- on a Dask cluster ------------------------------------------------------------------------------
# Each benchmark starts its own mlopt.cluster.local_cluster(2): two worker processes with one thread
# each (Dask sets their BLAS to one thread), on this 2-core machine; the client process runs the
# solver and, in LocalCluster, the scheduler too.

MIB = 2**20
#: "The client must hold no more than a few chunks": the bound that dask_disk checks, in chunks.
#: Chunk-local SGD holds the chunk in use and the next one, and the transfer of the next one
#: holds a copy of it for a moment (distributed's receive buffer): at most about 3.5.
FEW_CHUNKS = 4


def _status_kib(field: str) -> int:
    """A field of /proc/self/status in KiB (0 where there is no /proc)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak_rss() -> bool:
    """Start a new peak: on Linux, writing 5 to /proc/self/clear_refs resets the process's high-water
    RSS (VmHWM). Runs in the client and, via client.run, in each worker."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    """Peak RSS (bytes) since the last reset: VmHWM of /proc/self/status. (getrusage's ru_maxrss
    would not do for a worker: it keeps the peak of the process image before the worker's exec,
    which no reset clears.) Falls back to ru_maxrss (KiB on Linux) without /proc."""
    import resource

    return 1024 * (_status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class _ClientPeak:
    """The client's peak RSS growth over a block (bytes): the high-water mark reset at the start, and a
    thread sampling VmRSS every 2 ms in case the reset is not available; with ``trace=True`` also the
    peak of the memory tracemalloc sees allocated in the block (Python objects and NumPy buffers)."""

    def __init__(self, trace: bool = False):
        self.trace = trace

    def __enter__(self):
        import threading
        import tracemalloc

        self.reset = _reset_peak_rss()
        self.base = 1024 * _status_kib("VmRSS")
        self.sampled = self.base
        self.stop = threading.Event()

        def sample():
            while not self.stop.is_set():
                self.sampled = max(self.sampled, 1024 * _status_kib("VmRSS"))
                time.sleep(0.002)

        self.thread = threading.Thread(target=sample, daemon=True)
        self.thread.start()
        if self.trace:
            tracemalloc.start()
            self.traced_base = tracemalloc.get_traced_memory()[0]
        return self

    def __exit__(self, *exc):
        import tracemalloc

        if self.trace:
            self.traced_peak = tracemalloc.get_traced_memory()[1] - self.traced_base
            tracemalloc.stop()
        self.stop.set()
        self.thread.join()
        peak = max(self.sampled, _peak_rss() if self.reset else 0)
        self.growth = peak - self.base
        return False


def _worker_peaks(client) -> list:
    """Each worker's peak RSS (MiB) since the last ``client.run(_reset_peak_rss)``, in worker order."""
    peaks = client.run(_peak_rss)
    return [peaks[w] / MIB for w in sorted(peaks)]


def _with_load(bench):
    """The bench, its rows marked with the machine's 1-minute load average before and after it ran
    (the machine may be shared: a load above its cores slows everything, the workers included)."""
    def run(quick):
        before = os.getloadavg()[0]
        rows = bench(quick)
        after = os.getloadavg()[0]
        for r in rows:
            r["load_1min"] = [before, after]
        return rows

    run.__doc__ = bench.__doc__
    return run


def _persisted(client, X, y, rows):
    """X and y as dask arrays of ``rows`` rows per chunk, persisted on the workers (the upload of an
    in-memory array is one large graph: dask's warning about it is silenced)."""
    import dask.array as da
    from distributed import wait

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph")
        Xd = da.from_array(X, chunks=(rows, X.shape[1])).persist()
        yd = da.from_array(y, chunks=(rows,)).persist()
    wait([Xd, yd])
    return Xd, yd


def bench_dask_overhead(quick):
    """The full logistic gradient over a dask array persisted on 2 workers against the same
    EmpiricalRisk over the NumPy array in the client (2 BLAS threads): the overhead of the
    map-reduce, then the same ratio for more and fewer chunks (per-task overhead)."""
    from distributed import wait

    from mlopt.cluster import local_cluster

    n, d = (200_000, 50) if quick else (2_000_000, 50)
    counts, main = (4, 16, 64, 256), 16
    rng = np.random.default_rng(9)
    X = rng.standard_normal((n, d))
    theta_true = rng.standard_normal(d) / np.sqrt(d)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-X @ theta_true))).astype(np.float64)
    theta = 0.1 * rng.standard_normal(d)
    local = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic)
    rows = []
    with local_cluster(2) as client:
        Xd = yd = None
        for K in counts:
            old = (Xd, yd)
            if Xd is None:
                Xd, yd = _persisted(client, X, y, -(-n // K))
            else:       # rechunked on the workers: the data is not sent again
                Xd = Xd.rechunk((-(-n // K), d)).persist()
                yd = yd.rechunk((-(-n // K),)).persist()
                wait([Xd, yd])
            del old
            dist = mlopt.EmpiricalRisk(Xd, yd, loss=mlopt.losses.logistic)
            holders = [a for addrs in client.who_has(Xd).values() for a in addrs]
            placed = [holders.count(w) for w in sorted(client.scheduler_info()["workers"])]   # X's chunks per worker
            np.testing.assert_allclose(dist.gradient(theta), local.gradient(theta), rtol=1e-10, atol=1e-14)
            t = interleaved({"dask": lambda: dist.gradient(theta), "numpy": lambda: local.gradient(theta)},
                            repeats=5 if quick else 15)
            rows.append({"name": "logistic gradient, dask vs in memory", "n": n, "d": d, "chunks": K,
                         "chunk_mib": Xd.chunks[0][0] * d * 8 / MIB, "workers": 2, "main": K == main,
                         "chunks_per_worker": placed,
                         "dask_ms": 1e3 * t["dask"], "numpy_ms": 1e3 * t["numpy"], "overhead": t["dask"] / t["numpy"],
                         "vs": "the same EmpiricalRisk over the NumPy array in the client"})
    # The cost of one more chunk: the slope of the dask time against the number of chunks.
    K = np.array([r["chunks"] for r in rows], dtype=float)
    slope, intercept = np.polyfit(K, [r["dask_ms"] for r in rows], 1)
    rows.append({"name": "dask time per extra chunk (fit over the rows above)", "n": n, "d": d,
                 "ms_per_chunk": float(slope), "intercept_ms": float(intercept)})
    return rows


def _write_chunk(folder, k, rows, d, seed, theta):
    """Chunk k of the on-disk data set, made and saved where it runs (a worker): X_k ~ N(0, 1) from
    the generator seeded by (seed, k), labels y ~ Bernoulli(σ(X_k θ)). Returns the chunk's count of
    positive labels (the client receives only that)."""
    rng = np.random.default_rng([seed, k])
    Xk = rng.standard_normal((rows, d))
    yk = (rng.random(rows) < 1.0 / (1.0 + np.exp(-(Xk @ theta)))).astype(np.float64)
    np.save(os.path.join(folder, "X", f"{k}.npy"), Xk)
    np.save(os.path.join(folder, "y", f"{k}.npy"), yk)
    return float(yk.sum())


def _write_npy_stack(client, folder, n, d, rows, seed, theta):
    """A data set of n × d floats written as one .npy per chunk of ``rows`` rows (X/k.npy, y/k.npy),
    each chunk made by a worker: neither the client nor a worker ever holds more than a chunk. The
    ``info`` file of each folder is the one dask.array.from_npy_stack reads: the chunks, the dtype and
    the axis the chunks are stacked along."""
    import pickle

    sizes = tuple(min(rows, n - s) for s in range(0, n, rows))
    for sub in ("X", "y"):
        os.makedirs(os.path.join(folder, sub))
    futures = [client.submit(_write_chunk, folder, k, size, d, seed, theta, pure=False)
               for k, size in enumerate(sizes)]
    positives = sum(client.gather(futures))
    for sub, chunks in (("X", (sizes, (d,))), ("y", (sizes,))):
        with open(os.path.join(folder, sub, "info"), "wb") as fh:
            pickle.dump({"chunks": chunks, "dtype": np.dtype(np.float64), "axis": 0}, fh)
    return positives / n


def bench_dask_disk(quick):
    """A 4 GB data set on disk (10,000,000 × 50 float64 and its labels, 40 chunks of 95 MiB), written
    chunk by chunk by the workers without ever being held whole, read back lazily with
    da.from_npy_stack; then, through Dask, the first gradient pass (it also checks the chunks), one
    more, 10 L-BFGS iterations and one SGD epoch, each with the client's peak memory (RSS growth and
    tracemalloc peak, in MiB and in chunks) and each worker's peak RSS. The client must hold no more
    than a few chunks (FEW_CHUNKS): the last row says whether it did."""
    import dask.array as da

    from mlopt.cluster import local_cluster

    n, d, rows = (500_000, 50, 50_000) if quick else (10_000_000, 50, 250_000)
    theta_true = np.random.default_rng(8).standard_normal(d)
    theta_true *= 3.0 / np.linalg.norm(theta_true)
    theta0 = np.zeros(d)
    chunk_bytes = rows * d * 8
    out = []
    with tempfile.TemporaryDirectory(dir=os.environ.get("MLOPT_BENCH_TMP")) as tmp, local_cluster(2) as client:
        t0 = time.perf_counter()
        positive = _write_npy_stack(client, tmp, n, d, rows, 8, theta_true)
        write_s = time.perf_counter() - t0
        on_disk = sum(os.path.getsize(os.path.join(tmp, sub, f)) for sub in ("X", "y")
                      for f in os.listdir(os.path.join(tmp, sub)))
        X, y = da.from_npy_stack(os.path.join(tmp, "X")), da.from_npy_stack(os.path.join(tmp, "y"))
        assert X.shape == (n, d) and y.shape == (n,) and X.chunks[0] == y.chunks[0]
        common = {"name": "data on disk through Dask",
                  "n": n, "d": d, "chunks": len(X.chunks[0]), "chunk_mib": chunk_bytes / MIB,
                  "data_gb": on_disk / 1e9}
        out.append(dict(common, phase="write, one .npy per chunk (on the workers)", seconds=write_s,
                        positive_fraction=positive))
        obj = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic)
        phases = {
            "first gradient pass (checks the chunks)": lambda: obj.gradient(theta0),
            "one gradient pass": lambda: obj.gradient(theta0),
            "L-BFGS, 10 iterations": lambda: mlopt.lbfgs(obj, theta0, max_iter=10, tol=None),
            "SGD, one epoch (batch 256, chunk-local)": lambda: mlopt.sgd(obj, theta0, lr=0.05, batch_size=256,
                                                                          epochs=1, rng=0),
        }
        for phase, run in phases.items():
            # One run per phase, its client memory seen two ways at once: the RSS peak, and the peak of
            # what tracemalloc sees allocated (the times include tracemalloc's bookkeeping).
            client.run(_reset_peak_rss)
            with _ClientPeak(trace=True) as peak:
                t0 = time.perf_counter()
                result = run()
                seconds = time.perf_counter() - t0
            row = dict(common, phase=phase, seconds=seconds, traced=True, client_growth_mib=peak.growth / MIB,
                       client_growth_chunks=peak.growth / chunk_bytes, tracemalloc_peak_mib=peak.traced_peak / MIB,
                       tracemalloc_chunks=peak.traced_peak / chunk_bytes, worker_peak_mib=_worker_peaks(client),
                       peak_reset=peak.reset)
            if isinstance(result, mlopt.Result):
                row["objective"] = float(result.objective)
                if phase.startswith("L-BFGS"):
                    row["passes"] = int(result.history["n_grad"][-1])
            out.append(row)
    held = max(max(r.get("client_growth_chunks", 0.0), r.get("tracemalloc_chunks", 0.0)) for r in out)
    out.append(dict(common, phase="the client holds no more than a few chunks", held_chunks=held,
                    limit_chunks=FEW_CHUNKS, holds=bool(held <= FEW_CHUNKS)))
    return out


class _GraphCounter:
    """What dask-glm asks of the cluster, counted where it asks: every ``dask.compute`` /
    ``dask.persist`` call it makes is one graph evaluation (a round trip through the scheduler and
    the workers); those whose graph reads the chunks of X are its passes over the data. A pass may
    read each chunk more than once inside that one graph (dask-glm's gradient step computes
    Xᵀ(p − y) and then X∇ in one persist): it still counts once, as an mlopt map-reduce does, which
    reads each chunk once per task for its two products Xθ and Xᵀu. (dask-glm's lbfgs also scatters
    θ to the workers before each evaluation: a round trip of its own, not counted.)"""

    def __init__(self, X):
        self.x_name = X.name
        self.evaluations = self.passes = 0

    def _reads_x(self, args) -> bool:
        import dask

        for a in args:
            if not dask.is_dask_collection(a):
                continue
            graph = a.__dask_graph__()
            layers = getattr(graph, "layers", None)
            if layers is not None and self.x_name in layers and not self._persisted(a):
                return True
            if layers is None and any(isinstance(k, tuple) and k[0] == self.x_name for k in graph):
                return True
        return False

    def _persisted(self, a) -> bool:
        return getattr(a, "name", None) == self.x_name

    def wrap(self, fn):
        def counted(*args, **kwargs):
            self.evaluations += 1
            self.passes += self._reads_x(args)
            return fn(*args, **kwargs)

        return counted

    def __enter__(self):
        import dask.array
        import dask_glm.algorithms as algorithms

        # dask-glm calls compute and persist through its own module's names, and newton calls
        # dask.array.compute.
        self.saved = [(algorithms, "compute"), (algorithms, "persist"), (dask.array, "compute")]
        self.saved = [(m, a, getattr(m, a)) for m, a in self.saved]
        for module, attr, fn in self.saved:
            setattr(module, attr, self.wrap(fn))
        return self

    def __exit__(self, *exc):
        for module, attr, fn in self.saved:
            setattr(module, attr, fn)
        return False


def bench_dask_glm(quick):
    """mlopt against dask-glm 0.4.0 on the same dask arrays and the same 2-worker cluster: time and
    passes over the data to 1e-6 relative suboptimality of the unregularized logistic risk, for
    gradient descent, Newton's method and L-BFGS.

    mlopt's gradient descent runs twice, with its default step lr="auto" (1/L) and with
    lr="backtracking" (dask-glm's gradient descent backtracks). Each run stops by its own rule. The
    tolerance of each is the loosest of a grid of decades whose run reaches the target (found by
    running the grid from its loose end); that run is then timed three times, the libraries
    interleaved, and the median is reported. Every mlopt run starts
    from a new EmpiricalRisk, so its time includes the pass that checks the chunks and, for
    gradient descent, the pass that computes L for lr="auto". dask-glm runs with normalize=False (its
    default would standardize X on every pass), on the same persisted arrays."""
    import dask.array as da  # noqa: F401  (dask-glm needs it; imported here to fail early)
    import dask_glm
    import dask_glm.algorithms as glm
    from dask_glm.families import Logistic
    from sklearn.linear_model import LogisticRegression

    from mlopt.cluster import local_cluster

    n, d, K = (100_000, 10, 8) if quick else (1_000_000, 20, 16)
    target = 1e-6
    X, y, _ = mlopt.datasets.make_classification(n, d, rng=7)      # noisy labels: a finite optimum
    in_memory = mlopt.EmpiricalRisk(X, y, loss=mlopt.losses.logistic)
    theta0 = np.zeros(d)
    star = mlopt.newton(in_memory, theta0, tol=None, max_iter=30)
    theta_star = star.theta
    f_star = in_memory.value(theta_star)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # scikit-learn: penalty=None's deprecation, or a tol it cannot meet
        sk = LogisticRegression(penalty=None, tol=1e-12, fit_intercept=False, max_iter=10_000).fit(X, y)
    sk_theta = sk.coef_.ravel()

    def gap(theta):
        return (in_memory.value(theta) - f_star) / abs(f_star)

    reference = {"name": "reference optimum (mlopt.newton, in memory)", "n": n, "d": d, "chunks": K,
                 "f_star": f_star, "sklearn_max_abs_dtheta": float(np.max(np.abs(sk_theta - theta_star))),
                 "sklearn_rel_gap": gap(sk_theta)}
    assert reference["sklearn_max_abs_dtheta"] <= 1e-6, reference

    # The tolerance grids, loose to tight (each in its library's own terms).
    decades = [10.0 ** -k for k in range(2, 10)]
    mlopt_grid = decades                                          # ||grad J|| <= tol, J the mean loss
    # Per solver: mlopt's variants (name -> run), dask-glm's run, its grid and its stopping rule.
    pairs = {
        "gradient descent": (
            {"lr='auto' (1/L)": lambda obj, tol: mlopt.gradient_descent(obj, theta0, tol=tol, max_iter=2000),
             "lr='backtracking'": lambda obj, tol: mlopt.gradient_descent(obj, theta0, lr="backtracking", tol=tol,
                                                                         max_iter=2000)},
            lambda Xd, yd, tol: glm.gradient_descent(Xd, yd, max_iter=2000, tol=tol, family=Logistic,
                                                     normalize=False),
            [10.0 ** -k for k in range(4, 15)], "relative decrease of the summed loss in one step <= tol"),
        "Newton": (
            {"": lambda obj, tol: mlopt.newton(obj, theta0, tol=tol, max_iter=50)},
            lambda Xd, yd, tol: glm.newton(Xd, yd, max_iter=50, tol=tol, family=Logistic, normalize=False),
            [10.0 ** -k for k in range(1, 11)], "max |change of theta| in one step <= tol"),
        "L-BFGS": (
            {"": lambda obj, tol: mlopt.lbfgs(obj, theta0, tol=tol, max_iter=2000)},
            lambda Xd, yd, tol: glm.lbfgs(Xd, yd, regularizer=None, max_iter=2000, tol=tol, family=Logistic,
                                          normalize=False),
            [10.0 ** k for k in range(4, -4, -1)], "max |gradient of the summed loss| <= tol (SciPy pgtol)"),
    }
    rows = [reference]
    with local_cluster(2) as client:
        Xd, yd = _persisted(client, X, y, -(-n // K))

        def run_mlopt(method, tol, counts=None):
            obj = mlopt.EmpiricalRisk(Xd, yd, loss=mlopt.losses.logistic)
            if counts is not None:            # every map-reduce of mlopt is one call of map_chunks
                fast, inner = obj.unchecked, obj.unchecked.map_chunks

                def counted(fn, *args):
                    counts[fn.__name__.strip("_")] = counts.get(fn.__name__.strip("_"), 0) + 1
                    return inner(fn, *args)

                fast.map_chunks = counted
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
                return method(obj, tol).theta

        def run_glm(method, tol):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")    # dask-glm's FutureWarning about a dask config key
                return np.asarray(method(Xd, yd, tol))

        # warm-up: one gradient each (workers import what they need)
        mlopt.EmpiricalRisk(Xd, yd, loss=mlopt.losses.logistic).gradient(theta0)
        run_glm(lambda Xa, ya, tol: glm.newton(Xa, ya, max_iter=0, tol=1.0, family=Logistic, normalize=False), None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tight = np.asarray(glm.newton(Xd, yd, max_iter=50, tol=1e-10, family=Logistic, normalize=False))
        reference["dask_glm_newton_max_abs_dtheta"] = float(np.max(np.abs(tight - theta_star)))
        assert reference["dask_glm_newton_max_abs_dtheta"] <= 1e-6, reference

        def measure(side, run, grid):
            """Run ``run`` over the tolerances of ``grid`` from its loose end until one reaches the
            target (or the grid ends): that run's tolerance, passes and accuracy."""
            for tol in grid:
                if side == "mlopt":
                    counts = {}
                    theta = run_mlopt(run, tol, counts)
                    passes = evaluations = sum(counts.values())
                else:
                    counts = None
                    with _GraphCounter(Xd) as counter:
                        theta = run_glm(run, tol)
                    passes, evaluations = counter.passes, counter.evaluations
                found = dict(tol=tol, passes=passes, evaluations=evaluations, detail=counts, rel_subopt=gap(theta),
                             max_abs_dtheta=float(np.max(np.abs(theta - theta_star))))
                if found["rel_subopt"] <= target:
                    break
            return found

        for label, (ours, theirs, glm_grid, glm_rule) in pairs.items():
            sides = [(("mlopt", v), "mlopt", run, mlopt_grid, "||grad J|| <= tol, J the mean loss")
                     for v, run in ours.items()]
            sides.append((("dask-glm", ""), "dask-glm", theirs, glm_grid, glm_rule))
            chosen = {key: measure(side, run, grid) for key, side, run, grid, _ in sides}

            def timed(key, side, run):
                tol = chosen[key]["tol"]
                return (lambda: run_mlopt(run, tol)) if side == "mlopt" else (lambda: run_glm(run, tol))

            t = interleaved({key: timed(key, side, run) for key, side, run, _, _ in sides},
                            repeats=1 if quick else 3, warmup=0)
            for key, side, _, _, rule in sides:
                c = chosen[key]
                row = {"name": "to 1e-6 relative suboptimality on dask", "solver": label, "variant": key[1],
                       "library": side if side == "mlopt" else f"dask-glm {dask_glm.__version__}",
                       "seconds": t[key], "tol": c["tol"], "stopping_rule": rule, "passes": c["passes"],
                       "evaluations": c["evaluations"], "rel_subopt": c["rel_subopt"],
                       "max_abs_dtheta": c["max_abs_dtheta"], "reached": bool(c["rel_subopt"] <= target),
                       "n": n, "d": d, "chunks": K}
                if c["detail"] is not None:
                    row["map_reduces"] = c["detail"]
                if side == "mlopt":
                    row["time_ratio"] = t[key] / t["dask-glm", ""]
                rows.append(row)
    return rows


BENCHES = {"gradient": bench_gradient, "logistic": bench_logistic, "ridge": bench_ridge, "sgd": bench_sgd,
           "solvers": bench_solvers, "lbfgs": bench_lbfgs,
           "variance_reduction": bench_variance_reduction, "construct": bench_construct, "memmap": bench_memmap,
           "dask_overhead": _with_load(bench_dask_overhead), "dask_disk": _with_load(bench_dask_disk),
           "dask_glm": _with_load(bench_dask_glm),
           "book": bench_book}


def dask_line(r) -> str:
    """One row of the Dask benchmarks, as printed."""
    if "overhead" in r:
        return (f"{r['name']:<40} {r['chunks']:>4} chunks of {r['chunk_mib']:6.1f} MiB: dask {r['dask_ms']:8.1f} ms, "
                f"NumPy {r['numpy_ms']:7.1f} ms, overhead x{r['overhead']:.2f}  (chunks per worker: "
                f"{' / '.join(map(str, r.get('chunks_per_worker', [])))})")
    if "ms_per_chunk" in r:
        return f"{r['name']:<40} {r['ms_per_chunk']:+.2f} ms per chunk (intercept {r['intercept_ms']:.1f} ms)"
    if "held_chunks" in r:
        verdict = "holds" if r["holds"] else "DOES NOT HOLD"
        return (f"{r['name']:<40} {r['phase']}: at most {r['held_chunks']:.2f} chunks held "
                f"(limit {r['limit_chunks']}): {verdict}")
    if "phase" in r:
        line = f"{r['name']:<40} {r['phase']:<44} {r['seconds']:7.1f} s"
        if "positive_fraction" in r:
            return line + (f"  {r['data_gb']:.2f} GB, {r['chunks']} chunks of {r['chunk_mib']:.1f} MiB "
                           f"({r['n']:,} x {r['d']})")
        line += (f"  client +{r['client_growth_mib']:.0f} MiB ({r['client_growth_chunks']:.2f} chunks)")
        if "passes" in r:
            line = line.replace(" s  client", f" s  ({r['passes']} passes)  client", 1)
        if "tracemalloc_peak_mib" in r:
            line += f", tracemalloc {r['tracemalloc_peak_mib']:.0f} MiB ({r['tracemalloc_chunks']:.2f} chunks)"
        return line + "; workers' peak RSS " + " / ".join(f"{m:.0f}" for m in r["worker_peak_mib"]) + " MiB"
    if "solver" in r:
        ratio = f"  time mlopt/dask-glm {r['time_ratio']:.2f}" if "time_ratio" in r else ""
        solver = f"{r['solver']}, {r['variant']}" if r.get("variant") else r["solver"]
        return (f"{solver:<36} {r['library']:<15} {r['seconds']:7.1f} s  passes {r['passes']:>4} "
                f"(graph evaluations {r['evaluations']:>4})  gap {r['rel_subopt']:8.1e}  max|theta - theta*| "
                f"{r['max_abs_dtheta']:.1e}  tol {r['tol']:g}{'' if r['reached'] else '  NOT REACHED'}{ratio}")
    if "f_star" in r:
        return (f"{r['name']:<40} J* = {r['f_star']:.10f}; scikit-learn max|dtheta| {r['sklearn_max_abs_dtheta']:.1e}"
                f", gap {r['sklearn_rel_gap']:.1e}; dask-glm newton (tol 1e-10) max|dtheta| "
                f"{r.get('dask_glm_newton_max_abs_dtheta', float('nan')):.1e}")
    return json.dumps(r)


def table(rows) -> str:
    lines = []
    for r in rows:
        if r.get("bench", "").startswith("dask_"):
            lines.append(dask_line(r))
        elif "ratio" in r:
            ok = ("(no target)" if r["target"] is None else
                  "ok" if r["ratio"] <= r["target"] else f"MISSED by {r['ratio'] / r['target']:.2f}x")
            extra = f"  max|diff|={r['max_abs_diff']:.1e}" if "max_abs_diff" in r else ""
            times = "  ".join(f"{k[:-3]}={v:.2f} ms" for k, v in r.items() if k.endswith("_ms"))
            if "problem" in r:
                times = (f"{r['problem']}: mlopt {r['mlopt_grads']}, SciPy {r['scipy_grads']} gradients; max|theta - "
                         f"theta*| mlopt {r['mlopt_to_optimum']:.1e}, SciPy {r['scipy_to_optimum']:.1e}; "
                         f"rel. diff. of J {r['objective_rel_diff']:.1e}")
            lines.append(f"{r['name']:<40} vs {r['vs']:<36} ratio {r['ratio']:5.2f} (target <= {r['target']}) "
                         f"{ok}   [{times}]{extra}")
        elif "method" in r:
            lines.append(f"{r['name']:<40} {r['method']:<58} gradient evals {r['n_grad']!s:>7}  "
                         f"{r['ms']:9.1f} ms")
        elif "peak_anon_mb" in r:
            lines.append(f"{r['name']:<40} file {r['file_gb']:.2f} GB: anon memory {r['baseline_anon_mb']:.0f} MB -> "
                         f"peak {r['peak_anon_mb']:.0f} MB (+{r['growth_mb']:.0f} MB), {r['seconds']:.1f} s")
        elif "sympy_derivations" in r:
            lines.append(f"{r['name']:<40} {r['objectives_ms']:.1f} ms; Loss.from_sympy x same count "
                         f"{r['from_sympy_ms']:.1f} ms; SymPy derivations {r['sympy_derivations']}")
        else:
            label = r.get("chapter", "")
            lines.append(f"{r['name']:<40} {label:<28} {r['seconds']:.1f} s")
    return "\n".join(lines)


def merge(path: Path, names, rows, info, quick) -> None:
    """Write ``rows`` (of the benchmarks ``names``) into the results file at ``path``: each bench's rows
    take the place of its old ones (or go at the end), the other benches' rows are kept. The file's
    machine keeps its values; keys it lacks are added, and a run whose machine differs on a shared key
    is recorded under "merged" so that the mix stays visible."""
    old = json.loads(path.read_text()) if path.exists() else {"machine": info, "quick": quick, "results": []}
    if old.get("quick", False) != quick:
        raise SystemExit(f"refusing to merge {'--quick' if quick else 'full-size'} results into {path}, whose "
                         f"results are {'--quick' if old.get('quick') else 'full-size'}")
    merged, placed = [], set()
    for r in old["results"]:
        if r.get("bench") in names:
            if r["bench"] not in placed:
                merged += [q for q in rows if q["bench"] == r["bench"]]
                placed.add(r["bench"])
        else:
            merged.append(r)
    merged += [q for q in rows if q["bench"] not in placed]
    machine = dict(old.get("machine", {}))
    differs = {k: v for k, v in info.items() if k in machine and machine[k] != v}
    machine.update({k: v for k, v in info.items() if k not in machine})
    out = {"machine": machine, "quick": quick, "results": merged}
    history = list(old.get("merged", []))
    if differs:
        print(f"note: the machine differs from the file's on {sorted(differs)}; recorded under 'merged'")
        history.append({"benches": list(names), "machine": info})
    if history:
        out["merged"] = history
    path.write_text(json.dumps(out, indent=1) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description="mlopt benchmarks")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--merge", action="store_true",
                        help="write the benchmarks that ran into the existing results file (--output or "
                             "benchmarks/results.json): their rows replace the rows of the same names")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(BENCHES)}")
    info = machine_info()
    print("machine:", json.dumps(info))
    rows = []
    for name in names:
        print(f"running {name} ...", flush=True)
        out = BENCHES[name](args.quick)
        new = out if isinstance(out, list) else [out]
        for r in new:
            r["bench"] = name
        rows += new
        print(table(new), flush=True)
    if args.merge:
        output = args.output or RESULTS
        merge(output, names, rows, info, args.quick)
        print(f"results of {', '.join(names)} merged into {output}")
    else:
        output = args.output or (RESULTS if not args.quick and not args.only else None)
        if output is not None:
            output.write_text(json.dumps({"machine": info, "quick": args.quick, "results": rows}, indent=1) + "\n")
            print(f"results written to {output}")
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
