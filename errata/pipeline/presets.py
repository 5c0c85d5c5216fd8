"""Params presets: a partial params.yaml (such as presets/paper.yaml) merged into params.yaml key by
key, keeping its comments and everything the preset does not name, so `dvc exp run` or `dvc repro`
then runs with it and `dvc params diff` shows exactly what it changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from errata import lookup
from errata.atomic import write_with
from errata.errors import ErrataError


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted key -> value for every non-mapping value of a nested mapping."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        out |= leaves(value, f"{name}.") if isinstance(value, dict) else {name: value}
    return out


def apply(preset: Path, params: Path) -> dict[str, tuple[Any, Any]]:
    """Set each key of `preset` in `params`; return dotted key -> (old, new) for those that changed.
    A key params.yaml does not have is refused: a misspelt one would otherwise be silently ignored."""
    from ruamel.yaml import YAML

    rt = YAML()
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)  # params.yaml's own layout
    doc = rt.load(Path(params).read_text())
    changed = {}
    wanted = leaves(yaml.safe_load(Path(preset).read_text()) or {})
    lookup.nonempty(wanted, "params to set", str(preset))
    for key, value in wanted.items():
        *parents, last = key.split(".")
        node = doc
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or last not in node:
            where = lookup.at(Path(preset), lookup.yaml_lines(preset, *parents), last)
            close = lookup.close_matches(key, leaves(doc))
            hint = f"; close: {', '.join(close)}" if close else ""
            raise ErrataError(f"{where}: {key} is not a key of {params}{hint}")
        if node[last] != value:
            changed[key] = (node[last], value)
            node[last] = value
    write_with(Path(params), lambda tmp: rt.dump(doc, tmp))
    return changed
