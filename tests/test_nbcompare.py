"""The portable output comparison (scripts/nbcompare.py) fails on every real change.

Unit tests of the comparison rule, then notebooks executed by ``pytest --nbval``
with the plugin, as ``make test`` runs them: output that only moved within the
declared tolerance passes, while a changed word, a changed integer, a number
beyond the tolerance (as a different learning rate gives) and a failing assert
fail.  ``tests/test_nbcompare_course.py`` does the same on a course notebook.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import nbcompare  # noqa: E402


TRAINING = {"abs": 0.01, "reason": "accuracy after training; the last digits vary by CPU"}


def compare(stored: str, fresh: str, **tol) -> str | None:
    mismatch, _ = nbcompare.compare_text(stored, fresh, nbcompare.Tolerance(**tol) if tol else nbcompare.Tolerance())
    return mismatch.message if mismatch else None


# --- the rule --------------------------------------------------------------------------------

def test_identical_text_matches():
    assert compare("test accuracy 0.847 (8,470 of 10,000 images)", "test accuracy 0.847 (8,470 of 10,000 images)") is None


def test_round_off_is_allowed_by_default_and_nothing_more():
    assert compare("loss 0.4301", "loss 0.4302") is None          # one unit in the last digit
    assert "allowed 0.0001" in compare("loss 0.4301", "loss 0.4303")  # two units: a real change
    assert compare("gap 8.2e-05", "gap 8.3e-05") is None
    assert compare("gap 8.2e-05", "gap 2.6e-04") is not None
    assert compare("82.6 %", "82.7 %") is None and compare("82.6 %", "83.0 %") is not None


def test_integers_are_exact_unless_declared():
    assert "integer 5 is now 6" in compare("wrong on 5 images", "wrong on 6 images")
    assert compare("wrong on 5 images", "wrong on 6 images", int=1, reason="r") is None
    assert compare("1,234 images", "1,236 images", int_rel=0.01, reason="r") is None
    assert compare("torch.Size([256, 784])", "torch.Size([256, 785])", abs=1.0, reason="r") is not None


def test_a_declared_tolerance_allows_its_width_and_no_more():
    assert compare("val acc 0.826", "val acc 0.835", **TRAINING) is None
    assert "declared tolerance abs 0.01" in compare("val acc 0.826", "val acc 0.840", **TRAINING)
    assert compare("loss 2.000", "loss 2.090", rel=0.05, reason="r") is None
    assert compare("loss 2.000", "loss 2.110", rel=0.05, reason="r") is not None


def test_text_must_match_whatever_the_numbers():
    assert "text differs" in compare("the MLP is higher", "the MLP is lower", **TRAINING)
    assert "text differs" in compare("verdict: no difference shown", "verdict: A is higher", **TRAINING)
    assert "numbers of numbers" in compare("acc 0.8", "acc 0.8 and 0.9", **TRAINING)
    assert compare("nan", "inf") is not None
    # Alignment padding is not meaningful: runs of spaces count as one.
    assert compare("lr   9.99 |", "lr  10.00 |", abs=0.02, reason="r") is None
    # Digits inside words are text: fc3 is not fc4.
    assert compare("fc3.weight", "fc4.weight", int=5, reason="r") is not None


@pytest.mark.parametrize(
    "metadata, match",
    [
        ({"tolerance": {"abs": 0.01}}, "needs a 'reason'"),
        ({"tolerance": {"abs": 0.01, "reason": "two\nlines"}}, "one line"),
        ({"tolerance": {"abs": -1, "reason": "r"}}, "abs must be a number >= 0"),
        ({"tolerance": {"absolute": 0.1, "reason": "r"}}, "unknown keys"),
        ({"tolerance": {"reason": "r"}}, "no width"),
        ({"tolerance": 0.01}, "must be a mapping"),
    ],
)
def test_malformed_declarations_are_refused(metadata, match):
    with pytest.raises(nbcompare.ToleranceError, match=match):
        nbcompare.tolerance_of(metadata)


@pytest.mark.parametrize("path", sorted((ROOT / "chapters").rglob("*.ipynb")), ids=lambda p: p.name)
def test_the_course_s_declarations_are_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            try:
                nbcompare.tolerance_of(cell.metadata)
            except nbcompare.ToleranceError as e:
                pytest.fail(f"{path.name} cell {i}: {e}")


# --- pytest --nbval with the plugin ----------------------------------------------------------

def _notebook(cells: list[tuple[str, str, dict]]) -> nbformat.NotebookNode:
    """A notebook whose cells (source, stored stdout, metadata) look executed."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, (source, stdout, metadata) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, metadata=metadata)
        cell.execution_count = i
        if stdout:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stdout)]
        nb.cells.append(cell)
    return nb


def _run(pytester: pytest.Pytester, nb: nbformat.NotebookNode, *args: str, fingerprint: dict | None = None):
    """Run ``pytest --nbval`` with the plugin on ``nb`` in a fresh directory, in a subprocess."""
    nbformat.write(nb, pytester.path / "page.ipynb")
    if fingerprint is not None:
        (pytester.path / "reports").mkdir()
        (pytester.path / "reports" / "notebooks.json").write_text(json.dumps(
            {"notebooks": [{"notebook": "page.ipynb", "fingerprint": fingerprint}]}))
    with pytest.MonkeyPatch.context() as mp:  # the subprocess finds the plugin on its path
        mp.setenv("PYTHONPATH", str(ROOT / "scripts") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        return pytester.runpytest_subprocess("-p", "nbcompare", "-p", "no:cacheprovider", "--nbval",
                                             "--nbval-current-env", "page.ipynb", *args)


TOLERANT = {"tolerance": TRAINING}


def test_each_real_change_fails_and_platform_noise_passes(pytester):
    nb = _notebook([
        # 0: moved within the declared tolerance (platform noise): passes
        ("print('validation accuracy 0.826')", "validation accuracy 0.831\n", TOLERANT),
        # 1: moved beyond it, as after a change of learning rate: fails
        ("print('validation accuracy 0.700')", "validation accuracy 0.826\n", TOLERANT),
        # 2: a changed word: fails, tolerance or not
        ("print('training loss falls')", "training loss rises\n", TOLERANT),
        # 3: a changed integer that is not declared tolerant: fails
        ("print('wrong on 6 images')", "wrong on 5 images\n", TOLERANT),
        # 4: a failing assert: fails, whatever the outputs
        ("assert 0.826 > 0.9, 'accuracy claim'", "", {}),
        # 5: round-off in the last digit without a declaration: passes
        ("print('loss 0.4302')", "loss 0.4301\n", {}),
    ])
    result = _run(pytester, nb, "--nbval-compare=tolerant")
    result.assert_outcomes(passed=2, failed=4)
    out = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout.str())  # the kernel's traceback is coloured
    for cell in (1, 2, 3, 4):
        assert f"page.ipynb::Cell {cell}" in out
    assert "number 0.826 is now 0.7" in out
    assert "text differs: stored 'training loss rises', now 'training loss falls'" in out
    assert "integer 5 is now 6" in out
    assert "AssertionError: accuracy claim" in out
    # The summary says how each cell was compared and how wide the tolerance was.
    assert "page.ipynb: tolerant (--nbval-compare=tolerant); 5 cells compared" in out
    assert "Cell 0: declared tolerance abs 0.01; largest deviation 50% of the allowed width" in out


def test_the_same_fingerprint_means_an_exact_comparison(pytester):
    import book

    nb = _notebook([("print('validation accuracy 0.826')", "validation accuracy 0.831\n", TOLERANT)])
    same = _run(pytester, nb, fingerprint=book.fingerprint())
    same.assert_outcomes(failed=1)
    assert "compared exactly here (the machine's fingerprint matches the stored one)" in same.stdout.str()
    assert "they would match" in same.stdout.str()


def test_another_fingerprint_means_a_tolerant_comparison(pytester):
    import book

    other = {**book.fingerprint(), "torch_cpu_capability": "SOMETHING_ELSE"}
    nb = _notebook([("print('validation accuracy 0.826')", "validation accuracy 0.831\n", TOLERANT)])
    result = _run(pytester, nb, fingerprint=other)
    result.assert_outcomes(passed=1)
    assert "tolerant (fingerprint differs in torch_cpu_capability)" in result.stdout.str()


def test_a_malformed_declaration_fails_its_cell(pytester):
    nb = _notebook([("print('validation accuracy 0.826')", "validation accuracy 0.831\n",
                     {"tolerance": {"abs": 0.01}})])
    result = _run(pytester, nb, "--nbval-compare=tolerant")
    result.assert_outcomes(failed=1)
    assert "needs a 'reason'" in result.stdout.str()
