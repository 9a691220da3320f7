"""mlopt.plotting: each helper returns an Axes with the expected artists; bad input raises."""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
from matplotlib.animation import Animation  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

import mlopt  # noqa: E402
from mlopt import plotting  # noqa: E402

a, b = sp.symbols("a b", real=True)


@pytest.fixture
def bowl():
    return mlopt.SymbolicFunction((a - 1) ** 2 + 5 * (b + 0.5) ** 2, [a, b])


@pytest.fixture
def runs(bowl):
    """Two recorded runs on the bowl (record_theta=True)."""
    r1 = mlopt.gradient_descent(bowl, np.array([-1.5, 1.5]), lr=0.05, tol=1e-8, max_iter=2000, record_theta=True)
    r2 = mlopt.gradient_descent(bowl, np.array([-1.5, 1.5]), lr=0.05, momentum=0.5, tol=1e-8, max_iter=2000,
                                record_theta=True)
    return {"gd": r1, "momentum": r2}


@pytest.fixture
def unrecorded(bowl):
    return mlopt.gradient_descent(bowl, np.array([-1.5, 1.5]), lr=0.05, tol=1e-8, max_iter=2000)


def points(line):
    """The (x, y) points a line draws (NaN marks a break)."""
    x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    keep = np.isfinite(y)
    return x[keep], y[keep]


def labelled_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


# --- grid_values -----------------------------------------------------------------------------------

def test_grid_values_vectorized_and_pointwise(bowl):
    A, B, F = plotting.grid_values(bowl, (-2, 2), (-1, 1), n=11)
    assert A.shape == B.shape == F.shape == (11, 11)
    np.testing.assert_allclose(F, (A - 1) ** 2 + 5 * (B + 0.5) ** 2, rtol=1e-14, atol=1e-14)
    # a plain function that only takes one point at a time gives the same grid
    calls = []

    def pointwise(t):
        calls.append(1)
        t = np.asarray(t)
        if t.shape != (2,):
            raise ValueError("one point at a time")
        return float((t[0] - 1) ** 2 + 5 * (t[1] + 0.5) ** 2)

    _, _, F2 = plotting.grid_values(pointwise, (-2, 2), (-1, 1), n=11)
    np.testing.assert_allclose(F2, F, rtol=1e-14, atol=1e-14)
    assert len(calls) >= 121


# --- contours --------------------------------------------------------------------------------------

def test_plot_contours_with_paths(bowl, runs):
    ax = plotting.plot_contours(bowl, (-2, 2), (-1.5, 2), paths=runs, minimum=[1.0, -0.5], title="bowl")
    assert isinstance(ax, Axes)
    assert ax.collections, "no contour set drawn"
    path_lines = [ln for ln in labelled_lines(ax) if ln.get_label() != "minimum"]
    assert len(path_lines) == len(runs)
    for (name, res), ln in zip(runs.items(), path_lines):
        assert ln.get_label().startswith(name)
        np.testing.assert_allclose(ln.get_xydata(), res.history["theta"], rtol=0, atol=0)
    assert [ln.get_label() for ln in labelled_lines(ax)].count("minimum") == 1
    assert ax.get_legend() is not None
    assert ax.get_title() == "bowl"
    assert ax.get_xlim() == (-2.0, 2.0) and ax.get_ylim() == (-1.5, 2.0)


def test_plot_contours_array_path_and_log_levels(bowl):
    fig, ax0 = plt.subplots()
    path = np.array([[-1.0, 1.0], [0.0, 0.0], [1.0, -0.5]])
    ax = plotting.plot_contours(bowl, (-2, 2), (-1, 1), paths={"hand": path}, log_levels=True, ax=ax0)
    assert ax is ax0
    lines = labelled_lines(ax)
    assert len(lines) == 1
    np.testing.assert_array_equal(lines[0].get_xydata(), path)
    assert ax.collections


def test_plot_contours_result_without_theta(bowl, unrecorded):
    with pytest.raises(ValueError, match="record_theta=True"):
        plotting.plot_contours(bowl, (-2, 2), (-1, 1), paths={"gd": unrecorded})


@pytest.mark.parametrize("kwargs,match", [
    (dict(xlim=(1, -1)), r"xlim must be finite with low < high"),
    (dict(ylim=(0, np.inf)), r"ylim must be finite with low < high"),
    (dict(xlim=3), r"xlim must be a pair"),
    (dict(paths={"p": np.zeros((4, 3))}), r"a path must have shape \(k, 2\)"),
    (dict(n=1), r"n must be >= 2"),
])
def test_plot_contours_bad_input(bowl, kwargs, match):
    args = dict(xlim=(-1, 1), ylim=(-1, 1))
    args.update(kwargs)
    xlim, ylim = args.pop("xlim"), args.pop("ylim")
    with pytest.raises(ValueError, match=match):
        plotting.plot_contours(bowl, xlim, ylim, **args)


def test_plot_contours_bad_function():
    with pytest.raises(ValueError, match="fun must be callable"):
        plotting.plot_contours(42, (-1, 1), (-1, 1))


# --- convergence -------------------------------------------------------------------------------------

def test_plot_convergence(runs):
    ax = plotting.plot_convergence(runs, f_star=0.0, title="rates")
    assert isinstance(ax, Axes)
    assert ax.get_yscale() == "log"
    lines = labelled_lines(ax)
    assert len(lines) == len(runs)
    assert [ln.get_label() for ln in lines] == list(runs)
    for ln, res in zip(lines, runs.values()):
        gap = res.history["objective"] - 0.0
        np.testing.assert_allclose(points(ln)[1], gap[gap > 0], rtol=0, atol=0)
    assert ax.get_title() == "rates"


@pytest.mark.parametrize("x", ["iteration", "n_grad", "time"])
def test_plot_convergence_axes(runs, x):
    ax = plotting.plot_convergence(runs, x=x)
    assert ax.get_yscale() == "log"
    assert len(labelled_lines(ax)) == len(runs)
    res = runs["gd"]
    ln = labelled_lines(ax)[0]
    if x == "n_grad":
        fstar = min(float(np.min(r.history["objective"])) for r in runs.values())
        keep = res.history["objective"] - fstar > 0
        np.testing.assert_allclose(points(ln)[0], res.history["n_grad"][keep], rtol=0, atol=0)


def test_plot_convergence_leaves_out_round_off(runs):
    # gaps below 1000·eps·|J*| are round-off: left out by default, drawn with floor=None
    f_star = 2.0
    gap = np.logspace(0, -17, 18)
    objective = f_star + gap            # the last gaps are below eps·J*: exactly 0 in float64
    res = mlopt.Result(theta=np.zeros(2), objective=objective[-1], n_iter=17, converged=True,
                       message="", history={"objective": objective})
    auto = 1e3 * np.finfo(float).eps * f_star   # 4.4e-13
    drawn = lambda **kw: points(labelled_lines(plotting.plot_convergence({"r": res}, f_star=f_star, **kw))[0])[1]
    np.testing.assert_array_equal(drawn(), (objective - f_star)[objective - f_star > auto])
    assert drawn().size == 13          # 1 … 1e-12
    assert drawn(floor=None).size == 16 and drawn(floor=None).min() > 0
    assert drawn(floor=1e-3).size == 3
    with pytest.raises(ValueError, match="floor must be"):
        plotting.plot_convergence(runs, floor="low")
    with pytest.raises(ValueError, match="floor must be >= 0"):
        plotting.plot_convergence(runs, floor=-1.0)


def test_points_left_out_break_the_line():
    # a run that dips below the floor and comes back is drawn as two pieces, not bridged
    gaps = np.array([1.0, 1e-2, 1e-12, 1e-3, 1e-4])
    res = mlopt.Result(theta=np.zeros(1), objective=gaps[-1], n_iter=4, converged=True, message="",
                       history={"objective": gaps})
    ln = labelled_lines(plotting.plot_convergence({"r": res}, f_star=0.0, floor=1e-8))[0]
    np.testing.assert_array_equal(np.isnan(ln.get_ydata()), [False, False, True, False, False])


def test_plot_convergence_bad_input(runs):
    with pytest.raises(ValueError, match="x must be 'iteration', 'epoch', 'n_grad' or 'time'"):
        plotting.plot_convergence(runs, x="epochs")
    with pytest.raises(ValueError, match="results must be a non-empty dict"):
        plotting.plot_convergence({})


# --- losses ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("derivative", [0, 1, 2])
def test_plot_losses(derivative):
    ls = {"squared": mlopt.losses.squared, "logistic": mlopt.losses.logistic, "huber": mlopt.losses.huber(1.0)}
    ax = plotting.plot_losses(ls, y=1.0, derivative=derivative)
    assert isinstance(ax, Axes)
    lines = labelled_lines(ax)
    assert len(lines) == len(ls)
    assert [ln.get_label() for ln in lines] == list(ls)
    z = lines[0].get_xdata()
    f = (ls["squared"].value, ls["squared"].dz, ls["squared"].dz2)[derivative]
    np.testing.assert_allclose(lines[0].get_ydata(), f(z, np.ones_like(z)), rtol=0, atol=0)
    assert z.min() == -3.0 and z.max() == 3.0


def test_plot_losses_bad_derivative():
    with pytest.raises(ValueError, match="derivative must be 0, 1 or 2"):
        plotting.plot_losses({"sq": mlopt.losses.squared}, derivative=3)


# --- animation ----------------------------------------------------------------------------------------

def test_animate_path(bowl, runs):
    res = runs["gd"]
    anim = plotting.animate_path(bowl, res, (-2, 2), (-1.5, 2), max_frames=8, interval=50)
    assert isinstance(anim, Animation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        html = anim.to_jshtml()
    assert "<script" in html
    # a long path (≈190 steps) is subsampled to max_frames embedded frames
    assert res.n_iter > 8
    assert len(re.findall(r"frames\[\d+\] = ", html)) == 8
    fig = anim._fig
    plt.close(fig)


def test_animate_path_result_without_theta(bowl, unrecorded):
    n_before = len(plt.get_fignums())
    with pytest.raises(ValueError, match="record_theta=True"):
        plotting.animate_path(bowl, unrecorded, (-2, 2), (-1, 1))
    assert len(plt.get_fignums()) == n_before  # no figure leaked


def test_animate_path_bad_max_frames(bowl, runs):
    with pytest.raises(ValueError, match="max_frames must be >= 2"):
        plotting.animate_path(bowl, runs["gd"], (-2, 2), (-1, 1), max_frames=1)


def test_convergence_by_epoch_and_with_a_diverged_run():
    import warnings

    X, y, _ = mlopt.datasets.make_regression(200, 5, noise=0.5, condition_number=10.0, rng=1)
    obj = mlopt.EmpiricalRisk(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlopt.ConvergenceWarning)
        bad = mlopt.gradient_descent(obj, np.zeros(5), lr=5 / obj.smoothness(), max_iter=400)
    good = mlopt.sgd(obj, np.zeros(5), lr=0.01, epochs=3, rng=0, record="exact")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drawing must not overflow
        ax = mlopt.plotting.plot_convergence({"diverged": bad}, f_star=0.0)
        ax.figure.canvas.draw()
    ax = mlopt.plotting.plot_convergence({"sgd": good}, x="epoch")
    assert ax.get_xlabel() == "epoch"
    np.testing.assert_array_equal(ax.lines[0].get_xdata()[:2], [0.0, 1.0])
    with pytest.raises(ValueError, match="has no history\\['epoch'\\]"):
        mlopt.plotting.plot_convergence({"gd": bad}, x="epoch")


def test_animation_html_is_the_same_every_time():
    X, y, _ = mlopt.datasets.make_regression(50, 2, rng=0)
    obj = mlopt.EmpiricalRisk(X, y)
    res = mlopt.gradient_descent(obj, np.zeros(2), record_theta=True, max_iter=20, tol=None)
    html = [mlopt.plotting.animation_html(mlopt.plotting.animate_path(obj, res, (-3, 3), (-3, 3), max_frames=5))
            for _ in range(2)]
    assert html[0] == html[1]
    assert "<script" in html[0] and "image/jpeg" in html[0]
    with pytest.raises(ValueError, match="name must be"):
        mlopt.plotting.animation_html(mlopt.plotting.animate_path(obj, res, (-3, 3), (-3, 3)), name="a b")


def test_animation_player_is_the_player_on_a_web_page_and_a_still_elsewhere():
    import io

    from IPython.core.formatters import DisplayFormatter
    from matplotlib.image import imread

    X, y, _ = mlopt.datasets.make_regression(50, 2, rng=0)
    obj = mlopt.EmpiricalRisk(X, y)
    res = mlopt.gradient_descent(obj, np.zeros(2), record_theta=True, max_iter=20, tol=None)

    def animation():
        return plotting.animate_path(obj, res, (-3, 3), (-3, 3), max_frames=5, figsize=(5, 4), dpi=72)

    n_before = len(plt.get_fignums())
    anim = animation()
    player = plotting.animation_player(anim, name="p", still_dpi=100)
    assert len(plt.get_fignums()) == n_before, "the animation's figure is left open"
    # a notebook stores both: a web page shows the player, the PDF (LaTeX) the still
    data, _ = DisplayFormatter().format(player)
    assert {"text/html", "image/png", "text/plain"} <= set(data)
    assert player.n_frames == 5 and "5 frames" in data["text/plain"]
    # the player is animation_html's, the still a PNG of the whole figure at still_dpi
    assert player.html == plotting.animation_html(animation(), name="p")
    assert player.png.startswith(b"\x89PNG") and b"Software" not in player.png
    assert imread(io.BytesIO(player.png)).shape[:2] == (400, 500)
    # ... at the last frame: the whole path and its step count, not the first frame's single point
    text, path = anim._fig.axes[0].texts[0], anim._fig.axes[0].lines[-1]
    assert text.get_text() == f"t = {res.n_iter}"
    np.testing.assert_array_equal(path.get_xydata(), res.history["theta"])
    anim._func(0)
    first = io.BytesIO()
    anim._fig.savefig(first, format="png", dpi=100, metadata={"Software": None})
    assert first.getvalue() != player.png
    # the same bytes from run to run (the stored chapter does not change when nothing else does)
    again = plotting.animation_player(animation(), name="p", still_dpi=100)
    assert again.png == player.png and again.html == player.html
    with pytest.raises(ValueError, match="still_dpi must be >= 10"):
        plotting.animation_player(animation(), still_dpi=1)
    with pytest.raises(ValueError, match="name must be"):
        plotting.animation_player(animation(), name="a b")
