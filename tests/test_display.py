"""glue(): numbers from code into the page's text, in the format myst-nb reads."""

from __future__ import annotations

import ast

import pytest
import torch

import course_utils as d2l
from course_utils import display


@pytest.fixture
def captured(monkeypatch):
    """Pretend to be in a kernel and capture what glue() displays."""
    shown = []
    import IPython
    import IPython.display

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda data, raw, metadata: shown.append((data, metadata)))
    return shown


def stored(entry):
    data, metadata = entry
    (key, text), = data.items()
    return key, ast.literal_eval(text), metadata["scrapbook"]


def test_glue_formats_with_the_spec_and_stores_for_myst_nb(captured):
    d2l.glue("acc_test", 0.83349, ".3f")
    key, value, scrapbook = stored(captured[0])
    assert key == display.GLUE_MIME_PREFIX + "text/plain"
    assert value == "0.833"
    assert scrapbook == {"name": "acc_test", "mime_prefix": display.GLUE_MIME_PREFIX}


def test_glue_accepts_scalars_of_torch_and_numbers(captured):
    import numpy as np

    d2l.glue("a", torch.tensor(2.5))
    d2l.glue("b", np.float32(0.5), ".2f")
    d2l.glue("c", 1234567, ",d")
    d2l.glue("d", "no difference shown")
    assert [stored(e)[1] for e in captured] == [2.5, "0.50", "1,234,567", "no difference shown"]


def test_glue_with_display_shows_the_value(captured):
    d2l.glue("x", 3, display=True)
    key, value, scrapbook = stored(captured[0])
    assert key == "text/plain" and scrapbook["mime_prefix"] == ""


@pytest.mark.parametrize(
    "args, error, match",
    [
        (("acc test", 1.0), ValueError, "identifier"),
        (("acc", torch.ones(3)), TypeError, "number or a string"),
        (("acc", [1, 2]), TypeError, "number or a string"),
        (("acc", "x", ".3f"), ValueError, "cannot format"),
        (("acc", 1.0, 3), TypeError, "format spec"),
    ],
)
def test_glue_rejects_bad_input(captured, args, error, match):
    with pytest.raises(error, match=match):
        d2l.glue(*args)
    assert captured == []


def test_glue_outside_a_kernel_stores_nothing_and_still_checks():
    d2l.glue("x", 1.0, ".2f")  # no error, nothing to store into
    with pytest.raises(ValueError):
        d2l.glue("bad name", 1.0)
