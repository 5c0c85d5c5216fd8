"""The embedding jobs of `errata oov embed` and the `oov_embed` / `oov_prompts` stages."""

from __future__ import annotations

from pathlib import Path

from errata import imagefolder
from errata.oov import embeddings
from errata.oov.clip import embed
from errata.oov.clip import model as clip_model
from errata.oov.config import ClipSettings


def embed_images(
    images_dir: Path,
    expect: str,
    out: Path,
    settings: ClipSettings,
    run: embed.Throughput,
    device: str = "auto",
    train_dir: Path | None = None,
    prompts: list[str] | None = None,
) -> list[Path]:
    """Embed the evaluated images (and what the gate needs) into OUT/image_embeddings.npz and, given
    `prompts`, those into OUT/prompt_embeddings.npz with the same loaded model. The folder is listed
    and checked before the model loads."""
    settings.check()
    images = imagefolder.select(imagefolder.list_images(images_dir), expect, images_dir)
    clip = clip_model.load(settings, clip_model.device_of(device))
    path = Path(out) / embeddings.IMAGES_FILE
    embeddings.write_images(path, embed.embed_images(clip, settings, images, train_dir, run))
    if prompts is None:
        return [path]
    return [path, _write_prompts(clip, settings, prompts, out, run)]


def embed_prompts(
    prompts: list[str], out: Path, settings: ClipSettings, run: embed.Throughput, device: str = "auto"
) -> Path:
    """Embed the prompts (`Proposer.vocabulary()`) into OUT/prompt_embeddings.npz."""
    settings.check()
    return _write_prompts(
        clip_model.load(settings, clip_model.device_of(device)), settings, prompts, out, run
    )


def _write_prompts(
    clip: clip_model.Clip, settings: ClipSettings, prompts: list[str], out: Path, run: embed.Throughput
) -> Path:
    path = Path(out) / embeddings.PROMPTS_FILE
    embeddings.write_prompts(path, embed.embed_prompts(clip, settings, prompts, run))
    return path
