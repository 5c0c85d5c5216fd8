"""The README and docs/ pages for the tests that run or quote them: a test finds the block marked for
it wherever the block lives, with the marks scripts/check_readme.py reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_readme", ROOT / "scripts" / "check_readme.py")
check_readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_readme)


def marked_block(checker: str) -> str:
    """The one ```bash block of all pages marked `<!-- checked by CHECKER ... -->`."""
    texts = [(ROOT / page).read_text() for page in check_readme.PAGES]
    blocks = [block for text in texts for block in check_readme.marked_blocks(text, checker)]
    assert len(blocks) == 1, f"{len(blocks)} blocks marked 'checked by {checker}' in the README and docs/"
    return blocks[0]
