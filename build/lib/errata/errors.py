"""The one exception type the CLI and the stages turn into a clean message instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable


class ErrataError(Exception):
    """A problem with the user's inputs or environment, with a message that says how to fix it."""


def report_errors(command: str, fn: Callable[[], None]) -> int:
    """Run `fn`; an ErrataError becomes one line on stderr and exit status 2."""
    try:
        fn()
    except ErrataError as exc:
        print(f"errata {command}: error: {exc}", file=sys.stderr)
        return 2
    return 0
