#!/usr/bin/env python3
"""Notebook tools of the course: the setup cell, regeneration and normalisation.

    python scripts/notebooks.py run [NOTEBOOK ...]      # regenerate stored outputs (all by default)
    python scripts/notebooks.py sync-setup [NOTEBOOK ...]  # rewrite the setup block of the first cell
    python scripts/notebooks.py new PATH "Title"        # start a notebook with the setup cell
    python scripts/notebooks.py setup-source            # print where the setup cell installs course_utils from

`run` is the project's regeneration command (``make regenerate``): it executes
each notebook in a fresh kernel with the same thread settings as the test
command, normalises the result (no timing metadata, coalesced streams, fixed
notebook metadata, nbstripout --keep-output --keep-count --keep-id) and writes
``reports/notebooks.json`` with each notebook's status, time and versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book  # noqa: E402  (the scripts' shared module)
from book import KERNEL_ENV, REPORT, ROOT, chapter_notebooks  # noqa: E402

SETUP_HEADER = "# Course setup: the same in every notebook, written by scripts/notebooks.py."
SETUP_END = "# End of the course setup; this notebook's imports and seeds follow."

SETUP_TEMPLATE = '''{header}
# Where course_utils is missing (as on Colab), install it from the course
# repository; set COURSE_UTILS_SOURCE to install from elsewhere (e.g. a local path).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("course_utils") is None:
    source = os.environ.get(
        "COURSE_UTILS_SOURCE",
        "{source}",
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", source], check=True
    )
{end}'''


def install_source() -> str:
    """The pip requirement the setup cell installs, derived from ``_config.yml``'s repository."""
    import yaml

    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    url = repo["url"].rstrip("/")
    if not url.endswith(".git"):
        url += ".git"
    return f"git+{url}@{repo.get('branch', 'main')}"


def setup_block() -> str:
    return SETUP_TEMPLATE.format(header=SETUP_HEADER, source=install_source(), end=SETUP_END)


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def set_setup_cell(nb: dict) -> None:
    """Put the current setup block at the top of the first cell, keeping what follows it."""
    cells = nb["cells"]
    first = cells[0] if cells else None
    rest = ""
    if first is not None and first["cell_type"] == "code" and _cell_source(first).startswith(SETUP_HEADER):
        src = _cell_source(first)
        rest = src.split(SETUP_END, 1)[1] if SETUP_END in src else ""
    else:
        first = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": ""}
        cells.insert(0, first)
    first["source"] = setup_block() + (rest if rest.startswith("\n") or not rest else "\n" + rest)
    meta = first.setdefault("metadata", {})
    tags = meta.setdefault("tags", [])
    if "hide-input" not in tags:
        tags.append("hide-input")
    meta.setdefault("mystnb", {})["code_prompt_show"] = "Show the setup code"
    meta["mystnb"]["code_prompt_hide"] = "Hide the setup code"


def normalise(path: Path) -> None:
    """Fixed notebook metadata and nbstripout's clean-up, keeping outputs, counts and ids."""
    import nbformat

    nb = json.loads(path.read_text())
    nb["metadata"] = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb["nbformat"], nb["nbformat_minor"] = 4, 5
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        cell.setdefault("id", uuid.uuid4().hex[:12])
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                # An expected exception (tag raises-exception): keep only its last line,
                # without ANSI colours or this machine's file paths.
                output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
    node = nbformat.from_dict(nb)
    nbformat.validate(node)
    path.write_text(nbformat.writes(node) + "\n")
    subprocess.run(
        [sys.executable, "-m", "nbstripout", "--keep-output", "--keep-count", "--keep-id", str(path)],
        check=True,
    )


def _incomplete(nb: dict) -> str | None:
    """Why an executed notebook must not be stored, or None: a code cell that did not run, or an
    error in a cell that is not tagged raises-exception."""
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or not _cell_source(cell).strip():
            continue
        if cell.get("execution_count") is None:
            return f"cell {i} was not executed"
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and "raises-exception" not in cell.get("metadata", {}).get("tags", []):
            return f"cell {i} raised {errors[0].get('ename')}: {errors[0].get('evalue')}"
        if not errors and "raises-exception" in cell.get("metadata", {}).get("tags", []):
            return f"cell {i} is tagged raises-exception but raised nothing"
    return None


def _execute(path_str: str) -> dict:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path_str)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", record_timing=False, coalesce_streams=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as e:
        lines = [line for line in str(e).splitlines() if line.strip()]
        error = lines[-1] if lines else repr(e)  # never empty: an empty error would read as "passed"
    seconds = time.perf_counter() - start
    if error is None:
        error = _incomplete(nb)
    if error is None:
        nbformat.write(nb, path)
        normalise(path)
    return {"notebook": str(path.relative_to(ROOT)), "status": "failed" if error else "passed",
            "seconds": round(seconds, 1), "error": error}


def _versions() -> dict:
    import torch
    import torchvision

    import course_utils

    return {"python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "course_utils": course_utils.__version__}


def run(paths: list[Path], jobs: int) -> int:
    os.environ.update(KERNEL_ENV)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(_execute, [str(p) for p in paths]))
    # Several runs of single notebooks may finish at once: update the report one at a time.
    import fcntl

    REPORT.parent.mkdir(exist_ok=True)
    with open(REPORT.parent / ".notebooks.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _write_report(results, jobs)


def _write_report(results: list[dict], jobs: int) -> int:
    previous = {}
    if REPORT.is_file():
        previous = {r["notebook"]: r for r in json.loads(REPORT.read_text()).get("notebooks", [])}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    versions = _versions()
    fingerprint = book.fingerprint()  # after run() set KERNEL_ENV: the kernels' settings
    for r in results:
        r["executed_at"] = now
        r["versions"] = versions  # per notebook: rows of earlier runs keep theirs
        r["fingerprint"] = fingerprint  # the test command compares exactly where it matches
        previous[r["notebook"]] = r
    order = [str(p.relative_to(ROOT)) for p in chapter_notebooks()]
    rows = [previous[k] for k in order if k in previous]
    REPORT.write_text(json.dumps({"generated_at": now, "command": "make regenerate", "jobs": jobs,
                                  "kernel_env": KERNEL_ENV, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                                  "versions": versions, "fingerprint": fingerprint, "notebooks": rows},
                                 indent=1) + "\n")
    # The book's status page (status.md) is rendered from the report.
    import status_page

    status_page.write(ROOT)
    for r in results:
        print(f"{r['status']:6}  {r['seconds']:6.1f} s  {r['notebook']}" + (f"\n        {r['error']}" if r["error"] else ""))
    return 1 if any(r["status"] != "passed" for r in results) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="execute notebooks and store their outputs")
    p_run.add_argument("notebooks", nargs="*", type=Path)
    p_run.add_argument("-j", "--jobs", type=int, default=2)
    p_sync = sub.add_parser("sync-setup", help="rewrite the setup block of notebooks")
    p_sync.add_argument("notebooks", nargs="*", type=Path)
    p_new = sub.add_parser("new", help="create a notebook that starts with the setup cell")
    p_new.add_argument("path", type=Path)
    p_new.add_argument("title")
    sub.add_parser("setup-source", help="print the install source of the setup cell")
    args = parser.parse_args(argv)

    if args.command == "setup-source":
        print(install_source())
        return 0
    if args.command == "new":
        if args.path.exists():
            parser.error(f"{args.path} exists already")
        nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": f"# {args.title}\n"}],
              "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        set_setup_cell(nb)  # inserts the setup cell before the title
        nb["cells"][0]["source"] += "\nimport torch\n\nimport course_utils as d2l\n\n_ = torch.manual_seed(0)"
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(json.dumps(nb, indent=1) + "\n")
        normalise(args.path)
        print(f"created {args.path}")
        return 0
    paths = [p.resolve() for p in args.notebooks] or chapter_notebooks()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    if args.command == "sync-setup":
        for path in paths:
            nb = json.loads(path.read_text())
            set_setup_cell(nb)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            normalise(path)
        print(f"setup cell written in {len(paths)} notebook(s)")
        return 0
    return run(paths, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
