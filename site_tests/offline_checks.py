"""What the browser tests check on a page, shared by ``test_browser.py`` and ``test_offline_pack.py``.

* :func:`attempted_requests` / :func:`non_local`: every request the page tried
  to make (from Chromium's performance log, so a request that the blocked
  network made fail is recorded too), and those that would leave the machine;
* :func:`open_page`: load a page and wait until MathJax has typeset it and its
  fonts are loaded;
* :func:`maths_on_page`: formulas MathJax rendered in the article, math
  elements left unrendered, and TeX errors;
* :func:`visible_tex`: TeX delimiters still visible as text;
* :func:`cjk_glyphs` / :func:`cjk_problems`: whether Chinese text is drawn
  with real glyphs or with missing-glyph boxes (see :data:`CJK_JS`).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

from selenium.webdriver.support.ui import WebDriverWait

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: URL schemes that never leave the machine.
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}


def attempted_requests(driver) -> list[str]:
    """URLs of every request (and WebSocket) attempted since the last call; drains the log."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            urls.append(params["request"]["url"])
        elif method == "Network.webSocketCreated":
            urls.append(params["url"])
    return urls


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in LOCAL_HOSTS


def non_local(urls: list[str]) -> list[str]:
    return sorted({url for url in urls if not is_local(url)})


_WAIT_FOR_TYPESETTING = """
const done = arguments[arguments.length - 1];
const fonts = () => (document.fonts ? document.fonts.ready : Promise.resolve());
const hasMath = document.querySelector('.math') !== null;
if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
  MathJax.startup.promise.then(fonts).then(() => done('typeset'), e => done('MathJax error: ' + e));
} else {
  fonts().then(() => done(hasMath ? 'MathJax did not load' : 'no maths'));
}
"""


def open_page(driver, url: str) -> str:
    """Load ``url``; wait for the document, MathJax's typesetting and the fonts. Returns MathJax's state."""
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver.execute_async_script(_WAIT_FOR_TYPESETTING)


_MATHS = """
const article = document.querySelector('article.bd-article') || document.body;
const all = Array.from(document.querySelectorAll('.math'));
return {
  rendered: article.querySelectorAll('mjx-container').length,
  unrendered: all.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
  errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
};
"""


def maths_on_page(driver) -> dict:
    """``rendered``: formulas MathJax drew in the article; ``unrendered``: math elements anywhere
    on the page without a rendering; ``errors``: TeX errors MathJax drew."""
    return driver.execute_script(_MATHS)


# Everything a reader sees as text, without code (which may show TeX on purpose)
# and without MathJax's output.  Collapsed parts count too: they open on a click.
_TEXT = """
const clone = document.body.cloneNode(true);
clone.querySelectorAll('pre, code, kbd, samp, script, style, textarea, noscript, mjx-container, .highlight')
     .forEach(e => e.remove());
return clone.textContent;
"""

TEX_DELIMITERS = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\end\{|\$\\[A-Za-z]")


def visible_tex(driver) -> list[str]:
    """Snippets of the page's text around each TeX delimiter still visible as text."""
    text = driver.execute_script(_TEXT)
    return [" ".join(text[max(0, m.start() - 30):m.end() + 30].split()) for m in TEX_DELIMITERS.finditer(text)]


#: Measure how Chinese text is drawn, in the font the page gives it.
#: arguments[0]: CSS selector of the elements whose text starts with a Chinese term.
#: For every term: its width on the page and the width of as many copies of a
#: code point that no font has (U+0378, unassigned), which is drawn as the
#: missing-glyph box ("tofu").  For every distinct character: a fingerprint of
#: its pixels drawn on a canvas in the same font, and the fingerprint of tofu.
#: Without a CJK font every character is drawn as the same box: same width as
#: the tofu string, and every fingerprint equal to tofu's.
CJK_JS = r"""
const elements = Array.from(document.querySelectorAll(arguments[0]));
const cjk = /^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/;
const terms = [];
for (const el of elements) {
  const m = el.textContent.trim().match(cjk);
  if (m) terms.push([el, m[0]]);
}
if (!terms.length) return {terms: []};
const family = getComputedStyle(terms[0][0]).fontFamily;
const probe = document.createElement('span');
probe.style.cssText = 'position:absolute; visibility:hidden; white-space:nowrap';
const canvas = document.createElement('canvas');
canvas.width = canvas.height = 48;
const ctx = canvas.getContext('2d', {willReadFrequently: true});
ctx.font = `32px ${family}`;
ctx.textBaseline = 'top';
const fingerprint = (ch) => {
  ctx.clearRect(0, 0, 48, 48);
  ctx.fillText(ch, 4, 4);
  const data = ctx.getImageData(0, 0, 48, 48).data;
  let hash = 0, ink = 0;
  for (let i = 3; i < data.length; i += 4) { hash = (hash * 31 + data[i]) | 0; ink += data[i] > 0; }
  return `${hash}:${ink}`;
};
const result = {family, tofu: fingerprint('\u0378'), terms: [], glyphs: {}};
for (const [el, term] of terms) {
  el.appendChild(probe);
  probe.textContent = term;
  const width = probe.getBoundingClientRect().width;
  probe.textContent = '\u0378'.repeat(term.length);
  const tofuWidth = probe.getBoundingClientRect().width;
  probe.remove();
  result.terms.push({term, width, tofuWidth});
  for (const ch of term) result.glyphs[ch] = fingerprint(ch);
}
return result;
"""


def cjk_glyphs(driver, selector: str) -> dict:
    return driver.execute_script(CJK_JS, selector)


def cjk_problems(metrics: dict) -> list[str]:
    """Why the measured Chinese text is not drawn with real glyphs (empty: it is)."""
    problems = []
    if not metrics.get("terms"):
        return ["no Chinese term found on the page"]
    for t in metrics["terms"]:
        if abs(t["width"] - t["tofuWidth"]) < 0.5:
            problems.append(f"{t['term']!r} is {t['width']:.1f} px wide, as wide as "
                            f"{len(t['term'])} missing-glyph boxes")
    glyphs = metrics["glyphs"]
    as_tofu = sorted(ch for ch, fp in glyphs.items() if fp == metrics["tofu"])
    if as_tofu:
        problems.append(f"{len(as_tofu)} of {len(glyphs)} characters are drawn as the missing-glyph box: "
                        + "".join(as_tofu[:20]))
    distinct = len(set(glyphs.values()))
    if distinct < 0.9 * len(glyphs):
        problems.append(f"{len(glyphs)} different characters are drawn with only {distinct} different images")
    return problems
