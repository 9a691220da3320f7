"""The order in which an epoch visits the samples, and the hold-out split of early stopping."""

from __future__ import annotations

import numpy as np

from ._validation import ROW_BLOCK


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def epoch_batches(rng: np.random.Generator, n: int, batch_size: int, block: int | None):
    """Minibatches (index arrays into 0..n-1) of one epoch: each index exactly once.

    ``block=None``: one uniformly random permutation of all n rows, cut into batches.
    ``block=k``: the blocks of k consecutive rows in random order, the rows of each block in random
    order, batches cut within each block (the last batch of a block may be smaller), so that an
    epoch's index memory and disk reads do not grow with n.
    """
    if block is None:
        order = rng.permutation(n)
        for s in range(0, n, batch_size):
            yield order[s:s + batch_size]
        return
    for b in rng.permutation(ceil_div(n, block)):
        start = int(b) * block
        order = start + rng.permutation(min(block, n - start))
        for s in range(0, order.size, batch_size):
            yield order[s:s + batch_size]


def steps_per_epoch(n: int, batch_size: int, block: int | None) -> int:
    """Number of minibatches :func:`epoch_batches` yields."""
    if block is None:
        return ceil_div(n, batch_size)
    full, rest = divmod(n, block)
    return full * ceil_div(block, batch_size) + (ceil_div(rest, batch_size) if rest else 0)


#: Rows per block when an epoch shuffles blocks (memory-mapped data): the index memory of an
#: epoch is one block's permutation, whatever the number of rows.
SHUFFLE_BLOCK = ROW_BLOCK


def shuffle_block(shuffle: str, X) -> int | None:
    """The block size for ``shuffle`` ("auto": blocks for a memory map, rows otherwise)."""
    if shuffle == "auto":
        shuffle = "blocks" if isinstance(X, np.memmap) else "rows"
    return None if shuffle == "rows" else SHUFFLE_BLOCK


def validation_split(rng: np.random.Generator, n: int, fraction: float):
    """(train rows, validation rows), sorted, with round(fraction·n) >= 1 rows held out."""
    n_val = max(1, int(round(fraction * n)))
    if n_val >= n:
        raise ValueError(f"validation_fraction={fraction:g} leaves no training samples out of n_samples={n}")
    perm = rng.permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])
