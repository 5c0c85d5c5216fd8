"""scripts/check_links.py, which CI runs first: the README and docs/ as they are pass, and each kind of
broken reference in a small made-up repository fails with a line naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "check_links.py"
GOOD = """# A page

See [the other page](docs/other.md#a-heading-with-code-and-punctuation), [its top](docs/other.md),
[a folder](docs/) and [here](#a-page); `docs/other.md` is named too.

```bash
cat [not a link](nowhere.md) `scripts/not_checked_in_code.sh`
```
"""
OTHER = """# Other

## A heading with `code`, and punctuation!

## Twice

## Twice

Back [to the readme](../README.md#a-page) and to [the second one](#twice-1).
"""


def check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, "--root", root], capture_output=True, text=True)


@pytest.fixture
def repo(tmp_path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(GOOD)
    (tmp_path / "docs" / "other.md").write_text(OTHER)
    return tmp_path


def test_the_projects_own_pages_have_no_broken_link():
    done = check(ROOT)
    assert done.returncode == 0, done.stderr
    assert "0 problem(s)" in done.stdout


def test_a_small_repository_with_good_links_passes(repo):
    done = check(repo)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("page", "broken", "message"),
    [
        ("README.md", "[gone](docs/gone.md)", "docs/gone.md: no such file"),
        ("README.md", "[anchor](docs/other.md#nowhere)", "no heading 'nowhere' in docs/other.md"),
        ("docs/other.md", "[repeat](#twice-2)", "no heading 'twice-2' in docs/other.md"),
        ("docs/other.md", "[shared](../../shared/data/MANIFEST.json)", "outside the repository"),
        ("README.md", "run `scripts/setup_gone.sh` first", "`scripts/setup_gone.sh`: no such file"),
    ],
    ids=["file", "anchor", "repeated-heading", "outside", "backticked-path"],
)
def test_each_kind_of_broken_reference_fails_naming_it(repo, page, broken, message):
    path = repo / page
    path.write_text(path.read_text() + f"\nAnd {broken}.\n")
    done = check(repo)
    assert done.returncode == 1
    line = len(path.read_text().splitlines())
    assert f"{page}:{line}: " in done.stderr and message in done.stderr, done.stderr
