"""Numbers as text with only the digits a computation determines: for prose, tables and labels.

The chapters insert every number they quote from a result (with myst-nb's ``glue``) through these
functions, so the text says what the computation says, to a precision that is the same on every
CPU. A value at noise level (a residual, an error against a reference) is shown as a bound.

Examples
--------
>>> from mlopt import report
>>> report.sci(1.4321e-6), report.sci(1e-6), report.sci(0.03125, 2), report.sci(2280.0, 3)
('1.4 × 10⁻⁶', '10⁻⁶', '0.031', '2280')
>>> report.below(3.2e-15, 1e-12), report.below(4.1e-9, 1e-12)
('< 10⁻¹²', '4.1 × 10⁻⁹')
"""

from __future__ import annotations


from ._validation import check_scalar

__all__ = ["sci", "below"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(x: float, digits: int = 2) -> str:
    """``x`` rounded to ``digits`` significant digits, as a reader writes it.

    Plain notation for 10⁻³ ≤ abs(x) < 10⁴ (``0.031``, ``2280``), else a power of ten with
    Unicode superscripts (``1.4 × 10⁻⁶``, or ``10⁻⁶`` when the mantissa is 1).

    Parameters
    ----------
    x : float
        A finite number.
    digits : int, default 2
        Significant digits, from 1 to 17.

    Returns
    -------
    str

    Notes
    -----
    Explained in :doc:`/book/intro` (how the book prints numbers).
    """
    x = check_scalar(x, "x")
    digits = check_scalar(digits, "digits", low=1, high=17, integer=True)
    if x == 0:
        return "0"
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    exponent = int(exponent)
    if -3 <= exponent < 4:
        text = f"{float(f'{x:.{digits - 1}e}'):.{max(0, digits - 1 - exponent)}f}"
        return text
    if float(mantissa) in (1.0, -1.0):
        return ("-" if x < 0 else "") + "10" + str(exponent).translate(_SUPERSCRIPT)
    return f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}"


def below(x: float, limit: float, digits: int = 2) -> str:
    """``"< limit"`` when abs(x) < limit (a value at noise level), else :func:`sci` of ``x``.

    Parameters
    ----------
    x : float
        The value, e.g. a residual or a difference from a reference.
    limit : float
        The bound that the computation guarantees on every machine, > 0.
    digits : int, default 2
        Significant digits when ``x`` is shown.

    Returns
    -------
    str

    Notes
    -----
    Explained in :doc:`/book/intro` (how the book prints numbers).
    """
    x = check_scalar(x, "x")
    limit = check_scalar(limit, "limit", low=0.0, low_open=True)
    if abs(x) < limit:
        return "< " + sci(limit, 1)
    return sci(x, digits)
