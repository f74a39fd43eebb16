#!/usr/bin/env python3
"""The Chinese edition: one source, translated with Sphinx's gettext catalogues.

    python scripts/i18n.py update    # refresh the catalogues from the English pages (after changing prose)
    python scripts/i18n.py check     # every message translated, none fuzzy, every catalogue current
    python scripts/i18n.py build     # the Chinese site into _build/html/zh (make book runs it)
    python scripts/i18n.py stats     # messages per page and per chapter
    python scripts/i18n.py pot DIR   # only the message templates (.pot) of every page, into DIR

The English pages are the source.  ``sphinx-build -b gettext`` extracts their
translatable text (prose, headings, admonitions, captions, alt texts, glossary
definitions, the API page's docstrings) into one template per page;
``sphinx-intl update`` merges each template into the page's catalogue
``locales/zh_CN/LC_MESSAGES/<page>.po``, which holds the Chinese text.  The
Chinese site is then built from the *same* notebooks and pages with
``-D language=zh_CN``: code, stored outputs, figures and glued numbers are
shared, never copied.

Jupyter Book 1.x cannot pass ``-D language`` (jupyter-book #1791), so this
script generates the Sphinx configuration from ``_config.yml`` with
``jupyter-book config sphinx`` into ``_build/i18n/conf/`` and adds the
settings of the Chinese edition (:data:`I18N_SETTINGS`).

Messages that hold nothing to translate (a formula, a code span, a number)
are filled with their own text by ``update``.  The status page is left out:
it is generated from the regeneration command's report, and the Chinese
edition renders it in Chinese from that report (``_ext/course_site.py``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import ROOT, page_source, toc_pages  # noqa: E402  (the scripts' shared module)

LANGUAGE = "zh_CN"
LOCALES = ROOT / "locales"
CATALOGUES = LOCALES / LANGUAGE / "LC_MESSAGES"
BUILD = ROOT / "_build"
CONF_DIR = BUILD / "i18n" / "conf"
POT_DIR = BUILD / "i18n" / "gettext"
HTML_ZH = BUILD / "html" / "zh"
#: Pages whose Chinese text is not kept in a catalogue (see the module docstring).
UNTRANSLATED_PAGES = {"status": "generated from reports/notebooks.json; rendered in Chinese by _ext/course_site.py"}
#: The title of the Chinese site (a configuration value, not a message).
TITLE_ZH = "PyTorch 基础"

I18N_SETTINGS = f'''
# --- added by scripts/i18n.py: the Chinese edition -------------------------------------------
import sys as _sys
_sys.path.insert(0, {str(ROOT / "_ext")!r})  # local_extensions of _config.yml
locale_dirs = [{str(LOCALES)!r}]
gettext_compact = False      # one catalogue per page
gettext_uuid = False
gettext_location = False     # no line numbers: a catalogue changes only when its text does
gettext_last_translator = "PyTorch foundations course authors"
bibtex_bibfiles = [{str(ROOT / "references.bib")!r}]
# A translated {{term}} role keeps its English target (the glossary's terms are English);
# Sphinx compares the rendered text of references and warns. The browser test proves the
# glossary links of the Chinese pages resolve.
suppress_warnings = list(globals().get("suppress_warnings", [])) + ["i18n.inconsistent_references"]
'''


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=True, **kwargs)


def _bin(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def write_conf() -> Path:
    """The Sphinx configuration of the book (from ``_config.yml``) plus :data:`I18N_SETTINGS`."""
    CONF_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # `jupyter-book config sphinx PATH` writes PATH/conf.py: give it a copy of the config only.
        for name in ("_config.yml", "_toc.yml"):
            shutil.copy(ROOT / name, Path(tmp) / name)
        _run([_bin("jupyter-book"), "config", "sphinx", tmp], stdout=subprocess.DEVNULL)
        conf = (Path(tmp) / "conf.py").read_text()
    (CONF_DIR / "conf.py").write_text(conf + I18N_SETTINGS + _only_toc_pages())
    return CONF_DIR


def _only_toc_pages() -> str:
    """Sphinx reads the pages of ``_toc.yml`` and nothing else.

    ``only_build_toc_files`` of ``_config.yml`` does this for ``jupyter-book
    build``, but ``jupyter-book config sphinx`` runs in a folder that holds only
    the configuration, so its exclusions know none of the checkout's other files
    (a second virtual environment's READMEs, a maintainer's notes).
    """
    sources = [str(page_source(page).relative_to(ROOT)) for page in toc_pages() if page_source(page)]
    return f"\n# Only the pages of _toc.yml (see scripts/i18n.py, _only_toc_pages).\ninclude_patterns = {sources!r}\n"


def templates(out: Path = POT_DIR) -> Path:
    """Extract every page's messages into ``out/<page>.pot`` (a fresh folder)."""
    write_conf()
    if out.exists():
        shutil.rmtree(out)
    _run([_bin("sphinx-build"), "-b", "gettext", "-q", "-c", str(CONF_DIR), "-d", str(BUILD / "i18n" / "doctrees-gettext"),
          ".", str(out)])
    for page in UNTRANSLATED_PAGES:
        (out / f"{page}.pot").unlink(missing_ok=True)
    shutil.rmtree(out / "_static", ignore_errors=True)
    return out


def _catalogue_pages(directory: Path, suffix: str) -> dict[str, Path]:
    return {str(p.relative_to(directory).with_suffix("")): p for p in sorted(directory.rglob(f"*{suffix}"))}


# Text that needs no translation: maths, code spans, roles, numbers, punctuation.
_NOTHING_TO_TRANSLATE = [
    re.compile(r"\{[\w:.-]+\}`[^`]*`"), re.compile(r"\$\$.*?\$\$", re.S), re.compile(r"\$[^$]+\$"),
    re.compile(r"`[^`]*`"), re.compile(r"\\begin\{.*?\\end\{[^}]*\}", re.S),
]


def needs_translation(msgid: str) -> bool:
    """Whether a message holds words to translate (a formula or a code span alone does not)."""
    text = msgid
    for pattern in _NOTHING_TO_TRANSLATE:
        text = pattern.sub(" ", text)
    return bool(re.search(r"[A-Za-z]{2,}", text))


def _load(path: Path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as f:
        return read_po(f, locale=LANGUAGE)


def _save(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    with open(path, "wb") as f:
        write_po(f, catalog, width=0, omit_header=False, sort_output=False, include_previous=True)


def glossary_terms(text: str) -> set[str]:
    """The terms of every ```{glossary} block of a page (the lines that start at column 0)."""
    terms = set()
    for block in re.findall(r"^```\{glossary\}[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        terms.update(line.strip() for line in block.splitlines() if line.strip() and not line[0].isspace()
                     and not line.startswith(":"))
    return terms


def fill_untranslatable(path: Path, keep: set[str] = frozenset()) -> int:
    """Give every message without words, and every message in ``keep``, its own text as translation.

    ``keep`` holds the glossary's English terms: they stay English in the Chinese
    edition (the Chinese name opens each definition), so that every ``{term}``
    role, whose target is the English term, still finds its entry.  Returns how
    many messages were filled.
    """
    catalog = _load(path)
    filled = 0
    for message in catalog:
        if message.id and not message.string and (not needs_translation(message.id) or message.id in keep):
            message.string = message.id
            filled += 1
    if filled:
        _save(catalog, path)
    return filled


def update() -> int:
    pot = templates()
    CATALOGUES.mkdir(parents=True, exist_ok=True)
    _run([_bin("sphinx-intl"), "update", "-p", str(pot), "-d", str(LOCALES), "-l", LANGUAGE, "-w", "0"],
         stdout=subprocess.DEVNULL)
    # A page that no longer exists leaves its catalogue behind: remove it.
    current = _catalogue_pages(pot, ".pot")
    for page, path in _catalogue_pages(CATALOGUES, ".po").items():
        if page not in current:
            path.unlink()
            print(f"removed the catalogue of a page that is gone: {path.relative_to(ROOT)}")
    terms = glossary_terms((ROOT / "glossary.md").read_text())
    filled = sum(fill_untranslatable(p, terms if page == "glossary" else frozenset())
                 for page, p in _catalogue_pages(CATALOGUES, ".po").items())
    problems = check(pot, quiet=True)
    print(f"catalogues updated in {CATALOGUES.relative_to(ROOT)} ({filled} messages without words filled); "
          f"{len(problems)} problem(s) left to fix:")
    for problem in problems:
        print("  " + problem)
    return 0


def check(pot: Path | None = None, quiet: bool = False, catalogue_dir: Path = CATALOGUES) -> list[str]:
    """Every page's catalogue exists, holds exactly the page's messages, all translated, none fuzzy.

    ``pot`` holds the templates to compare with; by default they are extracted
    afresh from the English pages into a temporary folder.
    """
    pot = pot or templates(Path(tempfile.mkdtemp(prefix="course-pot-")))
    problems = []
    templates_ = _catalogue_pages(pot, ".pot")
    catalogues = _catalogue_pages(catalogue_dir, ".po")
    for page in sorted(set(catalogues) - set(templates_)):
        problems.append(f"{page}.po: no such page any more (python scripts/i18n.py update removes it)")
    for page, template_path in templates_.items():
        if page not in catalogues:
            problems.append(f"{page}.po: missing (python scripts/i18n.py update creates it)")
            continue
        wanted = {m.id for m in _load(template_path) if m.id}
        catalog = _load(catalogues[page])
        have = {m.id for m in catalog if m.id}
        stale, new = have - wanted, wanted - have
        if stale or new:
            problems.append(f"{page}.po: out of date with the page ({len(new)} new or changed English "
                            f"message(s), {len(stale)} obsolete); run python scripts/i18n.py update")
        untranslated = [m.id for m in catalog if m.id and not m.string]
        fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
        if untranslated:
            problems.append(f"{page}.po: {len(untranslated)} untranslated, e.g. {untranslated[0][:70]!r}")
        if fuzzy:
            problems.append(f"{page}.po: {len(fuzzy)} fuzzy (check the translation, then remove the flag), "
                            f"e.g. {fuzzy[0][:70]!r}")
    if not quiet:
        for problem in problems:
            print(problem)
        print(f"{len(templates_)} pages, {len(problems)} problem(s)")
    return problems


def build(extra: list[str] | None = None) -> int:
    """The Chinese site, from the same sources, into _build/html/zh (warnings are errors)."""
    write_conf()
    # -E: read every page afresh (the environment does not notice a changed extension or catalogue).
    cmd = [_bin("sphinx-build"), "-b", "html", "-E", "-W", "--keep-going", "-q", "-c", str(CONF_DIR),
           "-d", str(BUILD / "i18n" / "doctrees-zh"), "-D", f"language={LANGUAGE}", "-D", f"html_title={TITLE_ZH}",
           ".", str(HTML_ZH), *(extra or [])]
    return subprocess.run(cmd, cwd=ROOT).returncode


def stats() -> dict[str, dict[str, int]]:
    """Messages (and words of English source) per page, all of them translated when ``check`` passes."""
    rows = {}
    for page, path in _catalogue_pages(CATALOGUES, ".po").items():
        catalog = _load(path)
        messages = [m for m in catalog if m.id]
        rows[page] = {"messages": len(messages),
                      "translated": sum(bool(m.string) and not m.fuzzy for m in messages),
                      "words": sum(len(re.findall(r"[A-Za-z]+", m.id)) for m in messages)}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="refresh the catalogues from the English pages")
    sub.add_parser("check", help="fail if a message is untranslated or fuzzy or a catalogue out of date")
    sub.add_parser("build", help="build the Chinese site into _build/html/zh")
    sub.add_parser("stats", help="messages per page and per chapter")
    p_pot = sub.add_parser("pot", help="write the message templates into a folder")
    p_pot.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "update":
        return update()
    if args.command == "check":
        return 1 if check() else 0
    if args.command == "build":
        return build()
    if args.command == "pot":
        templates(args.out.resolve())
        return 0
    rows = stats()
    chapters: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for page, row in rows.items():
        key = page.split("/")[1] if page.startswith("chapters/") and page.count("/") > 1 else "other pages"
        chapters[key][0] += row["messages"]
        chapters[key][1] += row["translated"]
        chapters[key][2] += row["words"]
        print(f"{row['messages']:5d} messages {row['translated']:5d} translated {row['words']:6d} words  {page}")
    for key, (m, t, w) in sorted(chapters.items()):
        print(f"{key:32s} {m:5d} messages, {t:5d} translated, {w:6d} English words")
    return 0


if __name__ == "__main__":
    sys.exit(main())
