"""The Chinese edition (``_build/html/zh``) in a real browser, next to the English one.

``make book`` builds it from the same sources with the catalogues of
``locales/zh_CN`` (``scripts/i18n.py``).  For every page of the table of
contents, in headless Chromium with the network blocked (``conftest.py``):

* the Chinese page loads, attempts no request to another host, renders every
  formula of its source and leaves no TeX as text;
* its Chinese text is drawn with real glyphs of a CJK font, not with
  missing-glyph boxes;
* it links to its English counterpart and the English page links back;
* every number glued into the English text appears in the Chinese text too,
  in the same order (glue roles work inside translated messages);
* on notebook pages, the "Verified" note is in Chinese and the Colab link
  opens the same notebook as the English page's.

And: the Chinese search finds a two-character word (梯度, gradient) on the
pages that teach it, so jieba segmented the index; the glossary's links
resolve; the offline pack's Chinese entry page opens the Chinese site.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from math_count import count_source, page_source
from offline_checks import attempted_requests, cjk_glyphs, cjk_problems, maths_on_page, non_local, open_page, visible_tex
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

CJK = re.compile(r"[\u3400-\u9fff]")
COLAB = "https://colab.research.google.com/github/"


@pytest.fixture(scope="module")
def zh_dir(html_dir: Path) -> Path:
    path = html_dir / "zh"
    if not (path / "index.html").is_file():
        pytest.fail(f"no Chinese edition in {path}: `make book` builds it (scripts/i18n.py build)")
    return path


def _glued(browser) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('article.bd-article .pasted-text'))"
        ".map(e => e.textContent.trim());")


def test_every_chinese_page_works_offline_with_its_formulas_and_real_glyphs(browser, site_url, html_dir,
                                                                           zh_dir, toc_pages):
    problems = []
    formulas = 0
    attempted_requests(browser)
    for page in toc_pages:
        if not (zh_dir / f"{page}.html").is_file():
            problems.append(f"zh/{page}: not built")
            continue
        state = open_page(browser, f"{site_url}/zh/{page}.html")
        problems += [f"zh/{page}: request to another host: {url}" for url in non_local(attempted_requests(browser))]
        problems += [f"zh/{page}: TeX left as text: ...{snippet}..." for snippet in visible_tex(browser)]
        maths = maths_on_page(browser)
        source = page_source(html_dir, page)
        expected = count_source(source) if source else 0
        formulas += expected
        if maths["rendered"] < expected:
            problems.append(f"zh/{page}: MathJax rendered {maths['rendered']} formulas, the source has "
                            f"{expected} (MathJax: {state})")
        problems += [f"zh/{page}: TeX error in a formula: {t!r}" for t in maths["errors"]]
        lang = browser.execute_script("return document.documentElement.lang")
        if not lang.lower().startswith("zh"):
            problems.append(f"zh/{page}: <html lang={lang!r}>, expected zh-CN")
        # (the folded cells' "Hide ..." titles are hidden while folded: not measured)
        metrics = cjk_glyphs(browser, "article.bd-article h1, article.bd-article p:not(.admonition-title)")
        problems += [f"zh/{page}: {p}" for p in cjk_problems(metrics)]
    assert not problems, "\n".join(problems)
    print(f"{len(toc_pages)} Chinese pages offline, {formulas} formulas, Chinese drawn with real glyphs")


def test_each_page_links_to_its_counterpart_in_the_other_edition(browser, site_url, toc_pages):
    problems = []
    for page in toc_pages:
        for start, expected in ((f"{page}.html", f"zh/{page}.html"), (f"zh/{page}.html", f"{page}.html")):
            open_page(browser, f"{site_url}/{start}")
            links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.course-language-link")]
            if links != [f"{site_url}/{expected}"]:
                problems.append(f"{start}: language link {links}, expected {site_url}/{expected}")
    assert not problems, "\n".join(problems)
    print(f"{2 * len(toc_pages)} pages link to their counterpart")


def test_glued_numbers_appear_in_the_chinese_text(browser, site_url, html_dir, toc_pages):
    problems, total = [], 0
    for page in toc_pages:
        if not (html_dir / "_sources" / f"{page}.ipynb").is_file():
            continue
        open_page(browser, f"{site_url}/{page}.html")
        english = _glued(browser)
        open_page(browser, f"{site_url}/zh/{page}.html")
        chinese = _glued(browser)
        total += len(english)
        if sorted(english) != sorted(chinese):
            missing = [g for g in english if g not in chinese]
            problems.append(f"zh/{page}: {len(english)} glued values in English, {len(chinese)} in Chinese; "
                            f"missing {missing[:5]}")
    assert not problems, "\n".join(problems)
    assert total > 50, f"only {total} glued values found on the English pages: is the selector right?"
    print(f"{total} glued values appear in both editions")


def test_chinese_notebook_pages_have_a_chinese_note_and_the_same_colab_link(browser, site_url, html_dir,
                                                                         toc_pages):
    problems = []
    for page in toc_pages:
        if not (html_dir / "_sources" / f"{page}.ipynb").is_file():
            continue
        open_page(browser, f"{site_url}/{page}.html")
        english = sorted(a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, f'a[href^="{COLAB}"]'))
        open_page(browser, f"{site_url}/zh/{page}.html")
        chinese = sorted(a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, f'a[href^="{COLAB}"]'))
        note = browser.execute_script(
            "const n = document.querySelector('article.bd-article .course-verified'); return n ? n.textContent : '';")
        if not english or english != chinese:
            problems.append(f"zh/{page}: Colab links {chinese}, the English page has {english}")
        passed = "course-verified-failed" not in browser.execute_script(
            "const n = document.querySelector('article.bd-article .course-verified'); return n ? n.className : '';")
        if ("已验证" if passed else "未通过验证") not in note or "最后几位" not in note:
            problems.append(f"zh/{page}: the Verified note is not in Chinese: {note[:80]!r}")
        labels = browser.execute_script(
            "return Array.from(document.querySelectorAll('article.bd-article summary .admonition-title'))"
            ".map(e => e.textContent.trim());")
        problems += [f"zh/{page}: a folded cell's button reads {label!r}" for label in set(labels)
                     if not CJK.search(label)]
    assert not problems, "\n".join(problems)


def test_chinese_search_finds_a_two_character_word(browser, site_url):
    open_page(browser, f"{site_url}/zh/search.html?q=梯度")
    results = WebDriverWait(browser, 30).until(
        EC.presence_of_all_elements_located((By.CSS_SELECTOR, "#search-results ul.search li")))
    pages = [li.find_element(By.TAG_NAME, "a").get_attribute("href") for li in results]
    assert any("01_gradients_autograd" in href for href in pages), pages
    assert any("02_vanishing_exploding_gradients" in href for href in pages), pages
    assert all("/zh/" in href for href in pages), "the Chinese search leads to English pages"
    print(f"search for 梯度: {len(pages)} pages, e.g. {pages[:3]}")


def test_the_chinese_glossary_links_resolve(browser, site_url, zh_dir, toc_pages):
    """Translated {term} roles keep their English targets: every glossary link lands on a term."""
    problems, total = [], 0
    anchors = set(re.findall(r'id="(term-[^"]+)"', (zh_dir / "glossary.html").read_text(encoding="utf-8")))
    for page in toc_pages:
        html = (zh_dir / f"{page}.html").read_text(encoding="utf-8")
        for target in re.findall(r'href="[^"]*glossary\.html#(term-[^"]+)"', html):
            total += 1
            if target not in anchors:
                problems.append(f"zh/{page}: link to glossary#{target}, which does not exist")
    assert not problems, "\n".join(problems)
    assert total > 50, f"only {total} glossary links in the Chinese pages"
    print(f"{total} glossary links in the Chinese pages resolve")


def test_the_offline_pack_has_a_chinese_entry_page(browser, html_dir, tmp_path):
    with zipfile.ZipFile(html_dir / "offline" / "pytorch-foundations.zip") as z:
        z.extractall(tmp_path)
    pack = tmp_path / "pytorch-foundations"
    entry = pack / "index-zh.html"
    assert entry.is_file(), "the pack has no Chinese entry page index-zh.html"
    assert "中文" in (pack / "README.txt").read_text(encoding="utf-8")
    open_page(browser, entry.as_uri())
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("site/zh/index.html")
                                     or d.current_url.endswith("site/zh/intro.html"))
    title = browser.execute_script("return document.title")
    assert CJK.search(title), f"the Chinese entry page opened {browser.current_url} titled {title!r}"
