#!/usr/bin/env python3
"""Link each notebook's first mention of a course_utils helper to its entry on the API page.

    python scripts/link_helpers.py [NOTEBOOK ...]    # all chapter notebooks by default
    python scripts/link_helpers.py --check           # exit 1 if a first mention is not linked

In a markdown cell, the first `` `d2l.name` `` (or `` `d2l.name(...)` ``) of a
public helper becomes `` {py:obj}`d2l.name <course_utils.module.name>` ``,
which the site renders as a link to the helper's entry on the API page
(``api.md``, built by Sphinx autodoc): helper code is linked, not pasted.
Markdown only; outputs are untouched, so no regeneration is needed.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from book import ROOT, chapter_notebooks  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))
import course_utils  # noqa: E402

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)


def targets() -> dict[str, str]:
    """Public name -> its documented path, e.g. 'train_ch3' -> 'course_utils.training.train_ch3'."""
    out = {}
    for name in course_utils.__all__:
        obj = getattr(course_utils, name)
        module = getattr(obj, "__module__", None)
        if module and module.startswith("course_utils.") and callable(obj):
            out[name] = f"{module}.{name}"
    return out


def link(path: Path, write: bool = True) -> list[str]:
    nb = json.loads(path.read_text())
    names = targets()
    linked, missing = set(), []
    # Names already linked anywhere in the notebook count as linked.
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            linked |= set(re.findall(r"\{py:obj\}`d2l\.(\w+) <", "".join(cell["source"])))
    if not write:  # check only: which helpers are mentioned but never linked
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                text = FENCE.sub(" ", "".join(cell["source"]))
                for name in re.findall(r"(?<![<{}])`d2l\.(\w+)(?:\(\))?`", text):
                    if name in names and name not in linked:
                        missing.append(name)
        return sorted(set(missing))
    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        src = "".join(cell["source"])
        fences = [(m.start(), m.end()) for m in FENCE.finditer(src)]

        def replace(m: re.Match) -> str:
            name = m.group(1)
            inside = any(a <= m.start() < b for a, b in fences)
            before = src[max(0, m.start() - 12):m.start()]
            if name not in names or name in linked or inside or before.endswith("}"):
                return m.group(0)
            linked.add(name)
            return f"{{py:obj}}`d2l.{name}{m.group(2) or ''} <{names[name]}>`"

        new = re.sub(r"`d2l\.(\w+)(\(\))?`", replace, src)
        if new != src:
            changed = True
            cell["source"] = new.splitlines(keepends=True)
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return ["changed"] if changed else []


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or chapter_notebooks()
    bad = 0
    for path in paths:
        result = link(path, write=not check)
        if check and result:
            bad += 1
            print(f"{path}: first mentions not linked: {', '.join(result)}")
        elif result:
            print(f"linked helpers in {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
