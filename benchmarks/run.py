"""`make bench`: mlopt against hand-written NumPy, scikit-learn and SciPy, measured side by side.

Every figure is a ratio (or a count) measured in one process: both sides are warmed up, then
timed in interleaved repeats, and the median of each side is reported. The results go to
``benchmarks/results.json`` (read by the book's page *How fast is mlopt?*) and are printed as a
table with the machine and library versions.

Usage: ``python benchmarks/run.py [--quick] [--only NAME[,NAME...]] [--output PATH]``
(``--quick`` uses smaller problems, for a smoke test; names: gradient, logistic, ridge, sgd,
solvers, construct, memmap, book).
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


BENCHES = {"gradient": bench_gradient, "logistic": bench_logistic, "ridge": bench_ridge, "sgd": bench_sgd,
           "solvers": bench_solvers, "lbfgs": bench_lbfgs,
           "variance_reduction": bench_variance_reduction, "construct": bench_construct, "memmap": bench_memmap, "book": bench_book}


def table(rows) -> str:
    lines = []
    for r in rows:
        if "ratio" in r:
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


def main(argv=None):
    parser = argparse.ArgumentParser(description="mlopt benchmarks")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--output", type=Path, default=None)
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
    output = args.output or (RESULTS if not args.quick and not args.only else None)
    if output is not None:
        output.write_text(json.dumps({"machine": info, "quick": args.quick, "results": rows}, indent=1) + "\n")
        print(f"results written to {output}")
    print("\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
