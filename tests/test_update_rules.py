"""mlopt.update_rules: each rule's step against its formula written out here, and the optax
shape (init, update with θ) that lets AdamW be one class."""

from __future__ import annotations

import numpy as np
import pytest

import mlopt
from mlopt import update_rules as U

RNG = np.random.default_rng(9)
THETA = RNG.standard_normal(4)
GRADS = [RNG.standard_normal(4) for _ in range(5)]


def run(rule, lr=0.1):
    """The steps a rule produces for the fixed gradients GRADS, starting at THETA."""
    theta, state, steps = THETA.copy(), rule.init(THETA), []
    for t, g in enumerate(GRADS):
        step, state = rule.update(g.copy(), state, theta, lr, t)
        steps.append(step.copy())
        theta = theta + step
    return steps


def test_plain_and_momentum_steps():
    np.testing.assert_allclose(run(U.UpdateRule()), [-0.1 * g for g in GRADS], rtol=1e-15)
    b, heavy, nest = np.zeros(4), [], []
    for g in GRADS:
        b = 0.9 * b + g
        heavy.append(-0.1 * b)
        nest.append(-0.1 * (g + 0.9 * b))
    np.testing.assert_allclose(run(U.Momentum(0.9)), heavy, rtol=1e-14)
    np.testing.assert_allclose(run(U.Momentum(0.9, nesterov=True)), nest, rtol=1e-14)


def test_adaptive_steps():
    G, s, m, v = np.zeros(4), np.zeros(4), np.zeros(4), np.zeros(4)
    ada, rms, adam = [], [], []
    for t, g in enumerate(GRADS, start=1):
        G = G + g * g
        ada.append(-0.1 * g / (np.sqrt(G) + 1e-8))
        s = 0.9 * s + 0.1 * g * g
        rms.append(-0.1 * g / (np.sqrt(s) + 1e-8))
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        adam.append(-0.1 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8))
    np.testing.assert_allclose(run(U.AdaGrad()), ada, rtol=1e-13)
    np.testing.assert_allclose(run(U.RMSProp()), rms, rtol=1e-13)
    np.testing.assert_allclose(run(U.Adam()), adam, rtol=1e-13)


def test_adamw_decays_theta_outside_the_moments():
    # AdamW = Adam's step − lr·w·θₜ, with the moments of the plain gradients
    theta, adam_state, expected = THETA.copy(), None, []
    adam = U.Adam()
    adam_state = adam.init(theta)
    for t, g in enumerate(GRADS):
        step, adam_state = adam.update(g.copy(), adam_state, theta, 0.1, t)
        step = step - 0.1 * 0.05 * theta
        expected.append(step.copy())
        theta = theta + step
    np.testing.assert_allclose(run(U.AdamW(weight_decay=0.05)), expected, rtol=1e-13)
    np.testing.assert_allclose(run(U.AdamW(weight_decay=0.0)), run(U.Adam()), rtol=0, atol=0)


def test_adamw_differs_from_adam_with_an_l2_term(diabetes):
    # decoupled decay is not λ‖θ‖² in J: Adam rescales that term per coordinate, AdamW does not
    X, y = diabetes
    kw = dict(lr=0.05, epochs=30, batch_size=32, rng=0)
    w = mlopt.adamw(mlopt.EmpiricalRisk(X, y), np.zeros(10), weight_decay=0.1, **kw)
    l2 = mlopt.adam(mlopt.EmpiricalRisk(X, y, lam=0.05), np.zeros(10), **kw)
    assert np.linalg.norm(w.theta - l2.theta) > 1e-2
    assert w.status == l2.status == "completed"


def test_a_rule_written_outside_mlopt_runs_in_the_driver(diabetes):
    # the extension point: any object with init and update; sign descent as an example
    class SignDescent:
        def init(self, theta):
            return None

        def update(self, grad, state, theta, lr, t):
            return -lr * np.sign(grad), state

    X, y = diabetes
    obj = mlopt.EmpiricalRisk(X, y, lam=0.1)
    res = mlopt.minibatch_descent(obj, np.zeros(10), SignDescent(), lr=mlopt.schedules.inverse_time(0.1, 0.01),
                                  epochs=20, rng=0)
    assert res.status == "completed"
    assert res.objective < 0.6 * obj.value(np.zeros(10))


def test_bad_rules_and_hyperparameters():
    with pytest.raises(ValueError, match="rule must have init"):
        mlopt.minibatch_descent(mlopt.EmpiricalRisk(np.eye(3), np.ones(3)), np.zeros(3), rule="adam")
    for make, match in [(lambda: U.Momentum(1.0), "momentum must be < 1"),
                        (lambda: U.Adam(beta2=1.5), "beta2 must be < 1"),
                        (lambda: U.AdamW(weight_decay=-1), "weight_decay must be >= 0"),
                        (lambda: U.AdaGrad(eps=0), "eps must be > 0")]:
        with pytest.raises(ValueError, match=match):
            make()
