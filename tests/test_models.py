"""mlopt.models.TwoLayerNet: backpropagation against finite differences, the flat parameter
layout, permutation symmetry, the zero-initialization saddle, minibatches, training with the
book's solvers, and refusals."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mlopt
from mlopt.models import TwoLayerNet


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 3))
    y_class = (X[:, 0] * X[:, 1] > 0).astype(float)       # XOR-like: not linearly separable
    y_reg = np.sin(X[:, 0]) + 0.1 * rng.standard_normal(80)
    return X, y_class, y_reg


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("loss_name", ["logistic", "squared"])
@pytest.mark.parametrize("lam", [0.0, 0.01])
def test_backpropagation_matches_finite_differences(data, activation, loss_name, lam):
    X, y_class, y_reg = data
    loss, y = (mlopt.losses.logistic, y_class) if loss_name == "logistic" else (mlopt.losses.squared, y_reg)
    net = TwoLayerNet(X, y, hidden=5, activation=activation, loss=loss, lam=lam)
    theta = net.init(rng=1) + 0.05 * np.random.default_rng(2).standard_normal(net.n_features)
    assert mlopt.check_gradient(net.value, net.gradient, theta) < 1e-6
    f, g = net.value_and_gradient(theta)
    assert f == net.value(theta) and np.array_equal(g, net.gradient(theta))


def test_parameter_layout(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=4)
    assert net.n_features == 4 * (3 + 2) + 1
    theta = np.arange(net.n_features, dtype=float)
    W1, b1, w2, b2 = net.unpack(theta)
    assert W1.shape == (4, 3) and b1.shape == (4,) and w2.shape == (4,) and float(b2) == theta[-1]
    np.testing.assert_array_equal(net.pack(W1, b1, w2, b2), theta)
    # the output by hand for one input
    x = X[0]
    z = w2 @ np.tanh(W1 @ x + b1) + b2
    assert net.predict(theta, X[:1])[0] == pytest.approx(z, rel=1e-14)


def test_permuting_hidden_units_changes_theta_not_J(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=6, lam=0.01)
    theta = net.init(rng=3)
    W1, b1, w2, b2 = net.unpack(theta)
    perm = np.random.default_rng(4).permutation(6)
    other = net.pack(W1[perm], b1[perm], w2[perm], b2)
    assert not np.array_equal(other, theta)
    assert net.value(other) == pytest.approx(net.value(theta), rel=1e-14)
    g, g_other = net.gradient(theta), net.gradient(other)
    G = net.unpack(g)
    np.testing.assert_allclose(g_other, net.pack(G[0][perm], G[1][perm], G[2][perm], G[3]), rtol=1e-12, atol=1e-15)


def test_zero_weights_are_a_stationary_point_for_the_weights(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=5)
    g = net.gradient(np.zeros(net.n_features))
    W1, b1, w2, b2 = net.unpack(g)
    assert np.all(W1 == 0) and np.all(b1 == 0) and np.all(w2 == 0)
    assert b2 != 0                                    # only the output bias moves
    res = mlopt.sgd(net, np.zeros(net.n_features), lr=0.1, epochs=5, rng=0)
    W1, b1, w2, _ = net.unpack(res.theta)
    assert np.all(W1 == 0) and np.all(w2 == 0)


def test_equal_hidden_units_stay_equal(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=4)
    W1, b1, w2, b2 = net.unpack(net.init(rng=5))
    W1[:], b1[:], w2[:] = W1[0], 0.0, w2[0]           # symmetric start: all units the same
    res = mlopt.gradient_descent(net, net.pack(W1, b1, w2, b2), lr=0.5, max_iter=50, tol=None)
    W1, _, w2, _ = net.unpack(res.theta)
    np.testing.assert_allclose(W1, np.broadcast_to(W1[0], W1.shape), rtol=1e-12)
    assert np.abs(W1).max() > 0


def test_minibatch_of_all_rows_is_the_full_gradient(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=3, lam=0.1)
    theta = net.init(rng=6)
    f, g = net.minibatch(theta, np.arange(80))
    assert f == pytest.approx(net.value(theta), rel=1e-14)
    np.testing.assert_allclose(g, net.gradient(theta), rtol=1e-12)
    parts = [net.minibatch(theta, np.arange(k, k + 20))[1] for k in range(0, 80, 20)]
    np.testing.assert_allclose(np.mean(parts, axis=0), net.gradient(theta), rtol=1e-10, atol=1e-14)


def test_trains_with_the_books_solvers(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=8)
    theta0 = net.init(rng=7)
    linear = mlopt.newton(mlopt.EmpiricalRisk(np.column_stack([np.ones(80), X]), y, loss=mlopt.losses.logistic,
                                              lam=1e-3), np.zeros(4))
    for res in (mlopt.adam(net, theta0, lr=0.05, epochs=200, rng=0, batch_size=16),
                mlopt.lbfgs(net, theta0, tol=1e-5, max_iter=2000)):
        assert res.objective < 0.5 * linear.objective       # the network fits what a line cannot
        assert np.mean((net.predict(res.theta) > 0) == y) >= 0.9
    early = mlopt.sgd(net, theta0, lr=0.2, epochs=300, rng=0, tol=1e-4, early_stopping=True)
    assert early.status in ("early_stopping", "max_iter")


def test_svrg_refuses_a_network_and_a_diverging_run_stops(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=3)
    with pytest.raises(ValueError, match="a linear model"):
        mlopt.svrg(net, net.init(rng=0), lr=0.1)
    with pytest.warns(mlopt.ConvergenceWarning, match="^diverged.*reduce lr"):
        res = mlopt.sgd(net, net.init(rng=0), lr=1e5, epochs=5, rng=0)
    assert res.status == "diverged" and np.all(np.isfinite(res.theta))


@pytest.mark.parametrize("kw, match", [
    ({"hidden": 0}, "hidden must be >= 1"), ({"activation": "sigmoid"}, "activation must be one of"),
    ({"lam": -1.0}, "lam must be >= 0"), ({"loss": "logistic"}, "loss must be an mlopt.Loss"),
])
def test_bad_options_are_refused(data, kw, match):
    X, y, _ = data
    with pytest.raises(ValueError, match=match):
        TwoLayerNet(X, y, **kw)


def test_bad_data_is_refused(data):
    X, y, y_reg = data
    with pytest.raises(ValueError, match="y must have one entry per row"):
        TwoLayerNet(X, y[:10])
    with pytest.raises(ValueError, match="y"):
        TwoLayerNet(X, y_reg)                              # logistic needs labels in {0, 1}
    net = TwoLayerNet(X, y, hidden=2)
    with pytest.raises(ValueError, match=r"theta must have shape \(11,\)"):
        net.value(np.zeros(5))


def test_pickles_and_subsets(data):
    X, y, _ = data
    net = TwoLayerNet(X, y, hidden=3, activation="relu")
    theta = net.init(rng=8)
    back = pickle.loads(pickle.dumps(net))
    assert back.value(theta) == net.value(theta)
    sub = net.subset(np.arange(10))
    assert sub.n_samples == 10 and sub.value(theta) == pytest.approx(net.minibatch(theta, np.arange(10))[0])
