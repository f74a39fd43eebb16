#!/usr/bin/env python3
"""LinkChecker on the built site, the same whether run by a user or by root (``make linkcheck``).

    python scripts/check_links.py [linkchecker options] _build/html/index.html

Run as root (as CI containers often do), ``linkchecker`` switches to the user
``nobody`` before it reads anything, and then fails with "Permission denied"
on a checkout in a private folder (a ``mktemp -d`` clone, a home directory),
although every link is fine.  Checking local files needs no privileges of its
own, so this wrapper runs LinkChecker's own command without that switch;
everything else (options, output, exit status) is LinkChecker's.
"""

from __future__ import annotations

import sys

import linkcheck.command.linkchecker as command

if not callable(getattr(command, "drop_privileges", None)):
    sys.exit("scripts/check_links.py: this LinkChecker has no drop_privileges(); update the wrapper")
command.drop_privileges = lambda: None
sys.argv[0] = "linkchecker"
sys.exit(command.linkchecker())
