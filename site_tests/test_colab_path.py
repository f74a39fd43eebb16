"""Run one notebook the way Colab does: alone, with course_utils not installed.

On Colab a learner opens a single notebook; nothing of the repository is next
to it and ``course_utils`` is not installed, so the notebook's setup cell must
``pip install`` it (from ``COURSE_UTILS_SOURCE``, by default the course
repository on GitHub).  This test reproduces that offline:

1. a fresh virtual environment that sees every package of ``.venv`` (torch,
   torchvision, matplotlib, ipykernel, ...) *except* course_utils: its
   site-packages holds links to the entries of ``.venv``'s, without
   course_utils' editable install;
2. a snapshot of this checkout (the files git would ship: tracked and
   untracked-but-not-ignored), which ``COURSE_UTILS_SOURCE`` points at.  A
   snapshot rather than the checkout itself because pip builds a local
   project in place and would leave ``build/`` behind in the working tree;
3. the notebook copied alone into an empty directory and executed there with
   nbclient, in a kernel of that environment, with pip limited to what is
   installed already (no index: the test needs no network);
4. checks that course_utils was missing before, that the setup cell installed
   it from ``COURSE_UTILS_SOURCE`` into the fresh environment, and that the
   notebook imported that copy (not the checkout's ``src/``).

Run with ``make colab-test`` (or ``make site-test``).  ``COLAB_TEST_NOTEBOOK``
picks the notebook (default: the Fashion-MNIST one, which also checks that the
data is found outside a checkout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOK = "chapters/02_softmax_regression/01_fashion_mnist.ipynb"

# Run in the fresh environment: execute the notebook, then a probe cell that
# reports which course_utils the kernel imported and where pip installed it from.
DRIVER = textwrap.dedent('''
    import sys
    from pathlib import Path

    import nbformat
    from nbclient import NotebookClient

    path, result = sys.argv[1], sys.argv[2]
    nb = nbformat.read(path, as_version=4)
    probe = nbformat.v4.new_code_cell(
        "import importlib.metadata, json, sys, course_utils\\n"
        "dist = importlib.metadata.distribution('course_utils')\\n"
        "print('PROBE' + json.dumps({'file': course_utils.__file__, 'executable': sys.executable,\\n"
        "    'direct_url': dist.read_text('direct_url.json')}))")
    nb.cells.append(probe)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(l for l in text.splitlines() if l.startswith("PROBE"))
    with open(result, "w") as f:
        f.write(line[len("PROBE"):])
''')


def _notebook() -> Path:
    name = os.environ.get("COLAB_TEST_NOTEBOOK", DEFAULT_NOTEBOOK)
    path = (ROOT / name).resolve()
    if not path.is_file():
        pytest.fail(f"no notebook {name} (set COLAB_TEST_NOTEBOOK to an existing one)")
    return path


def _snapshot_checkout(target: Path) -> None:
    """Copy the files of the checkout that git would ship (what a push puts on GitHub)."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             cwd=ROOT, check=True, capture_output=True).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # deleted but still in the index: skip
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _environment_without_course_utils(venv: Path) -> Path:
    """A venv whose site-packages links to everything of this one except course_utils."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        name = entry.name.lower()
        if name.startswith(("course_utils", "course-utils", "__editable__")) or name == "__pycache__":
            continue
        (purelib / entry.name).symlink_to(entry)
    return python


def _clean_env(tmp: Path, source: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PIP_", "JUPYTER", "COURSE_", "CONDA"))}
    env.update({
        "COURSE_UTILS_SOURCE": str(source),
        # pip may use only what is installed: no index, no isolated build environment
        # (which would download setuptools).  Colab does both online.
        "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(tmp / "pip-cache"),
        # A fresh user: an empty cache, so course_utils looks for its data as it would on Colab.
        "XDG_CACHE_HOME": str(tmp / "cache"), "MPLCONFIGDIR": str(tmp / "mpl"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"), "PYTHONNOUSERSITE": "1",
        "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0",
    })
    return env


def _can_import_course_utils(python: Path, env: dict[str, str], cwd: Path) -> str | None:
    """Where ``python`` would import course_utils from, or None."""
    out = subprocess.run([str(python), "-c", "import importlib.util as u; s = u.find_spec('course_utils'); "
                          "print(s.origin if s else '')"], env=env, cwd=cwd, check=True,
                         capture_output=True, text=True).stdout.strip()
    return out or None


def test_notebook_runs_alone_with_course_utils_installed_by_its_setup_cell(tmp_path):
    notebook = _notebook()
    start = time.perf_counter()

    source = tmp_path / "course-repository"
    _snapshot_checkout(source)
    python = _environment_without_course_utils(tmp_path / "colab-venv")
    work = tmp_path / "content"  # Colab's working directory is /content
    work.mkdir()
    shutil.copy2(notebook, work / notebook.name)
    env = _clean_env(tmp_path, source)

    # Before: the dependencies are there, course_utils is not.
    subprocess.run([str(python), "-c", "import torch, torchvision, nbclient, ipykernel"], env=env, cwd=work, check=True)
    assert _can_import_course_utils(python, env, work) is None, "course_utils is importable before the setup cell ran"

    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    result = tmp_path / "probe.json"
    run = subprocess.run([str(python), str(driver), str(work / notebook.name), str(result)],
                         env=env, cwd=work, capture_output=True, text=True, timeout=480)
    assert run.returncode == 0, f"{notebook.name} failed when run alone:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    probe = json.loads(result.read_text())

    # After: the kernel was the fresh environment's Python, and it imported a
    # course_utils that pip installed there from COURSE_UTILS_SOURCE.
    venv = tmp_path / "colab-venv"
    assert Path(probe["executable"]).parent == venv / "bin", probe
    installed = Path(probe["file"])
    assert venv in installed.parents and not installed.resolve().is_relative_to(ROOT), probe
    assert installed.is_file() and not installed.is_symlink(), f"{installed} is not a fresh install"
    direct_url = json.loads(probe["direct_url"] or "{}")
    assert direct_url.get("url") == source.as_uri(), f"installed from {direct_url}, expected {source.as_uri()}"
    # The course's own environment is untouched.
    assert _can_import_course_utils(Path(sys.executable), dict(os.environ), ROOT) is not None

    print(f"{notebook.name} ran alone in {time.perf_counter() - start:.1f} s; "
          f"course_utils installed by its setup cell from {source} into {installed.parent}")
