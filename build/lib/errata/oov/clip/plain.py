"""The test decided one image at a time, the reference implementation's way: decode and encode the
image, encode every prompt of its proposals, softmax over 100 x cosine. Kept as the plain twin the
batched, cached path is checked and benchmarked against."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from errata.inference.images import load_rgb
from errata.oov.clip.model import Clip
from errata.oov.decisions import LOGIT_SCALE
from errata.oov.proposals import Proposal


@dataclass(frozen=True)
class OneDecision:
    oov: bool
    winner_offset: int
    winner_prob: float
    n_prompts: int
    margin: float  # logit gap between the best and second-best prompt


def decide_one(clip: Clip, image: Path, proposals: list[Proposal]) -> OneDecision:
    with torch.inference_mode():
        pixels = clip.preprocess(load_rgb(image)).unsqueeze(0).to(clip.device)
        image_features = clip.model.encode_image(pixels).float()
        text = clip.tokenizer([p.prompt for p in proposals]).to(clip.device)
        text_features = clip.model.encode_text(text).float()
    image_features = image_features / image_features.norm(dim=-1, keepdim=True)
    text_features = text_features / text_features.norm(dim=-1, keepdim=True)
    logits = (LOGIT_SCALE * image_features @ text_features.T).squeeze(0)
    probs = logits.softmax(dim=-1)
    top = logits.topk(min(2, len(proposals)))
    best = int(top.indices[0])
    margin = float(top.values[0] - top.values[1]) if len(proposals) > 1 else float("inf")
    winner = proposals[best]
    return OneDecision(not winner.in_imagenet, winner.offset, float(probs[best]), len(proposals), margin)
