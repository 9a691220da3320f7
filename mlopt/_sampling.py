"""The order in which an epoch visits the samples, and the hold-out split of early stopping."""

from __future__ import annotations

import numpy as np

from ._validation import ROW_BLOCK


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


#: The ``block`` value of sampling with replacement: n independent uniform draws per epoch.
REPLACEMENT = "replacement"


def epoch_orders(rng: np.random.Generator, n: int, block):
    """The visiting order of one epoch, as index arrays into 0..n-1 that together hold each index
    once: one uniformly random permutation (``block=None``), or, for ``block=k``, the blocks of k
    consecutive rows in random order, each block's rows in random order (so that an epoch's index
    memory and disk reads do not grow with n). With ``block=REPLACEMENT``, n independent uniform
    draws instead (some rows twice, some not at all: the sampling the SGD theorems assume)."""
    if block is None:
        yield rng.permutation(n)
        return
    if block == REPLACEMENT:
        yield rng.integers(0, n, size=n)
        return
    for b in rng.permutation(ceil_div(n, block)):
        start = int(b) * block
        yield start + rng.permutation(min(block, n - start))


def epoch_batches(rng: np.random.Generator, n: int, batch_size: int, block: int | None):
    """Minibatches (index arrays) of one epoch: each order of :func:`epoch_orders` cut into
    batches of ``batch_size`` (the last batch of an order may be smaller)."""
    for order in epoch_orders(rng, n, block):
        for s in range(0, order.size, batch_size):
            yield order[s:s + batch_size]


def steps_per_epoch(n: int, batch_size: int, block) -> int:
    """Number of minibatches :func:`epoch_batches` yields."""
    if block is None or block == REPLACEMENT:
        return ceil_div(n, batch_size)
    full, rest = divmod(n, block)
    return full * ceil_div(block, batch_size) + (ceil_div(rest, batch_size) if rest else 0)


#: Rows per block when an epoch shuffles blocks (memory-mapped data): the index memory of an
#: epoch is one block's permutation, whatever the number of rows.
SHUFFLE_BLOCK = ROW_BLOCK


def shuffle_block(shuffle: str, X):
    """The block size for ``shuffle`` ("auto": blocks for a memory map, rows otherwise), or
    REPLACEMENT."""
    if shuffle == "auto":
        shuffle = "blocks" if isinstance(X, np.memmap) else "rows"
    if shuffle == "replacement":
        return REPLACEMENT
    return None if shuffle == "rows" else SHUFFLE_BLOCK


def validation_split(rng: np.random.Generator, n: int, fraction: float):
    """(train rows, validation rows), sorted, with round(fraction·n) >= 1 rows held out."""
    n_val = max(1, int(round(fraction * n)))
    if n_val >= n:
        raise ValueError(f"validation_fraction={fraction:g} leaves no training samples out of n_samples={n}")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])
