import hashlib
import io
import json
import urllib.error
from pathlib import Path

import pytest

from errata import sources
from errata.errors import ErrataError

NAME = "imagenetx_filename_label"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No local data, an empty mirror, and a network that refuses connections."""
    monkeypatch.setenv(sources.DATA_DIR_ENV, str(tmp_path / "data"))
    monkeypatch.setenv(sources.MIRROR_ENV, str(tmp_path / "mirror"))

    def refuse(url, timeout):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(sources.urllib.request, "urlopen", refuse)
    return tmp_path


def test_registry_entries_are_pinned_and_complete():
    reg = sources.registry()
    assert len(reg) >= 16
    for src in reg.values():
        assert len(src.commit) == 40 and len(src.sha256) == 64 and src.license
        assert src.url.startswith(f"https://raw.githubusercontent.com/{src.repo}/{src.commit}/")


def test_registry_matches_the_manifest(public_data):
    manifest_path = Path(sources.fetch(NAME)).parents[5] / "MANIFEST.json"
    if not manifest_path.exists():
        pytest.skip("source not read from a mirror with a MANIFEST.json")
    by_path = {e["path"]: e for e in json.loads(manifest_path.read_text())}
    for src in sources.registry().values():
        entry = by_path[str(src.relpath)]
        assert (entry["sha256"], entry["url"], entry["license"]) == (src.sha256, src.url, src.license)


def test_fetch_from_mirror_verifies(public_data):
    path = sources.fetch(NAME, allow_download=False)
    assert sources.sha256_of(path) == sources.get_source(NAME).sha256


def test_missing_offline_names_file_places_and_fix(isolated):
    with pytest.raises(ErrataError) as err:
        sources.fetch(NAME)
    msg = str(err.value)
    assert NAME in msg and "filename_label.csv" in msg
    assert str(isolated / "data") in msg and str(isolated / "mirror") in msg
    assert "connection refused" in msg and "Fix:" in msg and "ERRATA_MIRROR" in msg


@pytest.fixture
def pinned_bytes(public_data) -> bytes:
    """The real bytes of NAME, read before `isolated` hides the mirror."""
    return sources.fetch(NAME, allow_download=False).read_bytes()


def test_truncated_mirror_file_is_a_checksum_error(pinned_bytes, isolated):
    bad = isolated / "mirror" / sources.get_source(NAME).relpath
    bad.parent.mkdir(parents=True)
    bad.write_bytes(pinned_bytes[:1000])
    with pytest.raises(ErrataError, match="checksum mismatch") as err:
        sources.fetch(NAME)
    assert str(bad) in str(err.value) and "truncated" in str(err.value)


def test_good_mirror_file_is_used(pinned_bytes, isolated):
    good = isolated / "mirror" / sources.get_source(NAME).relpath
    good.parent.mkdir(parents=True)
    good.write_bytes(pinned_bytes)
    assert sources.fetch(NAME) == good


def test_http_failure_is_reported(isolated, monkeypatch):
    def not_found(url, timeout):
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    monkeypatch.setattr(sources.urllib.request, "urlopen", not_found)
    with pytest.raises(ErrataError, match="HTTP 404 Not Found"):
        sources.fetch(NAME)
    assert not (isolated / "data").exists()  # no empty folders left behind


def test_download_is_verified_and_lands_in_data_dir(isolated, monkeypatch):
    payload = b"hello"
    src = sources.Source(
        name="tiny",
        repo="o/r",
        commit="0" * 40,
        path="x.txt",
        sha256=hashlib.sha256(payload).hexdigest(),
        bytes=5,
        license="MIT",
        about="",
    )
    monkeypatch.setattr(sources, "registry", lambda: {"tiny": src})
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(payload))
    path = sources.fetch("tiny")
    assert path == isolated / "data" / "github/o/r/x.txt" and path.read_bytes() == payload

    corrupt = isolated / "data" / "github/o/r/x.txt"
    corrupt.write_bytes(b"hellx")
    monkeypatch.setattr(sources.urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"bad"))
    with pytest.raises(ErrataError) as err:
        sources.fetch("tiny")
    assert "checksum mismatch" in str(err.value)
    assert not list((isolated / "data/github/o/r").glob(".*tmp")), "no partial file left behind"


@pytest.mark.parametrize("cwd", ["notebooks", ".dvc/tmp/exps/tmp1a2b"], ids=["notebook", "exp-temp-copy"])
def test_a_relative_mirror_resolves_from_the_project_root(pinned_bytes, isolated, monkeypatch, cwd):
    """The README's `ERRATA_MIRROR=../shared/data` names a path from the project root; a notebook
    runs in notebooks/ and `dvc exp run --temp` in a copy of the project under .dvc/tmp/."""
    root = isolated / "work" / "project"
    good = isolated / "work" / "shared" / "data" / sources.get_source(NAME).relpath
    good.parent.mkdir(parents=True)
    good.write_bytes(pinned_bytes)
    (root / cwd).mkdir(parents=True)
    (root / "dvc.yaml").write_text("stages: {}\n")
    if cwd.startswith(".dvc"):  # the temp copy has a dvc.yaml of its own, where the path is missing
        (root / cwd / "dvc.yaml").write_text("stages: {}\n")
    monkeypatch.chdir(root / cwd)
    monkeypatch.setenv(sources.MIRROR_ENV, "../shared/data")
    assert sources.fetch(NAME).resolve() == good.resolve()
    monkeypatch.setenv(sources.MIRROR_ENV, "../elsewhere")
    with pytest.raises(ErrataError, match=r"\.\./elsewhere/github/.*not present"):
        sources.fetch(NAME)
