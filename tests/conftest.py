"""Shared fixtures. Tests that read the offline public data go through ERRATA_MIRROR; under
CI=true a missing mirror fails the run instead of skipping."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from errata import sources
from errata.errors import ErrataError


@pytest.fixture(scope="session")
def public_data() -> None:
    """Skip (or, under CI, fail) when the pinned public files cannot be had."""
    try:
        for name in sources.registry():
            sources.fetch(name, allow_download=False)
    except ErrataError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"public data unavailable under CI: {exc}")
        pytest.skip(f"public data unavailable (set ERRATA_MIRROR): {exc}")


N_GENERATED_IMAGES = 40
GRAYSCALE, CMYK, CORRUPT = 5, 6, 7  # 1-based validation numbers of the special files


def make_val_folder(root, layout: str = "flat"):
    """A small ImageNet-style validation folder: random JPEGs of varied sizes, one grayscale, one
    CMYK and one corrupt file; `layout` 'flat' or 'classes' (nXXXXXXXX/ sub-folders by target)."""
    import numpy as np
    from PIL import Image

    from errata import imagenet

    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for number in range(1, N_GENERATED_IMAGES + 1):
        folder = root if layout == "flat" else root / imagenet.wnids()[number % 7]
        folder.mkdir(exist_ok=True)
        path = folder / imagenet.val_file_name(number - 1)
        if number == CORRUPT:
            path.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
            continue
        pixels = rng.integers(0, 256, (rng.integers(48, 130), rng.integers(48, 130), 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        image = (
            image.convert("L") if number == GRAYSCALE else image.convert("CMYK") if number == CMYK else image
        )
        image.save(path, "JPEG")
    return root


def built_once(tmp_path_factory, name: str, build) -> Path:
    """`build(folder)` run once per test run, whichever pytest-xdist worker asks first: the others
    wait for it and read the same folder (built beside the workers' own temporary folders)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # this run's, shared by its workers
    folder, done = root / name, root / f"{name}.built"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def report_build(public_data, tmp_path_factory) -> Path:
    """The report pipeline of `report_build.build_all`, shared by the report tests (built once even
    when their modules run in different pytest-xdist workers)."""
    import report_build

    return built_once(tmp_path_factory, "report_build", report_build.build_all)


@pytest.fixture(scope="session")
def val_folder(tmp_path_factory):
    return make_val_folder(tmp_path_factory.mktemp("imagenet") / "val")


def pytest_addoption(parser):
    parser.addoption(
        "--pipeline-outputs",
        action="store_true",
        help="run the tests marked pipeline_outputs: they read this checkout's `dvc repro` outputs",
    )


def pytest_collection_modifyitems(config, items):
    """Tests of what `dvc repro` wrote run only when asked for (CI asks after `dvc repro`); asked
    for, missing outputs fail them."""
    if config.getoption("--pipeline-outputs"):
        return
    skip = pytest.mark.skip(
        reason="reads `dvc repro` outputs: after it, `pytest --pipeline-outputs -m pipeline_outputs`"
    )
    for item in items:
        if "pipeline_outputs" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def drawn(monkeypatch):
    """Figures as errata.figures draws them, before they are written and closed."""
    import matplotlib.pyplot as plt

    from errata.report import figures

    figs = []
    monkeypatch.setattr(figures, "save", lambda fig, out_stem: figs.append(fig) or [])
    yield figs
    plt.close("all")
