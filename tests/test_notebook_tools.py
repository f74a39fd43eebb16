"""scripts/notebooks.py: the setup cell, normalisation and the stored notebooks' conventions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tools(load_script):
    return load_script("notebooks")


def test_install_source_comes_from_config(tools):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    source = tools.install_source()
    assert source == f"git+{repo['url'].rstrip('/')}.git@{repo['branch']}"
    block = tools.setup_block()
    assert f'"COURSE_UTILS_SOURCE",\n        "{source}",' in block
    assert block.startswith(tools.SETUP_HEADER) and block.endswith(tools.SETUP_END)


def test_new_notebook_starts_with_the_setup_cell(tools, tmp_path):
    path = tmp_path / "nb.ipynb"
    assert tools.main(["new", str(path), "A title"]) == 0
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    setup, title = nb.cells[0], nb.cells[1]
    assert setup.source.startswith(tools.setup_block())
    assert "hide-input" in setup.metadata.tags
    assert title.source.startswith("# A title")
    with pytest.raises(SystemExit):
        tools.main(["new", str(path), "again"])


def test_sync_setup_replaces_only_the_setup_block(tools, tmp_path):
    path = tmp_path / "nb.ipynb"
    tools.main(["new", str(path), "T"])
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = ["# Course setup: the same in every notebook, written by scripts/notebooks.py.\n",
                                "old stuff\n", tools.SETUP_END + "\n", "import math\n"]
    path.write_text(json.dumps(nb))
    assert tools.main(["sync-setup", str(path)]) == 0
    source = nbformat.read(path, as_version=4).cells[0].source
    assert source == tools.setup_block() + "\nimport math\n"


def test_normalise_drops_timing_and_trims_expected_errors(tools, tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "x", "display_name": "X"}, "widgets": {}})
    cell = nbformat.v4.new_code_cell("1/0", metadata={"tags": ["raises-exception"], "execution": {"iopub.status.busy": "t"}})
    cell.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                           traceback=["\x1b[31m/home/me/x.py line 1\x1b[0m", "ZeroDivisionError"])]
    cell.execution_count = 3
    nb.cells = [cell]
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    tools.normalise(path)
    out = json.loads(path.read_text())
    assert out["metadata"] == {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                               "language_info": {"name": "python"}}
    stored = out["cells"][0]
    assert "execution" not in stored["metadata"] and stored["execution_count"] == 3
    assert stored["outputs"][0]["traceback"] == ["ZeroDivisionError: division by zero"]
    before = path.read_text()
    tools.normalise(path)
    assert path.read_text() == before, "normalising twice changes nothing"


def _notebooks():
    return sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_stored_notebooks_follow_the_conventions(tools, path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.source.startswith(tools.setup_block()), (
        "the first cell must start with the current setup block: run scripts/notebooks.py sync-setup"
    )
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count is not None for c in code), "outputs are stored: run make regenerate"
    assert nb.metadata.get("language_info") == {"name": "python"}, "normalised metadata: run make regenerate"
    for c in code:
        assert "execution" not in c.metadata, "timing metadata must not be stored"
        tags = c.metadata.get("tags", [])
        if any(o.output_type == "error" for o in c.outputs):
            assert "raises-exception" in tags, "only cells tagged raises-exception may store an error"
        if "solution" in tags:
            assert "hide-cell" in tags, "solutions are collapsed on the page"
            prompts = c.metadata.get("mystnb", {})
            assert (prompts.get("code_prompt_show"), prompts.get("code_prompt_hide")) == (
                "Show solution", "Hide solution"), "a solution's button says Show solution (CONTRIBUTING.md)"
        for o in c.outputs:
            if "image/png" in o.get("data", {}):
                assert c.metadata.get("mystnb", {}).get("image", {}).get("alt"), "figures need alt text"
        if "nbval-ignore-output" in tags:
            # Only machine-dependent results (timings) may escape the comparison.
            printed = "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
            assert all(line.startswith("Measured on this machine:") for line in printed.splitlines()), (
                "a cell tagged nbval-ignore-output may only print lines starting with 'Measured on this machine:'"
            )
            assert not any("image/png" in o.get("data", {}) for o in c.outputs), "figures are compared; not here"
        lines = [line.rstrip() for line in c.source.splitlines() if line.strip()]
        assert not (lines and lines[-1].endswith(";")), "no trailing semicolons (see CONTRIBUTING.md)"


def test_an_incomplete_run_is_not_stored(tools):
    nb = nbformat.v4.new_notebook()
    ok = nbformat.v4.new_code_cell("1")
    ok.execution_count = 1
    skipped = nbformat.v4.new_code_cell("2")
    assert tools._incomplete({"cells": [ok, skipped]}) == "cell 1 was not executed"
    skipped.execution_count = 2
    assert tools._incomplete({"cells": [ok, skipped]}) is None
    skipped.outputs = [nbformat.v4.new_output("error", ename="SyntaxError", evalue="bad", traceback=[])]
    assert "SyntaxError" in tools._incomplete({"cells": [ok, skipped]})
    skipped.metadata["tags"] = ["raises-exception"]
    assert tools._incomplete({"cells": [ok, skipped]}) is None
    ok.metadata["tags"] = ["raises-exception"]
    assert "raised nothing" in tools._incomplete({"cells": [ok, skipped]})


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_summary_comes_before_at_least_three_exercises(path):
    nb = nbformat.read(path, as_version=4)
    headings = [(i, line.strip()) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    summary = [i for i, h in headings if h == "## Summary"]
    exercises = [i for i, h in headings if h == "## Exercises"]
    assert summary and exercises, "a notebook needs a '## Summary' and a '## Exercises' section"
    assert summary[0] <= exercises[0], "the summary comes before the exercises"
    solutions = [c for c in nb.cells[exercises[0]:] if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 3, f"at least three exercises with solutions, found {len(solutions)}"


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_helpers_are_linked_to_the_api_page(load_script, path):
    linker = load_script("link_helpers")
    missing = linker.link(path, write=False)
    assert not missing, (
        f"first mentions of {missing} are not linked to the API page: run scripts/link_helpers.py {path.name}"
    )


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_admonitions_with_a_title_are_admonition_directives(path):
    """`:::{warning} Pitfall: ...` renders "Warning" and runs the title into the text; a titled box
    is `:::{admonition} Title` with `:class: warning` (CONTRIBUTING.md, Pitfalls)."""
    nb = nbformat.read(path, as_version=4)
    bad = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
           if re.match(r"^(:{3,}|`{3,})\{(warning|note|tip|important|caution|danger|attention|hint|error)\}\s*\S", line)]
    assert not bad, f"titled boxes written as plain admonitions (the title is lost): {bad}"
