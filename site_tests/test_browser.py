"""The built site in a real browser (headless Chromium): what a reader sees.

Run with ``make browser-test`` (or ``make site-test``) after ``make book``; see
``conftest.py`` for the settings.  The browser reaches nothing but the local
server (see ``conftest.py``).  Checks, for every page of the table of contents:

* it loads without errors from the site itself, and it *attempts* no request
  to another host (every request is recorded, blocked or not; a check that the
  recorder sees blocked requests is part of the suite);
* no TeX delimiter is left as text, and MathJax (served by the site itself)
  rendered at least as many formulas as the page's source has
  (``math_count.py`` counts them in the source, the way MyST parses it);
* its images load; a notebook page has a Colab link to its own notebook in
  this repository, a "Verified" note under its title that matches
  ``reports/notebooks.json``, and exercise solutions that start collapsed and
  open on a click.

Also: no page or style sheet refers to a script, style or font on another
host; the glossary's Chinese terms are drawn with real glyphs, not
missing-glyph boxes (and the same check fails in a Chromium that has no CJK
font); the search page finds "softmax"; and a screenshot of one page per
chapter (and of the glossary) is saved in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import pytest
import yaml
from conftest import start_chromium, stop_chromium
from math_count import count_source, page_source
from offline_checks import (attempted_requests, cjk_glyphs, cjk_problems, maths_on_page, non_local,
                            open_page, visible_tex)
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
    open_page(browser, url)


def _notebook_pages(html_dir: Path, toc_pages: list[str]) -> list[str]:
    """The pages built from a notebook (the build keeps each page's source in ``_sources/``)."""
    return [page for page in toc_pages if (html_dir / "_sources" / f"{page}.ipynb").is_file()]


def _solution_count(html_dir: Path, page: str) -> int:
    """Solution cells of the notebook the page was built from."""
    cells = json.loads((html_dir / "_sources" / f"{page}.ipynb").read_text())["cells"]
    return sum("solution" in cell.get("metadata", {}).get("tags", []) for cell in cells)


#: Console messages of the theme's own scripts that appear on every page of a
#: correct build and are harmless: pydata-sphinx-theme logs the empty theme
#: mode of a fresh browser profile before it falls back to "auto".  (The Thebe
#: configuration that jupyter-book 1.0.4 included twice is removed by
#: _ext/course_site.py, so its error is no longer expected.)
KNOWN_CONSOLE_NOISE = (
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




# --- offline: no request leaves the machine, maths rendered by the site's own MathJax -------------

def test_every_page_works_offline_and_renders_all_its_formulas(browser, site_url, html_dir, toc_pages):
    problems = []
    pages = formulas = rendered_total = 0
    attempted_requests(browser)  # drop what earlier tests left in the log
    for page in toc_pages:
        state = open_page(browser, f"{site_url}/{page}.html")
        pages += 1
        outside = non_local(attempted_requests(browser))
        problems += [f"{page}: request to another host: {url}" for url in outside]
        problems += [f"{page}: TeX left as text: ...{snippet}..." for snippet in visible_tex(browser)]
        maths = maths_on_page(browser)
        source = page_source(html_dir, page)
        expected = count_source(source) if source else 0
        if source is None:
            problems.append(f"{page}: no source in _sources/, cannot count its formulas")
        if maths["rendered"] < expected:
            problems.append(f"{page}: MathJax rendered {maths['rendered']} formulas, its source has {expected} "
                            f"(MathJax: {state})")
        problems += [f"{page}: formula not rendered: {text!r}" for text in maths["unrendered"]]
        problems += [f"{page}: TeX error in a formula: {text!r}" for text in maths["errors"]]
        formulas += expected
        rendered_total += maths["rendered"]
    assert not problems, "\n".join(problems)
    assert formulas > 100, f"only {formulas} formulas in the sources of all pages: is the counting broken?"
    print(f"{pages} pages offline: no request left the machine, {formulas} formulas in the sources, "
          f"{rendered_total} rendered by MathJax, no TeX left as text")


def test_the_request_recorder_sees_blocked_requests(browser, site_url):
    """The check above fails on a request that *tried* to leave, even though the network refused it."""
    open_page(browser, f"{site_url}/intro.html")
    attempted_requests(browser)
    failed = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const image = new Promise(resolve => {
          const img = new Image();
          img.onload = () => resolve('loaded'); img.onerror = () => resolve('failed');
          img.src = 'http://192.0.2.1/blocked.png';          // an IP address: no name to resolve
        });
        const script = fetch('https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js')
          .then(() => 'loaded', () => 'failed');
        Promise.all([image, script]).then(done);
    """)
    time.sleep(0.5)  # let the log catch up
    recorded = non_local(attempted_requests(browser))
    assert failed == ["failed", "failed"], f"a request to another host did not fail: {failed}"
    assert "http://192.0.2.1/blocked.png" in recorded, recorded
    assert any(url.startswith("https://cdn.jsdelivr.net/") for url in recorded), recorded


class _Loads(HTMLParser):
    """What an HTML page loads: scripts, style sheets, icons, preloads, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "modulepreload", "icon", "preconnect", "dns-prefetch", "prefetch"}:
            self.urls.append(attrs["href"])
        self._in_script = tag == "script" and not attrs.get("src")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


_CSS_EXTERNAL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""")


def test_no_page_or_style_refers_to_another_host(html_dir):
    """Static check of every built page and style sheet (also covers what a click would load)."""
    problems = []
    pages = list(html_dir.rglob("*.html"))
    for path in pages:
        parser = _Loads()
        parser.feed(path.read_text(encoding="utf-8"))
        name = path.relative_to(html_dir)
        problems += [f"{name}: loads {url}" for url in parser.urls if re.match(r"(https?:)?//", url)]
        problems += [f"{name}: an inline script names {url}" for script in parser.inline_scripts
                     for url in re.findall(r"https?://[^\s\"']+\.(?:js|css|woff2?|ttf)\b", script)]
    for path in html_dir.rglob("*.css"):
        problems += [f"{path.relative_to(html_dir)}: loads {url}"
                     for url in _CSS_EXTERNAL.findall(path.read_text(encoding="utf-8", errors="replace"))]
    assert not problems, "\n".join(problems)
    mathjax = html_dir / "_static" / "mathjax" / "tex-chtml.js"
    assert mathjax.is_file(), f"{mathjax} missing: MathJax is not part of the site"
    print(f"{len(pages)} pages and their style sheets load nothing from another host")


# --- the glossary's Chinese terms -------------------------------------------------------------------

GLOSSARY_TERMS = "dl.glossary dd > p:first-child"


def test_glossary_chinese_terms_are_drawn_with_real_glyphs(browser, site_url):
    open_page(browser, f"{site_url}/glossary.html")
    metrics = cjk_glyphs(browser, GLOSSARY_TERMS)
    problems = cjk_problems(metrics)
    assert not problems, ("the glossary's Chinese terms are not drawn with a CJK font (install Debian's "
                          "fonts-noto-cjk):\n" + "\n".join(problems))
    terms, glyphs = metrics["terms"], metrics["glyphs"]
    assert len(terms) >= 20, f"only {len(terms)} Chinese terms found in the glossary"
    ratio = sum(t["width"] for t in terms) / sum(t["tofuWidth"] for t in terms)
    print(f"{len(terms)} Chinese terms, {len(glyphs)} distinct characters, all with their own glyph; "
          f"rendered width {ratio:.2f} x that of as many missing-glyph boxes")


def _fontconfig_without_cjk(tmp_path: Path) -> Path | None:
    """A fontconfig file: the system's fonts, less every font that has 一 (U+4E00)."""
    try:
        listing = subprocess.run(["fc-list", ":charset=4e00", "file"], capture_output=True, text=True,
                                 check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    files = sorted({line.split(":")[0].strip() for line in listing.splitlines() if line.strip()})
    rejects = "".join(f"<glob>{f}</glob>" for f in files)
    config = tmp_path / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>{tmp_path / 'fontconfig-cache'}</cachedir>
  <selectfont><rejectfont>{rejects}</rejectfont></selectfont>
</fontconfig>
""")
    return config


def test_the_cjk_check_fails_without_a_cjk_font(site_url, tmp_path):
    """The same check in a Chromium whose fontconfig hides every CJK font: it must report boxes."""
    import os

    config = _fontconfig_without_cjk(tmp_path)
    if config is None:
        pytest.skip("fc-list not available: cannot hide the CJK fonts from Chromium")
    driver = start_chromium(env={**os.environ, "FONTCONFIG_FILE": str(config)})
    try:
        open_page(driver, f"{site_url}/glossary.html")
        metrics = cjk_glyphs(driver, GLOSSARY_TERMS)
    finally:
        stop_chromium(driver)
    problems = cjk_problems(metrics)
    assert metrics["terms"], "no Chinese term found in the glossary"
    assert problems, "the CJK check passed in a browser without any CJK font: it cannot detect boxes"
    print(f"without a CJK font the check fails as it should: {problems[0]}")


# --- the "Verified" note of notebook pages ------------------------------------------------------------

def test_notebook_pages_say_when_they_were_verified(browser, site_url, html_dir, toc_pages):
    report = json.loads((ROOT / "reports" / "notebooks.json").read_text())
    entries = {e["notebook"]: e for e in report["notebooks"]}
    pages = _notebook_pages(html_dir, toc_pages)
    problems = []
    for page in pages:
        entry = entries.get(f"{page}.ipynb")
        if entry is None:
            problems.append(f"{page}: not in reports/notebooks.json")
            continue
        _open(browser, f"{site_url}/{page}.html")
        note = browser.execute_script("""
            const h1 = document.querySelector('article.bd-article h1');
            const note = h1 && h1.nextElementSibling;
            if (!note || !note.classList.contains('course-verified')) return null;
            const link = note.querySelector('a[href]');
            return {text: note.textContent, link: link && link.href};""")
        if note is None:
            problems.append(f"{page}: no 'Verified' note right under the title")
            continue
        versions = {**report.get("versions", {}), **(entry.get("versions") or {})}
        when = datetime.fromisoformat(entry["executed_at"]).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        expected = [when, f"Python {versions['python']}", f"torch {versions['torch']}",
                    f"course_utils {versions['course_utils']}", f"{entry['seconds']:.1f} s"]
        expected.append("Verified:" if entry["status"] == "passed" else "Not verified")
        expected.append("may differ in their last digits")
        text = " ".join(note["text"].split())
        problems += [f"{page}: the note does not say {part!r}: {text!r}" for part in expected if part not in text]
        if not note["link"] or not note["link"].endswith("/status.html"):
            problems.append(f"{page}: the note does not link to the status page ({note['link']})")
    assert not problems, "\n".join(problems)
    print(f"{len(pages)} notebook pages say when, with what and how fast they were verified")


# --- screenshots for reviewers ------------------------------------------------------------------------

def test_screenshots_of_one_page_per_chapter(browser, site_url, html_dir, toc_chapters, artifacts_dir):
    folder = artifacts_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    assert toc_chapters, "no chapter with sections in the table of contents"
    shots = [(chapter.split("/")[-2] if "/" in chapter else chapter, sections[0] if sections else chapter)
             for chapter, sections in toc_chapters]
    shots.append(("glossary", "glossary"))
    saved = []
    for name, page in shots:
        open_page(browser, f"{site_url}/{page}.html")
        time.sleep(0.3)  # let the theme finish laying out
        target = folder / f"{name}.png"
        assert browser.save_screenshot(str(target)), f"could not save {target}"
        assert target.stat().st_size > 10_000, f"{target} is suspiciously small"
        saved.append(f"{target} ({page})")
    print("screenshots:\n" + "\n".join(saved))
