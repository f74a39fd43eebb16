#!/usr/bin/env python3
"""What the scripts and tests share about the book: its paths, its table of contents, the kernel environment.

One place for each, so that the regeneration command, the status page, the
site build and the tests agree:

* :data:`ROOT`, :data:`TOC`, :data:`REPORT`, :data:`STATUS_PAGE`;
* :data:`KERNEL_ENV`, the environment of every notebook kernel (the Makefile
  exports the same values; ``tests/test_book.py`` checks that they agree);
* :func:`fingerprint`, what decides the last bits of the numbers a notebook
  prints: the CPU, torch's kernels, the BLAS, the versions and the kernel
  settings (the regeneration command stores it with the outputs; the test
  command compares outputs exactly only where it matches);
* :func:`toc_pages` (every page of ``_toc.yml`` in reading order),
  :func:`toc_notebooks` (those that are notebooks) and
  :func:`chapter_notebooks` (every notebook file under ``chapters/``, in
  reading order, then any that ``_toc.yml`` lacks).

    python scripts/book.py    # print the pages of the table of contents
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"
REPORT = ROOT / "reports" / "notebooks.json"
STATUS_PAGE = ROOT / "status.md"

#: Environment of every kernel, in the regeneration command and in the test
#: command (the Makefile exports the same): one thread per kernel makes
#: results and timings reproducible (see benchmarks/).
KERNEL_ENV = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}


#: Environment variables that change which kernels compute a result, and so its last bits.
KERNEL_SETTINGS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA",
                   "MKL_ENABLE_INSTRUCTIONS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _cpu() -> dict[str, str]:
    """The CPU's vendor and model, from /proc/cpuinfo where there is one."""
    import platform

    info = {"vendor": "", "model": ""}
    numbers: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "vendor_id" and not info["vendor"]:
                info["vendor"] = value
            elif key in ("model name", "Model", "CPU part") and not info["model"]:
                info["model"] = value
            elif key in ("cpu family", "model", "stepping") and key not in numbers:
                numbers[key] = value
    except OSError:
        pass
    if len(numbers) == 3:  # x86: the model name alone can be generic on a virtual machine
        info["model"] += f" (family {numbers['cpu family']}, model {numbers['model']}, stepping {numbers['stepping']})"
    info["vendor"] = info["vendor"] or platform.system()
    info["model"] = info["model"] or platform.processor() or platform.machine()
    return info


def fingerprint() -> dict[str, str]:
    """What decides the last bits of the numbers a notebook computes on this machine.

    The CPU's vendor and model, torch's CPU capability (the vectorised kernels
    it picked), the BLAS torch was built with, the versions of Python, torch
    and NumPy, the machine's architecture, and the kernel settings of
    :data:`KERNEL_SETTINGS` that are set.  Two machines with the same
    fingerprint compute the same bits (the test command then compares
    outputs exactly); with different ones the last digits may differ.
    """
    import os
    import platform
    import re

    import numpy
    import torch

    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    mkl = re.search(r"Math Kernel Library Version ([\w.\-]+)", config)
    blas_text = blas.group(1) if blas else "unknown"
    if mkl:
        blas_text += f" {mkl.group(1)}"
    cpu = _cpu()
    settings = {k: os.environ[k] for k in KERNEL_SETTINGS if k in os.environ}
    return {
        "cpu_vendor": cpu["vendor"],
        "cpu_model": cpu["model"],
        "machine": platform.machine(),
        "torch_cpu_capability": str(torch.backends.cpu.get_cpu_capability()),
        "blas": blas_text,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "kernel_settings": " ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "none",
    }


def _strip(file: str) -> str:
    return file.removesuffix(".ipynb").removesuffix(".md")


def toc_pages(toc: Path = TOC) -> list[str]:
    """Every page of the table of contents (the root, then each ``file`` entry), without suffix, in order."""
    import yaml

    data = yaml.safe_load(Path(toc).read_text())
    pages = [_strip(data["root"])]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(_strip(entry["file"]))
            for key in ("sections", "chapters", "parts"):
                walk(entry.get(key, []))

    walk(data.get("parts", []) + data.get("chapters", []))
    return pages


def page_source(page: str, root: Path = ROOT) -> Path | None:
    """The ``.md`` or ``.ipynb`` file of a page, or ``None`` when it is not written yet."""
    for suffix in (".md", ".ipynb"):
        if (root / f"{page}{suffix}").is_file():
            return root / f"{page}{suffix}"
    return None


def is_notebook_page(page: str, root: Path = ROOT) -> bool:
    """A page is a notebook when its ``.ipynb`` exists, or when it is a section under ``chapters/``
    (any page there but a chapter's ``index``), written or not."""
    return (root / f"{page}.ipynb").is_file() or (page.startswith("chapters/") and not page.endswith("/index"))


def toc_notebooks(root: Path = ROOT) -> list[str]:
    """The notebooks of ``_toc.yml``, as paths relative to the root (``chapters/.../x.ipynb``), in order."""
    return [f"{page}.ipynb" for page in toc_pages(root / "_toc.yml") if is_notebook_page(page, root)]


def chapter_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook file under ``chapters/``: those of ``_toc.yml`` in reading order, then any others."""
    ordered = [root / nb for nb in toc_notebooks(root) if (root / nb).is_file()]
    others = [p for p in sorted((root / "chapters").rglob("*.ipynb"))
              if p not in ordered and ".ipynb_checkpoints" not in p.parts]
    return ordered + others


if __name__ == "__main__":
    print("\n".join(toc_pages()))
    sys.exit(0)
