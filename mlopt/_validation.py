"""Input checks shared by the public functions: validate once, at the boundary.

Every failure is a ``ValueError`` whose message names the parameter, what was given and what is
allowed, e.g. ``lr must be > 0; got lr=-0.1``.
"""

from __future__ import annotations

import numbers

import numpy as np

# Rows checked for NaN/inf per chunk: bounds the temporary memory on large (memory-mapped) data.
_CHUNK_ROWS = 65536


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return repr(value)


def as_float_array(value, name: str, *, ndim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array (no copy when it already is one), checked.

    Lists and integer arrays are converted; complex, object and string data are refused, as are
    NaN and infinite entries. A ``numpy.memmap`` stays a memory map and is checked in chunks.
    """
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        arr = value
    else:
        try:
            probe = np.asarray(value)
        except Exception as exc:  # ragged lists and the like
            raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__} ({exc})") from None
        if probe.dtype.kind not in "biuf":
            raise ValueError(f"{name} must hold real numbers; got dtype {probe.dtype}")
        arr = probe.astype(np.float64, copy=False)
    if ndim is not None and arr.ndim != ndim:
        shape = {1: "(n,)", 2: "(n_samples, n_features)"}.get(ndim, f"{ndim} dimensions")
        raise ValueError(f"{name} must be {ndim}-D with shape {shape}; got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    check_finite(arr, name)
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` has a NaN or an infinite entry (chunked over rows).

    The sum of the entries is finite exactly when no entry is NaN or inf, unless the sum itself
    overflows: one read-only pass with no temporary array settles the usual case; the entry-wise
    check runs only when the sum is not finite, to find the culprit (or clear an overflow).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(arr, axis=None)):
            return
    if arr.ndim >= 2 and arr.shape[0] > _CHUNK_ROWS:
        for start in range(0, arr.shape[0], _CHUNK_ROWS):
            block = arr[start:start + _CHUNK_ROWS]
            if not np.isfinite(block).all():
                _raise_non_finite(np.asarray(block), name, offset=start)
        return
    if not np.isfinite(arr).all():
        _raise_non_finite(arr, name)


def _raise_non_finite(arr: np.ndarray, name: str, offset: int = 0) -> None:
    bad = np.argwhere(~np.isfinite(arr))[0]
    index = tuple(int(i) for i in bad)
    value = arr[index]
    if offset:
        index = (index[0] + offset,) + index[1:]
    where = index[0] if len(index) == 1 else index
    raise ValueError(f"{name} must be finite (no NaN or inf); got {value} at index {where}")


def check_scalar(value, name: str, *, low=None, high=None, low_open=False, high_open=False,
                 integer=False) -> float | int:
    """Check a real (or integer) scalar against an interval and return it as float (or int)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a real number"
        raise ValueError(f"{name} must be {kind}; got {name}={value!r}")
    if integer:
        if not float(value).is_integer():
            raise ValueError(f"{name} must be an integer; got {name}={value!r}")
        value = int(value)
    else:
        value = float(value)
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite; got {name}={value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}; got {name}={value!r}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}; got {name}={value!r}")
    return value


def check_theta(theta, n_features: int, name: str = "theta") -> np.ndarray:
    """Check a parameter vector of shape ``(n_features,)`` and return it as float64."""
    arr = as_float_array(theta, name, allow_empty=n_features == 0)
    if arr.shape != (n_features,):
        raise ValueError(f"{name} must have shape ({n_features},) to match n_features={n_features}; "
                         f"got shape {arr.shape}")
    return arr


def check_callable(value, name: str, allow_none: bool = True):
    if value is None and allow_none:
        return None
    if not callable(value):
        raise ValueError(f"{name} must be callable{' or None' if allow_none else ''}; got {_describe(value)}")
    return value


def adapt_callback(callback, name: str = "callback"):
    """Return ``f(t, theta, objective)`` for a callback taking those three arguments, or only
    ``theta`` (SciPy's convention); None stays None."""
    if callback is None:
        return None
    check_callable(callback, name)
    import inspect

    try:
        params = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: assume the full form
        return callback
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind == p.VAR_POSITIONAL for p in params)
    required = [p for p in positional if p.default is p.empty]
    if not varargs and len(positional) >= 1 and len(required) <= 1 and len(positional) < 3:
        return lambda t, theta, objective: callback(theta)
    return callback


def check_run_options(max_iter, tol, callback, record_theta):
    """The options every full-batch solver shares: (max_iter, tol, callback, record_theta).

    ``tol=None`` becomes 0.0 (run all ``max_iter`` iterations); the callback is adapted by
    :func:`adapt_callback`.
    """
    max_iter = check_scalar(max_iter, "max_iter", low=1, integer=True)
    tol = 0.0 if tol is None else check_scalar(tol, "tol", low=0.0)
    return max_iter, tol, adapt_callback(callback), check_bool(record_theta, "record_theta")


def check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {name}={value!r}")
    return bool(value)
