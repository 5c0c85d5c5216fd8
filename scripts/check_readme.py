"""Run the code blocks of the README and docs/ marked `<!-- checked by CI ... -->`, so the examples
stay true.

python scripts/check_readme.py [PAGE ...]     (after `dvc repro`; default: every page, in PAGES order)

Each block runs in its own `bash -euo pipefail`, from the repository root. The pages run in a fixed
order, because a block may need what an earlier one left (all but one need `dvc repro` done): a
page under docs/ that PAGES does not name is an error, so a new page is placed on purpose.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = (
    "README.md",
    "docs/install.md",
    "docs/own-model.md",
    "docs/experiments.md",
    "docs/predict.md",
    "docs/clip-oov.md",
    "docs/results.md",
    "docs/paper.md",  # its block changes params.yaml and checks it out again
    "docs/remote.md",  # its block adds a --local default remote and pushes to it
    "docs/machines.md",
    "docs/method.md",
    "docs/design.md",
    "docs/scale.md",
)


def marked_blocks(text: str, checker: str = "CI") -> list[str]:
    """The ```bash blocks of `text` right after a `<!-- checked by CHECKER ... -->` line."""
    pattern = rf"^<!-- checked by {re.escape(checker)}[ :][^>]*-->\n```bash\n(.*?)```"
    return re.findall(pattern, text, re.DOTALL | re.MULTILINE)


def unordered_pages() -> list[str]:
    """Pages under docs/ that PAGES does not place."""
    pages = (page.relative_to(ROOT).as_posix() for page in (ROOT / "docs").glob("*.md"))
    return sorted(page for page in pages if page not in PAGES)


def main(argv: list[str]) -> int:
    missing = unordered_pages()
    if missing:
        print(f"[docs] pages not in scripts/check_readme.py's PAGES: {', '.join(missing)}", file=sys.stderr)
        return 1
    pages = argv or list(PAGES)
    blocks = []
    for page in pages:
        text = (ROOT / page).read_text()
        found = marked_blocks(text)
        if len(found) != len(re.findall("^<!-- checked by CI", text, re.MULTILINE)):  # a mark, no block
            print(f"[docs] {page}: a 'checked by CI' mark without a ```bash block under it", file=sys.stderr)
            return 1
        blocks += [(page, block) for block in found]
    if not blocks:
        print(f"{', '.join(pages)}: no block marked '<!-- checked by CI -->'", file=sys.stderr)
        return 1
    for i, (page, block) in enumerate(blocks, start=1):
        print(f"[docs] block {i}/{len(blocks)}, {page}:\n{block}", flush=True)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=ROOT)
        if done.returncode != 0:
            print(f"[docs] block {i} ({page}) failed with exit status {done.returncode}", file=sys.stderr)
            return 1
    print(f"[docs] {len(blocks)} block(s) of {len(pages)} page(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
