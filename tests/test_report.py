"""mlopt.report: numbers as text, against hand-written expectations."""

from __future__ import annotations

import pytest

from mlopt import report


@pytest.mark.parametrize("x, digits, text", [
    (1.4321e-6, 2, "1.4 × 10⁻⁶"),
    (1e-6, 2, "10⁻⁶"),
    (-3.2e-8, 2, "-3.2 × 10⁻⁸"),
    (12345.0, 3, "1.23 × 10⁴"),
    (0.03125, 2, "0.031"),
    (2280.0, 3, "2280"),
    (2280.0, 2, "2300"),
    (0.5, 1, "0.5"),
    (1.0, 3, "1.00"),
    (9.996, 3, "10.0"),
    (0.000999, 2, "0.0010"),
    (0.0, 2, "0"),
])
def test_sci(x, digits, text):
    assert report.sci(x, digits) == text


def test_below():
    assert report.below(3.2e-15, 1e-12) == "< 10⁻¹²"
    assert report.below(-3.2e-15, 1e-12) == "< 10⁻¹²"
    assert report.below(4.1e-9, 1e-12) == "4.1 × 10⁻⁹"
    assert report.below(0.0, 1e-10) == "< 10⁻¹⁰"


@pytest.mark.parametrize("call, match", [
    (lambda: report.sci(float("nan")), "x must be finite"),
    (lambda: report.sci("1"), "x must be a real number"),
    (lambda: report.sci(1.0, 0), "digits must be >= 1"),
    (lambda: report.sci(1.0, 2.5), "digits must be an integer"),
    (lambda: report.below(1.0, 0.0), "limit must be > 0"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
