"""Shared fixtures. Tests that read the offline public data go through ERRATA_MIRROR; under
CI=true a missing mirror fails the run instead of skipping."""

from __future__ import annotations

import os

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
