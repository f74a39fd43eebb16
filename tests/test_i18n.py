"""The Chinese edition's catalogues: complete, current with the English pages, consistent with the glossary.

``scripts/i18n.py`` keeps one gettext catalogue per page under
``locales/zh_CN/LC_MESSAGES``.  A change to English prose changes a message
id, so the catalogue of that page no longer matches a fresh extraction and
``test_every_catalogue_is_complete_and_current`` fails until the translation
is updated (CONTRIBUTING.md, "The Chinese edition", says how).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import i18n  # noqa: E402

TERM_ROLE = re.compile(r"\{term\}`([^`]+)`")


def _write(path: Path, entries: list[tuple[str, str, bool]]) -> None:
    """A minimal .po/.pot file: (msgid, msgstr, fuzzy) entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for msgid, msgstr, fuzzy in entries:
        lines += (["#, fuzzy"] if fuzzy else []) + [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def test_the_check_fails_on_a_changed_sentence_an_untranslated_and_a_fuzzy_message(tmp_path):
    pot, po = tmp_path / "pot", tmp_path / "po"
    _write(pot / "page.pot", [("The loss falls.", "", False), ("A second sentence.", "", False)])
    _write(po / "page.po", [("The loss falls.", "损失下降。", False), ("A second sentence.", "第二句。", False)])
    assert i18n.check(pot, quiet=True, catalogue_dir=po) == []
    # The English sentence changes: the catalogue is out of date until it is updated.
    _write(pot / "page.pot", [("The loss falls quickly.", "", False), ("A second sentence.", "", False)])
    problems = i18n.check(pot, quiet=True, catalogue_dir=po)
    assert len(problems) == 1 and "out of date" in problems[0] and "1 new or changed" in problems[0]
    _write(po / "page.po", [("The loss falls quickly.", "", False), ("A second sentence.", "第二句。", True)])
    problems = i18n.check(pot, quiet=True, catalogue_dir=po)
    assert any("1 untranslated" in p for p in problems) and any("1 fuzzy" in p for p in problems)
    # A page without a catalogue, and a catalogue without a page.
    _write(pot / "new.pot", [("Hello.", "", False)])
    _write(po / "gone.po", [("Bye.", "再见。", False)])
    problems = i18n.check(pot, quiet=True, catalogue_dir=po)
    assert any(p.startswith("new.po: missing") for p in problems)
    assert any(p.startswith("gone.po: no such page") for p in problems)


@pytest.mark.parametrize("msgid, needs", [
    ("The loss falls.", True),
    ("$\\sigma(x) = 1 / (1 + e^{-x})$", False),
    ("`nn.Linear(784, 10)`", False),
    ("{glue:text}`acc_test`", False),
    ("{term}`softmax`", False),
    ("0.5", False),
    ("See {doc}`/status` for details.", True),
])
def test_only_messages_with_words_need_a_translation(msgid, needs):
    assert i18n.needs_translation(msgid) is needs


def glossary_chinese() -> dict[str, list[str]]:
    """English term (lower case) -> its Chinese names in glossary.md (alternatives split)."""
    from test_book import glossary_entries  # the glossary parser of the book's tests

    names = {}
    for term, definition in glossary_entries((ROOT / "glossary.md").read_text()):
        chinese = definition.split(" — ", 1)[0]
        names[" ".join(term.split()).lower()] = [n.strip() for n in re.split(r"[/（）()]", chinese) if n.strip()]
    return names


def _target(role_text: str) -> str:
    match = re.fullmatch(r"(?s)(.*?)\s*<([^<>]+)>", role_text.strip())
    return " ".join((match.group(2) if match else role_text).split()).lower()


def test_translations_use_the_glossary_s_chinese_terms():
    """Where a message's English links a glossary term, its translation names the term in the
    glossary's Chinese (the glossary's Chinese column is the term list)."""
    from babel.messages.pofile import read_po

    chinese = glossary_chinese()
    checked, problems = 0, []
    for path in sorted(i18n.CATALOGUES.rglob("*.po")):
        with open(path, "rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id or not message.string:
                continue
            for role in TERM_ROLE.findall(message.id):
                names = chinese.get(_target(role))
                if not names:
                    continue  # an unknown term is test_book's business
                checked += 1
                if not any(name.lower() in message.string.lower() for name in names):
                    problems.append(f"{path.relative_to(i18n.CATALOGUES)}: '{role}' should read "
                                    f"{' or '.join(names)} in: {message.string[:80]}")
    assert not problems, "\n".join(problems)
    assert checked > 0 or not any(i18n.CATALOGUES.rglob("*.po")), "no glossary term was checked"
    print(f"{checked} glossary terms in translated messages use the glossary's Chinese")


def test_every_catalogue_is_complete_and_current():
    problems = i18n.check(quiet=True)
    assert not problems, ("the Chinese catalogues do not match the English pages (CONTRIBUTING.md, "
                          "'The Chinese edition'):\n" + "\n".join(problems))


ROLE = re.compile(r"\{([\w:.-]+)\}`([^`]*)`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
CODE = re.compile(r"(?<!`)`[^`{}]+`(?!`)")


RST_ROLE = re.compile(r":(\w+(?::\w+)?):`([^`]*)`")


def _kept(text: str, code: bool = True) -> tuple[list, list, list]:
    """What a translation must keep exactly: roles (a {term}'s target only), maths, code spans.

    The API page's messages are docstrings in reStructuredText, while Sphinx parses a translated
    message with the page's parser (MyST): there a translation writes ``:func:`x``` as
    ``{func}`x```, which counts as the same role, and its literals in MyST's backticks, so code
    spans are compared on the other pages only (``code=False``).
    """
    text = RST_ROLE.sub(r"{\1}`\2`", text)
    roles = sorted((kind, _target(body) if kind == "term" else body) for kind, body in ROLE.findall(text))
    rest = ROLE.sub(" ", text)
    spans = sorted(CODE.findall(MATH.sub(" ", rest))) if code else []
    return roles, sorted(MATH.findall(rest)), spans


def _stray_asterisks(text: str) -> int:
    """Asterisks CommonMark leaves as text (an unclosed bold or italic), maths excluded."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark").use(dollarmath_plugin)
    return sum(child.content.count("*") for token in md.parse(text) for child in token.children or []
               if child.type == "text")


def _translated_messages():
    from babel.messages.pofile import read_po

    for path in sorted(i18n.CATALOGUES.rglob("*.po")):
        with open(path, "rb") as f:
            for message in read_po(f):
                if message.id and message.string and message.string != message.id:
                    yield path.relative_to(i18n.CATALOGUES), message


def test_translations_keep_glue_roles_maths_and_code_and_render_their_emphasis():
    problems, checked = [], 0
    for page, message in _translated_messages():
        checked += 1
        code = str(page) != "api.po"
        if _kept(message.id, code) != _kept(message.string, code):
            problems.append(f"{page}: roles, maths or code changed in the translation of {message.id[:60]!r}")
        if _stray_asterisks(message.string) > _stray_asterisks(message.id):
            problems.append(f"{page}: an unclosed ** or * in the translation of {message.id[:60]!r} (CommonMark "
                            "does not close it after punctuation when a letter follows: write **结论**。从)")
    assert not problems, "\n".join(problems)
    print(f"{checked} translated messages keep their roles, maths and code, and render their emphasis")


def test_the_markup_check_sees_a_broken_translation():
    assert _stray_asterisks("**结论。**从此") == 4 and _stray_asterisks("**结论。** 从此") == 0
    assert _kept("see {glue:text}`acc` and $x$") != _kept("见 {glue:text}`acc_test` 和 $x$")
    assert _kept("the {term}`gradients <gradient>`") == _kept("{term}`梯度 <gradient>`")


def test_the_chinese_build_reads_the_table_of_contents_and_nothing_else(tmp_path):
    """A second virtual environment or a maintainer's notes in the checkout are no pages.

    CI once failed here: ``.venv-stack2`` (the second stack's environment) holds
    READMEs and licences that the gettext build took for pages.
    """
    from sphinx.util.matching import get_matching_files

    namespace: dict = {}
    exec(i18n._only_toc_pages(), namespace)
    found = set(get_matching_files(ROOT, include_patterns=namespace["include_patterns"],
                                   exclude_patterns=["_build"]))
    expected = {str(i18n.page_source(page).relative_to(ROOT)) for page in i18n.toc_pages()}
    assert found == expected, f"not read: {sorted(expected - found)}; read though not in _toc.yml: {sorted(found - expected)}"


def test_the_english_build_skips_every_virtual_environment(tmp_path):
    import yaml
    from sphinx.util.matching import get_matching_files

    for folder in (".venv", ".venv-stack2", "chapters"):
        (tmp_path / folder / "lib").mkdir(parents=True)
        (tmp_path / folder / "lib" / "README.md").write_text("# A readme\n")
    excluded = yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"]
    assert sorted(get_matching_files(tmp_path, exclude_patterns=excluded)) == ["chapters/lib/README.md"]
