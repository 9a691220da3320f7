"""Stochastic and minibatch methods: SGD (momentum, Nesterov, averaging), AdaGrad, RMSProp, Adam.

All four share one loop (:func:`_run`): each epoch visits every training sample once, in an order
drawn from ``rng``, in minibatches Bₜ of ``batch_size`` rows; the minibatch gradient

.. math::

    g_t = \\frac{1}{|B_t|} \\sum_{i \\in B_t} \\nabla \\ell_i(\\theta_t) + \\lambda \\nabla\\Omega(\\theta_t)

is an unbiased estimate of ∇J(θₜ). Only the update rule differs between the methods: an
:class:`UpdateRule` holds its state (momentum buffer, accumulated squares, moments) and maps
(gₜ, ηₜ) to the step θₜ₊₁ − θₜ, in the spirit of optax's ``init``/``update`` pairs.

Chapter 5 (*Stochastic gradients*) explains them and compares them at equal numbers of gradient
evaluations.
"""

from __future__ import annotations

import math
import textwrap
import time
import warnings

import numpy as np

from ._loop import blew_up, growth_what, sgd_advice
from ._validation import adapt_callback, check_bool, check_scalar, check_theta
from .objective import EmpiricalRisk
from .result import ConvergenceWarning, Result

__all__ = ["sgd", "adagrad", "rmsprop", "adam", "UpdateRule"]


# --- update rules ------------------------------------------------------------------------------

class UpdateRule:
    """An update rule: ``init(theta)`` makes the state, ``step(g, lr, t, scale)`` returns Δθ in
    place for the gradient scale·g (``g`` may be overwritten).

    ``t`` counts updates from 0. Subclasses override both. ``step`` writes the update into (and
    returns) a preallocated buffer, so the loop allocates nothing per step beyond the gradient.
    """

    name = "sgd"

    def init(self, theta: np.ndarray) -> None:
        self.delta = np.zeros_like(theta)

    def step(self, g: np.ndarray, lr: float, t: int, scale: float = 1.0) -> np.ndarray:
        """Δθ for the gradient scale·g (the solvers pass g unscaled to save an array operation)."""
        np.multiply(g, -lr * scale, out=self.delta)
        return self.delta


class Momentum(UpdateRule):
    """Heavy ball b ← βb + g, Δθ = −η b; Nesterov: Δθ = −η(g + βb) (the look-ahead form that needs
    one gradient per step)."""

    def __init__(self, momentum: float, nesterov: bool):
        self.momentum, self.nesterov = momentum, nesterov
        self.name = "sgd+nesterov" if nesterov else "sgd+momentum"

    def init(self, theta):
        super().init(theta)
        self.buf = np.zeros_like(theta)

    def step(self, g, lr, t, scale=1.0):
        if scale != 1.0:
            g *= scale
        b = self.buf
        b *= self.momentum
        b += g
        if self.nesterov:
            np.multiply(b, self.momentum, out=self.delta)
            self.delta += g
            self.delta *= -lr
        else:
            np.multiply(b, -lr, out=self.delta)
        return self.delta


class AdaGrad(UpdateRule):
    """G ← G + g², Δθ = −η g / (√G + ε)  (Duchi, Hazan & Singer 2011)."""

    name = "adagrad"

    def __init__(self, eps: float, initial_accumulator: float = 0.0):
        self.eps, self.initial = eps, initial_accumulator

    def init(self, theta):
        super().init(theta)
        self.G = np.full_like(theta, self.initial)

    def step(self, g, lr, t, scale=1.0):
        if scale != 1.0:
            g *= scale
        self.G += g * g
        np.sqrt(self.G, out=self.delta)
        self.delta += self.eps
        np.divide(g, self.delta, out=self.delta)
        self.delta *= -lr
        return self.delta


class RMSProp(UpdateRule):
    """s ← ρs + (1 − ρ)g², Δθ = −η g / (√s + ε)  (Tieleman & Hinton 2012)."""

    name = "rmsprop"

    def __init__(self, rho: float, eps: float):
        self.rho, self.eps = rho, eps

    def init(self, theta):
        super().init(theta)
        self.s = np.zeros_like(theta)

    def step(self, g, lr, t, scale=1.0):
        if scale != 1.0:
            g *= scale
        self.s *= self.rho
        self.s += (1.0 - self.rho) * (g * g)
        np.sqrt(self.s, out=self.delta)
        self.delta += self.eps
        np.divide(g, self.delta, out=self.delta)
        self.delta *= -lr
        return self.delta


class Adam(UpdateRule):
    """m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ⁺¹), v̂ = v/(1 − β₂ᵗ⁺¹),
    Δθ = −η m̂ / (√v̂ + ε)  (Kingma & Ba 2015)."""

    name = "adam"

    def __init__(self, beta1: float, beta2: float, eps: float):
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def init(self, theta):
        super().init(theta)
        self.m = np.zeros_like(theta)
        self.v = np.zeros_like(theta)

    def step(self, g, lr, t, scale=1.0):
        if scale != 1.0:
            g *= scale
        b1, b2 = self.beta1, self.beta2
        self.m *= b1
        self.m += (1.0 - b1) * g
        self.v *= b2
        self.v += (1.0 - b2) * (g * g)
        k = t + 1
        m_hat_scale = 1.0 / (1.0 - b1 ** k)
        v_hat_scale = 1.0 / (1.0 - b2 ** k)
        np.multiply(self.v, v_hat_scale, out=self.delta)
        np.sqrt(self.delta, out=self.delta)
        self.delta += self.eps
        np.divide(self.m, self.delta, out=self.delta)
        self.delta *= -lr * m_hat_scale
        return self.delta


# --- the shared loop ---------------------------------------------------------------------------

def _check_lr(lr):
    if isinstance(lr, str):
        raise ValueError(f"lr must be a positive float or a schedule (callable step -> lr, see "
                         f"mlopt.schedules); got lr={lr!r}")
    if callable(lr):
        return lr
    return check_scalar(lr, "lr", low=0.0, low_open=True)


def _lr_at(lr, t):
    if not callable(lr):
        return lr
    eta = float(lr(t))
    if not math.isfinite(eta) or eta < 0:
        raise ValueError(f"lr schedule must return finite values >= 0; got {eta!r} at step {t}")
    return eta


def _progress_bar(enabled, total, desc):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs tqdm (pip install tqdm); running without a progress bar",
                      stacklevel=4)
        return None
    return tqdm(total=total, desc=desc, unit="epoch", leave=False)


#: Rows per block when an epoch shuffles blocks (memory-mapped data): the index memory of an
#: epoch is one block's permutation, whatever the number of rows.
SHUFFLE_BLOCK = 65536


def _epoch_batches(rng, n, batch_size, block):
    """Minibatches (index arrays into 0..n-1) of one epoch: each index exactly once.

    ``block=None``: one uniformly random permutation of all n rows, cut into batches.
    ``block=k``: the blocks of k consecutive rows in random order, the rows of each block in random
    order, batches cut within each block (the last batch of a block may be smaller).
    """
    if block is None:
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            yield order[s:s + batch_size]
        return
    for b in rng.permutation(-(-n // block)):
        start = int(b) * block
        order = start + rng.permutation(min(block, n - start))
        for s in range(0, order.size, batch_size):
            yield order[s:s + batch_size]


def _steps_per_epoch(n, batch_size, block):
    if block is None:
        return -(-n // batch_size)
    full, rest = divmod(n, block)
    return full * -(-block // batch_size) + (-(-rest // batch_size) if rest else 0)


def _run(rule, obj, theta0, *, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
         validation_fraction, average, record, record_theta, rng, callback, progress, shuffle):
    """The loop shared by sgd, adagrad, rmsprop and adam (arguments already checked)."""
    n_all = obj.n_samples
    Xall, yall = obj.X, obj.y
    if early_stopping:
        perm0 = rng.permutation(n_all)
        n_val = max(1, int(round(validation_fraction * n_all)))
        if n_val >= n_all:
            raise ValueError(f"validation_fraction={validation_fraction:g} leaves no training samples "
                             f"out of n_samples={n_all}")
        val_idx = np.sort(perm0[:n_val])
        train_idx = np.sort(perm0[n_val:])
        Xval, yval = Xall[val_idx], yall[val_idx]
        Xtrain, ytrain = Xall[train_idx], yall[train_idx]  # copies: early stopping holds O(n) rows
    else:
        train_idx = None
    n = n_all if train_idx is None else train_idx.size
    if batch_size > n:
        raise ValueError(f"batch_size must be <= the number of training samples {n}; got batch_size={batch_size}")
    X = Xall
    y = yall
    if shuffle == "auto":
        shuffle = "blocks" if isinstance(Xall, np.memmap) else "rows"
    block = None if shuffle == "rows" else SHUFFLE_BLOCK
    lam, reg, loss = obj.lam, obj.regularizer, obj.loss
    dz, dz_scale = loss._fast_dz_unscaled, loss._dz_scale  # ℓ' = dz_scale · dz
    const_lr = None if callable(lr) else lr

    def full_value_grad(th):
        if train_idx is None:
            return obj._value_and_gradient(th)
        total, g = obj._risk_sums(th, Xtrain, ytrain)
        val = total / ytrain.size + (lam * reg.value(th) if lam else 0.0)
        g /= ytrain.size
        if lam:
            g += lam * reg.gradient(th)
        return val, g

    theta = theta0.copy()
    rule.init(theta)
    steps_per_epoch = _steps_per_epoch(n, batch_size, block)
    total_steps = steps_per_epoch * epochs
    per_step = record == "step"
    capacity = (total_steps if per_step else epochs) + 1
    hist = {k: np.empty(capacity) for k in ("objective", "grad_norm", "lr", "time", "n_grad", "epoch")}
    if early_stopping:
        hist["val_loss"] = np.empty(capacity)
    thetas = np.empty((capacity, theta.size)) if record_theta else None
    avg_start = None if average is False else (0 if average is True else int(average))
    theta_avg = theta.copy() if avg_start is not None else None
    n_avg = 0

    t0 = time.perf_counter()
    count = 0

    def point():
        return theta_avg if (avg_start is not None and n_avg > 0) else theta

    def record_point(eta, n_grad, epoch_float):
        nonlocal count
        p = point()
        f, g = full_value_grad(p)
        hist["objective"][count] = f
        hist["grad_norm"][count] = float(np.linalg.norm(g))
        hist["lr"][count] = eta
        hist["time"][count] = time.perf_counter() - t0
        hist["n_grad"][count] = n_grad
        hist["epoch"][count] = epoch_float
        if early_stopping:
            hist["val_loss"][count] = obj._risk_sums(p, Xval, yval, grad=False)[0] / yval.size
        if thetas is not None:
            thetas[count] = p
        count += 1
        return f

    f = f0 = record_point(0.0, 0.0, 0.0)
    last_good = theta.copy()
    prev = None  # set when an update makes theta non-finite: the iterate before it
    if not math.isfinite(f):
        raise ValueError("theta0 gives a non-finite objective; choose another starting point")
    best, no_improve = math.inf, 0
    best_theta = None
    converged, message, diverged = False, "", False
    t = 0
    n_grad = 0.0
    frac = batch_size / n
    bar = _progress_bar(progress, epochs, rule.name)
    epoch = 0
    eta = 0.0
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(1, epochs + 1):
                for idx in _epoch_batches(rng, n, batch_size, block):
                    if train_idx is not None:
                        idx = train_idx[idx]
                    Xb = X[idx]
                    yb = y[idx]
                    g = dz(Xb @ theta, yb) @ Xb   # the minibatch gradient is scale·g
                    scale = dz_scale / idx.size
                    if lam:
                        g *= scale
                        g += lam * reg.gradient(theta)
                        scale = 1.0
                    eta = const_lr if const_lr is not None else _lr_at(lr, t)
                    delta = rule.step(g, eta, t, scale)
                    theta += delta
                    t += 1
                    n_grad += idx.size / n
                    if not math.isfinite(theta.sum()):  # a NaN or inf in theta makes the sum non-finite
                        prev = theta - delta            # the iterate before, if it can be recovered
                        diverged = True
                        break
                    if avg_start is not None and t > avg_start:
                        n_avg += 1
                        theta_avg += (theta - theta_avg) / n_avg
                    if per_step:
                        f = record_point(eta, n_grad, t * frac)
                        if not math.isfinite(f):
                            count -= 1  # keep the history up to the last finite point
                            diverged = True
                            break
                        last_good[:] = point()
                if diverged:
                    break
                if not per_step:
                    f = record_point(eta, n_grad, float(epoch))
                    if not math.isfinite(f):
                        count -= 1  # keep the history up to the last finite point
                        diverged = True
                        break
                    last_good[:] = point()
                if bar is not None:
                    bar.update(1)
                if callback is not None and callback(epoch, point().copy(), f):
                    message = f"stopped by callback after epoch {epoch}"
                    break
                if tol is not None:
                    score = hist["val_loss"][count - 1] if early_stopping else f
                    if score > best - tol:
                        no_improve += 1
                    else:
                        no_improve = 0
                    if score < best:
                        best = score
                        best_theta = point().copy()
                    if no_improve >= n_iter_no_change:
                        converged = True
                        what = "validation loss" if early_stopping else "objective"
                        message = (f"converged: the {what} improved by less than tol={tol:g} for "
                                   f"{n_iter_no_change} consecutive epochs (epoch {epoch})")
                        break
    finally:
        if bar is not None:
            bar.close()

    out = {k: v[:count].copy() for k, v in hist.items()}
    if thetas is not None:
        out["theta"] = thetas[:count].copy()
    if not diverged and not converged and blew_up(out["objective"][-1], f0):
        # finite, but grown by more than DIVERGENCE_FACTOR: report it as the divergence it is
        diverged = True
        f = out["objective"][-1]
        last_good = point().copy()
    if diverged:
        if prev is not None or not math.isfinite(f):
            # non-finite: back to the last finite iterate (the average's, when averaging)
            if avg_start is not None and n_avg > 0:
                theta_final = theta_avg.copy()
            elif prev is not None and np.isfinite(prev).all():
                theta_final = prev.copy()
            else:
                theta_final = last_good.copy()
            what = "the iterates became non-finite"
        else:  # finite, grown more than DIVERGENCE_FACTOR-fold: the final point
            theta_final = last_good.copy()
            what = f"after {epoch} epochs {growth_what(f, f0)}"
        advice = (sgd_advice(eta, obj, batch_size, getattr(rule, "momentum", 0.0),
                             getattr(rule, "nesterov", False)) if rule.name.startswith("sgd")
                  else f"reduce lr (lr={eta:g})")
        message = f"diverged at epoch {epoch}, update {t}: {what}; {advice}"
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
        f_final = float(out["objective"][-1])
        return Result(theta=theta_final, objective=f_final, n_iter=t, converged=False, message=message,
                      history=out)
    theta_final = point().copy()
    if early_stopping and best_theta is not None and not np.array_equal(best_theta, theta_final):
        theta_final = best_theta
        f_final, _ = full_value_grad(theta_final)
    else:
        f_final = hist["objective"][count - 1]  # J at the last recorded point, which is theta_final
    if not message:
        if tol is None:
            message = f"completed epochs={epochs} ({t} updates); no stopping criterion (tol=None)"
        else:
            message = (f"epochs={epochs} ran out before the {'validation loss' if early_stopping else 'objective'} "
                       f"stopped improving by tol={tol:g}; increase epochs")
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return Result(theta=theta_final, objective=float(f_final), n_iter=t, converged=converged,
                  message=message, history=out)


# --- public solvers ----------------------------------------------------------------------------

_COMMON_DOC = textwrap.dedent("""
    obj : EmpiricalRisk
        The objective; its X may be a float64 ``numpy.memmap`` (minibatches index into it, the
        per-epoch objective is computed in row chunks).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    batch_size : int, default 32
        Rows per minibatch, 1 ≤ batch_size ≤ n (the last minibatch of an epoch may be smaller).
    epochs : int, default 10
        Passes over the training samples.
    tol : float or None, default None
        Stop when the epoch objective (or, with ``early_stopping``, the validation loss) has not
        improved on the best so far by at least ``tol`` for ``n_iter_no_change`` consecutive epochs
        (scikit-learn's rule). None runs every epoch.
    n_iter_no_change : int, default 5
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (drawn from ``rng``), train on the rest,
        stop on the validation loss (mean loss, no regularizer) and return the iterate with the
        best validation loss. Needs ``tol``.
    validation_fraction : float in (0, 1), default 0.1
    record : {"epoch", "step"}, default "epoch"
        Record the full objective J, ‖∇J‖ (over the training samples) after every epoch, or after
        every update (costs one pass over the data per update: for small problems and pictures).
    record_theta : bool, default False
    rng : None, int or numpy.random.Generator
        Source of the sample orders; the same seed gives a bitwise-identical run.
    callback : callable, optional
        ``callback(epoch, theta, objective)`` after each epoch (or ``callback(theta)``);
        returning True stops.
    progress : bool, default False
        Show a tqdm progress bar over epochs (if tqdm is installed).
    shuffle : {"auto", "rows", "blocks"}, default "auto"
        How an epoch orders the samples: "rows", one uniformly random permutation; "blocks",
        blocks of 65,536 consecutive rows in random order with the rows of each block shuffled,
        so that the index memory and the disk access of an epoch do not grow with the data;
        "auto" chooses "blocks" for a ``numpy.memmap`` X and "rows" otherwise.

    Returns
    -------
    Result
        ``history`` has "objective", "grad_norm", "lr", "time", "n_grad" (gradient evaluations in
        full-gradient units: a minibatch of B rows counts B/n), "epoch" (fractional with
        ``record="step"``) and "val_loss" with ``early_stopping``; entry 0 is θ₀.

    Warns
    -----
    ConvergenceWarning
        When the iterates diverge (the run stops, keeping the last finite iterate; the message
        begins with "diverged") or when ``tol`` is set and the epochs run out.

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
""")


def _prepare(obj, theta0, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
             validation_fraction, record, record_theta, rng, callback, progress, shuffle):
    if not isinstance(obj, EmpiricalRisk):
        raise ValueError(f"obj must be an mlopt.EmpiricalRisk (stochastic methods sample its rows); "
                         f"got {type(obj).__name__}")
    theta0 = check_theta(theta0, obj.n_features, "theta0")
    lr = _check_lr(lr)
    batch_size = check_scalar(batch_size, "batch_size", low=1, integer=True)
    if batch_size > obj.n_samples:
        raise ValueError(f"batch_size must be <= n_samples={obj.n_samples}; got batch_size={batch_size}")
    epochs = check_scalar(epochs, "epochs", low=1, integer=True)
    if tol is not None:
        tol = check_scalar(tol, "tol", low=0.0)
    n_iter_no_change = check_scalar(n_iter_no_change, "n_iter_no_change", low=1, integer=True)
    early_stopping = check_bool(early_stopping, "early_stopping")
    validation_fraction = check_scalar(validation_fraction, "validation_fraction", low=0.0, high=1.0,
                                       low_open=True, high_open=True)
    if early_stopping and tol is None:
        raise ValueError("early_stopping=True needs a tol (e.g. tol=1e-4); got tol=None")
    if record not in ("epoch", "step"):
        raise ValueError(f"record must be 'epoch' or 'step'; got record={record!r}")
    record_theta = check_bool(record_theta, "record_theta")
    callback = adapt_callback(callback)
    progress = check_bool(progress, "progress")
    if shuffle not in ("auto", "rows", "blocks"):
        raise ValueError(f"shuffle must be 'auto', 'rows' or 'blocks'; got shuffle={shuffle!r}")
    rng = np.random.default_rng(rng)
    return dict(theta0=theta0, lr=lr, batch_size=batch_size, epochs=epochs, tol=tol,
                n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
                validation_fraction=validation_fraction, record=record, record_theta=record_theta,
                rng=rng, callback=callback, progress=progress, shuffle=shuffle)


def sgd(obj, theta0, *, lr=0.01, batch_size: int = 32, epochs: int = 10, momentum: float = 0.0,
        nesterov: bool = False, average=False, tol=None, n_iter_no_change: int = 5,
        early_stopping: bool = False, validation_fraction: float = 0.1, record: str = "epoch",
        record_theta: bool = False, rng=None, callback=None, progress: bool = False,
        shuffle: str = "auto"):
    args = _prepare(obj, theta0, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
                    validation_fraction, record, record_theta, rng, callback, progress, shuffle)
    momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    nesterov = check_bool(nesterov, "nesterov")
    if nesterov and momentum == 0:
        raise ValueError("nesterov=True needs momentum in (0, 1); got momentum=0")
    if isinstance(average, (bool, np.bool_)):
        average = bool(average)
    else:
        average = check_scalar(average, "average", low=0, integer=True)
    rule = Momentum(momentum, nesterov) if momentum else UpdateRule()
    theta0 = args.pop("theta0")
    return _run(rule, obj, theta0, average=average, **args)


sgd.__doc__ = (
"""Minibatch stochastic gradient descent.

.. math::

    b_{t+1} = \\beta b_t + g_t, \\qquad
    \\theta_{t+1} = \\theta_t - \\eta_t \\,(\\text{nesterov} ? \\; g_t + \\beta b_{t+1} : b_{t+1}),

(β = ``momentum``; β = 0 gives θₜ₊₁ = θₜ − ηₜgₜ). With ``average``, the result is the
Polyak–Ruppert average θ̄ of the iterates after update ``average`` (0 for ``True``).

Parameters
----------
lr : float or callable, default 0.01
    Constant step size, or a schedule ``step -> lr`` from :mod:`mlopt.schedules` (steps count
    updates from 0).
momentum : float in [0, 1), default 0
nesterov : bool, default False
    Needs ``momentum > 0``.
average : bool or int, default False
    Return (and record) the running average of the iterates, from update 0 (True) or from
    the given update.
""" + _COMMON_DOC + """
Examples
--------
>>> import numpy as np, mlopt
>>> X, y, _ = mlopt.datasets.make_regression(1000, 5, noise=0.1, rng=0)
>>> obj = mlopt.EmpiricalRisk(X, y, lam=0.01)
>>> res = mlopt.sgd(obj, np.zeros(5), lr=mlopt.schedules.inverse_time(0.1, 0.01), epochs=20, rng=0)
>>> bool(np.linalg.norm(res.theta - mlopt.ridge(X, y, 0.01)) < 0.05)
True
"""
)


def adagrad(obj, theta0, *, lr=0.1, eps: float = 1e-8, initial_accumulator: float = 0.0,
            batch_size: int = 32, epochs: int = 10, tol=None, n_iter_no_change: int = 5,
            early_stopping: bool = False, validation_fraction: float = 0.1, record: str = "epoch",
            record_theta: bool = False, rng=None, callback=None, progress: bool = False,
            shuffle: str = "auto"):
    args = _prepare(obj, theta0, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
                    validation_fraction, record, record_theta, rng, callback, progress, shuffle)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    initial_accumulator = check_scalar(initial_accumulator, "initial_accumulator", low=0.0)
    theta0 = args.pop("theta0")
    return _run(AdaGrad(eps, initial_accumulator), obj, theta0, average=False, **args)


adagrad.__doc__ = (
"""AdaGrad: per-coordinate steps η / (√Gₜ + ε) with Gₜ = Σ_{s≤t} g_s² (Duchi et al. 2011).

Parameters
----------
lr : float or callable, default 0.1
eps : float > 0, default 1e-8
initial_accumulator : float >= 0, default 0
""" + _COMMON_DOC
)


def rmsprop(obj, theta0, *, lr=0.01, rho: float = 0.9, eps: float = 1e-8, batch_size: int = 32,
            epochs: int = 10, tol=None, n_iter_no_change: int = 5, early_stopping: bool = False,
            validation_fraction: float = 0.1, record: str = "epoch", record_theta: bool = False,
            rng=None, callback=None, progress: bool = False, shuffle: str = "auto"):
    args = _prepare(obj, theta0, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
                    validation_fraction, record, record_theta, rng, callback, progress, shuffle)
    rho = check_scalar(rho, "rho", low=0.0, high=1.0, high_open=True)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    theta0 = args.pop("theta0")
    return _run(RMSProp(rho, eps), obj, theta0, average=False, **args)


rmsprop.__doc__ = (
"""RMSProp: per-coordinate steps η / (√sₜ + ε), sₜ an exponential average (ρ) of g².

Parameters
----------
lr : float or callable, default 0.01
rho : float in [0, 1), default 0.9
eps : float > 0, default 1e-8
""" + _COMMON_DOC
)


def adam(obj, theta0, *, lr=0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
         batch_size: int = 32, epochs: int = 10, tol=None, n_iter_no_change: int = 5,
         early_stopping: bool = False, validation_fraction: float = 0.1, record: str = "epoch",
         record_theta: bool = False, rng=None, callback=None, progress: bool = False,
         shuffle: str = "auto"):
    args = _prepare(obj, theta0, lr, batch_size, epochs, tol, n_iter_no_change, early_stopping,
                    validation_fraction, record, record_theta, rng, callback, progress, shuffle)
    beta1 = check_scalar(beta1, "beta1", low=0.0, high=1.0, high_open=True)
    beta2 = check_scalar(beta2, "beta2", low=0.0, high=1.0, high_open=True)
    eps = check_scalar(eps, "eps", low=0.0, low_open=True)
    theta0 = args.pop("theta0")
    return _run(Adam(beta1, beta2, eps), obj, theta0, average=False, **args)


adam.__doc__ = (
"""Adam with bias correction (Kingma & Ba 2015).

.. math::

    m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\;
    v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,\\;
    \\theta_{t+1} = \\theta_t - \\eta_t \\frac{m_t / (1-\\beta_1^{t})}{\\sqrt{v_t / (1-\\beta_2^{t})} + \\varepsilon}

(t counted from 1 in the bias corrections).

Parameters
----------
lr : float or callable, default 0.001
beta1, beta2 : float in [0, 1), defaults 0.9 and 0.999
eps : float > 0, default 1e-8
""" + _COMMON_DOC
)
