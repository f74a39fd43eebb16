"""Compare notebook outputs portably: text exactly, numbers within a declared tolerance.

A pytest plugin on top of nbval, loaded by the repository's root ``conftest.py``,
so that the test command stays ``pytest --nbval``.  nbval runs every cell and
compares its outputs with the stored ones byte for byte.  That comparison is
right on the machine that produced the outputs and wrong elsewhere: another
CPU (other vectorised kernels, another BLAS code path) computes the same
training run with different last bits, and a printed accuracy moves in its
last digit although nothing in the course changed.  So:

* **Claims stay strict everywhere.**  Every cell runs, every ``assert`` must
  hold and an unexpected exception fails, exactly as with nbval.
* **Where the platform matches, outputs are compared exactly.**  The
  regeneration command stores a *fingerprint* of the machine with the outputs
  (``reports/notebooks.json``, see ``scripts/book.py``'s ``fingerprint``).  On a
  machine with the same fingerprint this plugin keeps nbval's exact comparison.
* **Elsewhere, numbers are compared within a tolerance.**  Outputs are split
  into text and numbers.  The text (words, labels, shapes, punctuation; runs
  of spaces count as one) must be equal.  An integer must be equal.  A
  decimal number (one with a point or an exponent) may differ by one unit in
  its last printed digit: round-off, nothing more.  A cell whose numbers
  depend on training declares a wider tolerance in its metadata::

      "tolerance": {"abs": 0.01, "rel": 0.0, "int": 3,
                    "reason": "validation accuracy after 10 epochs of SGD"}

  A decimal then matches when ``|new - stored| <= max(unit, abs + rel * |stored|)``
  and an integer when ``|new - stored| <= int + int_rel * |stored|``.  The
  ``reason`` is required.  The same rule applies to every text output of the
  cell, glued values included; images are not compared (as with nbval).

``--nbval-compare=exact`` or ``=tolerant`` forces one mode for every
notebook (the default, ``auto``, decides per notebook by fingerprint).  At the
end of the session the plugin prints, per notebook, which mode it used, and
every cell that ran under a declared tolerance with its width and the largest
deviation it allowed.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book  # noqa: E402  (the scripts' shared module: paths and the fingerprint)

#: A number as printed: optional sign, digits (with thousands separators), an
#: optional fraction and exponent.  Digits inside a word (fc3, float32, x2) are text.
NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w])"
)
TOLERANCE_KEYS = {"abs", "rel", "int", "int_rel", "reason"}
PROPERTY = "nbcompare"


class ToleranceError(ValueError):
    """A cell's ``tolerance`` metadata is malformed."""


@dataclass(frozen=True)
class Tolerance:
    """How far a fresh number may lie from the stored one (see the module docstring)."""

    abs: float = 0.0
    rel: float = 0.0
    int: float = 0.0
    int_rel: float = 0.0
    reason: str = ""

    @property
    def declared(self) -> bool:
        return bool(self.reason)

    def describe(self) -> str:
        parts = [f"{k} {getattr(self, k):g}" for k in ("abs", "rel", "int", "int_rel") if getattr(self, k)]
        return ", ".join(parts) or "round-off only"


def tolerance_of(metadata: dict) -> Tolerance:
    """The cell's declared tolerance, or the default (round-off only); malformed metadata raises."""
    spec = metadata.get("tolerance")
    if spec is None:
        return Tolerance()
    if not isinstance(spec, dict):
        raise ToleranceError(f"'tolerance' must be a mapping such as {{'abs': 0.01, 'reason': '...'}}, got {spec!r}")
    unknown = set(spec) - TOLERANCE_KEYS
    if unknown:
        raise ToleranceError(f"'tolerance' has unknown keys {sorted(unknown)}; allowed: {sorted(TOLERANCE_KEYS)}")
    reason = spec.get("reason")
    if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
        raise ToleranceError("'tolerance' needs a 'reason': one line saying why these numbers vary across machines")
    values = {}
    for key in ("abs", "rel", "int", "int_rel"):
        v = spec.get(key, 0.0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ToleranceError(f"'tolerance': {key} must be a number >= 0, got {v!r}")
        values[key] = float(v)
    if not any(values.values()):
        raise ToleranceError("'tolerance' declares no width: give abs, rel, int or int_rel")
    return Tolerance(reason=reason.strip(), **values)


def _tokens(text: str) -> list[str]:
    """Alternating text and number tokens: [text, number, text, ..., text]."""
    parts: list[str] = []
    last = 0
    for m in NUMBER.finditer(text):
        parts.append(text[last:m.start()])
        parts.append(m.group())
        last = m.end()
    parts.append(text[last:])
    return parts


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def _is_integer(token: str) -> bool:
    return not any(c in token for c in ".eE")


def _unit(token: str) -> float:
    """One unit in the last printed digit: 0.001 for '0.826', 1e-06 for '8.2e-05'."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def _squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text)


@dataclass
class Mismatch:
    """Why two outputs differ under the tolerance: a text difference or a number out of range."""

    message: str


def compare_text(stored: str, fresh: str, tol: Tolerance) -> tuple[Mismatch | None, float]:
    """Compare one output; return (mismatch or None, largest deviation / allowed width among numbers)."""
    a, b = _tokens(stored), _tokens(fresh)
    if len(a) != len(b):
        return Mismatch(f"the outputs hold different numbers of numbers ({len(a) // 2} stored, {len(b) // 2} now)"), 0.0
    worst = 0.0
    for i, (x, y) in enumerate(zip(a, b)):
        if i % 2 == 0:
            if _squash(x) != _squash(y):
                return Mismatch(f"text differs: stored {x.strip()[:80]!r}, now {y.strip()[:80]!r}"), worst
            continue
        if x == y:
            continue
        vx, vy = _value(x), _value(y)
        if _is_integer(x) and _is_integer(y):
            allowed = tol.int + tol.int_rel * abs(vx)
            kind = "integer"
        else:
            allowed = max(_unit(x), _unit(y), tol.abs + tol.rel * abs(vx))
            kind = "number"
        gap = abs(vx - vy)
        if gap > allowed * (1 + 1e-9):
            where = "declared tolerance " + tol.describe() if tol.declared else "no tolerance declared"
            return Mismatch(f"{kind} {x} is now {y}: off by {gap:.3g}, allowed {allowed:.3g} ({where})"), worst
        if allowed > 0:
            worst = max(worst, gap / allowed)
    return None, worst


def _flatten(cell: Any, outputs: list, skip: tuple) -> dict[str, list]:
    """nbval's view of outputs: stream text joined per stream, data flattened by MIME type."""
    from nbval.plugin import transform_streams_for_comparison

    flat: dict[str, list] = {}
    for output in transform_streams_for_comparison(outputs):
        for key in output.keys():
            if key in skip:
                continue
            if key == "data":
                for mime, value in output[key].items():
                    if mime not in skip:
                        flat.setdefault(mime, []).append(cell.sanitize(value))
            else:
                flat.setdefault(key, []).append(cell.sanitize(output[key]))
    return flat


def compare_outputs(cell: Any, fresh: list, stored: list, skip: tuple, tol: Tolerance) -> tuple[list[str], float]:
    """Compare all outputs of a cell under ``tol``; return (problems, worst deviation ratio)."""
    a, b = _flatten(cell, stored, skip), _flatten(cell, fresh, skip)
    if set(a) != set(b):
        return [f"output kinds differ: stored {sorted(a)}, now {sorted(b)}"], 0.0
    worst = 0.0
    for key in a:
        if len(a[key]) != len(b[key]):
            return [f"{len(a[key])} stored outputs of kind {key!r}, now {len(b[key])}"], worst
        for x, y in zip(a[key], b[key]):
            if isinstance(x, str) and isinstance(y, str):
                mismatch, ratio = compare_text(x, y, tol)
                if mismatch:
                    return [f"{key}: {mismatch.message}", f"  stored: {x.strip()[:300]}", f"  now:    {y.strip()[:300]}"], worst
                worst = max(worst, ratio)
            elif x != y:
                return [f"{key}: the outputs differ"], worst
    return [], worst


# --- the pytest side --------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("nbval").addoption(
        "--nbval-compare", choices=("auto", "exact", "tolerant"), default="auto",
        help="how outputs are compared: exact (nbval's byte comparison), tolerant (numbers within the "
             "declared tolerance), auto (exact where the machine's fingerprint matches the one stored "
             "with the outputs in reports/notebooks.json, tolerant elsewhere; the default)")


def _stored_fingerprints(root: Path) -> dict[str, dict]:
    try:
        report = json.loads((root / "reports" / "notebooks.json").read_text())
    except (OSError, ValueError):
        return {}
    return {row["notebook"]: row.get("fingerprint") for row in report.get("notebooks", [])}


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(config.option, "nbval", False):
        return
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell, "_nbcompare_original", None) is None:
        IPyNbCell._nbcompare_original = IPyNbCell.compare_outputs
        IPyNbCell.compare_outputs = _compare_outputs
    config._nbcompare = {"mode": config.option.nbval_compare, "current": None, "stored": None}


def _state(config: pytest.Config) -> dict:
    state = config._nbcompare
    if state["current"] is None:
        state["current"] = book.fingerprint()
        state["stored"] = _stored_fingerprints(Path(str(config.rootpath)))
    return state


def _mode(cell: Any) -> tuple[str, str]:
    """('exact' | 'tolerant', why) for the notebook of ``cell``."""
    state = _state(cell.config)
    if state["mode"] != "auto":
        return state["mode"], f"--nbval-compare={state['mode']}"
    path, root = Path(str(cell.fspath)).resolve(), Path(str(cell.config.rootpath)).resolve()
    stored = state["stored"].get(str(path.relative_to(root))) if path.is_relative_to(root) else None
    if not stored:
        return "tolerant", "no fingerprint stored with the outputs"
    differs = sorted(k for k in set(stored) | set(state["current"]) if stored.get(k) != state["current"].get(k))
    if not differs:
        return "exact", "the machine's fingerprint matches the stored one"
    return "tolerant", "fingerprint differs in " + ", ".join(differs)


def _compare_outputs(self: Any, test: list, ref: list, skip_compare: Any = None) -> bool:
    """nbval's IPyNbCell.compare_outputs, with the rules of this module."""
    skip = skip_compare or self.parent.skip_compare
    try:
        tol = tolerance_of(self.cell.metadata)
    except ToleranceError as e:
        self.comparison_traceback = [f"cell metadata: {e}"]
        return False
    mode, why = _mode(self)
    exact = IPyNbCell_original(self, test, ref, skip_compare)
    record = {"mode": mode, "why": why, "declared": tol.declared, "tolerance": tol.describe(),
              "reason": tol.reason, "identical": exact, "worst": 0.0}
    if exact:
        self.user_properties.append((PROPERTY, record))
        return True
    problems, worst = compare_outputs(self, test, ref, skip, tol)
    record["worst"] = worst
    self.user_properties.append((PROPERTY, record))
    if mode == "exact":
        self.comparison_traceback.append(
            f"Outputs are compared exactly here ({why}). Within the cell's tolerance "
            f"({tol.describe()}) they would " + ("match." if not problems else "differ too: " + problems[0]))
        return False
    if problems:
        self.comparison_traceback = [f"Outputs differ beyond the tolerance ({why}):", *problems]
        return False
    return True


def IPyNbCell_original(cell: Any, test: list, ref: list, skip_compare: Any) -> bool:
    from nbval.plugin import IPyNbCell

    return IPyNbCell._nbcompare_original(cell, test, ref, skip_compare)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not getattr(config.option, "nbval", False):
        return
    notebooks: dict[str, dict] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, record in getattr(report, "user_properties", []) or []:
                if name != PROPERTY or getattr(report, "when", "call") != "call":
                    continue
                path, _, cell = report.nodeid.partition("::")
                nb = notebooks.setdefault(path, {"mode": record["mode"], "why": record["why"], "cells": []})
                nb["cells"].append((cell, record, report.outcome))
    if not notebooks:
        return
    write = terminalreporter.write_line
    terminalreporter.section("notebook outputs: how they were compared (scripts/nbcompare.py)")
    for path in sorted(notebooks):
        nb = notebooks[path]
        cells = nb["cells"]
        near = sum(1 for _, r, _ in cells if not r["identical"])
        write(f"{path}: {nb['mode']} ({nb['why']}); {len(cells)} cells compared, "
              f"{len(cells) - near} identical, {near} not byte-identical")
        for cell, r, outcome in sorted(cells, key=lambda c: int(c[0].split()[-1])):
            if r["declared"] or not r["identical"]:
                status = "identical" if r["identical"] else (
                    f"largest deviation {r['worst']:.0%} of the allowed width" if outcome == "passed" else "FAILED")
                label = f"declared tolerance {r['tolerance']}" if r["declared"] else "round-off only"
                if r["mode"] == "exact":
                    label += " (not applied: compared exactly)"
                write(f"    {cell}: {label}; {status}" + (f" — {r['reason']}" if r["reason"] else ""))
