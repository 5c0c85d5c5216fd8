"""CLIP embeddings on disk, for the fine-grained out-of-vocabulary test: written by `errata.oov`
(torch, open_clip), read here with numpy alone, so deciding and classifying never load torch.

- `image_embeddings.npz`: per evaluated image its validation position, L2-normalised embedding
  (float16) and, unless the gate is `none`, the 10 labels standing in for its nearest training
  images (`knn_train`) or CLIP's zero-shot top-10 (`zero_shot`); plus what produced it (`meta`).
- `prompt_embeddings.npz`: every prompt the proposals can need and its L2-normalised embedding.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from errata.atomic import write_npz
from errata.errors import ErrataError
from errata.oov.config import N_NEIGHBOURS, ClipSettings

IMAGES_FILE = "image_embeddings.npz"
PROMPTS_FILE = "prompt_embeddings.npz"


@dataclass(frozen=True)
class ImageEmbeddings:
    positions: np.ndarray  # (n,) validation positions, ascending
    vectors: np.ndarray  # (n, d) float16, unit length
    gate_labels: np.ndarray | None  # (n, 10) int16 class indices, None for gate `none`
    skipped: np.ndarray  # validation positions that could not be decoded
    meta: dict[str, Any]

    @property
    def settings(self) -> ClipSettings:
        return ClipSettings(**self.meta["settings"])


@dataclass(frozen=True)
class PromptEmbeddings:
    prompts: np.ndarray  # (p,) str, sorted
    vectors: np.ndarray  # (p, d) float16, unit length
    meta: dict[str, Any]


def write_images(path: Path, emb: ImageEmbeddings) -> None:
    gate = {} if emb.gate_labels is None else {"gate_labels": emb.gate_labels.astype(np.int16)}
    write_npz(
        path,
        positions=emb.positions.astype(np.int64),
        vectors=emb.vectors.astype(np.float16),
        skipped=emb.skipped.astype(np.int64),
        meta=np.array(json.dumps(emb.meta, sort_keys=True)),
        **gate,
    )


def write_prompts(path: Path, emb: PromptEmbeddings) -> None:
    write_npz(
        path,
        prompts=emb.prompts.astype(str),
        vectors=emb.vectors.astype(np.float16),
        meta=np.array(json.dumps(emb.meta, sort_keys=True)),
    )


def _load(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.exists():
        raise ErrataError(f"{path} is missing: compute the CLIP embeddings first (`errata oov embed`)")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as exc:
        raise ErrataError(f"{path}: not a readable embeddings file ({exc})") from None
    lacking = [k for k in keys if k not in arrays]
    if lacking:
        raise ErrataError(f"{path}: lacks {', '.join(lacking)}; recompute it with `errata oov embed`")
    return arrays


def read_images(path: Path) -> ImageEmbeddings:
    a = _load(path, ("positions", "vectors", "skipped", "meta"))
    meta = json.loads(str(a["meta"]))
    gate_labels = a.get("gate_labels")
    if (meta["settings"]["gate"] == "none") != (gate_labels is None):
        raise ErrataError(f"{path}: gate labels do not match its gate {meta['settings']['gate']!r}")
    return ImageEmbeddings(a["positions"], a["vectors"], gate_labels, a["skipped"], meta)


def read_prompts(path: Path) -> PromptEmbeddings:
    a = _load(path, ("prompts", "vectors", "meta"))
    return PromptEmbeddings(a["prompts"], a["vectors"], json.loads(str(a["meta"])))


def not_run_meta(settings: ClipSettings, reason: str) -> dict[str, Any]:
    return {"run": False, "reason": reason, "settings": asdict(settings)}


def not_run_images(settings: ClipSettings, reason: str) -> ImageEmbeddings:
    """What the pipeline records when the test cannot run (no images): an empty file saying why."""
    gate = None if settings.gate == "none" else np.zeros((0, N_NEIGHBOURS), np.int16)
    empty = np.zeros(0, np.int64)
    return ImageEmbeddings(empty, np.zeros((0, 0), np.float16), gate, empty, not_run_meta(settings, reason))


def not_run_prompts(settings: ClipSettings, reason: str) -> PromptEmbeddings:
    return PromptEmbeddings(np.zeros(0, str), np.zeros((0, 0), np.float16), not_run_meta(settings, reason))


def ran(meta: dict[str, Any]) -> bool:
    return meta.get("run", True)


def content_hash(*arrays: np.ndarray) -> str:
    """Of array contents (npz bytes carry write times, so file hashes would change on rewrite)."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(str(a.dtype).encode() + str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]
