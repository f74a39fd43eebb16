"""Fixtures of the site tests: the built book, a local web server, headless Chromium.

These tests are slower than the unit tests and need a built site, a browser
and (for the Colab-path test) a few dozen seconds of CPU, so they live outside
``tests/`` and run with ``make site-test`` (after ``make book``).

Settings, all optional (environment variables):

* ``SITE_HTML_DIR``: the built site, default ``_build/html``;
* ``SITE_TOC``: the table of contents the site was built from, default ``_toc.yml``
  (point both at a partial build made with ``jupyter-book build --toc``);
* ``SITE_ARTIFACTS``: where screenshots go, default ``artifacts/``;
* ``CHROMIUM``, ``CHROMEDRIVER``: default ``/usr/bin/chromium``, ``/usr/bin/chromedriver``.

The browser can reach nothing but the local server: every host name except
127.0.0.1 fails to resolve (``--host-resolver-rules``) and every other request
goes to a proxy on a closed local port (``--proxy-server``), so it fails at
once, even one to a bare IP address.  Chromium's performance log records every
request a page *attempts* (``Network.requestWillBeSent``), blocked or not, and
the tests fail on any that is not to 127.0.0.1 or a ``file:``/``data:`` URL.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).resolve() if value else default


@pytest.fixture(scope="session")
def html_dir() -> Path:
    path = _path("SITE_HTML_DIR", ROOT / "_build" / "html")
    if not (path / "index.html").is_file():
        pytest.fail(f"no built site in {path}: run `make book` first (or set SITE_HTML_DIR)")
    return path


@pytest.fixture(scope="session")
def toc_pages() -> list[str]:
    """Every page of the table of contents (``file`` entries, without suffix), in order."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_book", ROOT / "scripts" / "book.py")
    book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book)  # scripts/book.py: the one table-of-contents walk
    return book.toc_pages(_path("SITE_TOC", ROOT / "_toc.yml"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = _path("SITE_ARTIFACTS", ROOT / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # The browser drops connections it no longer needs when it leaves a page.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_url(html_dir: Path) -> str:
    """Serve the built site on 127.0.0.1, on a free port, for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


#: Command-line flags of every Chromium the tests start.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--window-size=1280,1000",
    # Only the local server is reachable: no other host name resolves, and any
    # other request (even to an IP address) goes to a proxy on a closed port.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
)


def start_chromium(env: dict[str, str] | None = None):
    """Headless Chromium driven by Selenium, with a fresh profile; call ``.quit()`` when done.

    ``env`` replaces the environment of the browser (e.g. a FONTCONFIG_FILE).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    chromedriver = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
    for program in (chromium, chromedriver):
        if not (Path(program).is_file() or shutil.which(program)):
            pytest.fail(f"{program} not found: install Debian's chromium and chromium-driver "
                        "(or set CHROMIUM / CHROMEDRIVER)")
    profile = tempfile.mkdtemp(prefix="site-test-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # "performance" holds the DevTools network events: every request a page attempts.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver, env=env), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    driver.profile_dir = profile
    return driver


def stop_chromium(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.profile_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium with a fresh profile and no network but 127.0.0.1 (see above)."""
    driver = start_chromium()
    try:
        yield driver
    finally:
        stop_chromium(driver)


@pytest.fixture(autouse=True)
def no_request_leaves_the_machine(request):
    """In every test that uses the browser: fail if a page it opened tried to reach another host."""
    if "browser" not in request.fixturenames:
        yield
        return
    from offline_checks import attempted_requests, non_local

    driver = request.getfixturevalue("browser")
    attempted_requests(driver)
    yield
    outside = non_local(attempted_requests(driver))
    if outside:
        pytest.fail("requests to other hosts:\n" + "\n".join(outside))


@pytest.fixture(scope="session")
def toc_chapters() -> list[tuple[str, list[str]]]:
    """Every chapter of the table of contents: its page and the pages of its sections."""
    toc = yaml.safe_load(_path("SITE_TOC", ROOT / "_toc.yml").read_text())
    chapters = []

    def strip(name: str) -> str:
        return name.removesuffix(".md").removesuffix(".ipynb")

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        for chapter in part.get("chapters", []):
            if chapter.get("sections"):
                chapters.append((strip(chapter["file"]),
                                 [strip(s["file"]) for s in chapter["sections"] if "file" in s]))
    return chapters
