"""The record of a run: equal-length columns that grow as points are recorded.

Nothing is preallocated for the whole budget (``max_iter=10**12`` with a tolerance costs what the
run records, not what it might): the columns start small and double when full.
"""

from __future__ import annotations

import time

import numpy as np

#: The columns every solver records.
COLUMNS = ("objective", "grad_norm", "lr", "time", "n_grad")
_INITIAL_CAPACITY = 64


class History:
    """Columns ``COLUMNS + extra`` (floats), plus "theta" rows when ``record_theta``."""

    def __init__(self, n_features: int, record_theta: bool, extra: tuple = ()):
        self.t0 = time.perf_counter()
        self.n = 0
        self.names = COLUMNS + tuple(extra)
        self._cols = {k: np.empty(_INITIAL_CAPACITY) for k in self.names}
        self._theta = np.empty((_INITIAL_CAPACITY, n_features)) if record_theta else None

    def _grow(self):
        cap = 2 * self._cols["objective"].size
        for k, v in self._cols.items():
            new = np.empty(cap)
            new[: v.size] = v
            self._cols[k] = new
        if self._theta is not None:
            new = np.empty((cap, self._theta.shape[1]))
            new[: self.n] = self._theta[: self.n]
            self._theta = new

    def record(self, theta, **values):
        """Append one point; ``values`` gives every column but "time" (set here)."""
        if self.n == self._cols["objective"].size:
            self._grow()
        i = self.n
        values["time"] = time.perf_counter() - self.t0
        for k in self.names:
            self._cols[k][i] = values[k]
        if self._theta is not None:
            self._theta[i] = theta
        self.n += 1

    def drop_last(self):
        """Forget the last point (a non-finite one, when a run diverges)."""
        self.n -= 1

    def first(self, name: str) -> float:
        return float(self._cols[name][0])

    def last(self, name: str) -> float:
        return float(self._cols[name][self.n - 1])

    def column(self, name: str) -> np.ndarray:
        """A view of the recorded values of one column."""
        return self._cols[name][: self.n]

    def as_dict(self) -> dict:
        out = {k: v[: self.n].copy() for k, v in self._cols.items()}
        if self._theta is not None:
            out["theta"] = self._theta[: self.n].copy()
        return out
