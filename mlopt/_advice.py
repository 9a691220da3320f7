"""What to change when a run diverges: the step size against the stability limits of Chapter 3.

On a quadratic with curvature at most L, gradient steps are stable for η < 2/L, heavy ball for
η < 2(1 + β)/L and Nesterov for η < 2(1 + β)/((1 + 2β)L), with β = momentum. Advice names only
options the calling solver accepts (``alternatives``).
"""

from __future__ import annotations


def stability_limit(L: float, momentum: float = 0.0, nesterov: bool = False) -> tuple[float, str]:
    """(limit, its formula as text) for the step size η."""
    if momentum == 0:
        return 2.0 / L, "2/L"
    if nesterov:
        return 2.0 * (1.0 + momentum) / ((1.0 + 2.0 * momentum) * L), "2(1+momentum)/((1+2 momentum)L)"
    return 2.0 * (1.0 + momentum) / L, "2(1+momentum)/L"


def lr_advice(lr, L, momentum: float = 0.0, nesterov: bool = False, alternatives: tuple = ()) -> str:
    """How lr compares with the stability limit, and what to do; ``alternatives`` are extra lr
    options the solver accepts (e.g. ``("backtracking",)``)."""
    other = "".join(f" or use lr={a!r}" for a in alternatives)
    if lr is None:
        return "reduce the step size" + other
    if L is None:
        return f"lr={lr:g} is too large for this function; reduce lr{other}"
    limit, name = stability_limit(L, momentum, nesterov)
    if lr > limit:
        return f"lr={lr:g} exceeds {name}={limit:.3g} (L={L:.3g}); use lr <= 1/L={1.0 / L:.3g}{other}"
    return (f"lr={lr:g} is below {name}={limit:.3g} (L={L:.3g}), so the data may hold extreme values; "
            f"standardize the features{other}")


def minibatch_advice(lr, obj, batch_size: int, momentum: float = 0.0, nesterov: bool = False) -> str:
    """Advice for minibatch steps: lr against 2/L and against 2/max_i L_i, the limit that holds
    for every minibatch (one sample's term can be more curved than the average)."""
    loss = getattr(obj, "loss", None)
    if not callable(getattr(obj, "smoothness", None)) or loss is None or loss.curvature_bounds is None:
        return f"reduce lr (lr={lr:g})"   # e.g. a network: no known curvature bound
    L = obj.smoothness()
    text = lr_advice(lr, L, momentum, nesterov)
    L_max = obj.max_sample_smoothness()
    if batch_size < obj.n_samples and L_max > L:
        limit, _ = stability_limit(L_max, momentum, nesterov)
        text += (f"; with batch_size={batch_size} single samples reach curvature max_i L_i={L_max:.3g}, "
                 f"so lr <= {limit:.3g} is safe for any minibatch")
    return text
