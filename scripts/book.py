#!/usr/bin/env python3
"""What the scripts and tests share about the book: its paths, its table of contents, the kernel environment.

One place for each, so that the regeneration command, the status page, the
site build and the tests agree:

* :data:`ROOT`, :data:`TOC`, :data:`REPORT`, :data:`STATUS_PAGE`;
* :data:`KERNEL_ENV`, the environment of every notebook kernel (the Makefile
  exports the same values; ``tests/test_book.py`` checks that they agree);
* :func:`toc_pages` (every page of ``_toc.yml`` in reading order),
  :func:`toc_notebooks` (those that are notebooks) and
  :func:`chapter_notebooks` (every notebook file under ``chapters/``, in
  reading order, then any that ``_toc.yml`` lacks).

    python scripts/book.py    # print the pages of the table of contents
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"
REPORT = ROOT / "reports" / "notebooks.json"
STATUS_PAGE = ROOT / "status.md"

#: Environment of every kernel, in the regeneration command and in the test
#: command (the Makefile exports the same): one thread per kernel makes
#: results and timings reproducible (see benchmarks/).
KERNEL_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


def _strip(file: str) -> str:
    return file.removesuffix(".ipynb").removesuffix(".md")


def toc_pages(toc: Path = TOC) -> list[str]:
    """Every page of the table of contents (the root, then each ``file`` entry), without suffix, in order."""
    import yaml

    data = yaml.safe_load(Path(toc).read_text())
    pages = [_strip(data["root"])]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(_strip(entry["file"]))
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key, []))

    walk(data.get("parts", []) + data.get("chapters", []))
    return pages


def page_source(page: str, root: Path = ROOT) -> Path | None:
    """The ``.md`` or ``.ipynb`` file of a page, or ``None`` when it is not written yet."""
    for suffix in (".md", ".ipynb"):
        if (root / f"{page}{suffix}").is_file():
            return root / f"{page}{suffix}"
    return None


def is_notebook_page(page: str, root: Path = ROOT) -> bool:
    """A page is a notebook when its ``.ipynb`` exists, or when it is a section under ``chapters/``
    (any page there but a chapter's ``index``), written or not."""
    return (root / f"{page}.ipynb").is_file() or (page.startswith("chapters/") and not page.endswith("/index"))


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """The notebooks of ``_toc.yml``, as paths relative to the root (``chapters/.../x.ipynb``), in order."""
    return [f"{page}.ipynb" for page in toc_pages(root / "_toc.yml") if is_notebook_page(page, root)]


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook file under ``chapters/``: those of ``_toc.yml`` in reading order, then any others."""
    ordered = [root / nb for nb in toc_notebooks(root) if (root / nb).is_file()]
    others = [p for p in sorted((root / "chapters").rglob("*.ipynb"))
              if p not in ordered and ".ipynb_checkpoints" not in p.parts]
    return ordered + others


if __name__ == "__main__":
    print("\n".join(toc_pages()))
    sys.exit(0)
