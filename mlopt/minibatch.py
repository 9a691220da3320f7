"""The minibatch driver: any update rule, run over shuffled minibatches for a number of epochs.

Each epoch visits every training sample once, in an order drawn from ``rng``, in minibatches Bₜ
of ``batch_size`` rows; the minibatch gradient

.. math::

    g_t = \\frac{1}{|B_t|} \\sum_{i \\in B_t} \\nabla \\ell_i(\\theta_t) + \\lambda \\nabla\\Omega(\\theta_t)

is an unbiased estimate of ∇J(θₜ), and the rule (:mod:`mlopt.update_rules`) turns it into the
step. :func:`mlopt.sgd`, :func:`mlopt.adagrad`, :func:`mlopt.rmsprop`, :func:`mlopt.adam` and
:func:`mlopt.adamw` are this driver with one rule each.
"""

from __future__ import annotations

import math

import numpy as np

from . import _sampling
from ._history import History
from ._options import adapt_callback, check_average, check_rng, check_tol, progress_bar, resolve_lr
from ._stop import DIVERGENCE_FACTOR, conclude, non_finite
from ._validation import check_bool, check_scalar, check_theta
from .objective import EmpiricalRisk

__all__ = ["minibatch_descent"]

#: Rows (evenly spaced) on which the default record estimates J(θ₀) and ‖∇J(θ₀)‖ for entry 0.
START_ROWS = 1024
#: Rows per block of ``shuffle="blocks"``.
SHUFFLE_BLOCK = _sampling.SHUFFLE_BLOCK

RECORDS = ("epoch", "exact", "step")


def minibatch_descent(obj, theta0, rule, *, lr=0.01, batch_size: int = 32, epochs: int = 10,
                      average=False, tol=None, n_iter_no_change: int = 5, early_stopping: bool = False,
                      validation_fraction: float = 0.1, record: str = "epoch", record_theta: bool = False,
                      rng=None, callback=None, progress: bool = False, shuffle: str = "auto"):
    """Minimize ``obj`` with an update rule over shuffled minibatches.

    Parameters
    ----------
    obj : EmpiricalRisk or TwoLayerNet
        The objective; its X may be a float64 ``numpy.memmap`` (minibatches index into it). A
        model with the same sampling interface (attributes ``X``, ``y``, ``n_samples``,
        ``n_features``; ``minibatch(theta, rows, y_rows=None) -> (J_B, ∇J_B)``, ``subset(rows)``,
        ``unchecked`` with ``value``, ``value_and_gradient`` and ``risk_value``) works too, e.g.
        :class:`mlopt.models.TwoLayerNet`.
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    rule : UpdateRule
        ``init(theta) -> state`` and ``update(grad, state, theta, lr, t) -> (step, state)``, e.g.
        ``mlopt.update_rules.Adam()`` (see :mod:`mlopt.update_rules`).
    lr : float or callable, default 0.01
        Constant step size, or a schedule ``step -> lr`` from :mod:`mlopt.schedules` (steps count
        updates from 0).
    batch_size : int, default 32
        Rows per minibatch, 1 ≤ batch_size ≤ n (the last minibatch of an epoch may be smaller).
    epochs : int, default 10
        Passes over the training samples.
    average : bool or int, default False
        Return (and record) the Polyak–Ruppert average of the iterates, from update 0 (True) or
        from the given update.
    tol : float or None, default None
        Stop when the recorded objective (or, with ``early_stopping``, the validation loss) has
        not improved on the best so far by at least ``tol`` for ``n_iter_no_change`` consecutive
        epochs (scikit-learn's rule). None runs every epoch.
    n_iter_no_change : int, default 5
        The patience of ``tol``, in epochs.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the samples (drawn from ``rng``), train on the rest,
        stop on the validation loss (mean loss, no regularizer) and return the iterate with the
        best validation loss. Needs ``tol``.
    validation_fraction : float in (0, 1), default 0.1
        The share of samples held out by ``early_stopping``.
    record : {"epoch", "exact", "step"}, default "epoch"
        What ``history`` holds. "epoch": after each epoch, the running means of the minibatch
        objectives and gradients seen in it (estimates of J and ∇J at no extra pass over the
        data; entry 0 estimates J(θ₀) and ‖∇J(θ₀)‖ on 1024 evenly spaced training rows, or all of
        them when there are fewer; with ``average`` the estimates are of the iterates, not of
        their average), ``history_kind="estimate"``. The divergence bound (J above 1e10 times its
        start) is relative to entry 0. "exact": J and
        ‖∇J‖ over the training samples at θ₀ and after each epoch (one pass each). "step": the
        exact values after every update (a pass per update: for small problems and pictures).
    record_theta : bool, default False
        Keep the recorded points in ``history["theta"]``.
    rng : None, int or numpy.random.Generator
        Source of the sample orders; the same seed gives a bitwise-identical run.
    callback : callable, optional
        ``callback(epoch, theta, objective)`` after each epoch (or ``callback(theta)``);
        returning True stops the run.
    progress : bool, default False
        Show a tqdm progress bar over epochs (if tqdm is installed).
    shuffle : {"auto", "rows", "blocks", "replacement", "chunks"}, default "auto"
        How an epoch orders the samples: "rows", one uniformly random permutation; "blocks",
        blocks of 65,536 consecutive rows in random order with the rows of each block shuffled
        (index memory and disk access of an epoch independent of n); "replacement", n
        independent uniform draws (minibatches may repeat rows: the sampling the classical SGD
        rates assume; reshuffling usually converges faster, see :doc:`/book/08_convergence`);
        "auto": "blocks" for a ``numpy.memmap`` X, "rows" otherwise. For X and y in dask arrays
        the only sampling is "chunks" ("auto" means it): each epoch visits the row chunks in a
        random order, fetching one chunk to the client at a time (the next one is fetched while
        this one is used: the client holds two chunks, and for a moment the receive buffer of
        the one arriving), and cuts a random permutation of the
        chunk's rows into minibatches. Over an epoch every row is used once, as with "rows", and
        a step's expected gradient over the random chunk is ∇J; but the minibatches of one chunk
        estimate that chunk's gradient, not ∇J: when the chunks differ (data sorted by time,
        class or source), successive steps share that bias and the iterates drift towards each
        chunk's own minimizer in turn (measured in :doc:`/book/13_distributed`). The same seed
        gives the same run for the same chunking, on any cluster.

    Returns
    -------
    Result
        ``history`` has "objective", "grad_norm", "lr", "time", "n_grad" (gradient evaluations in
        full-gradient units: a minibatch of B rows counts B/n), "epoch" (fractional with
        ``record="step"``) and "val_loss" with ``early_stopping``. ``Result.objective`` is J of
        the returned θ (over all samples), computed when first read if no record holds it.

    Warns
    -----
    ConvergenceWarning
        When the iterates diverge (the run stops and returns the last finite iterate; the
        status is "diverged") or when ``tol`` is set and the epochs run out.

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X, y, _ = mlopt.datasets.make_regression(1000, 5, noise=0.1, rng=0)
    >>> obj = mlopt.EmpiricalRisk(X, y, lam=0.01)
    >>> res = mlopt.minibatch_descent(obj, np.zeros(5), mlopt.update_rules.Adam(), lr=0.05, epochs=30, rng=0)
    >>> res.status, bool(np.linalg.norm(res.theta - mlopt.ridge(X, y, 0.01)) < 0.05)
    ('completed', True)
    """
    return run_minibatch(obj, theta0, rule, None, lr=lr, batch_size=batch_size, epochs=epochs, average=average,
                         tol=tol, n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, record=record, record_theta=record_theta,
                         rng=rng, callback=callback, progress=progress, shuffle=shuffle)


def run_minibatch(obj, theta0, rule, estimator, *, lr, batch_size, epochs, average, tol, n_iter_no_change,
                  early_stopping, validation_fraction, record, record_theta, rng, callback, progress, shuffle):
    """Check the options of :func:`minibatch_descent` and run it; ``estimator`` (or None for the
    plain minibatch gradient) is a factory ``estimator(fast, n) -> object`` with ``begin_epoch(theta)
    -> passes`` and ``__call__(theta, rows, y_rows) -> (value, gradient)`` (:mod:`mlopt.variance_reduction`)."""
    if not isinstance(obj, EmpiricalRisk) and not all(
            hasattr(obj, a) for a in ("X", "y", "n_samples", "n_features", "minibatch", "subset", "unchecked")):
        raise ValueError(f"obj must be an mlopt.EmpiricalRisk or a model with its sampling interface (X, y, "
                         f"n_samples, n_features, minibatch, subset, unchecked; e.g. mlopt.models.TwoLayerNet); "
                         f"got {type(obj).__name__}")
    if estimator is not None and not isinstance(obj, EmpiricalRisk):
        raise ValueError(f"obj must be an mlopt.EmpiricalRisk (a linear model: the variance-reduced estimates "
                         f"store one scalar per sample); got {type(obj).__name__}")
    if not (callable(getattr(rule, "init", None)) and callable(getattr(rule, "update", None))):
        raise ValueError(f"rule must have init(theta) and update(grad, state, theta, lr, t) methods "
                         f"(e.g. mlopt.update_rules.Adam()); got {rule!r}")
    options = dict(
        theta0=check_theta(theta0, obj.n_features, "theta0"),
        lr=resolve_lr(lr),
        batch_size=check_scalar(batch_size, "batch_size", low=1, integer=True),
        epochs=check_scalar(epochs, "epochs", low=1, integer=True),
        average=check_average(average),
        tol=check_tol(tol),
        n_iter_no_change=check_scalar(n_iter_no_change, "n_iter_no_change", low=1, integer=True),
        early_stopping=check_bool(early_stopping, "early_stopping"),
        validation_fraction=check_scalar(validation_fraction, "validation_fraction", low=0.0, high=1.0,
                                         low_open=True, high_open=True),
        record=record, record_theta=check_bool(record_theta, "record_theta"),
        rng=check_rng(rng), callback=adapt_callback(callback), progress=check_bool(progress, "progress"),
        shuffle=shuffle)
    if options["batch_size"] > obj.n_samples:
        raise ValueError(f"batch_size must be <= n_samples={obj.n_samples}; got batch_size={batch_size}")
    if record not in RECORDS:
        raise ValueError(f"record must be one of {RECORDS}; got record={record!r}")
    if getattr(obj, "is_dask", False):
        if shuffle not in ("auto", "chunks"):
            raise ValueError(f"shuffle must be 'auto' or 'chunks' for data in dask arrays (chunk-local "
                             f"shuffling); got shuffle={shuffle!r}")
        if estimator is not None:
            raise ValueError("obj must hold in-memory data for the variance-reduced methods (their table "
                             "stores one scalar per sample); got an objective over dask arrays")
    elif shuffle not in ("auto", "rows", "blocks", "replacement"):
        raise ValueError(f"shuffle must be 'auto', 'rows', 'blocks' or 'replacement'; got shuffle={shuffle!r}"
                         + (" ('chunks' is for dask arrays)" if shuffle == "chunks" else ""))
    if options["early_stopping"] and options["tol"] is None:
        raise ValueError("early_stopping=True needs a tol (e.g. tol=1e-4); got tol=None")
    return _MinibatchRun(obj, rule, estimator=estimator, **options).run()


class _MinibatchRun:
    """One run of :func:`minibatch_descent` (arguments already checked)."""

    def __init__(self, obj, rule, *, estimator, theta0, lr, batch_size, epochs, average, tol, n_iter_no_change,
                 early_stopping, validation_fraction, record, record_theta, rng, callback, progress,
                 shuffle):
        self.obj, self.rule, self.lr, self.rng = obj, rule, lr, rng
        self.epochs, self.tol, self.patience, self.callback = epochs, tol, n_iter_no_change, callback
        self.record, self.progress, self.batch_size = record, progress, batch_size
        self.train, self.val = obj, None
        if early_stopping:
            train_rows, val_rows = _sampling.validation_split(rng, obj.n_samples, validation_fraction)
            self.train, self.val = obj.subset(train_rows), obj.subset(val_rows)  # O(n) copies
        self.n = self.train.n_samples
        if batch_size > self.n:
            raise ValueError(f"batch_size must be <= the number of training samples {self.n}; "
                             f"got batch_size={batch_size}")
        self.chunked = getattr(self.train, "is_dask", False)
        self.block = None if self.chunked else _sampling.shuffle_block(shuffle, obj.X)
        self.fast = self.train.unchecked
        self.estimator = estimator(self.fast, self.n) if estimator is not None else None
        self.theta = theta0.copy()
        self.state = rule.init(self.theta)
        self.avg_start, self.theta_avg, self.n_avg = average, None, 0
        if average is not None:
            self.theta_avg = self.theta.copy()
        extra = ("epoch",) + (("val_loss",) if early_stopping else ())
        self.hist = History(theta0.size, record_theta, extra)
        self.t, self.n_grad, self.eta = 0, 0.0, 0.0
        self.best, self.best_theta, self.no_improve = math.inf, None, 0
        self.last_good, self.t_good, self.f0 = self.theta.copy(), 0, None

    def point(self):
        """The iterate the run returns: the average once averaging has begun."""
        return self.theta_avg if self.n_avg else self.theta

    def _record(self, objective, grad_norm, epoch):
        p = self.point()
        values = dict(objective=objective, grad_norm=grad_norm, lr=self.eta, n_grad=self.n_grad, epoch=epoch)
        if self.val is not None:
            values["val_loss"] = self.val.unchecked.risk_value(p)
        self.hist.record(p, **values)
        return objective

    def _record_exact(self, epoch):
        f, g = self.fast.value_and_gradient(self.point())
        return self._record(f, float(np.linalg.norm(g)), epoch)

    def run(self):
        self.f0 = self._record_exact(0.0) if self.record != "epoch" else self._record_start_estimate()
        if not math.isfinite(self.f0):
            raise ValueError("theta0 gives a non-finite objective; choose another starting point")
        bar = progress_bar(self.progress, self.epochs, getattr(self.rule, "name", "minibatch"))
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                for epoch in range(1, self.epochs + 1):
                    stop = self._epoch(epoch) or self._after_epoch(epoch)
                    if bar is not None:
                        bar.update(1)
                    if stop:
                        return self._finish(*stop)
        finally:
            if bar is not None:
                bar.close()
        if self.tol is None:
            return self._finish("completed", f"epochs={self.epochs} ({self.t} updates), no stopping "
                                             "criterion (tol=None)")
        what = "validation loss" if self.val is not None else "objective"
        return self._finish("max_iter", f"epochs={self.epochs} ran out before the {what} stopped improving "
                                        f"by tol={self.tol:g}; increase epochs")

    def _epoch(self, epoch):
        """One pass over the training rows; a stop reason when the iterates diverge."""
        fast, rule, state, theta, lr, B = self.fast, self.rule, self.state, self.theta, self.lr, self.batch_size
        const = lr.schedule is None
        eta = lr.value if const else self.eta
        t, per_step, avg_start = self.t, self.record == "step", self.avg_start
        limit = DIVERGENCE_FACTOR * max(abs(self.f0), 1.0)
        loss_sum, grad_sum, batches, seen, step = 0.0, np.zeros_like(theta), 0, 0, None
        y, frac, n_grad0 = self.train.y, 1.0 / self.n, self.n_grad
        minibatch = fast.minibatch
        if self.estimator is not None:   # variance reduction: a full pass (SVRG's snapshot, SAGA's table)
            passes = self.estimator.begin_epoch(theta)
            if passes is None:
                return "diverged", f"at epoch {epoch}, update {t}: the full gradient became non-finite"
            n_grad0 += passes
            minibatch = self.estimator
        for source, y, order in self._orders(minibatch, y):
            y_order = y[order]       # one gather per order, then views per minibatch
            if source is not None:   # dask data: the minibatches of one chunk held in memory
                minibatch = source.minibatch
            for s in range(0, order.size, B):
                idx = order[s:s + B]
                value, g = minibatch(theta, idx, y_order[s:s + B])
                if not value <= limit:   # non-finite, or grown DIVERGENCE_FACTOR-fold: θₜ is bad
                    self.t, self.eta = t, eta
                    self._restore(step)
                    what = non_finite(value) if not math.isfinite(value) else (
                        f"the minibatch objective grew to {value:.4g} (more than {DIVERGENCE_FACTOR:.0e} "
                        "times its start)")
                    return "diverged", f"at epoch {epoch}, update {t}: {what}"
                m = idx.size
                loss_sum += value * m
                seen += m
                grad_sum += g
                batches += 1
                if not const:
                    eta = lr.at(t)
                step, state = rule.update(g, state, theta, eta, t)
                theta += step
                t += 1
                if avg_start is not None and t > avg_start:
                    self._average()
                if per_step:
                    self.eta, self.t, self.n_grad = eta, t, n_grad0 + seen * frac
                    f = self._record_exact(epoch - 1 + seen * frac)
                    if not f <= limit:   # keep the history up to the last acceptable point
                        self.hist.drop_last()
                        self._restore(step)
                        return "diverged", f"at epoch {epoch}, update {t}: " + (
                            non_finite(f) if not math.isfinite(f) else
                            f"the objective grew to {f:.4g} (more than {DIVERGENCE_FACTOR:.0e} times its start)")
        self.eta, self.t, self.state = eta, t, state
        self.n_grad = n_grad0 + seen * frac
        if self.chunked:
            fast.epoch_done()
        if not math.isfinite(theta.sum()):   # the last update of the epoch overflowed
            self._restore(step)
            return "diverged", f"at epoch {epoch}, update {t}: the iterates became non-finite"
        if self.record == "epoch":
            self._record(loss_sum / seen, float(np.linalg.norm(grad_sum / batches)), float(epoch))
        elif self.record == "exact":
            self._record_exact(float(epoch))
        self.last_good, self.t_good = self.point().copy(), t
        return None

    def _orders(self, minibatch, y):
        """(chunk fast path or None, y, order) for each order of one epoch: the orders of
        :func:`~mlopt._sampling.epoch_orders` over the in-memory rows, or, for dask data,
        chunk-local shuffling (the chunks in random order, each chunk's rows in random order)."""
        if self.chunked:
            for chunk, order in self.fast.epoch_chunks(self.rng):
                yield chunk, chunk.y, order
            return
        for order in _sampling.epoch_orders(self.rng, self.n, self.block):
            yield None, y, order

    def _record_start_estimate(self):
        """Entry 0 of the cheap record: J and ‖∇J‖ at θ₀ estimated on START_ROWS evenly spaced
        training rows (no pass over the data, and the same rows whatever the seed)."""
        n = self.n
        rows = np.unique(np.linspace(0, n - 1, min(n, START_ROWS)).astype(np.intp))
        value, g = self.fast.minibatch(self.theta, rows)
        return self._record(value, float(np.linalg.norm(g)), 0.0)

    def _average(self):
        """One more iterate in the Polyak–Ruppert average."""
        self.n_avg += 1
        self.theta_avg += (self.theta - self.theta_avg) / self.n_avg

    def _restore(self, step):
        """Back to the last finite iterate: θₜ₋₁ = θₜ − Δθ when that is finite, else the last
        epoch's end; averaging is abandoned (an average over a diverging run means nothing)."""
        prev = self.theta - step if step is not None else None
        good = prev is not None and np.isfinite(prev).all() and math.isfinite(self.fast.value(prev))
        self.theta[:] = prev if good else self.last_good
        self.t = self.t - 1 if good else self.t_good   # n_iter: the updates that led to the returned θ
        self.n_avg = 0

    def _after_epoch(self, epoch):
        """The callback and the patience rule; a stop reason or None."""
        f = self.hist.last("objective")
        if self.callback is not None and self.callback(epoch, self.point().copy(), f):
            return "callback", f"stopped after epoch {epoch}"
        if self.tol is None:
            return None
        score = self.hist.last("val_loss") if self.val is not None else f
        self.no_improve = self.no_improve + 1 if score > self.best - self.tol else 0
        if score < self.best:
            self.best = score
            if self.val is not None:
                self.best_theta = self.point().copy()
        if self.no_improve < self.patience:
            return None
        what = "validation loss" if self.val is not None else "objective"
        detail = (f"the {what} improved by less than tol={self.tol:g} for {self.patience} consecutive "
                  f"epochs (epoch {epoch})")
        return ("early_stopping", detail + "; returning the iterate with the best validation loss") \
            if self.val is not None else ("converged", detail)

    def _finish(self, status, detail):
        diverged = status == "diverged"
        theta = self.theta.copy() if diverged else self.point().copy()
        if status == "early_stopping" and self.best_theta is not None:
            theta = self.best_theta
        exact_here = (self.record != "epoch" and self.val is None and not diverged
                      and np.array_equal(theta, self.point()))
        full = self.obj.unchecked
        objective = None if exact_here else (lambda: full.value(theta))
        rule_advice = getattr(self.rule, "advice", None)
        advice = (lambda: rule_advice(self.eta, self.obj, self.batch_size)) if callable(rule_advice) \
            else f"reduce lr (lr={self.eta:g})"
        return conclude(status, detail, theta=theta, hist=self.hist, tol=self.tol, n_iter=self.t,
                        objective=objective, history_kind="exact" if self.record != "epoch" else "estimate",
                        advice=advice)
