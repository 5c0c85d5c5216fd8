"""Embedding passes of the test, each over large batches and each input once:

- the evaluated images (every model and every predicted class reuse them);
- the gate's stand-in for an image's 10 nearest training images: their labels (`knn_train`, the
  training set embedded and searched by cosine in chunks) or CLIP's zero-shot top-10 (`zero_shot`);
- the prompt vocabulary: every prompt any proposal can need, embedded once.
"""

from __future__ import annotations

import importlib.metadata
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from errata import __version__, imagefolder, lookup
from errata.errors import ErrataError
from errata.inference import images as val_images
from errata.oov.clip.model import Clip
from errata.oov.config import N_NEIGHBOURS, TEMPLATES, ClipSettings
from errata.oov.embeddings import ImageEmbeddings, PromptEmbeddings


@dataclass(frozen=True)
class Throughput:
    """How to run, not what comes out: changing these changes no result."""

    batch_size: int = 128
    workers: int = 4
    text_batch_size: int = 1024
    knn_chunk: int = 1024


def _autocast(device: torch.device) -> torch.autocast:
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def encode_images(
    clip: Clip, items: Sequence[tuple[int, Path]], run: Throughput, desc: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(positions, unit embeddings as float16, positions that could not be decoded)."""
    loader = val_images.batches(
        items, [clip.preprocess], run.batch_size, run.workers, pin_memory=clip.device.type == "cuda"
    )
    positions, vectors, skipped = [], [], []
    with tqdm(total=len(items), unit="img", desc=desc) as bar:
        for batch in loader:
            skipped += [pos for pos, _ in batch.unreadable]
            if batch.positions:
                with torch.inference_mode(), _autocast(clip.device):
                    features = clip.model.encode_image(batch.images.to(clip.device, non_blocking=True))
                vectors.append(_unit(features).cpu().numpy())
                positions += batch.positions
            bar.update(len(batch.positions) + len(batch.unreadable))
    width = clip.model.visual.output_dim
    out = np.concatenate(vectors) if vectors else np.zeros((0, width), np.float16)
    return np.asarray(positions, np.int64), out, np.asarray(sorted(skipped), np.int64)


def _unit(features: torch.Tensor) -> torch.Tensor:
    features = features.float()
    return (features / features.norm(dim=-1, keepdim=True)).half()


def encode_texts(clip: Clip, texts: Sequence[str], run: Throughput) -> np.ndarray:
    out = []
    for i in tqdm(range(0, len(texts), run.text_batch_size), desc="prompts", unit="batch"):
        tokens = clip.tokenizer(list(texts[i : i + run.text_batch_size])).to(clip.device)
        with torch.inference_mode(), _autocast(clip.device):
            out.append(_unit(clip.model.encode_text(tokens)).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float16)


def zero_shot_labels(clip: Clip, vectors: np.ndarray, templates: str) -> np.ndarray:
    """CLIP's zero-shot top-10 classes per image, over open_clip's ImageNet class names."""
    from open_clip import build_zero_shot_classifier, zero_shot_metadata
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    lookup.check_name("zero-shot templates", templates, TEMPLATES)
    chosen = getattr(zero_shot_metadata, f"{templates.upper()}_IMAGENET_TEMPLATES")
    with torch.inference_mode(), _autocast(clip.device):
        classes = build_zero_shot_classifier(
            clip.model,
            clip.tokenizer,
            IMAGENET_CLASSNAMES,
            chosen,
            num_classes_per_batch=50,
            device=clip.device,
        )
    return _top_labels(
        vectors, classes.float().T.contiguous(), np.arange(len(IMAGENET_CLASSNAMES)), clip.device
    )


def _top_labels(
    vectors: np.ndarray, keys: torch.Tensor, key_labels: np.ndarray, device: torch.device, chunk: int = 1024
) -> np.ndarray:
    """Labels of the N_NEIGHBOURS keys most similar (cosine) to each vector, most similar first."""
    keys = keys.to(device)
    dtype = torch.float16 if device.type == "cuda" else torch.float32
    keys = keys.to(dtype)
    out = np.zeros((len(vectors), N_NEIGHBOURS), np.int16)
    for i in range(0, len(vectors), chunk):
        q = torch.from_numpy(vectors[i : i + chunk]).to(device, dtype)
        idx = (q @ keys.T).topk(N_NEIGHBOURS, dim=-1).indices.cpu().numpy()
        out[i : i + chunk] = key_labels[idx]
    return out


def gate_labels(
    clip: Clip, settings: ClipSettings, vectors: np.ndarray, train_dir: Path | None, run: Throughput
) -> np.ndarray | None:
    if settings.gate == "none":
        return None
    if settings.gate == "zero_shot":
        return zero_shot_labels(clip, vectors, settings.templates)
    if train_dir is None:
        raise ErrataError(
            "oov gate knn_train needs the ImageNet training images (--train-images DIR; "
            "images.train in params.yaml), or choose the gate zero_shot or none"
        )
    paths, labels = imagefolder.list_train(train_dir)
    _, train, skipped = encode_images(clip, list(enumerate(paths)), run, "train images")
    if len(skipped):
        keep = np.setdiff1d(np.arange(len(paths)), skipped)
        labels = labels[keep]
    return _top_labels(vectors, torch.from_numpy(train), labels, clip.device, run.knn_chunk)


def embed_images(
    clip: Clip,
    settings: ClipSettings,
    images: dict[int, Path],
    train_dir: Path | None,
    run: Throughput,
) -> ImageEmbeddings:
    """The evaluated images' embeddings and gate labels, with what produced them."""
    start = time.perf_counter()
    positions, vectors, skipped = encode_images(clip, sorted(images.items()), run, "images")
    image_s = time.perf_counter() - start
    gate = gate_labels(clip, settings, vectors, train_dir, run)
    meta = {
        **_provenance(clip, settings, run),
        "n_images": len(positions),
        "n_skipped_unreadable": len(skipped),
        "train_images": str(train_dir) if settings.gate == "knn_train" else None,
        "images_per_s": round(len(images) / image_s, 2) if image_s > 0 else None,
        "wall_s": round(time.perf_counter() - start, 3),
    }
    return ImageEmbeddings(positions, vectors, gate, skipped, meta)


def embed_prompts(
    clip: Clip, settings: ClipSettings, prompts: Sequence[str], run: Throughput
) -> PromptEmbeddings:
    start = time.perf_counter()
    vectors = encode_texts(clip, prompts, run)
    meta = {
        **_provenance(clip, settings, run),
        "n_prompts": len(prompts),
        "wall_s": round(time.perf_counter() - start, 3),
    }
    return PromptEmbeddings(np.asarray(prompts, dtype=str), vectors, meta)


def _provenance(clip: Clip, settings: ClipSettings, run: Throughput) -> dict:
    device = clip.device
    return {
        "run": True,
        "settings": asdict(settings),
        "errata_version": __version__,
        "open_clip_version": importlib.metadata.version("open_clip_torch"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        "throughput": asdict(run),
    }
