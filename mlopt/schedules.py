"""Learning-rate schedules: factories that return plain functions ``step -> lr``.

``step`` counts the updates made so far, from 0. Each returned function also accepts an integer
array of steps (handy for plotting a schedule) and then returns an array. The Robbins–Monro
conditions Σₜ ηₜ = ∞, Σₜ ηₜ² < ∞ hold for ``inverse_time`` and for ``inverse_scaling`` with
1/2 < power ≤ 1; ``constant`` and ``exponential`` violate one of them each.

Examples
--------
>>> from mlopt import schedules
>>> f = schedules.step_decay(0.1, factor=0.5, every=10)
>>> [round(f(t), 4) for t in (0, 9, 10, 25)]
[0.1, 0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ._validation import check_scalar

__all__ = ["constant", "inverse_time", "inverse_scaling", "exponential", "step_decay", "cosine"]

Schedule = Callable[[int], float]


def _steps(step):
    t = np.asarray(step)
    ok = t.dtype.kind in "iu" or (t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.floor(t)))
    if not ok or np.any(t < 0):
        raise ValueError(f"step must be a non-negative integer; got step={step!r}")
    return t.astype(np.float64)


def _out(values, step):
    return float(values) if np.ndim(step) == 0 else np.asarray(values, dtype=np.float64)


def _named(func, text):
    func.__name__ = text.split("(")[0]
    func.__qualname__ = func.__name__
    func.__doc__ = text
    func.formula = text
    return func


def constant(lr: float) -> Schedule:
    """ηₜ = lr.

    Explained in :doc:`/book/05_stochastic`.
    """
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)

    def schedule(step):
        t = _steps(step)
        return _out(np.full(t.shape, lr), step)

    return _named(schedule, f"constant(lr={lr:g}): eta_t = {lr:g}")


def inverse_time(lr0: float, decay: float) -> Schedule:
    """ηₜ = lr0 / (1 + decay · t).

    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    decay = check_scalar(decay, "decay", low=0.0)

    def schedule(step):
        return _out(lr0 / (1.0 + decay * _steps(step)), step)

    return _named(schedule, f"inverse_time(lr0={lr0:g}, decay={decay:g}): eta_t = lr0 / (1 + decay*t)")


def inverse_scaling(lr0: float, power: float = 0.5) -> Schedule:
    """ηₜ = lr0 / (t + 1)^power.

    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    power = check_scalar(power, "power", low=0.0)

    def schedule(step):
        return _out(lr0 / (_steps(step) + 1.0) ** power, step)

    return _named(schedule, f"inverse_scaling(lr0={lr0:g}, power={power:g}): eta_t = lr0 / (t + 1)^power")


def exponential(lr0: float, rate: float) -> Schedule:
    """ηₜ = lr0 · rate^t, with 0 < rate ≤ 1.

    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    rate = check_scalar(rate, "rate", low=0.0, high=1.0, low_open=True)

    def schedule(step):
        return _out(lr0 * rate ** _steps(step), step)

    return _named(schedule, f"exponential(lr0={lr0:g}, rate={rate:g}): eta_t = lr0 * rate^t")


def step_decay(lr0: float, factor: float, every: int) -> Schedule:
    """ηₜ = lr0 · factor^⌊t / every⌋, with 0 < factor ≤ 1 and every ≥ 1.

    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    factor = check_scalar(factor, "factor", low=0.0, high=1.0, low_open=True)
    every = check_scalar(every, "every", low=1, integer=True)

    def schedule(step):
        return _out(lr0 * factor ** np.floor(_steps(step) / every), step)

    return _named(schedule, f"step_decay(lr0={lr0:g}, factor={factor:g}, every={every}): "
                            "eta_t = lr0 * factor^floor(t / every)")


def cosine(lr0: float, total_steps: int, lr_min: float = 0.0, warmup_steps: int = 0) -> Schedule:
    """Cosine decay from lr0 to lr_min over ``total_steps``, after an optional linear warm-up.

    .. math::

        \\eta_t = \\begin{cases} \\mathrm{lr_0}\\,(t + 1)/w & t < w \\\\
        \\mathrm{lr_{min}} + \\tfrac12(\\mathrm{lr_0} - \\mathrm{lr_{min}})(1 + \\cos(\\pi p_t)) & t \\ge w
        \\end{cases}, \\qquad p_t = \\min\\!\\left(1, \\frac{t - w}{T - w}\\right)

    with w = ``warmup_steps`` and T = ``total_steps``; ηₜ = lr_min for t ≥ T.

    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    total_steps = check_scalar(total_steps, "total_steps", low=1, integer=True)
    lr_min = check_scalar(lr_min, "lr_min", low=0.0)
    if lr_min > lr0:
        raise ValueError(f"lr_min must be <= lr0={lr0:g}; got lr_min={lr_min:g}")
    warmup_steps = check_scalar(warmup_steps, "warmup_steps", low=0, integer=True)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be < total_steps={total_steps}; got warmup_steps={warmup_steps}")

    def schedule(step):
        t = _steps(step)
        p = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
        decay = lr_min + 0.5 * (lr0 - lr_min) * (1.0 + np.cos(math.pi * p))
        if warmup_steps:
            decay = np.where(t < warmup_steps, lr0 * (t + 1.0) / warmup_steps, decay)
        return _out(decay, step)

    return _named(schedule, f"cosine(lr0={lr0:g}, total_steps={total_steps}, lr_min={lr_min:g}, "
                            f"warmup_steps={warmup_steps}): eta_t = lr_min + (lr0 - lr_min)(1 + cos(pi p_t))/2")
