"""Lesson first: how much code each page asks a learner to read (CONTRIBUTING.md, "Page budget").

Counts as ``../shared/tools/page_weight.py`` does, but in the project, so that a
fresh clone tests itself: over the code cells a learner sees when running the
notebook (every code cell but the setup cell and the solutions), the
non-blank lines.  The budget:

* the median page at most 120 code lines, and no page over 200;
* no code line over 88 characters, in any cell (solutions and setup included);
* the notebooks' code is formatted by ruff (``ruff format chapters``).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
MEDIAN_MAX, PAGE_MAX, LINE_MAX = 120, 200, 88


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def code_lines(path: Path) -> int:
    """Non-blank code lines a learner reads: every code cell but the first (setup) and solutions."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return sum(
        sum(1 for line in c.source.splitlines() if line.strip())
        for c in cells[1:]
        if "solution" not in c.metadata.get("tags", [])
    )


def long_lines(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [f"cell {i}: {line[:60]}..." for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for line in c.source.splitlines() if len(line) > LINE_MAX]


def test_the_counter_counts_what_a_learner_reads(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nimport sys"),  # setup: not counted
                nbformat.v4.new_markdown_cell("text\nmore"),
                nbformat.v4.new_code_cell("a = 1\n\nb = 2\n"),
                nbformat.v4.new_code_cell("x = 3", metadata={"tags": ["hide-cell", "solution"]})]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert code_lines(path) == 2


def test_page_sizes_are_within_the_budget():
    sizes = {str(p.relative_to(ROOT)): code_lines(p) for p in notebooks()}
    over = {page: n for page, n in sizes.items() if n > PAGE_MAX}
    median = statistics.median(sizes.values())
    report = "\n".join(f"{n:5d}  {page}" for page, n in sorted(sizes.items(), key=lambda kv: -kv[1]))
    assert not over and median <= MEDIAN_MAX, (
        f"page budget: median {median:.0f} code lines (at most {MEDIAN_MAX}), pages over {PAGE_MAX}: "
        f"{sorted(over)}. Move side studies into a folded 'Going further' part or course_utils "
        f"(CONTRIBUTING.md).\n{report}"
    )


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_line_is_longer_than_88_characters(path):
    long = long_lines(path)
    assert not long, f"{len(long)} code lines over {LINE_MAX} characters (they scroll sideways):\n" + "\n".join(long)


def test_the_notebooks_are_formatted_by_ruff():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is missing: it is a dev dependency (make setup installs it)"
    result = subprocess.run([ruff, "format", "--check", "chapters"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        "notebooks not formatted: run `.venv/bin/ruff format chapters` and regenerate them\n"
        + result.stdout + result.stderr
    )
