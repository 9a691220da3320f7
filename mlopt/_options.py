"""The options the solvers share, checked in one place: lr, momentum, budget and tolerance,
callbacks and rng. Every failure is a ``ValueError`` that names the parameter."""

from __future__ import annotations

import inspect
import math
import numbers
import warnings

import numpy as np

from ._validation import check_bool, check_callable, check_scalar


class LrSpec:
    """A resolved ``lr``: a constant, a schedule ``step -> lr``, or the Armijo line search.

    ``at(t)`` gives η for update t (counted from 0), checking what a schedule returns.
    """

    def __init__(self, kind: str, value=None, schedule=None):
        self.kind, self.value, self.schedule = kind, value, schedule

    def at(self, t: int) -> float:
        if self.schedule is None:
            return self.value
        value = self.schedule(t)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.ndarray)) \
                or np.ndim(value) != 0:
            raise ValueError(f"lr schedule must return a number; got {value!r} at step {t}")
        eta = float(value)
        if not math.isfinite(eta) or eta < 0:
            raise ValueError(f"lr schedule must return a finite number >= 0; got {eta!r} at step {t}")
        return eta


def resolve_lr(lr, *, accept=(), smoothness=None, momentum: float = 0.0, schedules: bool = True) -> LrSpec:
    """Check ``lr``: a float > 0, a schedule (callable; when ``schedules``), or one of the strings
    in ``accept`` ("auto": 1/L from ``smoothness()``, which returns L or None; "backtracking")."""
    kinds = ["a positive float"] + (["a schedule (callable step -> lr, see mlopt.schedules)"] if schedules else [])
    kinds += [repr(a) for a in accept]
    allowed = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " or " + kinds[-1]
    if isinstance(lr, str):
        if lr not in accept:
            raise ValueError(f"lr must be {allowed}; got lr={lr!r}")
        if lr == "backtracking":
            if momentum:
                raise ValueError(f"lr='backtracking' works without momentum; got momentum={momentum:g}")
            return LrSpec("backtracking", 1.0)
        L = smoothness() if smoothness is not None else None
        if L is None:
            raise ValueError("lr='auto' (= 1/L) needs an objective with a finite smoothness() > 0; "
                             "pass a float lr" + (" or lr='backtracking'" if "backtracking" in accept else ""))
        return LrSpec("constant", 1.0 / L)
    if callable(lr):
        if not schedules:
            raise ValueError(f"lr must be {allowed}; got a callable {lr!r}")
        return LrSpec("schedule", schedule=lr)
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real):
        raise ValueError(f"lr must be {allowed}; got lr={lr!r}")
    return LrSpec("constant", check_scalar(lr, "lr", low=0.0, low_open=True))


def check_momentum(momentum, nesterov) -> tuple[float, bool]:
    """β in [0, 1) and the Nesterov flag (which needs β > 0)."""
    momentum = check_scalar(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    nesterov = check_bool(nesterov, "nesterov")
    if nesterov and momentum == 0:
        raise ValueError("nesterov=True needs momentum in (0, 1); got momentum=0")
    return momentum, nesterov


def check_tol(tol):
    """None (no stopping criterion) or a float >= 0."""
    return None if tol is None else check_scalar(tol, "tol", low=0.0)


def check_rng(rng) -> np.random.Generator:
    """``np.random.default_rng(rng)`` for None, a seed >= 0 (or a sequence of them), a SeedSequence,
    BitGenerator or Generator (SPEC 7); anything else is refused by name."""
    if isinstance(rng, (bool, np.bool_, float, str, bytes)) or (
            isinstance(rng, numbers.Integral) and rng < 0):
        raise ValueError(f"rng must be None, a seed >= 0 or a numpy.random.Generator; got rng={rng!r}")
    try:
        return np.random.default_rng(rng)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"rng must be None, a seed >= 0 or a numpy.random.Generator; got rng={rng!r} "
                         f"({exc})") from None


_THETA_NAMES = ("theta", "x", "xk", "params", "w")


def adapt_callback(callback, name: str = "callback"):
    """``f(t, theta, objective)`` for a callback written that way, or written ``callback(theta)``
    (SciPy's form); None stays None.

    The form is read from the signature: three positional parameters (or ``*args``) whose first
    is not named like θ ("theta", "x", "xk", "params", "w") give the full form; a callable with
    one required positional parameter gets θ alone.
    """
    if callback is None:
        return None
    check_callable(callback, name)
    try:
        params = list(inspect.signature(callback).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: assume the full form
        return callback
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or (
            len(positional) >= 3 and positional[0].name not in _THETA_NAMES and len(required) <= 3):
        return callback
    if positional and len(required) <= 1:
        return lambda t, theta, objective: callback(theta)
    raise ValueError(f"{name} must take (t, theta, objective) or (theta); got a callable with "
                     f"parameters {[p.name for p in params]}")


def check_run_options(max_iter, tol, callback, record_theta):
    """(max_iter, tol, callback, record_theta) of the full-batch solvers, checked."""
    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    return max_iter, check_tol(tol), adapt_callback(callback), check_bool(record_theta, "record_theta")


def check_average(average):
    """None (no averaging) or the update from which the Polyak average starts (True: 0)."""
    if isinstance(average, (bool, np.bool_)):
        return 0 if average else None
    return check_scalar(average, "average", low=0, integer=True)


def progress_bar(enabled, total, desc):
    """A tqdm bar over ``total`` epochs, or None (disabled, or tqdm missing: then a warning)."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress=True needs tqdm (pip install tqdm); running without a progress bar",
                      stacklevel=5)
        return None
    return tqdm(total=total, desc=desc, unit="epoch", leave=False)
