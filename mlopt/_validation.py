"""Input checks shared by the public functions: validate once, at the boundary.

Every failure is a ``ValueError`` whose message names the parameter, what was given and what is
allowed, e.g. ``lr must be > 0; got lr=-0.1``.
"""

from __future__ import annotations

import numbers

import numpy as np

#: Rows per chunk wherever data is walked in blocks (the NaN/inf check of large or memory-mapped
#: data, the row norms of SGD's advice, the blocks of shuffle='blocks'): bounds temporary memory.
ROW_BLOCK = 65536


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return repr(value)


def _to_ndarray(value, name: str) -> np.ndarray:
    """The plain NumPy array behind ``value``, refusing what would silently change the data."""
    if hasattr(value, "tocsr") and hasattr(value, "nnz"):  # scipy.sparse matrix or array
        raise ValueError(f"{name} must be a dense array; got a scipy.sparse {type(value).__name__} "
                         f"(mlopt works with dense NumPy arrays: pass {name}.toarray())")
    if isinstance(value, np.ma.MaskedArray):
        if np.ma.getmaskarray(value).any():
            raise ValueError(f"{name} must not have masked entries; got a masked array with "
                             f"{int(np.ma.getmaskarray(value).sum())} masked (fill or drop them first)")
        return np.asarray(value.data)
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):  # pandas DataFrame / Series
        try:  # bool and nullable columns become floats; a missing value becomes NaN (refused below)
            return value.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must hold real numbers; got {type(value).__name__} that does not "
                             f"convert to float ({exc})") from None
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers; got {type(value).__name__} ({exc})") from None
    if isinstance(arr, np.matrix):
        arr = arr.A
    return arr


def as_float_array(value, name: str, *, ndim: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array (no copy when it already is one), checked.

    Lists, integer and boolean arrays, ``np.matrix``, masked arrays without masked entries and
    pandas frames (bool and nullable columns included) are converted; complex, object and string
    data, ``scipy.sparse`` matrices, masked entries, NaN and infinite entries are refused. A
    ``numpy.memmap`` stays a memory map and is checked in chunks.
    """
    if type(value) is np.ndarray and value.dtype == np.float64 or (
            isinstance(value, np.memmap) and value.dtype == np.float64):
        arr = value
    else:
        probe = _to_ndarray(value, name)
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
    if arr.ndim >= 2 and arr.shape[0] > ROW_BLOCK:
        for start in range(0, arr.shape[0], ROW_BLOCK):
            block = arr[start:start + ROW_BLOCK]
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


def check_bool(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {name}={value!r}")
    return bool(value)
