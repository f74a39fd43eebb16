"""The offline pack: one zip with the site and the notebooks, opened from disk without a server.

``make book`` writes it to ``_build/html/offline/pytorch-foundations.zip``
(``_ext/course_site.py``); the intro page links to it.  These tests unpack it
into a temporary folder and check that it holds the whole site and every
notebook, that every local link and resource of its pages exists inside it,
and that its pages work from ``file://`` in the browser: maths rendered, the
search working, and no request to any host at all.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from math_count import count_source, page_source
from offline_checks import LOCAL_SCHEMES, attempted_requests, maths_on_page, open_page, visible_tex
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PACK = Path("offline") / "pytorch-foundations.zip"
ROOT_FOLDER = "pytorch-foundations"


@pytest.fixture(scope="module")
def pack(html_dir: Path, tmp_path_factory) -> Path:
    archive = html_dir / PACK
    if not archive.is_file():
        pytest.fail(f"no offline pack {archive}: `make book` writes it")
    target = tmp_path_factory.mktemp("offline-pack")
    with zipfile.ZipFile(archive) as z:
        z.extractall(target)
    return target / ROOT_FOLDER


def test_pack_holds_the_site_and_every_notebook(pack, html_dir, toc_pages):
    assert (pack / "index.html").is_file() and (pack / "README.txt").is_file()
    site = pack / "site"
    missing = [page for page in toc_pages if not (site / f"{page}.html").is_file()]
    assert not missing, f"pages missing from the pack: {missing}"
    notebooks = [p for p in toc_pages if (html_dir / "_sources" / f"{p}.ipynb").is_file()]
    for page in notebooks:
        packed = pack / "notebooks" / f"{page}.ipynb"
        assert packed.is_file(), f"{packed} missing from the pack"
        assert packed.read_bytes() == (html_dir / "_sources" / f"{page}.ipynb").read_bytes(), \
            f"{packed} differs from the notebook the site was built from"
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not in the pack"
    assert not (site / PACK).exists(), "the pack contains itself"
    size = (html_dir / PACK).stat().st_size / 2**20
    print(f"offline pack: {len(toc_pages)} pages, {len(notebooks)} notebooks, {size:.1f} MiB")


def test_intro_page_links_to_the_pack(html_dir):
    intro = (html_dir / "intro.html").read_text(encoding="utf-8")
    assert f'href="{PACK.as_posix()}"' in intro, "the intro page does not link to the offline pack"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.urls.append(value)


def test_every_local_link_of_the_pack_resolves_inside_it(pack):
    broken, checked = [], 0
    # The pages (not the theme's Jinja templates that happen to sit in _static/).
    pages = sorted(p for p in pack.rglob("*.html") if "_static" not in p.relative_to(pack).parts)
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for url in parser.urls:
            parsed = urlparse(url)
            if parsed.scheme or url.startswith(("#", "//")) or not parsed.path:
                continue
            checked += 1
            target = (page.parent / unquote(parsed.path)).resolve()
            if not (target.is_file() or (target.is_dir() and url.endswith("/"))):
                broken.append(f"{page.relative_to(pack)}: {url}")
            elif pack.resolve() not in target.parents:
                broken.append(f"{page.relative_to(pack)}: {url} points outside the pack")
    assert not broken, "broken links in the pack:\n" + "\n".join(broken[:50])
    print(f"{checked} local links and resources of {len(pages)} pages resolve inside the pack")


def test_pack_opens_from_disk_with_maths_and_search(browser, pack, toc_pages):
    attempted_requests(browser)
    open_page(browser, (pack / "index.html").as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("/site/intro.html")
                                     or d.current_url.endswith("/site/index.html"))
    problems = []
    formulas = 0
    for page in toc_pages:
        open_page(browser, (pack / "site" / f"{page}.html").as_uri())
        heading = browser.execute_script(
            "const h = document.querySelector('article.bd-article h1'); return h ? h.textContent : '';")
        if not heading.strip("# \n"):
            problems.append(f"{page}: no page heading from file://")
        maths = maths_on_page(browser)
        source = page_source(pack / "site", page)
        expected = count_source(source) if source else 0
        formulas += expected
        if maths["rendered"] < expected or maths["unrendered"] or maths["errors"]:
            problems.append(f"{page}: {maths['rendered']} of {expected} formulas rendered from file://")
        problems += [f"{page}: TeX left as text: {s}" for s in visible_tex(browser)]
        broken = browser.execute_script(
            "return Array.from(document.images).filter(i => !i.complete || !i.naturalWidth).map(i => i.src);")
        problems += [f"{page}: image does not load from file://: {src}" for src in broken]
    # Sphinx's search works from disk: its index is a script, not a request to a server.
    open_page(browser, (pack / "site" / "search.html").as_uri() + "?q=softmax")
    results = WebDriverWait(browser, 30).until(
        EC.presence_of_all_elements_located((By.CSS_SELECTOR, "#search-results ul.search li")))
    if not results:
        problems.append("the search finds nothing from file://")
    # From disk, not even 127.0.0.1 is expected: only file: (and the browser's own chrome:, data: ...).
    requested = [url for url in attempted_requests(browser) if urlparse(url).scheme not in LOCAL_SCHEMES]
    problems += [f"request from the pack to {url}" for url in sorted(set(requested))]
    assert not problems, "\n".join(problems)
    print(f"{len(toc_pages)} pages of the pack open from file://, {formulas} formulas rendered, "
          f"search for 'softmax': {len(results)} results, no request to any host")


def test_readme_of_the_pack_says_what_is_inside(pack):
    text = (pack / "README.txt").read_text()
    for part in ("index.html", "site/", "notebooks/"):
        assert part in text, f"README.txt does not mention {part}"
    assert re.search(r"<a href=\"site/index.html\"", (pack / "index.html").read_text())
