"""Where a report's numbers come from: the errata version and commit, the params that decide the
results, and when it was built, so a reader can tell two reports apart and rebuild either."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from errata import __version__
from errata.errors import ErrataError

# The params.yaml keys that change a result (throughput-only keys are left out); the report stage
# declares exactly these as its params in dvc.yaml (a test checks), so `dvc status` sees them.
RESULT_PARAMS = (
    "labels.set",
    "taxonomy.definitions",
    "cooccurrence.images",
    "cooccurrence.min_count",
    "cooccurrence.per_images",
    "import.models",
    "import.files",
    "images.val",
    "images.train",
    "images.expect",
    "predict.models",
    "predict.random_weights",
    "predict.on_unreadable",
    "predict.clip_templates",
    "oov.model",
    "oov.pretrained",
    "oov.gate",
    "oov.templates",
    "oov.random_weights",
)
NOT_GIT = "not a git checkout"


def git_commit(repo: Path = Path(".")) -> str:
    """HEAD's hash, with '+ uncommitted changes' when the tracked files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return NOT_GIT
    return f"{head} + uncommitted changes" if dirty else head


def result_params(path: Path = Path("params.yaml")) -> dict[str, Any]:
    """RESULT_PARAMS as set in `path`, by dotted key."""
    try:
        raw = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ErrataError(f"{path}: cannot read params ({exc})") from None
    out = {}
    for key in RESULT_PARAMS:
        section, _, name = key.partition(".")
        value = (raw.get(section) or {}).get(name) if isinstance(raw, dict) else None
        out[key] = value
    return out


def describe(params_path: Path | None, repo: Path = Path("."), now: datetime | None = None) -> dict[str, Any]:
    """Version, commit, build time, and the result params (None without a params file)."""
    return {
        "errata version": __version__,
        "git commit": git_commit(repo),
        "built": (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "params": result_params(params_path) if params_path else None,
    }
