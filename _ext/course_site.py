"""Local Sphinx extension of the course site: what makes it work offline and say what was verified.

Registered in ``_config.yml`` (``sphinx: local_extensions``).  It does three things:

1. **"Verified" note.**  Under the title of every page built from a notebook it
   inserts when the notebook's stored outputs were last produced and checked,
   with which versions of Python, torch and ``course_utils``, how long the
   notebook ran, and a link to the status page.  All of it is read from
   ``reports/notebooks.json`` (written by ``make regenerate``) at build time;
   a notebook without an entry there is a build warning (an error under ``-W``).
2. **No Thebe from a CDN.**  sphinx-thebe (always loaded by Jupyter Book 1.x)
   puts ``const THEBE_JS_URL = "https://unpkg.com/..."`` and ``sphinx-thebe.js``
   on every page, although the course does not enable Thebe.  They are dropped
   from the pages, so nothing on a page can fetch a script from another host.
   MathJax itself comes from the ``sphinx-mathjax-offline`` package (see
   ``_config.yml``), copied into ``_static/mathjax``.
3. **Offline pack.**  When an HTML build finishes, it writes
   ``offline/pytorch-foundations.zip`` into the built site: the whole site
   (under ``site/``), every notebook of the table of contents (under
   ``notebooks/``), a ``README.txt`` and an ``index.html`` that opens the site.
   It opens from the unpacked folder without a server (``file://``).
"""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import importlib.util

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

# The report's path comes from the scripts' shared module (scripts/book.py).
_spec = importlib.util.spec_from_file_location("course_book", Path(__file__).resolve().parents[1] / "scripts" / "book.py")
_BOOK = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_BOOK)

logger = logging.getLogger(__name__)

PACK_DIR = "offline"
PACK_NAME = "pytorch-foundations.zip"
#: Inside the archive everything lives in one folder, so unpacking makes no mess.
PACK_ROOT = "pytorch-foundations"
#: Fixed timestamp of every archive member: the same site gives the same archive.
ZIP_DATE = (2020, 1, 1, 0, 0, 0)


# --- 1. the "Verified" note -------------------------------------------------------------------

def _report_path(app: Sphinx) -> Path:
    return Path(app.srcdir) / app.config.course_verified_report


def _load_report(app: Sphinx) -> dict:
    path = _report_path(app)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _utc(timestamp: str) -> str:
    moment = datetime.fromisoformat(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _status_link(app: Sphinx, docname: str, label: str = "status page") -> addnodes.pending_xref:
    target = "/" + app.config.course_status_doc
    xref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=target,
                                 refexplicit=True, refwarn=True, refdoc=docname)
    xref += nodes.inline("", label, classes=["xref", "std", "std-doc"])
    return xref


def _zh(app: Sphinx) -> bool:
    """Whether this is a build of the Chinese edition (``scripts/i18n.py build``)."""
    return str(app.config.language or "").startswith("zh")


#: The sentences of the "Verified" note, in the two editions.
NOTE_TEXT = {
    "en": {
        "missing": ("Not verified yet: ", "{report} has no record of this notebook (run make regenerate). See the ",
                    "."),
        "passed": ("Verified: ", "outputs produced and checked on "),
        "failed": ("Not verified ({status}): ", "last run on "),
        "with": (" with Python ", ", torch ", " and course_utils "),
        "with_failed": (" with Python ", ", torch ", " and course_utils "),
        "seconds": "; the notebook ran in {seconds:.1f} s. ",
        "portable": ("On another machine the numbers may differ in their last digits; "
                     "the claims, checked by asserts, hold there too. Details on the "),
        "status": "status page",
        "end": ".",
    },
    "zh": {
        "missing": ("尚未验证：", "{report} 中没有这个笔记本的记录（请运行 make regenerate）。参见", "。"),
        "passed": ("已验证：", "输出于 "),
        "failed": ("未通过验证（{status}）：", "最后一次运行于 "),
        "with": (" 生成并检查，使用 Python ", "、torch ", " 和 course_utils "),
        "with_failed": ("，使用 Python ", "、torch ", " 和 course_utils "),
        "seconds": "；笔记本运行了 {seconds:.1f} 秒。",
        "portable": "在另一台机器上，数字的最后几位可能不同；由 assert 检查的结论在那里同样成立。详见",
        "status": "状态页",
        "end": "。",
    },
}


def _verified_node(app: Sphinx, docname: str, entry: dict | None, report: dict) -> nodes.container:
    text = NOTE_TEXT["zh" if _zh(app) else "en"]
    box = nodes.container(classes=["course-verified"])
    para = nodes.paragraph()
    box += para
    if entry is None:
        box["classes"].append("course-verified-missing")
        head, body, end = text["missing"]
        para += nodes.strong("", head)
        para += nodes.Text(body.format(report=app.config.course_verified_report))
        para += _status_link(app, docname, text["status"])
        para += nodes.Text(end)
        return box
    versions = {**report.get("versions", {}), **(entry.get("versions") or {})}
    status = entry.get("status", "unknown")
    executed = entry.get("executed_at") or report.get("generated_at")
    when = _utc(executed) if executed else "?"
    if status != "passed":
        box["classes"].append("course-verified-failed")
    head, body = text["passed"] if status == "passed" else text["failed"]
    para += nodes.strong("", head.format(status=status))
    para += nodes.Text(body)
    para += nodes.inline("", when, classes=["course-verified-date"])
    with_python, with_torch, with_utils = text["with" if status == "passed" else "with_failed"]
    para += nodes.Text(with_python)
    para += nodes.literal("", versions.get("python", "?"))
    para += nodes.Text(with_torch)
    para += nodes.literal("", versions.get("torch", "?"))
    para += nodes.Text(with_utils)
    para += nodes.literal("", versions.get("course_utils", "?"))
    seconds = entry.get("seconds")
    para += nodes.Text(text["seconds"].format(seconds=seconds) if isinstance(seconds, (int, float))
                       else text["end"] + " ")
    para += nodes.Text(text["portable"])
    para += _status_link(app, docname, text["status"])
    para += nodes.Text(text["end"])
    return box


def _language_link(app: Sphinx, docname: str) -> nodes.paragraph:
    """A link to the same page in the other edition: the Chinese one lives under ``zh/``."""
    depth = docname.count("/")
    if _zh(app):
        uri, label, lang = "../" * (depth + 1) + f"{docname}.html", "English", "en"
    else:
        uri, label, lang = "../" * depth + f"zh/{docname}.html", "中文版", "zh-CN"
    para = nodes.paragraph(classes=["course-language"])
    para += nodes.reference("", label, refuri=uri, classes=["course-language-link"], hreflang=lang)
    return para


def add_verified_note(app: Sphinx, doctree: nodes.document) -> None:
    """Under the title of every page: the link to the other edition, and on notebook pages the note."""
    if app.builder.name == "gettext":  # generated in each language: no message to translate
        return
    env = app.env
    docname = env.docname
    source = Path(env.doc2path(docname))
    added = [_language_link(app, docname)]
    if source.suffix == ".ipynb":
        env.note_dependency(str(_report_path(app)))  # re-read the page when the report changes
        report = _load_report(app)
        relative = source.resolve().relative_to(Path(app.srcdir).resolve()).as_posix()
        entry = next((e for e in report.get("notebooks", []) if e.get("notebook") == relative), None)
        if entry is None:
            logger.warning("%s: no entry in %s, so its page cannot say when it was verified "
                           "(run make regenerate)", relative, app.config.course_verified_report,
                           type="course", subtype="unverified", location=docname)
        added.insert(0, _verified_node(app, docname, entry, report))
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        for position, node in enumerate(added, start=1):
            section.insert(position, node)
    else:
        for position, node in enumerate(added):
            doctree.insert(position, node)


# --- glued numbers inside translated text ------------------------------------------------------

def _glue_in_translations() -> None:
    """Let ``{glue:text}`key``` work inside a translated message.

    Sphinx parses each translated message (msgstr) as a document of its own,
    which lacks the notebook's outputs, so myst-nb's glue roles find no data
    there and paste nothing.  In that case the role is turned into myst-nb's
    cross-document form ``<this notebook>::key``, which is resolved after
    reading from the glue data myst-nb keeps for every notebook.
    """
    from myst_nb.ext.glue import roles

    for cls in (roles.PasteRoleAny, roles.PasteTextRole, roles.PasteMarkdownRole):
        if getattr(cls, "_course_translated", False):
            continue
        original = cls.run

        def run(self, _original=original, _formatted=cls is not roles.PasteRoleAny):
            env = getattr(self.document.settings, "env", None)
            if env is not None and "nb_renderer" not in self.document and "::" not in self.text:
                # The text role splits a format off at the last colon ("key:.2f"), so the
                # cross-document form needs one: ":s" keeps the stored text as it is.
                suffix = ":s" if _formatted and ":" not in self.text else ""
                self.text = f"{Path(env.doc2path(env.docname)).name}::{self.text}{suffix}"
            return _original(self)

        cls.run = run
        cls._course_translated = True


# --- 2. no Thebe scripts from a CDN -----------------------------------------------------------

def _is_thebe_script(script) -> bool:
    filename = getattr(script, "filename", None) or ""
    body = (getattr(script, "attributes", None) or {}).get("body", "")
    return "sphinx-thebe.js" in str(filename) or "THEBE_JS_URL" in body


#: The labels of folded cells (the notebooks' mystnb code_prompt_show/hide and myst-nb's defaults).
PROMPTS_ZH = {
    "Show solution": "显示答案", "Hide solution": "隐藏答案",
    "Show the setup code": "显示设置代码", "Hide the setup code": "隐藏设置代码",
    "Show code cell source": "显示代码", "Hide code cell source": "隐藏代码",
    "Show code cell outputs": "显示输出", "Hide code cell outputs": "隐藏输出",
    "Show code cell content": "显示单元格", "Hide code cell content": "隐藏单元格",
}


def drop_thebe_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe_script(s)]
    if _zh(app) and "body" in context:
        body = context["body"]
        if pagename == app.config.root_doc:
            # The offline pack is built with the English site; from zh/ it is one folder up.
            body = body.replace(f'href="{PACK_DIR}/{PACK_NAME}"', f'href="../{PACK_DIR}/{PACK_NAME}"')
        # The buttons of folded cells come from the notebooks' cell metadata, which gettext
        # does not reach: the Chinese edition names them itself.
        for english, chinese in PROMPTS_ZH.items():
            body = body.replace(f'admonition-title">{english}</p>', f'admonition-title">{chinese}</p>')
        context["body"] = body


# --- 3. the offline pack ----------------------------------------------------------------------

README = """\
PyTorch foundations: the course site and its notebooks, for reading offline.

  index.html      open it in a browser: it opens site/index.html (no server needed)
  index-zh.html   the Chinese edition: it opens site/zh/index.html
  site/           the whole course site, the Chinese edition in site/zh/; maths,
                  search and figures work without a network
  notebooks/      every notebook of the course, with its stored outputs

To run a notebook you need Python, PyTorch and the course's helper package
course_utils: the notebook's first cell installs course_utils from the course
repository ({repository}) when it is missing, which needs a network once.

PyTorch 基础：课程网站及其笔记本，供离线阅读。用浏览器打开 index-zh.html 即可阅读
中文版（site/zh/index.html）。中文版翻译了网页；笔记本（notebooks/）仍是英文的。
"""

REDIRECT = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=site/index.html">
<title>PyTorch foundations (offline)</title></head>
<body><p><a href="site/index.html">Open the course site</a>.
The notebooks are in the <a href="notebooks/">notebooks</a> folder.</p></body></html>
"""


REDIRECT_ZH = """\
<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=site/zh/index.html">
<title>PyTorch 基础（离线版）</title></head>
<body><p><a href="site/zh/index.html">打开课程网站（中文版）</a>。
笔记本在 <a href="notebooks/">notebooks</a> 文件夹中（英文）。</p></body></html>
"""


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(f"{PACK_ROOT}/{name}", date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def build_offline_pack(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or _zh(app):
        return  # the English build packs the whole site, the Chinese edition in site/zh/ included
    outdir = Path(app.outdir)
    target = outdir / PACK_DIR / PACK_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    notebooks = sorted(Path(app.env.doc2path(d)) for d in app.env.found_docs
                       if Path(app.env.doc2path(d)).suffix == ".ipynb")
    srcdir = Path(app.srcdir).resolve()
    repository = (app.config.html_theme_options or {}).get("repository_url", "") or "see the site"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        _write(archive, "index.html", REDIRECT.encode())
        if (outdir / "zh" / "index.html").is_file():
            _write(archive, "index-zh.html", REDIRECT_ZH.encode())
        _write(archive, "README.txt", README.format(repository=repository).encode())
        for path in sorted(p for p in outdir.rglob("*") if p.is_file()):
            relative = path.relative_to(outdir)
            if relative.parts[0] == PACK_DIR:
                continue
            data = path.read_bytes()
            if relative.as_posix() in (f"{app.config.root_doc}.html", f"zh/{app.config.root_doc}.html"):
                # In the pack, the "download the offline pack" link points at the pack's README.
                up = "../" * relative.as_posix().count("/")
                # (The Chinese intro, one folder down, already links to "../offline/...".)
                data = data.replace(f'href="{up}{PACK_DIR}/{PACK_NAME}"'.encode(), f'href="{up}../README.txt"'.encode())
            _write(archive, f"site/{relative.as_posix()}", data)
        for notebook in notebooks:
            _write(archive, f"notebooks/{notebook.resolve().relative_to(srcdir).as_posix()}",
                   notebook.read_bytes())
    partial.replace(target)
    size = target.stat().st_size / 2**20
    logger.info("offline pack: %s (%.1f MiB, %d notebooks)", target.relative_to(outdir), size, len(notebooks))


def chinese_status_page(app: Sphinx, docname: str, source: list[str]) -> None:
    """The Chinese edition renders the status page in Chinese from the report (it has no catalogue)."""
    if not _zh(app) or docname != app.config.course_status_doc:
        return
    spec = importlib.util.spec_from_file_location("course_status_page", _BOOK.ROOT / "scripts" / "status_page.py")
    status_page = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(status_page)
    report = _load_report(app)
    env = app.env
    env.note_dependency(str(_report_path(app)))
    source[0] = status_page.render(report, _BOOK.toc_notebooks(Path(app.srcdir)), language="zh")


def add_static_path(app: Sphinx) -> None:
    static = str(Path(__file__).with_name("static"))
    if static not in app.config.html_static_path:
        app.config.html_static_path.append(static)


def setup(app: Sphinx) -> dict:
    app.add_config_value("course_verified_report", str(_BOOK.REPORT.relative_to(_BOOK.ROOT)), "env")
    app.add_config_value("course_status_doc", "status", "env")
    app.connect("builder-inited", add_static_path)
    app.add_css_file("course_site.css")
    app.connect("doctree-read", add_verified_note)
    app.connect("source-read", chinese_status_page)
    _glue_in_translations()
    app.connect("html-page-context", drop_thebe_scripts, priority=900)
    # After sphinx-mathjax-offline (priority 500) has copied MathJax into _static.
    app.connect("build-finished", build_offline_pack, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
