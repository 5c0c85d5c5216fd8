"""Reading `params.yaml` for the stage scripts: one section per stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from errata.errors import ErrataError


def load(section: str, path: Path = Path("params.yaml")) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ErrataError(f"{path}: cannot read params ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get(section), dict):
        raise ErrataError(f"{path}: missing section {section!r}")
    return raw[section]
