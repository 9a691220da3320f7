"""Variance-reduced stochastic gradients: SVRG (Johnson & Zhang, 2013) and SAGA (Defazio, Bach &
Lacoste-Julien, 2014).

Both replace the minibatch gradient g_B(θ) by an estimate with the same mean, ∇J(θ), whose
variance vanishes at the minimizer, so a *constant* step converges linearly on a strongly convex
J instead of stalling at SGD's noise floor:

.. math::

    \\text{SVRG:}\\quad v_t = g_B(\\theta_t) - g_B(\\tilde\\theta) + \\nabla J(\\tilde\\theta), \\qquad
    \\text{SAGA:}\\quad v_t = g_B(\\theta_t) - \\frac{1}{|B|}\\sum_{i\\in B} \\phi_i + \\bar\\phi,

where θ̃ is a snapshot (taken at the start of every epoch, with one full gradient) and φᵢ the
gradient of sample i where it was last evaluated, φ̄ their mean (a table updated as samples are
visited). For a linear model, ∇ℓᵢ(θ) = ℓ'(xᵢᵀθ, yᵢ) xᵢ: the snapshot and the table store the n
scalars ℓ'(xᵢᵀθ, yᵢ), not n gradients, so both need n + d extra floats (8n + 8d bytes) and one
minibatch product per step, like SGD. Chapter 10 (*Variance reduction*) explains them.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._options import resolve_lr
from .minibatch import minibatch_descent, run_minibatch
from .objective import EmpiricalRisk
from .update_rules import UpdateRule

__all__ = ["svrg", "saga", "minibatch_smoothness"]


class _LinearTerms:
    """Shared by both estimators: the risk's gradient from the scalars u (ℓ' = scale·u)."""

    def __init__(self, fast, n):
        self.fast, self.n = fast, n
        self.scale = fast.kernel.scale
        self.lam, self.reg = fast.lam, fast.reg

    def finish(self, theta, total, m, g):
        """(J_B, the estimate) once the risk part g is known: add λΩ and λ∇Ω."""
        if self.lam:
            return total / m + self.lam * self.reg.value(theta), g + self.lam * self.reg.gradient(theta)
        return total / m, g


class SVRGEstimator(_LinearTerms):
    """v = g_B(θ) − g_B(θ̃) + ∇R̂(θ̃) (+ λ∇Ω(θ)), with θ̃ the iterate at the start of the epoch."""

    def begin_epoch(self, theta):
        _, u = self.fast.scalars(theta)
        self.u_snap = u
        self.mean = u.dot(self.fast.X) * (self.scale / self.n)
        return 1.0 if np.all(np.isfinite(self.mean)) else None

    def __call__(self, theta, rows, y_rows):
        total, u, Xb = self.fast.minibatch_scalars(theta, rows, y_rows)
        m = Xb.shape[0]
        g = (u - self.u_snap[rows]).dot(Xb)
        g *= self.scale / m
        g += self.mean
        return self.finish(theta, total, m, g)


class SAGAEstimator(_LinearTerms):
    """v = g_B(θ) − mean_{i∈B} φᵢ + φ̄ (+ λ∇Ω(θ)); then φᵢ ← ∇ℓᵢ(θ) for i ∈ B and φ̄ follows."""

    phi = None

    def begin_epoch(self, theta):
        if self.phi is not None:
            return 0.0
        _, self.phi = self.fast.scalars(theta)          # the table starts at θ₀: one full pass
        self.mean = self.phi.dot(self.fast.X) * (self.scale / self.n)
        return 1.0 if np.all(np.isfinite(self.mean)) else None

    def __call__(self, theta, rows, y_rows):
        total, u, Xb = self.fast.minibatch_scalars(theta, rows, y_rows)
        m = Xb.shape[0]
        change = (u - self.phi[rows]).dot(Xb)
        g = change * (self.scale / m)
        g += self.mean
        self.mean += change * (self.scale / self.n)      # φ̄ over all n samples, updated in place
        self.phi[rows] = u
        return self.finish(theta, total, m, g)


class _VarianceReducedStep(UpdateRule):
    """Plain steps along the variance-reduced estimate; its advice names the method's own safe step."""

    def __init__(self, name: str, factor: float):
        self.name, self.factor = name, factor

    def advice(self, lr, obj, batch_size):
        safe = 1.0 / (self.factor * minibatch_smoothness(obj, batch_size))
        return (f"lr={lr:g} is above {self.name}'s step 1/({self.factor:g} L(B))={safe:.3g} for batch_size="
                f"{batch_size} (L(B) from mlopt.variance_reduction.minibatch_smoothness), so use lr='auto' "
                "or a smaller lr")


def minibatch_smoothness(obj, batch_size: int) -> float:
    """The expected smoothness of minibatches of B rows drawn without replacement (Gower et al.
    2019): L(B) = n(B − 1)/(B(n − 1)) · L + (n − B)/(B(n − 1)) · L_max, from L_max (B = 1) down
    to L (B = n). It sets the "auto" step of :func:`mlopt.svrg` and :func:`mlopt.saga`.

    Notes
    -----
    Explained in :doc:`/book/10_variance_reduction`.
    """
    n, B = obj.n_samples, batch_size
    L, L_max = obj.smoothness(), obj.max_sample_smoothness()
    if n == 1:
        return L
    return n * (B - 1) / (B * (n - 1)) * L + (n - B) / (B * (n - 1)) * L_max


def _auto_lr(obj, lr, factor, batch_size):
    if isinstance(lr, str) and lr == "auto":
        if not isinstance(obj, EmpiricalRisk):
            raise ValueError(f"obj must be an mlopt.EmpiricalRisk (stochastic methods sample its rows); "
                             f"got {type(obj).__name__}")
        B = batch_size if isinstance(batch_size, int) and 1 <= batch_size <= obj.n_samples else 1
        return 1.0 / (factor * minibatch_smoothness(obj, B))
    resolve_lr(lr, accept=("auto",))          # a clear message for anything else
    return lr


# the options of minibatch_descent, with its defaults (one source: its signature)
_DEFAULTS = {k: p.default for k, p in inspect.signature(minibatch_descent).parameters.items()
             if p.kind is p.KEYWORD_ONLY and k != "lr"}


def _options(kw):
    defaults = _DEFAULTS
    unknown = set(kw) - set(defaults)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)}")
    return {**defaults, **kw}


def svrg(obj, theta0, *, lr="auto", **options):
    """Stochastic variance-reduced gradient (SVRG): SGD on the estimate
    vₜ = g_B(θₜ) − g_B(θ̃) + ∇J(θ̃), with the snapshot θ̃ and its full gradient taken at the start
    of every epoch.

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective (a linear model: any loss and smooth regularizer; for l1 use the prox).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float, callable or "auto", default "auto"
        The step size; "auto" is 1/(4 L(B)) with L(B) the expected smoothness of a minibatch
        (:func:`~mlopt.variance_reduction.minibatch_smoothness`; L_max = ``obj.max_sample_smoothness()`` for B = 1, where
        Johnson & Zhang's analysis needs η < 1/(4 L_max)). A constant step converges linearly on
        a strongly convex J: no decaying schedule is needed.
    **options
        ``batch_size=32``, ``epochs=10``, ``average=False``, ``tol=None``, ``n_iter_no_change=5``,
        ``early_stopping=False``, ``validation_fraction=0.1``, ``record="epoch"``,
        ``record_theta=False``, ``rng=None``, ``callback=None``, ``progress=False``,
        ``shuffle="auto"``: see :func:`mlopt.minibatch_descent`. An epoch is one snapshot (a full
        gradient) followed by one shuffled pass of n/B updates: two passes over the data, which
        ``history["n_grad"]`` counts.

    Returns
    -------
    Result

    Notes
    -----
    Memory: n + d floats beyond SGD's (the n scalars ℓ'(xᵢᵀθ̃, yᵢ) of the snapshot and its
    gradient). Explained in :doc:`/book/10_variance_reduction`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X, y, _ = mlopt.datasets.make_regression(500, 5, noise=0.5, rng=0)
    >>> obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    >>> res = mlopt.svrg(obj, np.zeros(5), epochs=30, rng=0)
    >>> bool(np.linalg.norm(res.theta - mlopt.ridge(X, y, 0.1)) < 1e-8)
    True
    """
    options = _options(options)
    lr = _auto_lr(obj, lr, 4.0, options["batch_size"])
    return run_minibatch(obj, theta0, _VarianceReducedStep("svrg", 4.0), SVRGEstimator, lr=lr, **options)


def saga(obj, theta0, *, lr="auto", **options):
    """SAGA: SGD on the estimate vₜ = g_B(θₜ) − mean_{i∈B} φᵢ + φ̄, with φᵢ the last gradient of
    sample i seen and φ̄ their mean (a table, started at θ₀ with one full gradient).

    Parameters
    ----------
    obj : EmpiricalRisk
        The objective (a linear model: any loss and smooth regularizer).
    theta0 : array_like, shape (n_features,)
        Starting point (not modified).
    lr : float, callable or "auto", default "auto"
        The step size; "auto" is 1/(3 L(B)) with L(B) the expected smoothness of a minibatch
        (:func:`~mlopt.variance_reduction.minibatch_smoothness`; for B = 1 it is 1/(3 L_max), Defazio et al.'s step).
    **options
        ``batch_size=32``, ``epochs=10`` and the other options of :func:`mlopt.minibatch_descent`.
        ``history["n_grad"]`` counts the table's first full gradient plus one pass per epoch.

    Returns
    -------
    Result

    Notes
    -----
    Memory: the table of n scalars ℓ'(xᵢᵀθ_[i], yᵢ) and its mean (n + d floats), not n gradient
    vectors. Explained in :doc:`/book/10_variance_reduction`.

    Examples
    --------
    >>> import numpy as np, mlopt
    >>> X, y, _ = mlopt.datasets.make_regression(500, 5, noise=0.5, rng=0)
    >>> obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    >>> res = mlopt.saga(obj, np.zeros(5), epochs=30, rng=0)
    >>> bool(np.linalg.norm(res.theta - mlopt.ridge(X, y, 0.1)) < 1e-8)
    True
    """
    options = _options(options)
    if options["shuffle"] == "replacement":   # a row drawn twice in one minibatch would count twice in the mean
        raise ValueError("saga needs minibatches without repeated rows: shuffle must be 'auto', 'rows' or "
                         "'blocks'; got shuffle='replacement'")
    lr = _auto_lr(obj, lr, 3.0, options["batch_size"])
    return run_minibatch(obj, theta0, _VarianceReducedStep("saga", 3.0), SAGAEstimator, lr=lr, **options)
