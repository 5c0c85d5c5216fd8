"""The optional installs (pyproject's extras) and the check at their boundary: a command that needs
one says which to install instead of failing on an import deep inside."""

from __future__ import annotations

import importlib.util

from errata.errors import ErrataError

# extra -> the top-level modules it provides (what `pip install 'errata[EXTRA]'` adds)
EXTRAS = {
    "models": ("torch", "torchvision", "timm", "open_clip"),
    "pipeline": ("dvc",),
}


def missing(extra: str) -> list[str]:
    """The extra's modules this interpreter cannot import, found without importing any of them."""
    return [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]


def require(extra: str, what: str) -> None:
    absent = missing(extra)
    if absent:
        raise ErrataError(
            f"{what} needs the '{extra}' extra ({', '.join(absent)} not installed): "
            f"pip install 'errata[{extra}]' (README: Install)"
        )
