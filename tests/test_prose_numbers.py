"""No measured number is typed into a page: the checker and its verdict on every notebook.

The checker itself is ``scripts/prose_numbers.py``; its rules are tested here
on small texts first (so that a change that makes it blind fails), then it is
run over every notebook in ``chapters/``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.fixture(scope="module")
def pn(load_script):
    return load_script("prose_numbers")


def numbers(pn, text, literals=()):
    return [f.number for f in pn.find_typed_numbers(text, set(literals))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the test accuracy is 0.833 after ten epochs", ["0.833"]),
        ("about 88 % of the dev points", ["88 %"]),
        ("about 88% of them", ["88%"]),
        ("a ratio of about 600", ["600"]),
        ("a step of norm 300 to 1600", ["300", "1600"]),
        ("it needs 2,100 forward passes", ["2,100"]),
        ("falls to about 5e-5", ["5e-5"]),
        ("ten epochs and 12 weights", []),  # two-digit integers are not measured-looking
    ],
)
def test_measured_looking_numbers_are_found(pn, text, expected):
    assert numbers(pn, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "the accuracy is {glue:text}`acc_test` on the test set",
        "inline maths $\\sigma(0) = 0.5$ and $$\\frac{1}{0.25}$$",
        "a code span `lr = 0.125` stays",
        "see section 3.5, sections 3.6-3.8 and chapters 3-4",
        "Leshno et al. (1993) proved it {cite}`leshno1993`",
        "written for d2l 0.17 and torch 2.14.1",
        "[the source](https://example.org/v0.17.6/file.py)",
        "the 60,000 training images and 10,000 test images of 28 × 28 = 784 pixels",
        "a 95 % interval",
        "```python\nx = 123.456\n```",
        "\\begin{aligned} a &= 0.75 \\end{aligned}",
    ],
)
def test_legitimate_numbers_are_not_flagged(pn, text):
    assert numbers(pn, text) == []


def test_a_hyper_parameter_quoted_from_the_code_is_allowed(pn):
    literals = pn.code_literals(["trainer = torch.optim.SGD(net.parameters(), lr=0.03)\nnum_epochs = 300"])
    assert numbers(pn, "with lr 0.03 for 300 epochs", literals) == []
    assert numbers(pn, "with lr 0.04 for 301 epochs", literals) == ["0.04", "301"]
    # A number only inside a string of the code counts too (e.g. a title).
    assert 0.2 in pn.code_literals(['ax.set_title("lr 0.2")'])


def test_alt_texts_are_checked(pn, tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": "plt.show()", "outputs": [], "execution_count": None,
                     "metadata": {"mystnb": {"image": {"alt": "The loss falls to about 0.45."}}}},
                    {"cell_type": "markdown", "source": "Text with {glue:text}`loss_end`.", "metadata": {}}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    findings = pn.check_notebook(path)
    assert [(f.where, f.number) for f in findings] == [("cell 0 image alt", "0.45")]


def _pages():
    """The pages to check, listed at collection time (before fixtures exist)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("prose_numbers_pages", ROOT / "scripts" / "prose_numbers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need their module registered
    spec.loader.exec_module(module)
    return module.book_pages()


def test_every_page_of_the_book_is_checked(pn):
    pages = {str(p.relative_to(ROOT)) for p in pn.book_pages()}
    assert {"intro.md", "glossary.md", "chapters/02_softmax_regression/index.md"} <= pages
    assert {str(p.relative_to(ROOT)) for p in NOTEBOOKS} <= pages
    assert "status.md" not in pages  # generated from the report: its numbers come from code


def test_a_landing_page_may_quote_section_numbers_and_its_notebooks_literals(pn, tmp_path):
    page = tmp_path / "page.md"
    page.write_text("**3.1 Hidden layers.** 3.4 and 3.5 need only 3.1 and 3.3.")
    assert pn.check_page(page) == []  # the book's section numbers
    page.write_text("the in-memory loader is 57.3 times faster; 3.17 is no section; 1234 images")
    assert [f.number for f in pn.check_page(page)] == ["57.3", "3.17", "1234"]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_typed_measured_number_in_the_prose(pn, page):
    findings = pn.check(page)
    assert not findings, (
        "measured numbers typed into the prose (print them in code, d2l.glue(...) them and write "
        "{glue:text}`name` in the text; see CONTRIBUTING.md):\n" + "\n".join(map(str, findings))
    )
