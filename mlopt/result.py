"""What every solver returns, and the warning it gives when it did not converge."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Result", "ConvergenceWarning"]


class ConvergenceWarning(UserWarning):
    """A solver stopped before meeting its tolerance: iterations ran out or the iterates diverged.

    Explained in :doc:`/book/07_failure_modes`.
    """


@dataclass(frozen=True, repr=False)
class Result:
    """The outcome of a solver run.

    Attributes
    ----------
    theta : ndarray, shape (n_features,)
        The final iterate (the last finite one if the run diverged).
    objective : float
        J(theta).
    n_iter : int
        Number of updates performed.
    converged : bool
        Whether the stopping criterion was met.
    message : str
        Why the run stopped; begins with "diverged" when it diverged.
    history : dict of str to ndarray
        Equal-length arrays, one entry per recorded point (entry 0 is the start): at least
        "objective", "grad_norm", "lr", "time" (seconds since the start) and "n_grad" (gradient
        evaluations so far, counting a minibatch of size B as B/n of one); "theta" (shape
        (n_records, n_features)) when the solver was called with ``record_theta=True``.
        "n_grad" counts gradients only: the extra objective values of a line search and the
        Hessians of Newton's method are not in it ("time" is what includes them).

    Notes
    -----
    Explained in :doc:`/book/03_gradient_descent`.
    """

    theta: np.ndarray
    objective: float
    n_iter: int
    converged: bool
    message: str
    history: dict = field(default_factory=dict)

    @property
    def grad_norm(self) -> float:
        """‖∇J‖ at the last recorded point."""
        return float(self.history["grad_norm"][-1])

    def __repr__(self) -> str:
        return (f"Result(converged={self.converged}, n_iter={self.n_iter}, "
                f"objective={self.objective:.6g}, message={self.message!r})")
