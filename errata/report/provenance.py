"""Where a report's numbers come from: the errata version, the params that decide the results, and
a fingerprint (sha256) of every input file. No commit or date: read from git or the clock they would
make every build differ, and a report DVC cannot rebuild byte for byte cannot be pulled into a clone
whose dvc.lock was committed elsewhere. The fingerprints tie the page to its inputs instead; the
commit is that of the dvc.lock recording them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
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
HASH_CHARS = 16  # hex digits of a sha256 shown: enough to tell inputs apart by eye


@dataclass(frozen=True)
class Fingerprint:
    """One input as read: its files, their bytes, and a sha256 over their relative names and contents."""

    files: int
    size: int
    sha256: str


def fingerprint(path: Path) -> Fingerprint:
    """A file's sha256 (what `sha256sum` prints), or a folder's over every file under it in sorted
    order (relative name, length, content), so renaming or changing any file changes it."""
    path = Path(path)
    if not path.is_dir():
        data = path.read_bytes()
        return Fingerprint(1, len(data), hashlib.sha256(data).hexdigest())
    files = sorted(f for f in path.rglob("*") if f.is_file())
    digest = hashlib.sha256()
    size = 0
    for f in files:
        data = f.read_bytes()
        digest.update(f.relative_to(path).as_posix().encode() + b"\0" + len(data).to_bytes(8, "big") + data)
        size += len(data)
    return Fingerprint(len(files), size, digest.hexdigest())


def combined(prints: dict[str, Fingerprint]) -> str:
    """One sha256 over every input's (name, sha256): the same value, the same inputs."""
    return hashlib.sha256(
        "".join(f"{k}\0{v.sha256}\n" for k, v in sorted(prints.items())).encode()
    ).hexdigest()


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
