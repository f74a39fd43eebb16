"""The built site in a real browser (headless Chromium): what a reader sees.

Run with ``make site-test`` after ``make book``; see ``conftest.py`` for the
settings.  Checks, for every page of the table of contents: it loads without
errors from the site itself, its images load, a notebook page has a Colab link
to its own notebook in this repository, and its exercise solutions start
collapsed and open on a click.  Also: the search page finds "softmax", and a
screenshot of a chapter page is saved in ``artifacts/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[1]
COLAB = "https://colab.research.google.com/github/"


def _repository() -> tuple[str, str]:
    """``owner/name`` and branch of the repository in ``_config.yml``."""
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    path = urlparse(repo["url"]).path.strip("/").removesuffix(".git")
    return path, repo.get("branch", "main")


def _open(browser, url: str) -> None:
    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _notebook_pages(html_dir: Path, toc_pages: list[str]) -> list[str]:
    """The pages built from a notebook (the build keeps each page's source in ``_sources/``)."""
    return [page for page in toc_pages if (html_dir / "_sources" / f"{page}.ipynb").is_file()]


def _solution_count(html_dir: Path, page: str) -> int:
    """Solution cells of the notebook the page was built from."""
    cells = json.loads((html_dir / "_sources" / f"{page}.ipynb").read_text())["cells"]
    return sum("solution" in cell.get("metadata", {}).get("tags", []) for cell in cells)


#: Console messages of the theme's own scripts that appear on every page of a
#: correct build and are harmless: sphinx-thebe's configuration script is
#: included twice by jupyter-book 1.0.4 (the second copy's `const` fails, the
#: first one works), and pydata-sphinx-theme logs the empty theme mode of a
#: fresh browser profile before it falls back to "auto".
KNOWN_CONSOLE_NOISE = (
    "Identifier 'THEBE_JS_URL' has already been declared",
    "Got invalid theme mode",
    "/favicon.ico - Failed to load resource",  # the browser asks for one; the book has none
)


def test_every_toc_page_loads(browser, site_url, html_dir, toc_pages):
    problems = []
    for page in toc_pages:
        url = f"{site_url}/{page}.html"
        if not (html_dir / f"{page}.html").is_file():
            problems.append(f"{page}: not built ({page}.html missing from {html_dir})")
            continue
        with urlopen(url) as response:
            assert response.status == 200, url
        browser.get_log("browser")  # drop messages of earlier pages
        _open(browser, url)
        heading = browser.execute_script(
            "const h = document.querySelector('article.bd-article h1'); return h ? h.textContent : '';")
        if not heading.strip("# \n"):
            problems.append(f"{page}: no page heading")
        # Errors of the site itself (a missing script, style sheet or image, a
        # script that fails); external resources are unreachable on purpose.
        problems += [f"{page}: {entry['message']}" for entry in browser.get_log("browser")
                     if entry["level"] == "SEVERE" and "127.0.0.1" in entry["message"]
                     and not any(noise in entry["message"] for noise in KNOWN_CONSOLE_NOISE)]
    assert not problems, "\n".join(problems)
    assert len(toc_pages) >= 4, "the table of contents lists suspiciously few pages"
    print(f"{len(toc_pages)} pages loaded")


def test_no_broken_images(browser, site_url, toc_pages):
    broken, seen = [], 0
    for page in toc_pages:
        _open(browser, f"{site_url}/{page}.html")
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth]);")
        for src, complete, width in images:
            seen += 1
            if not complete or not width:
                broken.append(f"{page}: {src}")
    assert not broken, "broken images:\n" + "\n".join(broken)
    print(f"{seen} images loaded on {len(toc_pages)} pages")


def test_notebook_pages_link_to_their_notebook_on_colab(browser, site_url, html_dir, toc_pages):
    pages = _notebook_pages(html_dir, toc_pages)
    assert pages, "no notebook page in the table of contents"
    repository, branch = _repository()
    problems = []
    for page in pages:
        _open(browser, f"{site_url}/{page}.html")
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, f'a[href^="{COLAB}"]')]
        if not links:
            problems.append(f"{page}: no Colab link")
            continue
        for link in links:
            match = re.fullmatch(re.escape(COLAB) + r"([^/]+/[^/]+)/blob/([^/]+)/(.+)", link)
            if not match:
                problems.append(f"{page}: unexpected Colab link {link}")
                continue
            repo, ref, path = match.groups()
            if (repo, ref) != (repository, branch):
                problems.append(f"{page}: Colab link to {repo}@{ref}, expected {repository}@{branch} (_config.yml)")
            if not (ROOT / path).is_file() or not path.endswith(".ipynb"):
                problems.append(f"{page}: Colab link to {path}, which is not a notebook of this repository")
            elif path != f"{page}.ipynb":
                problems.append(f"{page}: Colab link opens {path}, another notebook")
    assert not problems, "\n".join(problems)


def test_solutions_are_collapsed_and_open_on_click(browser, site_url, html_dir, toc_pages):
    total = 0
    problems = []
    for page in _notebook_pages(html_dir, toc_pages):
        expected = _solution_count(html_dir, page)
        _open(browser, f"{site_url}/{page}.html")
        blocks = browser.find_elements(By.CSS_SELECTOR, "div.cell.tag_solution details")
        if len(blocks) != expected:
            problems.append(f"{page}: {len(blocks)} collapsible solutions on the page, {expected} solution cells")
        for i, details in enumerate(blocks, start=1):
            total += 1
            code = details.find_element(By.CSS_SELECTOR, ".cell_input")
            summary = details.find_element(By.TAG_NAME, "summary")
            if details.get_attribute("open") is not None or code.is_displayed():
                problems.append(f"{page}: solution {i} is not collapsed")
                continue
            if "Show solution" not in summary.text:
                problems.append(f"{page}: solution {i}'s button says {summary.text!r}, not 'Show solution'")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
            summary.click()
            try:
                WebDriverWait(browser, 5).until(lambda _: code.is_displayed())
            except Exception:
                problems.append(f"{page}: solution {i} does not open on click")
                continue
            if details.get_attribute("open") is None:
                problems.append(f"{page}: solution {i} shows its code but is not open")
    assert not problems, "\n".join(problems)
    assert total > 0, "no exercise solution found on any notebook page"
    print(f"{total} solutions checked")


def test_search_finds_softmax(browser, site_url):
    _open(browser, f"{site_url}/search.html?q=softmax")
    # Sphinx's search runs in JavaScript after the index loads; wait for its results.
    results = WebDriverWait(browser, 30).until(
        EC.presence_of_all_elements_located((By.CSS_SELECTOR, "#search-results ul.search li")))
    pages = [li.find_element(By.TAG_NAME, "a").get_attribute("href") for li in results]
    assert pages, "the search for 'softmax' found nothing"
    assert any("glossary" in href or "softmax" in href for href in pages), pages
    print(f"search for 'softmax': {len(pages)} pages, e.g. {pages[:3]}")


def test_screenshot_of_a_chapter_page(browser, site_url, html_dir, toc_pages, artifacts_dir):
    pages = _notebook_pages(html_dir, toc_pages)
    assert pages, "no chapter notebook to photograph"
    page = pages[0]
    _open(browser, f"{site_url}/{page}.html")
    time.sleep(0.5)  # let the theme finish laying out
    target = artifacts_dir / "chapter_page.png"
    assert browser.save_screenshot(str(target)), f"could not save {target}"
    assert target.stat().st_size > 10_000, f"{target} is suspiciously small"
    print(f"screenshot of {page}: {target}")
