"""Learning-rate schedules: factories that return functions ``step -> lr``.

``step`` counts the updates made so far, from 0. Each returned function also accepts an integer
array of steps (handy for plotting a schedule) and then returns an array. The Robbins–Monro
conditions Σₜ ηₜ = ∞, Σₜ ηₜ² < ∞ hold for ``inverse_time`` and for ``inverse_scaling`` with
1/2 < power ≤ 1; ``constant`` and ``exponential`` violate one of them each. The returned
:class:`Schedule` objects pickle (to send them to worker processes) and print their formula.

Examples
--------
>>> from mlopt import schedules
>>> f = schedules.step_decay(0.1, factor=0.5, every=10)
>>> [round(f(t), 4) for t in (0, 9, 10, 25)]
[0.1, 0.1, 0.05, 0.025]
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_scalar

__all__ = ["Schedule", "constant", "inverse_time", "inverse_scaling", "exponential", "step_decay", "cosine"]


def _steps(step):
    t = np.asarray(step)
    ok = t.dtype.kind in "iu" or (t.dtype.kind == "f" and np.all(np.isfinite(t)) and np.all(t == np.floor(t)))
    if not ok or np.any(t < 0):
        raise ValueError(f"step must be a non-negative integer; got step={step!r}")
    return t.astype(np.float64)


class Schedule:
    """A learning-rate schedule: call it with a step (or an integer array of steps).

    ``formula(t, **params)`` is a module-level function of float steps, so a schedule pickles.

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """

    def __init__(self, name: str, formula, text: str, **params):
        self.__name__, self._formula, self.text, self.params = name, formula, text, params

    def __call__(self, step):
        if isinstance(step, (int, np.integer)) and not isinstance(step, bool) and step >= 0:
            # the solvers' case, once per update: a scalar, without the array checks (about 1 µs)
            return float(self._formula(np.float64(step), **self.params))
        values = self._formula(_steps(step), **self.params)
        return float(values) if np.ndim(step) == 0 else np.asarray(values, dtype=np.float64)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.__name__}({args}): eta_t = {self.text}"

    def __eq__(self, other):
        return isinstance(other, Schedule) and (self.__name__, self.params) == (other.__name__, other.params)

    __hash__ = None


def _constant(t, lr):
    return np.full(t.shape, lr)


def _inverse_time(t, lr0, decay):
    return lr0 / (1.0 + decay * t)


def _inverse_scaling(t, lr0, power):
    return lr0 / (t + 1.0) ** power


def _exponential(t, lr0, rate):
    return lr0 * rate ** t


def _step_decay(t, lr0, factor, every):
    return lr0 * factor ** np.floor(t / every)


def _cosine(t, lr0, total_steps, lr_min, warmup_steps):
    p = np.clip((t - warmup_steps) / (total_steps - warmup_steps), 0.0, 1.0)
    decay = lr_min + 0.5 * (lr0 - lr_min) * (1.0 + np.cos(math.pi * p))
    if warmup_steps:
        decay = np.where(t < warmup_steps, lr0 * (t + 1.0) / warmup_steps, decay)
    return decay


def constant(lr: float) -> Schedule:
    """ηₜ = lr.

    Parameters
    ----------
    lr : float > 0
        The step size.

    Returns
    -------
    Schedule

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    lr = check_scalar(lr, "lr", low=0.0, low_open=True)
    return Schedule("constant", _constant, "lr", lr=lr)


def inverse_time(lr0: float, decay: float) -> Schedule:
    """ηₜ = lr0 / (1 + decay · t).

    Parameters
    ----------
    lr0 : float > 0
        η₀.
    decay : float >= 0
        The rate of decay per update.

    Returns
    -------
    Schedule

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    decay = check_scalar(decay, "decay", low=0.0)
    return Schedule("inverse_time", _inverse_time, "lr0 / (1 + decay*t)", lr0=lr0, decay=decay)


def inverse_scaling(lr0: float, power: float = 0.5) -> Schedule:
    """ηₜ = lr0 / (t + 1)^power.

    Parameters
    ----------
    lr0 : float > 0
        η₀.
    power : float >= 0, default 0.5
        The exponent.

    Returns
    -------
    Schedule

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    power = check_scalar(power, "power", low=0.0)
    return Schedule("inverse_scaling", _inverse_scaling, "lr0 / (t + 1)^power", lr0=lr0, power=power)


def exponential(lr0: float, rate: float) -> Schedule:
    """ηₜ = lr0 · rate^t, with 0 < rate ≤ 1.

    Parameters
    ----------
    lr0 : float > 0
        η₀.
    rate : float in (0, 1]
        The factor per update.

    Returns
    -------
    Schedule

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    rate = check_scalar(rate, "rate", low=0.0, high=1.0, low_open=True)
    return Schedule("exponential", _exponential, "lr0 * rate^t", lr0=lr0, rate=rate)


def step_decay(lr0: float, factor: float, every: int) -> Schedule:
    """ηₜ = lr0 · factor^⌊t / every⌋, with 0 < factor ≤ 1 and every ≥ 1.

    Parameters
    ----------
    lr0 : float > 0
        η₀.
    factor : float in (0, 1]
        The factor applied every ``every`` updates.
    every : int >= 1
        Updates between decays.

    Returns
    -------
    Schedule

    Notes
    -----
    Explained in :doc:`/book/05_stochastic`.
    """
    lr0 = check_scalar(lr0, "lr0", low=0.0, low_open=True)
    factor = check_scalar(factor, "factor", low=0.0, high=1.0, low_open=True)
    every = check_scalar(every, "every", low=1, integer=True)
    return Schedule("step_decay", _step_decay, "lr0 * factor^floor(t / every)", lr0=lr0, factor=factor,
                    every=every)


def cosine(lr0: float, total_steps: int, lr_min: float = 0.0, warmup_steps: int = 0) -> Schedule:
    """Cosine decay from lr0 to lr_min over ``total_steps``, after an optional linear warm-up.

    .. math::

        \\eta_t = \\begin{cases} \\mathrm{lr_0}\\,(t + 1)/w & t < w \\\\
        \\mathrm{lr_{min}} + \\tfrac12(\\mathrm{lr_0} - \\mathrm{lr_{min}})(1 + \\cos(\\pi p_t)) & t \\ge w
        \\end{cases}, \\qquad p_t = \\min\\!\\left(1, \\frac{t - w}{T - w}\\right)

    with w = ``warmup_steps`` and T = ``total_steps``; ηₜ = lr_min for t ≥ T.

    Parameters
    ----------
    lr0 : float > 0
        The peak step size.
    total_steps : int >= 1
        T.
    lr_min : float in [0, lr0], default 0
        The final step size.
    warmup_steps : int in [0, total_steps), default 0
        w.

    Returns
    -------
    Schedule

    Notes
    -----
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
    return Schedule("cosine", _cosine, "lr_min + (lr0 - lr_min)(1 + cos(pi p_t))/2", lr0=lr0,
                    total_steps=total_steps, lr_min=lr_min, warmup_steps=warmup_steps)
