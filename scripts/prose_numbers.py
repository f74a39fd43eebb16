#!/usr/bin/env python3
"""Find measured-looking numbers typed by hand into the prose of the book's pages.

    python scripts/prose_numbers.py [PAGE ...]   # every page of the book by default

A page is a notebook (its markdown cells and figures' alt texts are read) or a
markdown page of ``_toc.yml`` (the intro, the chapters' landing pages, the
glossary...).  The status page is left out: it is generated from the report
of the regeneration command, so its numbers come from code.

Every measured number on a page must come from code (``d2l.glue`` and
``{glue:text}`name```).  This checker reads each markdown cell and each figure's
alt text, removes what may hold numbers legitimately (maths, code spans, roles
such as ``{glue:text}`` and ``{cite}``, link targets, section references,
citation years), and reports what still looks measured:

* a decimal number (``0.83``, ``3.5e-3``),
* a percentage (``88 %``),
* an integer of three or more digits (``1000``, ``60,000``).

Allowed all the same: a number that is a literal in the notebook's own code (a
hyper-parameter quoted in the text, e.g. "lr 0.03" beside ``lr = 0.03``); on a
markdown page, a literal of the code of the notebooks it introduces (a chapter's
landing page: that chapter's notebooks; other pages: all of them) and the
number of a section of the book ("3.4 and 3.5 need only 3.1"); and the short
list of dataset facts in ``ALLOWED`` below.  ``tests/test_prose_numbers.py``
runs this over every page in ``make test``.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Facts about the data sets and the course that may be typed: they are
#: definitions, not measurements, and no code cell needs to spell them out.
ALLOWED = {
    "60,000": "Fashion-MNIST training images",
    "10,000": "Fashion-MNIST test images",
    "70,000": "Fashion-MNIST images in all",
    "55,000": "Fashion-MNIST training images left after the validation split",
    "5,000": "the validation split held out of the training images",
    "784": "28 x 28 pixels of a Fashion-MNIST image",
    "255": "the largest value of an 8-bit pixel",
    "569": "examples in scikit-learn's breast-cancer table",
    "95 %": "the confidence level of every interval in the course",
}

# What is removed before numbers are looked for.
_FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_ENV_MATH = re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\\n])+\$")
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
_CODE = re.compile(r"(`+)(?:(?!\1).)+\1", re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_DIRECTIVE_LINE = re.compile(r"^\s*(:::+|```+)\{[^}]*\}.*$|^\s*:[\w-]+:.*$", re.M)
# "section 3.5", "sections 3.6-3.8", "Sections 2.1 and 2.2", "§4.2", "chapters 3-4"
_SECTION = re.compile(
    r"(?:\b[Ss]ections?|\b[Cc]hapters?|§)\s*\d+(?:\.\d+)*(?:\s*(?:-|–|,|and|or|to)\s*\d+(?:\.\d+)*)*"
)
# A year in a citation: "(1993)", "et al. 1993", "Leshno et al., 1993", "2nd edition, 2023".
_YEAR = re.compile(r"\((?:19|20)\d\d[a-z]?\)|(?<=et al\. )(?:19|20)\d\d|(?<=et al\., )(?:19|20)\d\d")
# Version numbers of software: "d2l 0.17", "torch 2.14.1", "Python 3.11".
_VERSION = re.compile(r"\b(?:d2l|torch|torchvision|Python|PyTorch|NumPy|numpy|version)\s+v?\d+(?:\.\d+)+")
_EXERCISE = re.compile(r"\*\*\s*\d+(?:\.\d+)*\s*[.)]?\s*\*\*")  # "**1.**" exercise numbers
_HEADING_NUMBER = re.compile(r"^#+\s+\d+(?:\.\d+)*", re.M)  # "# 3.5 Training with a Runner"

_CANDIDATE = re.compile(
    r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s?%)?(?![\w])"
)


@dataclass(frozen=True)
class Finding:
    notebook: str
    where: str
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.notebook} [{self.where}]: {self.number!r} in \u201c{self.context}\u201d"


def strip_prose(text: str) -> str:
    """Markdown with maths, code, roles, link targets and references removed."""
    for pattern in (_HTML_COMMENT, _FENCE, _DISPLAY_MATH, _ENV_MATH, _ROLE, _CODE, _INLINE_MATH,
                    _LINK_TARGET, _DIRECTIVE_LINE, _SECTION, _YEAR, _VERSION, _EXERCISE, _HEADING_NUMBER):
        text = pattern.sub(" ", text)
    return text


def _value(token: str) -> float | None:
    token = token.replace(",", "").replace("%", "").strip()
    try:
        return abs(float(token))
    except ValueError:
        return None


def is_measured_looking(token: str) -> bool:
    """A decimal, a percentage, or an integer of three or more digits."""
    t = token.strip()
    if t.endswith("%"):
        return True
    digits = t.replace(",", "")
    return "." in digits or "e" in digits.lower() or len(digits) >= 3


def code_literals(sources: list[str]) -> set[float]:
    """Absolute values of the numeric literals in code (also inside strings)."""
    values: set[float] = set()
    for src in sources:
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            tokens = []
        texts = [tok.string for tok in tokens if tok.type in (tokenize.NUMBER, tokenize.STRING)]
        for text in texts or [src]:
            for m in re.finditer(r"\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?", text):
                try:
                    values.add(abs(float(m.group().replace("_", ""))))
                except ValueError:
                    pass
    return values


def find_typed_numbers(text: str, literals: set[float], notebook: str = "", where: str = "") -> list[Finding]:
    """The measured-looking numbers of ``text`` that neither code nor ``ALLOWED`` explains."""
    allowed_tokens = {re.sub(r"\s+", " ", a) for a in ALLOWED}
    findings = []
    stripped = strip_prose(text)
    for m in _CANDIDATE.finditer(stripped):
        token = m.group()
        if not is_measured_looking(token):
            continue
        if re.sub(r"\s+", " ", token) in allowed_tokens:
            continue
        value = _value(token)
        if value is not None and not token.strip().endswith("%") and value in literals:
            continue
        if value is not None and token.strip().endswith("%") and value / 100 in literals:
            continue
        start, end = max(0, m.start() - 40), min(len(stripped), m.end() + 40)
        context = " ".join(stripped[start:end].split())
        findings.append(Finding(notebook, where, token, context))
    return findings


def check_notebook(path: Path) -> list[Finding]:
    nb = json.loads(path.read_text())
    cells = nb["cells"]

    def source(cell: dict) -> str:
        src = cell.get("source", "")
        return "".join(src) if isinstance(src, list) else src

    literals = code_literals([source(c) for c in cells if c["cell_type"] == "code"])
    try:
        name = str(path.resolve().relative_to(ROOT))
    except ValueError:
        name = str(path)
    findings = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown":
            findings += find_typed_numbers(source(cell), literals, name, f"cell {i}")
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        for key in ("image", "figure"):
            for field in ("alt", "caption"):
                text = mystnb.get(key, {}).get(field)
                if text:
                    findings += find_typed_numbers(text, literals, name, f"cell {i} {key} {field}")
    return findings


def chapter_notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


#: Markdown pages whose numbers come from code all the same.
GENERATED_PAGES = {"status.md": "written by scripts/status_page.py from the regeneration command's report"}

_SECTION_TITLE = re.compile(r"^#\s+(\d+\.\d+)\s", re.M)


def section_numbers() -> set[str]:
    """The numbers of the book's sections, read from the notebooks' titles ("# 3.5 Training ...")."""
    numbers = set()
    for nb in chapter_notebooks():
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                src = cell.get("source", "")
                numbers.update(_SECTION_TITLE.findall("".join(src) if isinstance(src, list) else src))
    return numbers


def book_pages() -> list[Path]:
    """Every page of the book: the markdown pages of ``_toc.yml`` (but generated ones) and every notebook."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import book

    pages = []
    for page in book.toc_pages():
        path = book.page_source(page)
        if path is not None and path.suffix == ".md" and path.name not in GENERATED_PAGES:
            pages.append(path)
    return pages + chapter_notebooks()


def check_page(path: Path) -> list[Finding]:
    """A markdown page: literals of the notebooks it introduces and section numbers are allowed."""
    path = path.resolve()
    notebooks = sorted(path.parent.glob("*.ipynb")) if path.name == "index.md" and path.parent != ROOT \
        else chapter_notebooks()
    sources = []
    for nb in notebooks:
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                src = cell.get("source", "")
                sources.append("".join(src) if isinstance(src, list) else src)
    literals = code_literals(sources) | {float(n) for n in section_numbers()}
    try:
        name = str(path.relative_to(ROOT))
    except ValueError:
        name = str(path)
    return find_typed_numbers(path.read_text(), literals, name, "page")


def check(path: Path) -> list[Finding]:
    """A notebook or a markdown page."""
    return check_notebook(path) if path.suffix == ".ipynb" else check_page(path)


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or book_pages()
    total = 0
    for path in paths:
        findings = check(path)
        total += len(findings)
        for f in findings:
            print(f)
    print(f"{total} typed measured-looking number(s) in {len(paths)} page(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
