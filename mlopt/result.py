"""What every solver returns, the table of reasons a run ends, and the warning for a failed run."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Result", "ConvergenceWarning", "STATUSES"]


class ConvergenceWarning(UserWarning):
    """A solver stopped before meeting its tolerance: the budget ran out, the iterates diverged,
    the steps stalled at float64's resolution, or the line search failed.

    Explained in :doc:`/book/07_failure_modes`.
    """


class Status(NamedTuple):
    """One row of :data:`STATUSES`."""

    success: bool   #: ``Result.converged`` for a run that ends this way
    warns: bool     #: whether it warns (``ConvergenceWarning``) when a tolerance was asked for
    meaning: str


#: Why a run ended: the one table every solver ends through (SciPy's ``OptimizeResult.status``
#: is the model). ``Result.message`` begins with the status name.
STATUSES: dict[str, Status] = {
    "converged": Status(True, False, "the stopping criterion (tol) was met"),
    "early_stopping": Status(True, False, "the validation loss stopped improving (early_stopping=True)"),
    "completed": Status(False, False, "the whole budget ran, with no stopping criterion (tol=None)"),
    "callback": Status(False, False, "the callback returned True"),
    "max_iter": Status(False, True, "the budget (max_iter or epochs) ran out before tol was met"),
    "diverged": Status(False, True, "the iterates diverged: a non-finite value, or J grew out of bounds"),
    "stalled": Status(False, True, "the steps no longer move theta (or J) in float64: tol is out of reach"),
    "line_search_failed": Status(False, True, "no step length gave sufficient decrease"),
}


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return a == b


class Result:
    """The outcome of a solver run.

    Attributes
    ----------
    theta : ndarray, shape (n_features,)
        The returned iterate (the last finite one if the run diverged; the Polyak average with
        ``average``; the best one with ``early_stopping``).
    objective : float
        J(theta), of the returned theta. Computed once when first read if the solver did not
        evaluate it already (the stochastic solvers' default cheap history).
    n_iter : int
        Number of updates performed.
    status : str
        Why the run ended: a key of :data:`mlopt.result.STATUSES` ("converged", "early_stopping",
        "completed", "callback", "max_iter", "diverged", "stalled", "line_search_failed").
    converged : bool
        Whether the stopping criterion was met (status "converged" or "early_stopping").
    message : str
        ``"<status>: <details>"``, e.g. ``"diverged at iteration 5: ...; lr=0.5 exceeds 2/L=0.31 ..."``.
    history : dict of str to ndarray
        Equal-length arrays, one entry per recorded point (entry 0 is the start): at least
        "objective", "grad_norm", "lr", "time" (seconds since the start) and "n_grad" (gradient
        evaluations so far, counting a minibatch of size B as B/n of one); "theta" (shape
        (n_records, n_features)) when the solver was called with ``record_theta=True``.
    history_kind : {"exact", "estimate"}
        "exact" when "objective" and "grad_norm" are J and ‖∇J‖ at the recorded points;
        "estimate" for the stochastic solvers' default record, the running means over each
        epoch of the minibatch objectives and gradients (no extra pass over the data).

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent`.
    """

    __slots__ = ("theta", "_objective", "n_iter", "status", "message", "history", "history_kind")

    def __init__(self, theta, objective, n_iter: int, converged: bool | None = None, message: str = "",
                 history: dict | None = None, *, status: str | None = None, history_kind: str = "exact"):
        if status is None:
            status = "converged" if converged else "max_iter"
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}; got status={status!r}")
        if converged is not None and bool(converged) != STATUSES[status].success:
            raise ValueError(f"converged={converged} contradicts status={status!r}")
        if history_kind not in ("exact", "estimate"):
            raise ValueError(f"history_kind must be 'exact' or 'estimate'; got {history_kind!r}")
        set_ = object.__setattr__
        set_(self, "theta", theta)
        set_(self, "_objective", objective if callable(objective) else float(objective))
        set_(self, "n_iter", int(n_iter))
        set_(self, "status", status)
        set_(self, "message", str(message))
        set_(self, "history", {} if history is None else history)
        set_(self, "history_kind", history_kind)

    def __setattr__(self, name, value):
        raise AttributeError(f"Result is immutable; cannot set {name!r}")

    @property
    def objective(self) -> float:
        """J(theta) (see the class docstring)."""
        value = self._objective
        if callable(value):
            value = float(value())
            object.__setattr__(self, "_objective", value)
        return value

    @property
    def converged(self) -> bool:
        """True for the statuses "converged" and "early_stopping"."""
        return STATUSES[self.status].success

    @property
    def grad_norm(self) -> float:
        """‖∇J‖ at the last recorded point (an estimate when ``history_kind == "estimate"``)."""
        return float(self.history["grad_norm"][-1])

    def __eq__(self, other):
        if not isinstance(other, Result):
            return NotImplemented
        mine, theirs = self.history, other.history
        return (_same(self.theta, other.theta) and _same(self.objective, other.objective)
                and self.n_iter == other.n_iter and self.status == other.status
                and self.message == other.message and self.history_kind == other.history_kind
                and mine.keys() == theirs.keys() and all(_same(mine[k], theirs[k]) for k in mine))

    __hash__ = None

    def __reduce__(self):
        return (_rebuild, (self.theta, self.objective, self.n_iter, self.message, self.history,
                           self.status, self.history_kind))

    def __repr__(self) -> str:
        return (f"Result(status={self.status!r}, n_iter={self.n_iter}, objective={self.objective:.6g}, "
                f"message={self.message!r})")


def _rebuild(theta, objective, n_iter, message, history, status, history_kind):
    return Result(theta, objective, n_iter, None, message, history, status=status, history_kind=history_kind)
