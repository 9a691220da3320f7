"""mlopt: the library behind the executable textbook *Optimization for Machine Learning*.

One objective runs through the book, J(θ) = R̂ₙ(θ) + λΩ(θ) with R̂ₙ(θ) = (1/n) Σᵢ ℓ(xᵢᵀθ, yᵢ):

- :mod:`mlopt.losses` — per-sample losses ℓ(z, y) with SymPy-derived derivatives
- :mod:`mlopt.regularizers` — Ω(θ): ``l2``, ``l1``, ``elastic_net``, ``none``
- :class:`EmpiricalRisk` — J, its gradient (full or minibatch) and Hessian, L and μ
- :class:`SymbolicFunction`, :func:`check_gradient` — small functions and the finite-difference check
- :class:`Quadratic` — J(θ) = ½θᵀAθ − bᵀθ + c, the model problem of the rates
- full-batch solvers returning a :class:`Result`: :func:`gradient_descent`, :func:`newton`,
  :func:`proximal_gradient` (ISTA/FISTA), :func:`conjugate_gradient`, :func:`lbfgs`; the closed
  form :func:`ridge`
- constraints: :func:`projected_gradient` with the sets of :mod:`mlopt.projections`
- stochastic solvers: :func:`sgd` (momentum, Nesterov, averaging), :func:`adagrad`,
  :func:`rmsprop`, :func:`adam`, :func:`adamw` — each :func:`minibatch_descent` with one rule
  of :mod:`mlopt.update_rules`; the variance-reduced :func:`svrg` and :func:`saga`
- :mod:`mlopt.models` — a two-layer network with the interface of an objective
- :mod:`mlopt.cluster` — data past one machine: an :class:`EmpiricalRisk` over dask arrays is a
  map-reduce over row chunks; a local Dask cluster to run it on (optional extra ``mlopt[dask]``)
- :mod:`mlopt.schedules`, :mod:`mlopt.datasets`, :mod:`mlopt.plotting`
- :mod:`mlopt.report` — numbers as text with only the digits a computation determines

Every run ends with a ``Result`` whose ``status`` is one of :data:`mlopt.result.STATUSES`.
"""

from . import cluster, datasets, losses, models, projections, regularizers, report, schedules, update_rules
from .cg import conjugate_gradient
from .gd import gradient_descent
from .losses import Loss
from .quasi_newton import lbfgs
from .minibatch import minibatch_descent
from .newton import newton
from .objective import EmpiricalRisk
from .projected import projected_gradient
from .proximal import proximal_gradient
from .quadratic import Quadratic
from .result import STATUSES, ConvergenceWarning, Result
from .ridge import ridge
from .stochastic import adagrad, adam, adamw, rmsprop, sgd
from .symbolic import SymbolicFunction, check_gradient
from .variance_reduction import saga, svrg

__version__ = "0.2.0"

__all__ = [
    "ConvergenceWarning", "EmpiricalRisk", "Loss", "Result", "STATUSES", "SymbolicFunction", "check_gradient",
    "datasets", "gradient_descent", "losses", "newton", "regularizers", "report", "ridge", "schedules",
    "sgd", "adagrad", "rmsprop", "adam", "adamw", "minibatch_descent", "update_rules", "proximal_gradient",
    "plotting", "Quadratic", "conjugate_gradient", "lbfgs", "projected_gradient", "projections",
    "svrg", "saga", "models", "cluster",
]


def __getattr__(name):
    # matplotlib is imported only when plotting is used.
    if name == "plotting":
        import importlib

        module = importlib.import_module(".plotting", __name__)
        globals()["plotting"] = module
        return module
    raise AttributeError(f"module 'mlopt' has no attribute {name!r}")
