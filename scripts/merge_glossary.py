#!/usr/bin/env python3
"""Merge the ```{glossary} blocks of glossary.md into one alphabetical block.

    python scripts/merge_glossary.py            # rewrite glossary.md
    python scripts/merge_glossary.py --check    # exit 1 if it is not one sorted block

Chapter authors append new terms in a block of their own at the end of
glossary.md (see CONTRIBUTING.md); a maintainer merges them now and then.
Every entry is kept as written; a term defined twice stops the merge (Sphinx
would reject it too), so that someone decides which definition stays.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "glossary.md"
BLOCK = re.compile(r"^```\{glossary\}[^\n]*\n(.*?)^```[ \t]*\n?", re.MULTILINE | re.DOTALL)


def entries(block: str) -> list[list[str]]:
    """The entries of one block, each as its lines (term lines, then indented definition lines)."""
    found: list[list[str]] = []
    for line in block.splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        starts_entry = not line[0].isspace()
        if starts_entry and (not found or found[-1][-1][0].isspace()):
            found.append([line.rstrip()])
        else:  # a definition line, or a second term line of the same entry
            found[-1].append(line.rstrip())
    return found


def merge(text: str) -> str:
    blocks = list(BLOCK.finditer(text))
    if not blocks:
        raise SystemExit("glossary.md has no ```{glossary} block")
    header = text[: blocks[0].start()].rstrip() + "\n\n"
    between = "".join(text[a.end(): b.start()] for a, b in zip(blocks, blocks[1:])) + text[blocks[-1].end():]
    if between.strip():
        raise SystemExit(f"text outside the glossary blocks would be lost: {between.strip()[:200]!r}")
    merged = [e for b in blocks for e in entries(b.group(1))]
    terms = [" ".join(line.split()).lower() for e in merged for line in e if not line[0].isspace()]
    duplicates = sorted({t for t in terms if terms.count(t) > 1})
    if duplicates:
        raise SystemExit(f"terms defined more than once (keep one definition, then merge): {duplicates}")
    merged.sort(key=lambda e: e[0].strip().casefold())
    body = "\n\n".join("\n".join(e) for e in merged)
    return f"{header}```{{glossary}}\n{body}\n```\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = GLOSSARY.read_text()
    merged = merge(text)
    if args.check:
        if merged != text:
            print("glossary.md is not one sorted block: run python scripts/merge_glossary.py", file=sys.stderr)
            return 1
        return 0
    GLOSSARY.write_text(merged)
    blocks = BLOCK.findall(text)
    print(f"glossary.md: {len(blocks)} block(s) merged into one of {sum(len(entries(b)) for b in blocks)} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
