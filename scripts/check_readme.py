"""Run the README's code blocks marked `<!-- checked by CI ... -->`, so its examples stay true.

python scripts/check_readme.py [README.md]     (from the repo root, after `dvc repro`)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MARKED = re.compile(r"<!-- checked by CI[^>]*-->\n```bash\n(.*?)```", re.DOTALL)


def main() -> int:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    blocks = MARKED.findall(readme.read_text())
    if not blocks:
        print(f"{readme}: no block marked '<!-- checked by CI -->'", file=sys.stderr)
        return 1
    for i, block in enumerate(blocks, start=1):
        print(f"[readme] block {i}/{len(blocks)}:\n{block}", flush=True)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", block])
        if done.returncode != 0:
            print(f"[readme] block {i} failed with exit status {done.returncode}", file=sys.stderr)
            return 1
    print(f"[readme] {len(blocks)} block(s) ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
