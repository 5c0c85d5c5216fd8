"""Reading `params.yaml` for the stage scripts: one section per stage, every key checked against
`KEYS`, so a misspelt key is an error that names its line and the key meant, not a silent default
(or a value never read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from errata import lookup
from errata.errors import ErrataError

# the keys of each section of params.yaml (its comments say what each one does)
KEYS: dict[str, tuple[str, ...]] = {
    "images": ("val", "train", "expect"),
    "labels": ("set",),
    "taxonomy": ("definitions",),
    "cooccurrence": ("images", "min_count", "per_images"),
    "import": ("models", "files"),
    "predict": (
        "models",
        "random_weights",
        "on_unreadable",
        "clip_templates",
        "batch_size",
        "workers",
        "device",
    ),
    "oov": ("model", "pretrained", "gate", "templates", "random_weights", "batch_size", "workers", "device"),
}


def load(section: str, path: Path = Path("params.yaml")) -> dict[str, Any]:
    raw = read(path)
    if not isinstance(raw.get(section), dict):
        raise ErrataError(f"{path}: missing section {section!r}")
    return raw[section]


def read(path: Path = Path("params.yaml")) -> dict[str, Any]:
    """The whole file, each of its sections and keys known (a section may leave keys out)."""
    try:
        text = Path(path).read_text()
        raw, node = yaml.safe_load(text), yaml.compose(text)
    except (OSError, yaml.YAMLError) as exc:
        raise ErrataError(f"{path}: cannot read params ({exc})") from None
    if not isinstance(raw, dict):
        raise ErrataError(f"{path}: expected sections {', '.join(KEYS)}")
    lines = lookup.node_lines(node)
    for section, keys in raw.items():
        where = lookup.at(path, lines, str(section))
        lookup.check_name("section", section, KEYS, where)
        within = lookup.node_lines(node, str(section))
        for key in keys if isinstance(keys, dict) else {}:
            lookup.check_name(f"key of {section}", key, KEYS[section], lookup.at(path, within, str(key)))
    return raw


def line_of(section: str, key: str, path: Path = Path("params.yaml")) -> str:
    """'PATH:LINE: section.key', where errors about a value start."""
    return f"{lookup.at(path, lookup.yaml_lines(path, section), key)}: {section}.{key}"
