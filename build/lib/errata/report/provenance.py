"""Where a report's numbers come from: the errata version and the params that decide the results.
The commit and date are git's, of the dvc.lock that records the report: written into the page they
would make every build differ, and a report DVC cannot rebuild byte for byte cannot be pulled into a
clone whose dvc.lock was committed elsewhere."""

from __future__ import annotations

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
COMMIT_AND_DATE = (
    "those of the commit whose dvc.lock records this report: "
    "git log -1 --format='%h %cs' -- dvc.lock (with dvc status up to date)"
)


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


def describe(params_path: Path | None) -> dict[str, Any]:
    """Version and the result params (None without a params file)."""
    return {
        "errata version": __version__,
        "params": result_params(params_path) if params_path else None,
    }
