"""The book's pages fit together: table of contents, glossary, citations, status page.

Fast checks of the sources (no build, no browser); the built site is checked
in a real browser by ``site_tests/`` (``make site-test``).

Two checks need the whole course: that every glossary term is used by some
page and that every bibliography entry is cited.  While notebooks of
``_toc.yml`` are still unwritten they are skipped, and say which are missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# {term}`gradient descent` or {term}`text <gradient descent>`
TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")
# {cite}`a`, {cite:p}`a,b`, {cite:t}`a`, ...
CITE_ROLE = re.compile(r"\{cite(?::\w+)?\}`([^`]+)`")
BIB_ENTRY = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)
CJK = re.compile(r"[\u3400-\u9fff]")


def _book():
    """scripts/book.py, the scripts' shared module (the table-of-contents walk lives there)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_book", ROOT / "scripts" / "book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BOOK = _book()


def _toc_files() -> list[str]:
    return BOOK.toc_pages()


def _source(page: str) -> Path | None:
    return BOOK.page_source(page)


def _missing_notebooks() -> list[str]:
    return [p for p in _toc_files() if p.startswith("chapters/") and not p.endswith("/index") and _source(p) is None]


def _markdown(path: Path) -> str:
    """The text a page's roles can appear in: a markdown file, or a notebook's markdown cells."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text()


def _pages() -> dict[str, str]:
    """Every existing page of the book (those of _toc.yml, and any other chapter notebook)."""
    pages = {p: _source(p) for p in _toc_files()}
    extra = [p for p in sorted((ROOT / "chapters").rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    pages.update({str(p.relative_to(ROOT).with_suffix("")): p for p in extra})
    return {name: _markdown(path) for name, path in pages.items() if path is not None}


def _normal(term: str) -> str:
    """How Sphinx matches a term: case-insensitive, whitespace collapsed."""
    return " ".join(term.split()).lower()


def _term_target(role_text: str) -> str:
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", role_text.strip())
    return _normal(match.group(2) if match else role_text)


def glossary_entries(text: str) -> list[tuple[str, str]]:
    """(term, definition) of every entry of every ```{glossary} block of a page."""
    entries = []
    for block in re.findall(r"^```\{glossary\}[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
        terms: list[str] = []
        definition: list[str] = []
        for line in block.splitlines() + [""]:
            if line.startswith(":") and not terms:
                continue  # an option of the directive, e.g. :sorted:
            if line.strip() and not line[0].isspace():
                if definition:
                    entries += [(t, " ".join(definition)) for t in terms]
                    terms, definition = [], []
                terms.append(line.strip())
            elif line.strip():
                definition.append(line.strip())
        if terms:
            entries += [(t, " ".join(definition)) for t in terms]
    return entries


@pytest.fixture(scope="module")
def glossary() -> dict[str, str]:
    entries = glossary_entries((ROOT / "glossary.md").read_text())
    return {_normal(term): definition for term, definition in entries}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return _pages()


def test_every_page_of_the_toc_exists():
    missing = [p for p in _toc_files() if _source(p) is None]
    assert not missing, "pages listed in _toc.yml but missing (.md or .ipynb):\n" + "\n".join(missing)


def test_glossary_entries_have_chinese_and_a_definition():
    entries = glossary_entries((ROOT / "glossary.md").read_text())
    assert len(entries) >= 40, f"the glossary has {len(entries)} terms; the course needs at least 40"
    terms = [_normal(t) for t, _ in entries]
    duplicates = sorted({t for t in terms if terms.count(t) > 1})
    assert not duplicates, f"terms defined twice: {duplicates}"
    malformed = [t for t, d in entries
                 if " — " not in d or not CJK.search(d.split(" — ", 1)[0]) or len(d.split(" — ", 1)[1]) < 10]
    assert not malformed, ("entries must read `中文 — one-line definition.`; these do not:\n"
                           + "\n".join(malformed))


def test_every_term_role_has_a_glossary_entry(glossary, pages):
    unknown = sorted({f"{page}: {{term}}`{text}`" for page, text in
                      ((p, m) for p, t in pages.items() for m in TERM_ROLE.findall(t))
                      if _term_target(text) not in glossary})
    assert not unknown, ("{term} roles without a glossary entry (add it to glossary.md):\n" + "\n".join(unknown))


def test_every_glossary_term_is_used(glossary, pages):
    missing = _missing_notebooks()
    if missing:
        pytest.skip(f"{len(missing)} notebooks of _toc.yml are not written yet, e.g. {missing[0]}")
    used = {_term_target(m) for page, text in pages.items() if page != "glossary" for m in TERM_ROLE.findall(text)}
    unused = sorted(set(glossary) - used)
    assert not unused, ("glossary terms that no page links with {term} (link them from the page that "
                        "teaches them, or remove them):\n" + "\n".join(unused))


def _bib_keys() -> list[str]:
    return [key for _, key in BIB_ENTRY.findall((ROOT / "references.bib").read_text())]


def test_bibliography_has_no_duplicate_keys():
    keys = _bib_keys()
    assert keys and len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_every_citation_is_in_the_bibliography(pages):
    keys = set(_bib_keys())
    unknown = sorted({f"{page}: {key.strip()}" for page, text in pages.items()
                      for group in CITE_ROLE.findall(text) for key in group.split(",")
                      if key.strip() not in keys})
    assert not unknown, "citations of keys missing from references.bib:\n" + "\n".join(unknown)


def test_every_bibliography_entry_is_cited(pages):
    missing = _missing_notebooks()
    if missing:
        pytest.skip(f"{len(missing)} notebooks of _toc.yml are not written yet, e.g. {missing[0]}")
    cited = {key.strip() for text in pages.values() for group in CITE_ROLE.findall(text) for key in group.split(",")}
    uncited = sorted(set(_bib_keys()) - cited)
    assert not uncited, ("references.bib entries no page cites (cite them where the course relies on "
                         "them, or remove them):\n" + "\n".join(uncited))


# The status page ------------------------------------------------------------

@pytest.fixture(scope="module")
def status_page(load_script):
    return load_script("status_page")


def test_status_page_is_up_to_date_with_the_report(status_page):
    report = json.loads((ROOT / "reports" / "notebooks.json").read_text())
    expected = status_page.render(report, status_page.toc_notebooks())
    assert (ROOT / "status.md").read_text() == expected, (
        "status.md does not match reports/notebooks.json: run `python scripts/status_page.py` "
        "(scripts/notebooks.py run does it for you)")


def test_report_covers_what_the_status_page_shows():
    report = json.loads((ROOT / "reports" / "notebooks.json").read_text())
    assert report["notebooks"], "the report lists no notebook"
    for row in report["notebooks"]:
        assert (ROOT / row["notebook"]).is_file(), f"the report lists {row['notebook']}, which does not exist"
        assert row["status"] in {"passed", "failed"} and row["seconds"] >= 0 and row["executed_at"], row
        versions = row.get("versions") or report["versions"]
        assert set(versions) >= {"python", "torch", "torchvision", "course_utils"}, versions


def test_status_page_renders_every_notebook_and_its_failures(status_page):
    report = {
        "generated_at": "2026-01-02T03:04:05+00:00", "command": "make regenerate", "jobs": 2,
        "kernel_env": {"OMP_NUM_THREADS": "1"}, "machine": "x86_64, 2 cores",
        "versions": {"python": "3.11.7", "torch": "2.5.0", "torchvision": "0.20.0", "course_utils": "0.1.0"},
        "notebooks": [
            {"notebook": "chapters/a/01_x.ipynb", "status": "passed", "seconds": 7.25, "error": None,
             "executed_at": "2026-01-02T03:04:05+00:00",
             "fingerprint": {"cpu_vendor": "GenuineIntel", "cpu_model": "Xeon", "machine": "x86_64",
                             "torch_cpu_capability": "AVX512", "blas": "mkl 2024.2", "python": "3.11.7",
                             "torch": "2.5.0", "numpy": "2.1.0", "kernel_settings": "OMP_NUM_THREADS=1"}},
            {"notebook": "chapters/a/02_y.ipynb", "status": "failed", "seconds": 3.0,
             "error": "\x1b[31mAssertionError\x1b[39m: loss | 0.5", "executed_at": "2026-01-01T00:00:00+00:00",
             "versions": {"python": "3.12.1", "torch": "2.6.0", "torchvision": "0.21.0", "course_utils": "0.2.0"}},
        ],
    }
    page = status_page.render(report, ["chapters/a/01_x.ipynb", "chapters/a/02_y.ipynb", "chapters/a/03_z.ipynb"])
    rows = [line for line in page.splitlines() if line.startswith("| ") and "a/0" in line]
    assert rows == [
        "| {doc}`chapters/a/01_x` | passed | 7.2 | 2026-01-02 03:04 | A |",
        "| {doc}`chapters/a/02_y` | **failed** | 3.0 | 2026-01-01 00:00 | B |",
        "| `a/03_z` | not yet run | – | – | – |",
    ]
    assert "- **A**: Python 3.11.7, torch 2.5.0, torchvision 0.20.0, course_utils 0.1.0" in page
    assert "- **B**: Python 3.12.1, torch 2.6.0, torchvision 0.21.0, course_utils 0.2.0" in page
    assert "- `chapters/a/02_y.ipynb`: `AssertionError: loss \\| 0.5`" in page, "failures are listed, ANSI-free"
    assert "`make regenerate`" in page and "x86_64, 2 cores" in page and "`OMP_NUM_THREADS=1`" in page
    assert ("- CPU vendor `GenuineIntel`; CPU model `Xeon`; architecture `x86_64`; torch CPU capability "
            "`AVX512`; BLAS `mkl 2024.2`; Python `3.11.7`; torch `2.5.0`; NumPy `2.1.0`; kernel settings "
            "`OMP_NUM_THREADS=1`") in page, "the status page shows the fingerprint of the stored outputs"
    assert page == status_page.render(report, ["chapters/a/01_x.ipynb", "chapters/a/02_y.ipynb",
                                               "chapters/a/03_z.ipynb"]), "the page is deterministic"


def test_every_chapter_notebook_is_in_the_table_of_contents():
    listed = {f"{p}.ipynb" for p in _toc_files()}
    on_disk = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "chapters").rglob("*.ipynb"))
               if ".ipynb_checkpoints" not in p.parts]
    left_out = [p for p in on_disk if p not in listed]
    assert not left_out, (
        "notebooks missing from _toc.yml (the site would leave them out; add them, and to the chapter's "
        "landing page):\n" + "\n".join(left_out)
    )


def test_the_makefile_gives_kernels_the_environment_of_the_regeneration_command():
    makefile = (ROOT / "Makefile").read_text()
    exported = dict(re.findall(r"^export (\w+) := (\S+)$", makefile, re.MULTILINE))
    assert {k: exported.get(k) for k in BOOK.KERNEL_ENV} == BOOK.KERNEL_ENV


def test_the_toc_walk_finds_nested_pages(tmp_path):
    (tmp_path / "toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n      - file: chapters/x/index\n"
        "        sections:\n          - file: chapters/x/01_a.ipynb\n  - caption: B\n    chapters:\n"
        "      - file: glossary.md\n"
    )
    assert BOOK.toc_pages(tmp_path / "toc.yml") == ["intro", "chapters/x/index", "chapters/x/01_a", "glossary"]


def test_the_api_page_documents_every_public_module():
    import pkgutil

    import course_utils

    page = (ROOT / "api.md").read_text()
    documented = set(re.findall(r"\.\. automodule:: course_utils\.(\w+)", page))
    modules = {m.name for m in pkgutil.iter_modules(course_utils.__path__) if not m.name.startswith("_")}
    assert documented == modules, f"api.md lacks {sorted(modules - documented)} / names unknown {sorted(documented - modules)}"


# The evidence page ---------------------------------------------------------------------

EVIDENCE = "00_reading_the_evidence"
STATISTICS = re.compile(r"\bd2l\.(compare_paired|t_interval|wilson_interval|mode_fraction|sign_test|holm|plot_runs)\(")


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").rglob("*.ipynb")), ids=lambda p: p.name)
def test_pages_that_use_statistics_link_to_the_evidence_page(path):
    """Statistics are explained once, on the evidence page; a page that uses them links there."""
    if path.stem == EVIDENCE:
        return
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    used = sorted(set(STATISTICS.findall(code)))
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if used:
        assert f"{{doc}}`/chapters/{EVIDENCE}`" in text or f"/chapters/{EVIDENCE}>`" in text, (
            f"{path.name} uses d2l.{', d2l.'.join(used)} but does not link to the evidence page: "
            f"write {{doc}}`/chapters/{EVIDENCE}` where the page first reports an interval")
