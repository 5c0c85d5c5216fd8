"""The registry of outside files and the one way to get them: local data/, a mirror, or download.

Every file is verified against its pinned sha256 wherever it comes from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from errata import lookup
from errata.atomic import atomic_path
from errata.errors import ErrataError
from errata.packaged import data_file

MIRROR_ENV = "ERRATA_MIRROR"
DATA_DIR_ENV = "ERRATA_DATA"
DEFAULT_DATA_DIR = Path("data/sources")
DOWNLOAD_TIMEOUT_S = 60


@dataclass(frozen=True)
class Source:
    name: str
    repo: str
    commit: str
    path: str
    sha256: str
    bytes: int
    license: str
    about: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.path}"

    @property
    def relpath(self) -> Path:
        """Layout shared by the local data dir and mirrors: github/<owner>/<repo>/<path>."""
        return Path("github") / self.repo / self.path


@cache
def registry() -> dict[str, Source]:
    return load_registry(data_file("sources.json"))


def load_registry(path: Path) -> dict[str, Source]:
    """A registry file's sources, each entry checked: every field of `Source` and no other, and
    names unique (an unknown field or a repeated name names the entry and its line)."""
    text = Path(path).read_text()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ErrataError(f"{path}: not JSON ({exc})") from None
    lookup.check_keys(raw, ["_comment", "sources"], str(path), required=["sources"])
    lookup.nonempty(raw["sources"], "sources", f"{path}: sources")
    fields = [f.name for f in dataclasses.fields(Source)]
    out: dict[str, Source] = {}
    for i, entry in enumerate(raw["sources"]):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"{path}:{_json_line(text, name)}: source {name!r}" if name else f"{path}: sources[{i}]"
        lookup.check_keys(entry, fields, where, required=fields, what="field")
        if name in out:
            raise ErrataError(f"{where}: a second source of that name")
        out[name] = Source(**entry)
    return out


def _json_line(text: str, name: str) -> int | str:
    """The line of a source's `"name": NAME` in the registry file ('?' if written otherwise)."""
    at = text.find(json.dumps({"name": name})[1:-1])
    return text.count("\n", 0, at) + 1 if at >= 0 else "?"


def get_source(name: str) -> Source:
    lookup.check_name("source", name, registry())
    return registry()[name]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV, DEFAULT_DATA_DIR))


def _check(src: Source, path: Path) -> str | None:
    """None if `path` holds exactly the pinned file, else why not."""
    actual = sha256_of(path)
    if actual == src.sha256:
        return None
    return (
        f"checksum mismatch: {path} has sha256 {actual} ({path.stat().st_size} bytes), "
        f"expected {src.sha256} ({src.bytes} bytes); the file is truncated or a different version"
    )


def _download(src: Source, dest: Path) -> str | None:
    """Download into `dest` (verified, atomic); None on success, else why it failed (and the
    folders made for it removed again)."""
    made = [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]
    problem = _try_download(src, dest)
    if problem is not None:
        for folder in made:  # deepest first
            if folder.exists() and not any(folder.iterdir()):
                folder.rmdir()
    return problem


def _try_download(src: Source, dest: Path) -> str | None:
    try:
        with atomic_path(dest) as tmp:
            with urllib.request.urlopen(src.url, timeout=DOWNLOAD_TIMEOUT_S) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
            problem = _check(src, tmp)
            if problem:
                raise ErrataError(problem)
    except urllib.error.HTTPError as exc:
        return f"download {src.url}: HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return f"download {src.url}: {getattr(exc, 'reason', exc)}"
    except ErrataError as exc:
        return f"download {src.url}: {exc}"
    return None


def project_path(raw: str | Path) -> Path:
    """A relative path as the README writes it, from the project root: where it exists from the
    working directory, else from the nearest enclosing directory that holds a dvc.yaml and has it
    (a notebook runs in notebooks/, `dvc exp run --temp` in a copy under .dvc/tmp/)."""
    path = Path(raw)
    if path.is_absolute() or path.exists():
        return path
    for folder in Path.cwd().resolve().parents:
        if (folder / "dvc.yaml").is_file() and (folder / path).exists():
            return folder / path
    return path


def fetch(name: str, *, allow_download: bool = True) -> Path:
    """Path to the verified local copy of source `name`, trying data dir, mirror, then download."""
    src = get_source(name)
    local = data_dir() / src.relpath
    mirror = os.environ.get(MIRROR_ENV)
    places = [(local, str(local))]
    if mirror:
        where = project_path(mirror) / src.relpath
        places.append((where, f"{where} ({MIRROR_ENV}={mirror})"))
    tried: list[str] = []
    for path, label in places:
        problem = _check(src, path) if path.exists() else "not present"
        if problem is None:
            return path
        tried.append(f"{label}: {problem}")
    if not mirror:
        tried.append(f"{MIRROR_ENV}: not set")

    if allow_download:
        problem = _download(src, local)
        if problem is None:
            return local
        tried.append(problem)
    else:
        tried.append("download: disabled")

    listing = "\n  - ".join(tried)
    raise ErrataError(
        f"cannot get source {name!r} ({src.repo}@{src.commit[:10]}:{src.path}); tried:\n"
        f"  - {listing}\n"
        f"Fix: connect to the internet, or set {MIRROR_ENV} to a directory laid out as "
        f"github/<owner>/<repo>/<path> that holds this file (sha256 {src.sha256}), "
        f"or place it at {local}."
    )
