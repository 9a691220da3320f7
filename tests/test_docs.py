"""Documentation checks that need no site: every public name's docstring links the chapter that
explains it (the API reference page turns those links into cross-references)."""

from __future__ import annotations

import inspect

import mlopt

MODULES = ("datasets", "losses", "regularizers", "schedules", "plotting", "report", "update_rules", "projections", "models",
           "cluster")


def public_objects():
    objs = [getattr(mlopt, n) for n in mlopt.__all__ if n not in MODULES]
    for module in MODULES:
        mod = getattr(mlopt, module)
        objs += [getattr(mod, n) for n in mod.__all__ if n != "grid_values"]
    return [o for o in objs if inspect.isfunction(o) or inspect.isclass(o)]


def test_every_public_docstring_links_its_chapter():
    missing = [getattr(o, "__name__", repr(o)) for o in public_objects() if ":doc:`/book/" not in (o.__doc__ or "")]
    assert not missing, f"docstrings without a link to the chapter that explains them: {missing}"


def test_the_api_page_lists_every_public_function_and_class():
    api = open(__file__.replace("tests/test_docs.py", "book/api.md"), encoding="utf-8").read()
    absent = [o.__name__ for o in public_objects() if o.__name__ not in api]
    assert not absent, f"public names missing from book/api.md: {absent}"


#: numpydoc sections whose unindented lines are entries (a parameter, a return value, an attribute)
FIELD_SECTIONS = ("Parameters", "Other Parameters", "Returns", "Yields", "Raises", "Warns", "Attributes")


def chapter_link_section(doc: str) -> str | None:
    """The numpydoc section that holds a docstring's "Explained in" line (None: the description)."""
    section = None
    lines = doc.splitlines()
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and line.strip() and set(lines[i + 1].strip()) == {"-"} and len(lines[i + 1].strip()) >= 3:
            section = line.strip()
        if line.startswith("Explained in"):
            return section
    return None


def test_chapter_link_is_not_read_as_an_entry():
    # after the entries of a Returns or Attributes section, Sphinx reads "Explained in ..." as one
    # more entry: the API page showed it as a return value and as an attribute named "Explained"
    assert chapter_link_section("Sum.\n\nReturns\n-------\nfloat\n\nExplained in :doc:`/book/x`.") == "Returns"
    assert chapter_link_section("Sum.\n\nExplained in :doc:`/book/x`.\n\nReturns\n-------\nfloat") is None
    misplaced = {o.__name__: s for o in public_objects()
                 if (s := chapter_link_section(inspect.getdoc(o) or "")) in FIELD_SECTIONS}
    assert not misplaced, f"chapter links inside a numpydoc section of entries (move them above it): {misplaced}"
