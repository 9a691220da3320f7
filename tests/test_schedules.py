"""mlopt.schedules against values computed by hand (written as literals)."""

from __future__ import annotations

import numpy as np
import pytest

from mlopt import schedules as S

# (schedule, steps, expected values computed by hand)
TABLE = [
    # lr0 / (1 + 0.5 t): 1, 1/1.5, 1/2, 1/6
    (S.inverse_time(1.0, 0.5), [0, 1, 2, 10], [1.0, 2.0 / 3.0, 0.5, 1.0 / 6.0]),
    # decay 0: constant
    (S.inverse_time(0.3, 0.0), [0, 7, 1000], [0.3, 0.3, 0.3]),
    # 1 / sqrt(t + 1): 1, 1/2, 1/3, 1/10
    (S.inverse_scaling(1.0, 0.5), [0, 3, 8, 99], [1.0, 0.5, 1.0 / 3.0, 0.1]),
    # 2 / (t + 1): 2, 1, 0.5, 0.2
    (S.inverse_scaling(2.0, 1.0), [0, 1, 3, 9], [2.0, 1.0, 0.5, 0.2]),
    # 0.1 / sqrt(t + 1), the default power
    (S.inverse_scaling(0.1), [0, 24], [0.1, 0.02]),
    # 1 · 0.5^t
    (S.exponential(1.0, 0.5), [0, 1, 2, 10], [1.0, 0.5, 0.25, 1.0 / 1024.0]),
    # 0.2 · 0.9^t: 0.2, 0.18, 0.162, 0.1458
    (S.exponential(0.2, 0.9), [0, 1, 2, 3], [0.2, 0.18, 0.162, 0.1458]),
    # 0.1 · 0.5^floor(t / 10)
    (S.step_decay(0.1, 0.5, 10), [0, 9, 10, 19, 20, 25, 35], [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125]),
    # every = 1: 3 · 0.1^t
    (S.step_decay(3.0, 0.1, 1), [0, 1, 2], [3.0, 0.3, 0.03]),
    (S.constant(0.05), [0, 1, 500], [0.05, 0.05, 0.05]),
    # lr_min + (lr0 − lr_min)(1 + cos(π t/T))/2 with T = 10, lr_min = 0: cos(π/5) = (1 + √5)/4
    (S.cosine(1.0, 10), [0, 2, 5, 8, 10, 15], [1.0, 0.9045084971874737, 0.5, 0.09549150281252629, 0.0, 0.0]),
    # lr_min = 0.1: 0.1 + 0.9 (1 + cos(πt/10))/2
    (S.cosine(1.0, 10, lr_min=0.1), [0, 5, 10, 50], [1.0, 0.55, 0.1, 0.1]),
    # warm-up w = 2: lr0 (t + 1)/2 for t < 2, then cosine over the remaining 8 steps
    (S.cosine(1.0, 10, warmup_steps=2), [0, 1, 2, 6, 10, 11], [0.5, 1.0, 1.0, 0.5, 0.0, 0.0]),
]


@pytest.mark.parametrize("sched,steps,expected", TABLE, ids=[repr(s).split(":")[0] for s, _, _ in TABLE])
def test_schedule_table(sched, steps, expected):
    for t, e in zip(steps, expected):
        out = sched(t)
        assert isinstance(out, float)
        np.testing.assert_allclose(out, e, rtol=1e-14, atol=1e-17)
    # the same values from one array call
    arr = sched(np.array(steps))
    assert isinstance(arr, np.ndarray) and arr.shape == (len(steps),) and arr.dtype == np.float64
    np.testing.assert_allclose(arr, expected, rtol=1e-14, atol=1e-17)


def test_numpy_integer_steps_and_2d_arrays():
    f = S.inverse_time(1.0, 1.0)
    np.testing.assert_allclose(f(np.int64(3)), 0.25, rtol=1e-15, atol=0)
    out = f(np.array([[0, 1], [2, 3]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[1.0, 0.5], [1.0 / 3.0, 0.25]], rtol=1e-15, atol=0)
    # integer-valued floats are the same steps
    np.testing.assert_allclose(f(3.0), f(3), rtol=0, atol=0)


def test_formula_in_repr_and_name():
    f = S.step_decay(0.1, 0.5, 10)
    assert "floor(t / every)" in repr(f) and "lr0=0.1" in repr(f)
    assert f.__name__ == "step_decay"
    assert "lr0 / (1 + decay*t)" in repr(S.inverse_time(1.0, 0.5))
    assert "(t + 1)^power" in repr(S.inverse_scaling(1.0))
    assert "rate^t" in repr(S.exponential(1.0, 0.5))
    assert S.cosine(1.0, 10).__name__ == "cosine"


@pytest.mark.parametrize("make", [lambda: S.constant(0.1), lambda: S.inverse_time(0.5, 0.01),
                                  lambda: S.inverse_scaling(0.5, 0.6), lambda: S.exponential(0.5, 0.9),
                                  lambda: S.step_decay(0.5, 0.5, 3), lambda: S.cosine(0.5, 20, 0.01, 4)])
def test_schedules_pickle(make):
    import pickle

    f = make()
    back = pickle.loads(pickle.dumps(f))
    t = np.arange(30)
    np.testing.assert_array_equal(back(t), f(t))
    assert back == f and repr(back) == repr(f)


def test_monotone_non_increasing():
    t = np.arange(200)
    for f in (S.inverse_time(1.0, 0.1), S.inverse_scaling(1.0, 0.7), S.exponential(1.0, 0.97),
              S.step_decay(1.0, 0.5, 7), S.cosine(1.0, 150, lr_min=0.01)):
        v = f(t)
        assert np.all(np.diff(v) <= 1e-15), repr(f)
        assert np.all(v > 0)


@pytest.mark.parametrize("factory,kwargs,param", [
    (S.constant, dict(lr=0.0), "lr"),
    (S.constant, dict(lr=-1.0), "lr"),
    (S.constant, dict(lr=float("nan")), "lr"),
    (S.inverse_time, dict(lr0=0.0, decay=0.5), "lr0"),
    (S.inverse_time, dict(lr0=1.0, decay=-0.5), "decay"),
    (S.inverse_time, dict(lr0="1", decay=0.5), "lr0"),
    (S.inverse_scaling, dict(lr0=-1.0), "lr0"),
    (S.inverse_scaling, dict(lr0=1.0, power=-0.5), "power"),
    (S.inverse_scaling, dict(lr0=1.0, power=float("inf")), "power"),
    (S.exponential, dict(lr0=1.0, rate=0.0), "rate"),
    (S.exponential, dict(lr0=1.0, rate=1.5), "rate"),
    (S.exponential, dict(lr0=-1.0, rate=0.5), "lr0"),
    (S.step_decay, dict(lr0=1.0, factor=0.0, every=10), "factor"),
    (S.step_decay, dict(lr0=1.0, factor=2.0, every=10), "factor"),
    (S.step_decay, dict(lr0=1.0, factor=0.5, every=0), "every"),
    (S.step_decay, dict(lr0=1.0, factor=0.5, every=2.5), "every"),
    (S.step_decay, dict(lr0=0.0, factor=0.5, every=2), "lr0"),
    (S.cosine, dict(lr0=1.0, total_steps=0), "total_steps"),
    (S.cosine, dict(lr0=1.0, total_steps=10.5), "total_steps"),
    (S.cosine, dict(lr0=1.0, total_steps=10, lr_min=2.0), "lr_min"),
    (S.cosine, dict(lr0=1.0, total_steps=10, lr_min=-0.1), "lr_min"),
    (S.cosine, dict(lr0=1.0, total_steps=10, warmup_steps=10), "warmup_steps"),
    (S.cosine, dict(lr0=1.0, total_steps=10, warmup_steps=-1), "warmup_steps"),
    (S.cosine, dict(lr0=0.0, total_steps=10), "lr0"),
])
def test_bad_parameters(factory, kwargs, param):
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        factory(**kwargs)


@pytest.mark.parametrize("step", [-1, np.array([0, -2]), "3", 2.5, float("nan")],
                         ids=["negative", "negative-in-array", "str", "fraction", "nan"])
def test_bad_step(step):
    """A step is a count of updates: a non-negative integer (the validator's own message says so)."""
    f = S.inverse_time(1.0, 0.5)
    with pytest.raises(ValueError, match="step must be a non-negative integer"):
        f(step)
