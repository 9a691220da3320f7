"""Two NumPy behaviours that differ on 32-bit WebAssembly (Pyodide, the in-browser edition).

- ``ndarray.take`` casts its indices "safely" to ``np.intp``, which is int32 there: the int64
  indices of ``rng.integers`` are refused (``X[rows]`` accepts them). :func:`take_rows` converts
  such indices first; on 64-bit builds it is ``X.take(rows, axis=0)`` unchanged.
- WebAssembly has no floating-point exception flags, and ``numpy.linalg`` reports a failed
  factorization through them: ``np.linalg.cholesky`` of a matrix that is not positive definite
  returns NaN there instead of raising ``LinAlgError`` (pyodide/pyodide#156). :func:`cholesky`
  raises it on every platform.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cholesky", "take_rows"]

_INTP = np.dtype(np.intp)


def take_rows(X, rows):
    """``X.take(rows, axis=0)`` for any integer index array (rows already in range)."""
    dtype = getattr(rows, "dtype", _INTP)
    if dtype is not _INTP and not np.can_cast(dtype, _INTP):   # the common case costs one `is`
        rows = rows.astype(_INTP)
    return X.take(rows, axis=0)


def cholesky(A):
    """``np.linalg.cholesky(A)``, raising ``LinAlgError`` when A is not positive definite, also
    where NumPy cannot (a NaN factor of a finite matrix is that failure)."""
    c = np.linalg.cholesky(A)
    if not np.isfinite(c).all() and np.isfinite(A).all():
        raise np.linalg.LinAlgError("Matrix is not positive definite")
    return c
