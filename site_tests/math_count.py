"""Count the formulas in a page's *source*, the way MyST parses it.

The browser test compares this number with the formulas MathJax rendered on
the page, so it must not be read from the built HTML (which would only check
Sphinx against itself).  The source of every page is the copy the build keeps
in ``_sources/`` (a ``.md`` file, or a notebook whose markdown cells count).

It parses the markdown with MyST's own markdown-it parser and the extensions
of ``_config.yml`` (``dollarmath``, ``amsmath``, ...), and counts

* ``$...$``, ``$$...$$`` (with or without a label) and amsmath environments;
* ``{math}`` roles and ``{math}`` directives;
* inside directives whose body is markdown (``{note}``, ``{warning}``,
  ``{glossary}``, ...) the same, recursively; code blocks and code cells count 0;
* notebook outputs shown as LaTeX (``text/latex`` without an HTML or image form).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

MATH_TOKENS = {"math_inline", "math_inline_double", "math_block", "math_block_label",
               "math_block_eqno", "amsmath"}
#: Directives whose body is not markdown (or holds no formulas).
NOT_MARKDOWN = {"code", "code-block", "code-cell", "sourcecode", "literalinclude", "raw",
                "eval-rst", "bibliography", "tableofcontents", "toctree", "mermaid", "csv-table"}
_DIRECTIVE = re.compile(r"^\{([a-zA-Z0-9_:-]+)\}")
_OPTION = re.compile(r"^:[a-zA-Z0-9_-]+:.*$")


def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", []))
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


_MD = None


def count_markdown(text: str) -> int:
    """Formulas in one piece of MyST markdown."""
    global _MD
    if _MD is None:
        _MD = _parser()
    return _count_tokens(_MD.parse(text))


def _directive_body(content: str) -> str:
    lines = content.splitlines()
    # Options: a YAML block between --- lines, or :name: value lines, at the top.
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        lines = lines[end + 1:]
    while lines and _OPTION.match(lines[0].strip()):
        lines = lines[1:]
    return "\n".join(lines)


def _count_tokens(tokens) -> int:
    total = 0
    for token in tokens:
        if token.type in MATH_TOKENS:
            total += 1
        elif token.type == "myst_role" and token.meta.get("name") == "math":
            total += 1
        elif token.type in ("fence", "colon_fence"):
            match = _DIRECTIVE.match(token.info.strip())
            if match:
                name = match.group(1)
                if name == "math":
                    total += 1
                elif name not in NOT_MARKDOWN:
                    total += count_markdown(_directive_body(token.content))
        if token.children:
            total += _count_tokens(token.children)
    return total


def count_notebook(notebook: dict) -> int:
    total = 0
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            total += count_markdown("".join(cell.get("source", "")))
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/latex" in data and not any(k in data for k in ("text/html", "image/png", "image/svg+xml")):
                total += 1
            elif "text/markdown" in data and "text/html" not in data:
                total += count_markdown("".join(data["text/markdown"]))
    return total


def count_source(path: Path) -> int:
    """Formulas in a page's source: a MyST ``.md`` file or a notebook."""
    if path.suffix == ".ipynb":
        return count_notebook(json.loads(path.read_text(encoding="utf-8")))
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # front matter
        end = text.find("\n---", 4)
        text = text[end + 4:] if end > 0 else text
    return count_markdown(text)


def page_source(html_dir: Path, page: str) -> Path | None:
    """The copy of a page's source that the build keeps in ``_sources/``."""
    for suffix in (".ipynb", ".md"):
        candidate = html_dir / "_sources" / f"{page}{suffix}"
        if candidate.is_file():
            return candidate
        # Sphinx appends .txt to sources whose suffix it does not keep.
        candidate = candidate.with_name(candidate.name + ".txt")
        if candidate.is_file():
            return candidate
    return None
