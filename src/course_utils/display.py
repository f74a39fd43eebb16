"""Numbers from code into the text of a page: :func:`glue`.

The course site is built by Jupyter Book (myst-nb) from the notebooks' stored
outputs.  A code cell calls ``d2l.glue("acc_test", acc, ".3f")``; the text of
a markdown cell then says ``{glue:text}`acc_test``` and the site shows the
value that the code computed, formatted exactly as the code formatted it, so
no measured number is ever typed by hand.  Introduced in section 1.1 (and used
in every section).
"""

from __future__ import annotations

import numbers
import re
from typing import Any

__all__ = ["GLUE_MIME_PREFIX", "glue"]

#: The MIME prefix myst-nb reads glued values from (its ``glue(..., display=False)``).
GLUE_MIME_PREFIX = "application/papermill.record/"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _as_number(value: Any) -> Any:
    """A plain Python number from a NumPy or one-element torch scalar; other values unchanged."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def glue(name: str, value: Any, fmt: str | None = None, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the page's text.

    With ``fmt`` (a format spec such as ``".3f"``, ``".1%"``, ``",d"``) the
    value is formatted here, so the page shows exactly the digits the code
    chose; the markdown cell writes ``{glue:text}`name```.  Without ``fmt`` a
    number is stored as it is and the page may format it:
    ``{glue:text}`name:.2f```.  Strings are stored as they are (use them for a
    verdict such as "no difference shown").

    The output is the one myst-nb's own ``glue`` writes, so the site builds
    from the stored notebook without executing it, and the notebook does not
    need myst-nb to run (on Colab the cell shows nothing unless
    ``display=True``).  Outside a notebook kernel (a script, a doctest) the
    value is checked and nothing is stored.  Introduced in section 1.1.

    >>> glue("acc_test", 0.83349, ".3f")  # the page's {glue:text}`acc_test` shows 0.833
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(
            f"glue(): name must be an identifier such as 'acc_test' (letters, digits, _), got {name!r}."
        )
    value = _as_number(value)
    if fmt is not None:
        if not isinstance(fmt, str):
            raise TypeError(f"glue(): fmt must be a format spec string such as '.3f', got {type(fmt).__name__}.")
        try:
            text = format(value, fmt)
        except (TypeError, ValueError) as e:
            raise ValueError(f"glue(): cannot format {value!r} with {fmt!r} ({e}); pick a spec for its type.") from None
        stored: Any = text
    elif isinstance(value, (numbers.Number, str)):
        stored = value
    else:
        raise TypeError(
            f"glue(): value must be a number or a string (or give fmt), got {type(value).__name__}; "
            "convert tensors with float(...) or int(...)."
        )
    if not isinstance(display, bool):
        raise TypeError(f"glue(): display must be True or False, got {display!r}.")
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # plain Python without IPython: there is no notebook to store into
        return
    if get_ipython() is None:  # a script or a doctest, not a notebook kernel
        return
    prefix = "" if display else GLUE_MIME_PREFIX
    ipy_display({prefix + "text/plain": repr(stored)}, raw=True,
                metadata={"scrapbook": {"name": name, "mime_prefix": prefix}})
