"""Names looked up in the files a user edits or swaps (data files, params.yaml): an unknown key or
name is an error that says where it was written and what was probably meant, never a silent
default or an empty result."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from errata.errors import ErrataError


def close_matches(name: str, known: Iterable[str], n: int = 5) -> list[str]:
    return difflib.get_close_matches(str(name), sorted(map(str, known)), n=n, cutoff=0.6)


def unknown(what: str, name: object, known: Iterable[str], where: str = "") -> ErrataError:
    """'WHERE: unknown WHAT 'NAME'; close: ... (known: ...)' for a name that is not one of `known`."""
    known = sorted(map(str, known))
    close = close_matches(str(name), known)
    hint = f"; close: {', '.join(close)}" if close else ""
    listing = f" (known: {', '.join(known)})" if len(known) <= 12 else f" ({len(known)} known)"
    return ErrataError(f"{where + ': ' if where else ''}unknown {what} {name!r}{hint}{listing}")


def check_name(what: str, name: object, known: Iterable[str], where: str = "") -> None:
    known = list(known)
    if name not in known:
        raise unknown(what, name, known, where)


def check_keys(
    entry: object, allowed: Iterable[str], where: str, *, required: Iterable[str] = (), what: str = "key"
) -> None:
    """`entry` is a mapping whose keys are all `allowed` and include every one of `required`."""
    allowed = list(allowed)
    if not isinstance(entry, Mapping):
        raise ErrataError(f"{where}: expected a mapping with keys {', '.join(allowed)}, got {entry!r}")
    for key in entry:
        check_name(what, key, allowed, where)
    missing = [k for k in required if k not in entry]
    if missing:
        raise ErrataError(f"{where}: missing {what} {', '.join(map(repr, missing))}")


def nonempty(items: object, what: str, where: str) -> None:
    """An empty list or mapping where something must be named is an error, not an empty result."""
    if not items:
        raise ErrataError(f"{where}: no {what}: name at least one")


def yaml_lines(path: Path, *section: str) -> dict[str, int]:
    """The 1-based line of each key of the mapping at `section` (keys, or list positions as
    strings) in a YAML file, or of each item, by position, where that is a list; empty where the
    file has no such node (callers then name the file without a line)."""
    return node_lines(yaml.compose(Path(path).read_text()), *section)


def node_lines(node: yaml.Node | None, *section: str) -> dict[str, int]:
    """`yaml_lines` of a document already composed (`yaml.compose`), for a caller reading several
    sections of one file."""
    for key in section:
        node = _children(node).get(key, (None, None))[1]
    return {k: at.start_mark.line + 1 for k, (at, _) in _children(node).items()}


def _children(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key -> (key node, value node) of a mapping; position -> (item, item) of a list."""
    if isinstance(node, yaml.MappingNode):
        return {str(k.value): (k, v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return {str(i): (item, item) for i, item in enumerate(node.value)}
    return {}


def at(path: Path, lines: Mapping[str, int], key: str) -> str:
    """'PATH:LINE' of `key` (from `yaml_lines`), or the path alone where the line is unknown."""
    return f"{path}:{lines[key]}" if key in lines else str(path)
