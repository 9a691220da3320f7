"""J(θ) over dask arrays: every pass over X is one map-reduce over its row chunks.

A chunk k holds rows X_k, y_k. A pass sends θ (d numbers) to the chunk's worker, which returns
its partial sums — Σ_{i∈k} ℓᵢ, X_kᵀ ℓ'(X_kθ, y_k), X_kᵀ diag(ℓ'') X_k, ... — and the client adds
the K partial results:

.. math::

    \\nabla J(\\theta) = \\frac1n \\sum_{k=1}^{K} X_k^\\top \\ell'(X_k\\theta, y_k) + \\lambda\\nabla\\Omega(\\theta).

X is never gathered: the client receives d numbers per chunk (d² for the Hessian). The chunks are
checked (finite, labels) in the first pass that reads them, not in a pass of their own.

Chapter 13 (*When the data outgrow one machine*) explains it. Dask is optional: this module
imports it only when an objective is built on dask arrays.
"""

from __future__ import annotations

import types

import numpy as np

from .objective import UncheckedRisk

__all__ = ["is_dask_array", "check_dask_data", "DaskRisk"]


def is_dask_array(value) -> bool:
    """True for a ``dask.array.Array`` (checked without importing dask)."""
    return type(value).__module__.split(".")[0] == "dask" and hasattr(value, "to_delayed") \
        and hasattr(value, "chunks")


def _require_dask():
    try:
        import dask  # noqa: F401
        import dask.array  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a dask array without dask cannot exist
        raise ImportError("dask arrays need the optional extra: pip install 'mlopt[dask]'") from exc


def _check_chunk_sizes(arr, name):
    if any(np.isnan(c) for cs in arr.chunks for c in cs):
        raise ValueError(f"{name} must have known chunk sizes; got unknown (NaN) chunk sizes "
                         f"(call {name}.compute_chunk_sizes() first)")


def check_dask_data(X, y):
    """Check the shapes, chunks and dtypes of dask ``X``, ``y`` (no pass over the data) and
    return them, ``y`` chunked like the rows of X when it came as a NumPy array."""
    _require_dask()
    import dask.array as da

    if not is_dask_array(X):
        raise ValueError(f"X must be a dask array when y is one; got {type(X).__name__} (wrap it with "
                         "dask.array.from_array(X, chunks=(rows, -1)))")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D with shape (n_samples, n_features); got shape {X.shape}")
    _check_chunk_sizes(X, "X")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one feature; got shape {X.shape}")
    if len(X.chunks[1]) != 1:
        raise ValueError(f"X must be chunked by rows only, with all {X.shape[1]} columns in one chunk; got "
                         f"column chunks {X.chunks[1]} (use X.rechunk({{1: -1}}))")
    if X.dtype.kind != "f":
        raise ValueError(f"X must hold floats (float64 or float32); got dtype {X.dtype} "
                         "(convert with X.astype('float64'))")
    if not is_dask_array(y):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, y has shape {y.shape}")
        y = da.from_array(y, chunks=(X.chunks[0],))
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D with shape (n_samples,); got shape {y.shape}")
    _check_chunk_sizes(y, "y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X: X has {X.shape[0]} rows, y has shape {y.shape}")
    if y.chunks[0] != X.chunks[0]:
        raise ValueError(f"y must be chunked like the rows of X: X has row chunks {_short(X.chunks[0])}, y has "
                         f"chunks {_short(y.chunks[0])} (use y.rechunk((X.chunks[0],)))")
    if y.dtype.kind != "f":
        raise ValueError(f"y must hold floats (float64 or float32); got dtype {y.dtype} "
                         "(convert with y.astype('float64'))")
    return X, y


def _short(chunks) -> str:
    chunks = tuple(int(c) for c in chunks)
    return str(chunks) if len(chunks) <= 6 else f"({', '.join(map(str, chunks[:3]))}, ..., {chunks[-1]}) " \
                                                f"[{len(chunks)} chunks]"


# --- what runs on the workers ------------------------------------------------------------------

class _Shipped:
    """A loss kernel that is pickled (by value, with cloudpickle) once per objective, not once per
    task: its generated NumPy functions take milliseconds to pickle."""

    def __init__(self, kernel):
        self.kernel, self._blob = kernel, None

    def __reduce__(self):
        if self._blob is None:
            import cloudpickle

            self._blob = cloudpickle.dumps(self.kernel)
        return _unship, (self._blob,)


_UNSHIPPED: dict = {}


def _unship(blob):
    holder = _Shipped.__new__(_Shipped)
    kernel = _UNSHIPPED.get(blob)
    if kernel is None:
        import pickle

        kernel = _UNSHIPPED[blob] = pickle.loads(blob)
        if len(_UNSHIPPED) > 32:
            _UNSHIPPED.pop(next(iter(_UNSHIPPED)))
    holder.kernel, holder._blob = kernel, blob
    return holder


def _inspect(X, y, labels):
    """None when the chunk is fine, else (parameter, local row, value) of its first bad entry."""
    if not np.isfinite(np.add.reduce(X, axis=None)) and not np.isfinite(X).all():
        r, c = np.argwhere(~np.isfinite(X))[0]
        return "X", int(r), float(X[r, c]), int(c)
    if not np.isfinite(y).all():
        r = int(np.flatnonzero(~np.isfinite(y))[0])
        return "y", r, float(y[r]), None
    if labels is not None:
        bad = ~np.isin(y, labels)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            return "labels", r, float(y[r]), None
    return None


def _as64(X, y):
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _chunk_sums(X, y, theta, shipped, value, grad, labels, check):
    """(bad entry or None, Σℓ, Σ u·x) of one chunk, u = ℓ'/scale."""
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    if bad is not None or X.shape[0] == 0:
        return bad, 0.0, (np.zeros(X.shape[1]) if grad else None)
    k = shipped.kernel
    z = X.dot(theta)
    if value and grad:
        total, u = k.sum_and_dz(z, y)
    else:
        total = float(np.sum(k.value(z, y))) if value else None
        u = k.dz(z, y) if grad else None
    return None, total, (u.dot(X) if grad else None)


def _chunk_hessian(X, y, theta, shipped, labels, check):
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    if bad is not None:
        return bad, None
    w = shipped.kernel.dz2(X.dot(theta), y)
    return None, (X.T * w) @ X


def _chunk_all(X, y, theta, shipped, labels, check):
    """(bad, Σℓ, Σ u·x, Xᵀ diag(ℓ'') X) of one chunk: all Newton's method needs, in one pass."""
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    d = X.shape[1]
    if bad is not None or X.shape[0] == 0:
        return bad, 0.0, np.zeros(d), np.zeros((d, d))
    k = shipped.kernel
    z = X.dot(theta)
    w = k.dz2(z, y)
    total, u = k.sum_and_dz(z, y)
    return None, total, u.dot(X), (X.T * w) @ X


def _chunk_hessian_vector(X, y, theta, v, shipped, constant, labels, check):
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    if bad is not None:
        return bad, None
    Xv = X.dot(v)
    Xv *= constant if constant is not None else shipped.kernel.dz2(X.dot(theta), y)
    return None, Xv.dot(X)


def _chunk_gram(X, y, labels, check):
    """(bad, XᵀX, max row norm²) of one chunk."""
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    if bad is not None or X.shape[0] == 0:
        return bad, np.zeros((X.shape[1], X.shape[1])), 0.0
    return None, X.T @ X, float(np.max(np.einsum("ij,ij->i", X, X)))


def _chunk_rows_sums(X, y, local_rows, theta, shipped, labels, check):
    """(bad, Σℓ, Σ u·x) over the given rows of one chunk (a row listed twice counts twice); the
    check, when asked, covers the rows read."""
    Xr, yr = _as64(X[local_rows], y[local_rows])
    bad = _inspect(Xr, yr, labels) if check else None
    if bad is not None:
        what, r, value, col = bad
        return (what, int(local_rows[r]), value, col), 0.0, np.zeros(Xr.shape[1])
    k = shipped.kernel
    total, u = k.sum_and_dz(Xr.dot(theta), yr)
    return None, total, u.dot(Xr)


def _chunk_mean_gradient(X, y, theta, shipped, labels, check):
    X, y = _as64(X, y)
    bad = _inspect(X, y, labels) if check else None
    if bad is not None or X.shape[0] == 0:
        return bad, np.zeros(X.shape[1])
    k = shipped.kernel
    return None, k.dz(X.dot(theta), y).dot(X) * (k.scale / X.shape[0])


#: Why the variance-reduced methods refuse dask data (their only users of per-sample scalars).
_NO_TABLE = ("the variance-reduced methods (svrg, saga) need in-memory data: their table holds one scalar per "
             "sample; got an objective over dask arrays")


# --- the client side ---------------------------------------------------------------------------

class DaskRisk(UncheckedRisk):
    """The fast path of an :class:`~mlopt.EmpiricalRisk` whose X and y are dask arrays.

    The same methods as :class:`~mlopt.objective.UncheckedRisk`; each full pass is one
    ``dask.compute`` of one task per row chunk, run by the current scheduler (a
    ``dask.distributed.Client`` when one is active, else dask's default). Minibatches of given
    rows gather just those rows. Stochastic solvers walk the chunks with :meth:`epoch_chunks`.

    Notes
    -----
    Explained in :doc:`/book/13_distributed`.
    """

    def __init__(self, obj):
        self.obj = obj
        self.X, self.y, self.n = obj.X, obj.y, obj.n_samples
        self.kernel = obj.loss.kernel
        self.constant_dz2 = obj.loss.constant_dz2
        self.lam, self.reg = obj.lam, obj.regularizer
        self._rows = None
        self._shipped = _Shipped(self.kernel)
        self._labels = None if obj.loss.labels is None else np.array(obj.loss.labels)
        self.n_chunks = len(obj.X.chunks[0])
        sizes = np.array(obj.X.chunks[0], dtype=np.int64)
        self.chunk_rows = sizes
        self.chunk_starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    # one map-reduce ------------------------------------------------------------------------

    def map_chunks(self, fn, *args):
        """``fn(X_k, y_k, *args, labels, check)`` on every chunk, in one ``dask.compute``; the
        chunks are checked in this pass when no pass has checked them yet. Returns the list of
        the results without their first element (the check)."""
        check = not self.obj._chunks_checked
        results = self._run(fn, args + (self._labels, check))
        if check:
            for k, res in enumerate(results):
                if res[0] is not None:
                    self._raise_bad(k, *res[0])
            self.obj._chunks_checked = True
        return [res[1:] for res in results]

    def _run(self, fn, args, chunks=None, first_args=None):
        """``fn(X_k, y_k, *args)`` for every chunk k (or the chunks listed, with ``first_args[j]``
        before ``args`` for the j-th): one graph of K tasks on top of the graphs of X and y (built
        per pass: O(K), not one graph per chunk), run by the active scheduler."""
        import uuid

        from dask.base import get_scheduler
        from dask.highlevelgraph import HighLevelGraph

        X, y = self.X, self.y
        chunks = range(self.n_chunks) if chunks is None else chunks
        name = f"mlopt-{fn.__name__.strip('_')}-{uuid.uuid4().hex}"
        layer = {(name, j): (fn, (X.name, k, 0), (y.name, k))
                 + ((first_args[j],) if first_args is not None else ()) + tuple(args)
                 for j, k in enumerate(chunks)}
        graph = HighLevelGraph.from_collections(name, layer, dependencies=[X, y])
        scheduler = get_scheduler(collections=[X])
        return scheduler(graph, list(layer))

    def minibatch(self, theta, rows, y_rows=None):
        """(J_B(θ), ∇J_B(θ)) for given global rows B, as one map-reduce over the chunks that hold
        them: each returns Σ_{i∈B∩k} ℓᵢ and Σ_{i∈B∩k} ℓ'ᵢ xᵢ (1 + d numbers); no row travels."""
        chunk = np.searchsorted(self.chunk_starts, rows, side="right") - 1
        touched = np.unique(chunk)
        local = [rows[chunk == k] - self.chunk_starts[k] for k in touched]
        check = not self.obj._chunks_checked
        parts = self._run(_chunk_rows_sums, (theta, self._shipped, self._labels, check),
                          chunks=[int(k) for k in touched], first_args=local)
        total, g = 0.0, np.zeros(self.X.shape[1])
        for k, (bad, t, gk) in zip(touched, parts):
            if bad is not None:
                self._raise_bad(int(k), *bad)
            total += t
            g += gk
        m = rows.size
        g *= self.kernel.scale / m
        if self.lam:
            return total / m + self.lam * self.reg.value(theta), g + self.lam * self.reg.gradient(theta)
        return total / m, g

    def _raise_bad(self, k, what, row, value, col):
        row = int(self.chunk_starts[k]) + row
        where = f"row {row} (chunk {k})"
        if what == "X":
            raise ValueError(f"X must be finite (no NaN or inf); got {value} at index ({row}, {col}), in chunk {k}")
        if what == "y":
            raise ValueError(f"y must be finite (no NaN or inf); got {value} at {where}")
        allowed = "{" + ", ".join(f"{v:g}" for v in self._labels) + "}"
        raise ValueError(f"y must take values in {allowed} for the {self.obj.loss.name} loss; got {value:g} "
                         f"at {where}")

    def risk_sums(self, theta, value: bool = True, grad: bool = True):
        parts = self.map_chunks(_chunk_sums, theta, self._shipped, value, grad)
        total = float(sum(p[0] for p in parts)) if value else None
        g = None
        if grad:
            g = np.zeros(self.X.shape[1])
            for p in parts:
                g += p[1]
            if self.kernel.scale != 1.0:
                g *= self.kernel.scale
        return total, g

    def hessian(self, theta) -> np.ndarray:
        H = np.zeros((self.X.shape[1],) * 2)
        for (part,) in self.map_chunks(_chunk_hessian, theta, self._shipped):
            H += part
        H /= self.n
        if self.lam:
            H += self.lam * self.reg.hessian(theta)
        return H

    def value_gradient_hessian(self, theta):
        """(J, ∇J, ∇²J) in one round: each chunk returns 1 + d + d² numbers."""
        d = self.X.shape[1]
        total, g, H = 0.0, np.zeros(d), np.zeros((d, d))
        for t, gk, Hk in self.map_chunks(_chunk_all, theta, self._shipped):
            total += t
            g += gk
            H += Hk
        return self.assemble(theta, total, g, H)

    def hessian_vector(self, theta, v) -> np.ndarray:
        Hv = np.zeros(self.X.shape[1])
        for (part,) in self.map_chunks(_chunk_hessian_vector, theta, v, self._shipped, self.constant_dz2):
            Hv += part
        Hv /= self.n
        if self.lam:
            Hv += (self.lam * self.reg.curvature) * v
        return Hv

    def gram(self):
        """(XᵀX/n, max_i ‖xᵢ‖²) in one pass."""
        G, top = np.zeros((self.X.shape[1],) * 2), 0.0
        for part, m in self.map_chunks(_chunk_gram):
            G += part
            top = max(top, m)
        G /= self.n
        return G, top

    def chunk_gradients(self, theta) -> np.ndarray:
        """The K chunk-mean gradients of the risk, shape (K, d) (one pass)."""
        return np.array([g for (g,) in self.map_chunks(_chunk_mean_gradient, theta, self._shipped)])

    def scalars(self, theta):
        raise ValueError(_NO_TABLE)

    def minibatch_scalars(self, theta, rows, y_rows=None):
        raise ValueError(_NO_TABLE)

    # the chunks, one at a time, for the stochastic methods -----------------------------------

    def epoch_chunks(self, rng: np.random.Generator):
        """One epoch of chunk-local sampling: yields ``(fast, order)`` per chunk, the chunks in an
        order drawn from ``rng``, ``fast`` an in-memory fast path over that chunk's rows and
        ``order`` a random permutation of its rows.

        A background thread brings the next chunk to the client while this one is used, so the
        client holds two chunks (and, while the next one arrives, the receive buffer of its
        transfer: about three and a half chunks at the peak). A chunk unpacked from a message may start at an address that is
        not a multiple of 8, where NumPy's row gather is a hundred times slower: its rows are then
        gathered as bytes (:class:`ByteRows`), without a copy of the chunk."""
        from concurrent.futures import ThreadPoolExecutor

        client = _current_client()
        order = rng.permutation(self.n_chunks)

        def load(k):
            xb, yb = self.X.blocks[k], self.y.blocks[k]   # one chunk each, its graph culled
            if client is not None:
                Xc, yc = client.gather(client.compute([xb, yb]))
            else:
                import dask

                Xc, yc = dask.compute(xb, yb)
            Xc, yc = _as64(Xc, yc)
            return np.ascontiguousarray(Xc), np.require(yc, requirements=["A", "C"])

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlopt-chunk") as pool:
            pending = pool.submit(load, int(order[0]))
            for j, k in enumerate(order):
                Xc, yc = pending.result()
                pending = pool.submit(load, int(order[j + 1])) if j + 1 < order.size else None
                if not self.obj._chunks_checked:
                    bad = _inspect(Xc, yc, self._labels)
                    if bad is not None:
                        self._raise_bad(int(k), *bad)
                if Xc.shape[0] == 0:
                    continue
                view = self.chunk_view(Xc, yc)
                del Xc, yc
                yield view, rng.permutation(view.X.shape[0])
                view.X = view.y = None   # the caller may still hold the view: let the chunk go now

    def chunk_view(self, Xc, yc) -> UncheckedRisk:
        """The in-memory fast path over one chunk's rows (same loss, Ω and λ)."""
        if not Xc.flags.aligned:
            Xc = ByteRows(Xc)
        ns = types.SimpleNamespace(X=Xc, y=yc, n_samples=Xc.shape[0], loss=self.obj.loss, lam=self.lam,
                                   regularizer=self.reg)
        return UncheckedRisk(ns)

    def epoch_done(self):
        """Called after a full epoch of :meth:`epoch_chunks`: every chunk has been checked."""
        self.obj._chunks_checked = True


class ByteRows:
    """A C-contiguous float64 matrix at a misaligned address, for row gathers: ``take`` copies
    the rows' bytes (as fast as on aligned data) into a new, aligned float64 array."""

    def __init__(self, X: np.ndarray):
        self.shape, self.dtype, self.nbytes = X.shape, X.dtype, X.nbytes
        self._bytes = X.view(np.uint8)          # shape (n, 8d): bytes have no alignment to keep

    def take(self, rows, axis=0) -> np.ndarray:
        if axis != 0:
            raise ValueError(f"axis must be 0 (rows); got axis={axis}")
        return self._bytes.take(rows, axis=0).view(np.float64)


def _current_client():
    """The active ``dask.distributed`` client, or None (then dask's default scheduler runs)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None
