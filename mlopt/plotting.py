"""Pictures of objectives and solver runs (matplotlib). Solvers never plot; these helpers do.

Each function draws on ``ax`` (a new figure when None) and returns the Axes; none calls
``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_scalar

__all__ = ["plot_contours", "plot_convergence", "plot_losses", "animate_path", "animation_html", "animation_player",
           "AnimationPlayer", "grid_values"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _as_function(fun):
    if hasattr(fun, "value") and callable(fun.value):
        return fun.value
    if callable(fun):
        return fun
    raise ValueError(f"fun must be callable or have a value(theta) method; got {type(fun).__name__}")


def _limits(lim, name):
    try:
        lo, hi = (float(v) for v in lim)
    except Exception:
        raise ValueError(f"{name} must be a pair (low, high); got {lim!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with low < high; got {lim!r}")
    return lo, hi


def grid_values(fun, xlim, ylim, *, n: int = 101):
    """Evaluate a function of two variables on an n×n grid; returns (A, B, F).

    ``fun`` takes θ of shape (2,) (or a stack (2, n, n): then it is called once, vectorized, as
    :class:`~mlopt.SymbolicFunction` allows).
    """
    f = _as_function(fun)
    n = check_scalar(n, "n", low=2, integer=True)
    a = np.linspace(*_limits(xlim, "xlim"), n)
    b = np.linspace(*_limits(ylim, "ylim"), n)
    A, B = np.meshgrid(a, b)
    try:
        F = np.asarray(f(np.stack([A, B])), dtype=float)
        if F.shape != A.shape:
            raise ValueError
    except Exception:
        F = np.array([[f(np.array([ai, bi])) for ai, bi in zip(ra, rb)] for ra, rb in zip(A, B)], dtype=float)
    return A, B, F


def _path(p):
    hist = getattr(p, "history", None)
    if hist is not None:
        if "theta" not in hist:
            raise ValueError("a Result in paths needs history['theta']: run the solver with record_theta=True")
        p = hist["theta"]
    p = np.asarray(p, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"a path must have shape (k, 2); got shape {p.shape}")
    return p


def plot_contours(fun, xlim, ylim, *, paths=None, levels=30, log_levels: bool = False, n: int = 101,
                  minimum=None, ax=None, title=None, labels=("$\\theta_1$", "$\\theta_2$"),
                  legend_loc="best"):
    """Contours of a function of two variables, with solver paths drawn over them.

    Explained in :doc:`/book/03_gradient_descent`.

    Parameters
    ----------
    fun : callable or object with ``value``
        θ (shape (2,)) ↦ float, e.g. an :class:`~mlopt.EmpiricalRisk` with two features or a
        :class:`~mlopt.SymbolicFunction` of two variables.
    xlim, ylim : (float, float)
    paths : dict of str to Result or array, optional
        Label ↦ a Result from a solver run with ``record_theta=True``, or an array of shape (k, 2).
    levels : int or sequence, default 30
    log_levels : bool, default False
        Space the levels geometrically between the minimum and the maximum on the grid (for
        functions with a wide range, such as Rosenbrock's).
    minimum : array_like, optional
        A point to mark with a star (e.g. the known minimizer).
    legend_loc : str or None, default "best"
        Where matplotlib puts the legend; None draws no legend.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    A, B, F = grid_values(fun, xlim, ylim, n=n)
    if log_levels:
        lo = F.min()
        shifted = F - lo + 1e-12 * max(1.0, abs(lo))
        lv = np.geomspace(shifted[shifted > 0].min(), shifted.max(), levels if np.isscalar(levels) else 30)
        ax.contour(A, B, shifted, levels=lv, cmap="viridis", linewidths=0.8)
    else:
        ax.contour(A, B, F, levels=levels, cmap="viridis", linewidths=0.8)
    for label, p in (paths or {}).items():
        xy = _path(p)
        line, = ax.plot(xy[:, 0], xy[:, 1], ".-", lw=1.2, ms=3, label=f"{label} ({len(xy) - 1} steps)")
        ax.plot(xy[0, 0], xy[0, 1], "o", color=line.get_color(), ms=5)
    if minimum is not None:
        m = np.asarray(minimum, dtype=float)
        ax.plot(m[0], m[1], "*", color="black", ms=12, label="minimum")
    ax.set_xlim(*_limits(xlim, "xlim"))
    ax.set_ylim(*_limits(ylim, "ylim"))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if (paths or minimum is not None) and legend_loc is not None:
        ax.legend(loc=legend_loc, fontsize="small")
    if title:
        ax.set_title(title)
    return ax


#: plot_convergence leaves out values beyond this (a diverged run), so the log axis stays drawable.
DRAWABLE = 1e200
#: plot_convergence leaves out gaps J − J* below ROUND_OFF_GAP · eps · abs(J*) by default: at that
#: level the computed gap is still accurate to about 1 %; below it, it is mostly round-off and
#: differs from one CPU to another.
ROUND_OFF_GAP = 1e3


def plot_convergence(results, *, f_star=None, x: str = "iteration", floor="auto", ax=None, title=None):
    """Suboptimality J(θₜ) − J* on a log scale, one curve per run.

    Parameters
    ----------
    results : dict of str to Result
    f_star : float, optional
        The optimal value J*. When None, the smallest objective seen across all runs is used
        (and the curves then reach 0 at that point, which a log axis leaves out).
    x : {"iteration", "epoch", "n_grad", "time"}
        What the horizontal axis counts: recorded points (iterations, or epochs for stochastic
        runs recorded per epoch), epochs (``history["epoch"]`` of the stochastic solvers),
        gradient evaluations (in full-gradient units), or seconds.
    floor : float, "auto" or None, default "auto"
        Gaps at or below ``floor`` are left out: they are round-off, not progress. "auto" is
        1000 · eps · abs(J*) (about 2e-13 · abs(J*)), where the computed J − J* is still accurate
        to about 1 %; None draws every positive gap.

    Notes
    -----
    Values beyond 1e200 (a diverged run) are left out, so the log axis stays drawable. The
    default floor keeps a figure the same on every CPU: the last bits of J, and so the gaps
    near machine precision, depend on the CPU's floating-point kernels.
    Explained in :doc:`/book/03_gradient_descent` and :doc:`/book/05_stochastic`.
    """
    if x not in ("iteration", "epoch", "n_grad", "time"):
        raise ValueError(f"x must be 'iteration', 'epoch', 'n_grad' or 'time'; got x={x!r}")
    if not results:
        raise ValueError("results must be a non-empty dict of label -> Result")
    ax = _axes(ax)
    if f_star is None:
        f_star = min(float(np.min(r.history["objective"])) for r in results.values())
    if isinstance(floor, str):
        if floor != "auto":
            raise ValueError(f"floor must be a number >= 0, 'auto' or None; got floor={floor!r}")
        floor = ROUND_OFF_GAP * np.finfo(float).eps * abs(float(f_star))
    elif floor is None:
        floor = 0.0
    else:
        floor = check_scalar(floor, "floor", low=0.0)
    for label, r in results.items():
        obj = np.asarray(r.history["objective"], dtype=float)
        if x != "iteration" and x not in r.history:
            raise ValueError(f"the run {label!r} has no history[{x!r}]; choose another x")
        xs = np.arange(obj.size) if x == "iteration" else np.asarray(r.history[x], dtype=float)
        with np.errstate(over="ignore", invalid="ignore"):
            gap = obj - f_star
        keep = (gap > floor) & (gap > 0) & (gap < DRAWABLE)
        shown = np.where(keep, gap, np.nan)     # NaN breaks the line where points are left out
        last = np.flatnonzero(keep)
        end = last[-1] + 1 if last.size else 0
        ax.semilogy(xs[:end], shown[:end], label=label)
    ax.set_xlabel({"iteration": "iteration t", "epoch": "epoch",
                   "n_grad": "gradient evaluations (full-gradient units)", "time": "time (s)"}[x])
    ax.set_ylabel(r"$J(\theta_t) - J^\star$ (log scale)")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_losses(losses, *, y: float = 0.0, zlim=(-3.0, 3.0), derivative: int = 0, ax=None, title=None):
    """Each loss ℓ(z, y) (or its derivative of order 1 or 2) as a function of z for a fixed y.

    Explained in :doc:`/book/01_loss_to_objective`.
    """
    if derivative not in (0, 1, 2):
        raise ValueError(f"derivative must be 0, 1 or 2; got derivative={derivative!r}")
    ax = _axes(ax)
    zs = np.linspace(*_limits(zlim, "zlim"), 400)
    ys = np.full_like(zs, float(y))
    for label, loss in losses.items():
        f = (loss.value, loss.dz, loss.dz2)[derivative]
        ax.plot(zs, f(zs, ys), label=label)
    ax.set_xlabel("prediction $z = x^\\top\\theta$")
    ax.set_ylabel(("$\\ell(z, y)$", "$\\partial\\ell/\\partial z$", "$\\partial^2\\ell/\\partial z^2$")[derivative]
                  + f"  (y = {y:g})")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def animate_path(fun, result, xlim, ylim, *, levels=30, interval: int = 100, max_frames: int = 60,
                 title=None, figsize=(5.0, 4.0), dpi: int = 72):
    """An animation of a solver path over the contours, for ``Animation.to_jshtml()``.

    ``result`` is a Result from a run with ``record_theta=True`` (or a (k, 2) array). Long paths
    are subsampled to at most ``max_frames`` frames. Returns a
    ``matplotlib.animation.FuncAnimation``; close its figure after embedding it.

    Explained in :doc:`/book/03_gradient_descent`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    xy = _path(result)
    max_frames = check_scalar(max_frames, "max_frames", low=2, integer=True)
    frames = np.unique(np.linspace(0, len(xy) - 1, min(len(xy), max_frames)).round().astype(int))
    fig, ax = plt.subplots(figsize=figsize, dpi=dpi)
    plot_contours(fun, xlim, ylim, levels=levels, ax=ax, title=title)
    line, = ax.plot([], [], ".-", color="tab:red", lw=1.5)
    text = ax.text(0.02, 0.95, "", transform=ax.transAxes)

    def update(k):
        line.set_data(xy[: k + 1, 0], xy[: k + 1, 1])
        text.set_text(f"t = {k}")
        return line, text

    return FuncAnimation(fig, update, frames=frames, interval=interval, blit=True)


_PLAYER_ICONS = (
    ("fa-play fa-flip-horizontal", "&#9664;"),   # play backwards ◀
    ("fa-fast-backward", "|&#9664;&#9664;"),
    ("fa-step-backward", "|&#9664;"),
    ("fa-pause", "&#10074;&#10074;"),
    ("fa-play", "&#9654;"),
    ("fa-step-forward", "&#9654;|"),
    ("fa-fast-forward", "&#9654;&#9654;|"),
    ("fa-minus", "&minus;"),
    ("fa-plus", "+"),
)


def _player_html(anim, name: str, frame_format: str) -> str:
    """The JavaScript player's HTML (see animation_html); leaves the figure at the last frame."""
    import re

    from matplotlib import rc_context

    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"name must be letters, digits or underscores; got name={name!r}")
    if frame_format not in ("jpeg", "png"):
        raise ValueError(f"frame_format must be 'jpeg' or 'png'; got frame_format={frame_format!r}")
    with rc_context({"animation.frame_format": frame_format}):
        html = anim.to_jshtml()
    ids = set(re.findall(r"_anim_img([0-9a-f]{32})", html)) | set(re.findall(r"anim([0-9a-f]{32})", html))
    for i, uid in enumerate(sorted(ids)):
        html = html.replace(uid, f"{name}{i}")
    html = re.sub(r'<link rel="stylesheet"\s+href="[^"]*font-awesome[^"]*">', "", html)
    for icon, text in _PLAYER_ICONS:
        html = html.replace(f'<i class="fa {icon}"></i>', text)
    if "font-awesome" in html or '<i class="fa ' in html:
        raise RuntimeError("matplotlib's player template changed: an icon-font reference is left")
    return html


def animation_html(anim, *, name: str = "path", frame_format: str = "jpeg") -> str:
    """HTML (JavaScript player) for an animation, identical from run to run, for a static page.

    Matplotlib's ``to_jshtml`` names its player with a random id; this replaces it with one made
    from ``name`` (use distinct names for several animations on a page), encodes the frames as
    JPEG by default (a few times smaller than PNG), and closes the animation's figure. The player's
    buttons are drawn with plain Unicode symbols instead of an icon font that matplotlib's template
    loads from another host, so the page asks no one else for anything.

    Explained in :doc:`/book/03_gradient_descent`.
    """
    import matplotlib.pyplot as plt

    try:
        return _player_html(anim, name, frame_format)
    finally:
        plt.close(anim._fig)


class AnimationPlayer:
    """An animation as a notebook output: the player where scripts run, a still frame elsewhere.

    Displayed in a notebook (made by :func:`animation_player`), it carries the JavaScript player
    as ``text/html`` and the animation's last frame as ``image/png``: a web page (the book's site,
    JupyterLab) shows the player; the PDF of the book, which cannot play it, shows the still.

    Explained in :doc:`/book/03_gradient_descent`.

    Attributes
    ----------
    html : str
        The player (:func:`animation_html`).
    png : bytes
        The last frame, as a PNG image with no software stamp (the same bytes from run to run).
    n_frames : int
        The number of frames the player holds.
    name : str
        The player's name in the page (see :func:`animation_html`).
    """

    def __init__(self, html: str, png: bytes, n_frames: int, name: str):
        self.html = html
        self.png = png
        self.n_frames = n_frames
        self.name = name

    def _repr_html_(self) -> str:
        return self.html

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        return f"<AnimationPlayer {self.name!r}: {self.n_frames} frames; a still of the last one where it cannot play>"


def animation_player(anim, *, name: str = "path", frame_format: str = "jpeg", still_dpi: int = 150) -> AnimationPlayer:
    """An animation to display in a notebook: the player on web pages, its last frame in print.

    The player is :func:`animation_html`'s (run-to-run identical HTML, no request to another host);
    the still is the figure at the last frame, drawn at ``still_dpi`` (the player's frames keep the
    figure's own, lower dpi, to keep the page small). The animation's figure is closed. Make it the
    value of a cell (or pass it to ``IPython.display.display``): a web page shows the player, and
    the book's PDF (LaTeX, which cannot play it) the still.

    Explained in :doc:`/book/03_gradient_descent`.
    """
    import io
    import re

    import matplotlib.pyplot as plt

    try:
        still_dpi = check_scalar(still_dpi, "still_dpi", low=10, integer=True)
        html = _player_html(anim, name, frame_format)
        # to_jshtml drew every frame in turn: the figure now shows the last one
        buffer = io.BytesIO()
        anim._fig.savefig(buffer, format="png", dpi=still_dpi, metadata={"Software": None})
    finally:
        plt.close(anim._fig)
    n_frames = len(re.findall(r"frames\[\d+\] = ", html))
    return AnimationPlayer(html, buffer.getvalue(), n_frames, name)
