"""Data past one machine: a local Dask cluster, and what chunk-local sampling does.

An :class:`~mlopt.EmpiricalRisk` built on dask arrays (X chunked by rows, all columns in one
chunk; y chunked like the rows of X) computes each pass over the data as one map-reduce: every
chunk returns its partial sums (d numbers for a gradient, d² for a Hessian) and the client adds
them. The full-batch solvers (:func:`~mlopt.gradient_descent`, :func:`~mlopt.newton`,
:func:`~mlopt.lbfgs`, :func:`~mlopt.proximal_gradient`, :func:`~mlopt.conjugate_gradient`) run on it
unchanged; the stochastic ones sample chunk by chunk (``shuffle="chunks"``).

The computation runs on whatever scheduler is active: a ``dask.distributed.Client`` (the one of
:func:`local_cluster`, or one connected to a real cluster with
``Client("tcp://scheduler-host:8786")``), or dask's default threads without one. Needs the optional
extra ``pip install 'mlopt[dask]'``.

Notes
-----
Explained in :doc:`/book/13_distributed`.

Examples
--------
>>> import numpy as np, dask.array as da, mlopt
>>> X, y, _ = mlopt.datasets.make_regression(1000, 3, noise=0.1, rng=0)
>>> obj = mlopt.EmpiricalRisk(da.from_array(X, chunks=(250, 3)), da.from_array(y, chunks=250))
>>> bool(np.allclose(obj.gradient(np.zeros(3)), mlopt.EmpiricalRisk(X, y).gradient(np.zeros(3))))
True
"""

from __future__ import annotations

import contextlib
import logging
import os

import numpy as np

from ._validation import check_scalar, check_theta

__all__ = ["local_cluster", "chunk_gradients"]


@contextlib.contextmanager
def local_cluster(n_workers: int = 2, *, threads_per_worker: int = 1, memory_limit="4GiB", **kwargs):
    """A ``dask.distributed.LocalCluster`` of worker processes and a ``Client`` on it.

    The client is the default scheduler inside the ``with`` block; both are closed on leaving it,
    also after an error. For a real cluster, use ``dask.distributed.Client(address)`` the same way:
    the code inside the block does not change.

    Parameters
    ----------
    n_workers : int, default 2
        Worker processes (each its own Python, like the machines of a cluster).
    threads_per_worker : int, default 1
        Threads per worker process.
    memory_limit : str or int, default "4GiB"
        Memory per worker, past which Dask spills to disk and then restarts the worker.
    **kwargs
        Passed to ``LocalCluster`` (e.g. ``dashboard_address=":8787"`` to watch it).

    Yields
    ------
    distributed.Client

    Notes
    -----
    Explained in :doc:`/book/13_distributed`.

    Examples
    --------
    .. code-block:: python

        with mlopt.cluster.local_cluster(2) as client:
            result = mlopt.lbfgs(obj, theta0)        # each evaluation: one map-reduce on 2 workers
    """
    n_workers = check_scalar(n_workers, "n_workers", low=1, integer=True)
    threads_per_worker = check_scalar(threads_per_worker, "threads_per_worker", low=1, integer=True)
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError("local_cluster needs the optional extra: pip install 'mlopt[dask]'") from exc
    # The scheduler always serves HTTP (dashboard, health): on a free port of the loopback
    # interface, so that a second cluster on the machine neither clashes nor warns.
    options = dict(processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    options.update(kwargs)
    # Starting workers sets variables in this process's environment for the children it spawns
    # (OPENBLAS_NUM_THREADS=1, a random PYTHONHASHSEED, ...) and leaves them there: every process
    # started later from here (a kernel, a book build) would inherit them. Put them back.
    saved = dict(os.environ)
    try:
        with LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, memory_limit=memory_limit,
                          **options) as cluster:
            _restore_environ(saved)
            with Client(cluster) as client:
                yield client
    finally:
        _restore_environ(saved)


def _restore_environ(saved: dict) -> None:
    for key in [k for k in os.environ if k not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def chunk_gradients(obj, theta) -> np.ndarray:
    """The gradient of the risk on each row chunk, shape (n_chunks, n_features), in one pass.

    Row k is (1/n_k) Σ_{i∈k} ∇ℓᵢ(θ) (no regularizer). Their mean weighted by the chunk sizes is
    ∇R̂ₙ(θ); their spread around it is the bias that chunk-local sampling gives each step.

    Parameters
    ----------
    obj : EmpiricalRisk
        An objective over dask arrays.
    theta : array_like, shape (n_features,)

    Notes
    -----
    Explained in :doc:`/book/13_distributed` (the bias of chunk-local sampling).
    """
    from .objective import EmpiricalRisk

    if not isinstance(obj, EmpiricalRisk) or not obj.is_dask:
        raise ValueError(f"obj must be an mlopt.EmpiricalRisk over dask arrays; got {obj!r}")
    return obj.unchecked.chunk_gradients(check_theta(theta, obj.n_features))
