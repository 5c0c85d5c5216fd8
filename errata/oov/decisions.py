"""FG-OOV decisions: one per (image, predicted class) that some model's error needs, decided from
cached CLIP embeddings with numpy alone, and stored as a table keyed by (file_name, class) that
`classify` reads.

A decision depends only on the image, the predicted class and the image's original label (whose
hypernym paths the proposals avoid), so it is shared by every model making that prediction. A
table records a fingerprint of everything decisions depend on (image and prompt embeddings, gate
labels, superclasses): a later run with the same fingerprint decides only pairs it lacks, and one
with another fingerprint (another CLIP model, gate or taxonomy) decides everything again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from errata import imagenet
from errata.atomic import write_with
from errata.cascade import rules
from errata.errors import ErrataError
from errata.oov.config import weights_label
from errata.oov.embeddings import ImageEmbeddings, PromptEmbeddings, content_hash
from errata.oov.proposals import Proposer, blocked_offsets

DECISIONS_FILE = "decisions.parquet"
REPORT_FILE = "oov.json"
META_KEY = b"errata.oov"
RULE_VERSION = 1  # bump when the proposal or decision rule changes: every cached decision is redone
LOGIT_SCALE = 100.0
COLUMNS = ("file_name", "class", "gate", "oov", "winner_offset", "winner_prompt", "winner_prob", "n_prompts")


def key(positions: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """One int64 per (validation position, class)."""
    return np.asarray(positions, np.int64) * imagenet.NUM_CLASSES + np.asarray(classes, np.int64)


NOT_RUN = "fine_grained_oov: the CLIP out-of-vocabulary test was not run, so no error is fine_grained_oov"
MISSING = -2  # verdict-table code of a pair that needs a decision the table does not have


def needed_keys(ev: rules.EvalArrays, verdicts: np.ndarray, top1s: Iterable[np.ndarray]) -> np.ndarray:
    """Sorted unique keys of the (image, class) pairs that reach the FG-OOV step for some model:
    a non-problematic error that is not overlapping, multi-label or fine-grained (`verdicts` is
    the evaluation set's `rules.verdict_table`)."""
    out = []
    for top1 in top1s:
        codes = rules.lookup(verdicts, top1)
        need = (codes > rules.CODE["fine_grained_oov"]) & ~ev.problematic
        out.append(key(ev.positions[need], top1[need]))
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


@dataclass(frozen=True)
class Context:
    """Everything decisions are computed from, checked to belong together."""

    images: ImageEmbeddings
    prompts: PromptEmbeddings
    same_superclass: np.ndarray
    fingerprint: str

    @classmethod
    def build(
        cls, images: ImageEmbeddings, prompts: PromptEmbeddings, same_superclass: np.ndarray
    ) -> Context:
        a, b = images.meta["settings"], prompts.meta["settings"]
        fields = ("model", "pretrained", "random_weights")
        if any(a[f] != b[f] for f in fields):
            raise ErrataError(
                f"image embeddings ({a['model']} {a['pretrained']}) and prompt embeddings "
                f"({b['model']} {b['pretrained']}) come from different CLIP models: recompute one of them"
            )
        gate = () if images.gate_labels is None else (images.gate_labels,)
        h = hashlib.sha256()
        for part in (
            content_hash(images.positions, images.vectors, *gate),
            a["gate"],
            content_hash(prompts.prompts, prompts.vectors),
            content_hash(same_superclass.astype(bool)),
            str(RULE_VERSION),
        ):
            h.update(part.encode())
        return cls(images, prompts, same_superclass.astype(bool), h.hexdigest()[:16])


def _original_labels() -> np.ndarray:
    return imagenet.validation_index()["target"].to_numpy(np.int64)


def decide(keys: np.ndarray, ctx: Context) -> pd.DataFrame:
    """Decisions for `keys` whose image has an embedding, batched by (class, original label):
    the pairs of one batch share their prompts, so one matrix product decides them all."""
    pos, cls = np.divmod(np.asarray(keys, np.int64), imagenet.NUM_CLASSES)
    emb_positions = ctx.images.positions
    rows = np.searchsorted(emb_positions, pos)
    embedded = (rows < len(emb_positions)) & (emb_positions[np.minimum(rows, len(emb_positions) - 1)] == pos)
    pos, cls, rows = pos[embedded], cls[embedded], rows[embedded]
    if ctx.images.gate_labels is None:
        gate = np.ones(len(pos), bool)
    else:
        gate = ctx.same_superclass[ctx.images.gate_labels[rows].astype(np.int64), cls[:, None]].any(axis=1)
    target = _original_labels()[pos]
    n = len(pos)
    oov = np.zeros(n, bool)
    win_offset = np.full(n, -1, np.int64)
    win_prompt = np.full(n, "", dtype=object)
    win_prob = np.full(n, np.nan, np.float32)
    n_prompts = np.zeros(n, np.int32)
    all_prompts = np.asarray(ctx.prompts.prompts)
    prompt_index = {p: i for i, p in enumerate(all_prompts.tolist())}
    vectors = ctx.images.vectors
    proposer = Proposer(ctx.same_superclass)
    todo = np.flatnonzero(gate)
    order = todo[np.lexsort((target[todo], cls[todo]))]
    bounds = np.flatnonzero(np.diff(cls[order] * imagenet.NUM_CLASSES + target[order])) + 1
    for batch in np.split(order, bounds) if len(order) else []:
        c, t = int(cls[batch[0]]), int(target[batch[0]])
        offsets, prompts, inside = proposer.lemma_arrays(c)
        keep = ~np.isin(offsets, blocked_offsets(t))
        try:
            idx = np.array([prompt_index[p] for p, k in zip(prompts, keep, strict=True) if k], np.int64)
        except KeyError as exc:
            raise ErrataError(
                f"prompt {exc.args[0]!r} has no embedding: the prompt embeddings were made under other "
                f"superclasses; recompute them (`errata oov embed`, or the oov_prompts stage)"
            ) from None
        logits = LOGIT_SCALE * (
            vectors[rows[batch]].astype(np.float32) @ ctx.prompts.vectors[idx].astype(np.float32).T
        )
        best = logits.argmax(axis=1)
        top = logits[np.arange(len(batch)), best]
        win_prob[batch] = 1.0 / np.exp(logits - top[:, None]).sum(axis=1)
        kept_offsets, kept_inside = offsets[keep], inside[keep]
        win_offset[batch] = kept_offsets[best]
        oov[batch] = ~kept_inside[best]
        win_prompt[batch] = all_prompts[idx[best]]
        n_prompts[batch] = len(idx)
    return _frame(pos, cls, gate, oov, win_offset, win_prompt, win_prob, n_prompts)


def _frame(
    pos: np.ndarray,
    cls: np.ndarray,
    gate: np.ndarray,
    oov: np.ndarray,
    win_offset: np.ndarray,
    win_prompt: np.ndarray,
    win_prob: np.ndarray,
    n_prompts: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file_name": pd.Series([imagenet.val_file_name(p) for p in pos.tolist()], dtype="string"),
            "class": cls.astype(np.int16),
            "gate": gate.astype(bool),
            "oov": oov.astype(bool),
            "winner_offset": win_offset.astype(np.int64),
            "winner_prompt": pd.Series(win_prompt, dtype="string").replace("", pd.NA),
            "winner_prob": win_prob.astype(np.float32),
            "n_prompts": n_prompts.astype(np.int16),
        }
    )


def empty_table() -> pd.DataFrame:
    e = np.zeros(0, np.int64)
    return _frame(e, e, e, e, e, np.zeros(0, object), np.zeros(0, np.float32), e)


@dataclass(frozen=True)
class Decisions:
    table: pd.DataFrame  # COLUMNS, sorted by (file_name, class)
    meta: dict[str, Any]

    @property
    def embedded(self) -> np.ndarray:
        """Boolean per validation position: the image had an embedding, so its pairs were decided."""
        bits = np.frombuffer(base64.b64decode(self.meta["embedded_bits"]), np.uint8)
        return np.unpackbits(bits, count=imagenet.NUM_VAL_IMAGES).astype(bool)

    def keys(self) -> np.ndarray:
        return key(
            imagenet.val_positions(self.table["file_name"].to_numpy(str)), self.table["class"].to_numpy()
        )

    def lookup(self) -> Lookup:
        keys = self.keys()
        return Lookup(
            np.sort(keys), np.sort(keys[self.table["oov"].to_numpy(bool)]), self.embedded, self.meta
        )


@dataclass(frozen=True)
class Lookup:
    """What `classify` needs from a decisions table, as sorted key arrays."""

    decided: np.ndarray
    oov: np.ndarray
    embedded: np.ndarray
    meta: dict[str, Any]


def _dense(keys: np.ndarray, ev: rules.EvalArrays) -> np.ndarray:
    """(n, 1000) boolean: the pairs of `keys` as cells of the evaluation set's verdict table."""
    pos, cls = np.divmod(keys, imagenet.NUM_CLASSES)
    rows = ev.val_rows[pos]
    out = np.zeros((len(ev.target), imagenet.NUM_CLASSES), bool)
    out[rows[rows >= 0], cls[rows >= 0]] = True
    return out


def apply(verdicts: np.ndarray, ev: rules.EvalArrays, lookup: Lookup) -> None:
    """Put the decisions into a verdict table, in place: pairs decided FG-OOV become
    fine_grained_oov; pairs that reach the test on an embedded, non-problematic image but were not
    decided become MISSING, so a model that needs one fails instead of passing untested."""
    reach = (verdicts > rules.CODE["fine_grained_oov"]) & ~ev.problematic[:, None]
    verdicts[reach & _dense(lookup.oov, ev)] = rules.CODE["fine_grained_oov"]
    undecided = reach & ~_dense(lookup.decided, ev) & lookup.embedded[ev.positions][:, None]
    verdicts[undecided] = MISSING


def update(keys: np.ndarray, ctx: Context, previous: Decisions | None) -> tuple[Decisions, int]:
    """Decisions for exactly `keys`, reusing `previous` where its fingerprint matches; returns the
    table and how many pairs were decided now. The result does not depend on what was cached."""
    keys = np.unique(np.asarray(keys, np.int64))
    reused = empty_table()
    todo = keys
    if previous is not None and previous.meta.get("fingerprint") == ctx.fingerprint:
        old_keys = previous.keys()
        reused = previous.table[np.isin(old_keys, keys)]
        todo = np.setdiff1d(keys, old_keys)
    fresh = decide(todo, ctx)
    table = pd.concat([reused, fresh], ignore_index=True) if len(reused) else fresh
    table = table.sort_values(["file_name", "class"], kind="stable").reset_index(drop=True)
    table = table.astype(fresh.dtypes.to_dict())
    embedded = np.zeros(imagenet.NUM_VAL_IMAGES, bool)
    embedded[ctx.images.positions] = True
    meta = {
        "fingerprint": ctx.fingerprint,
        "rule_version": RULE_VERSION,
        "settings": ctx.images.meta["settings"],
    }
    return Decisions(table, meta | _embedded_meta(embedded)), len(fresh)


def _embedded_meta(embedded: np.ndarray) -> dict[str, Any]:
    """Which validation images had an embedding, packed into the table's metadata."""
    bits = base64.b64encode(np.packbits(embedded).tobytes()).decode()
    return {"n_images_embedded": int(embedded.sum()), "embedded_bits": bits}


def write(path: Path, decisions: Decisions) -> None:
    arrow = pa.Table.from_pandas(decisions.table, preserve_index=False)
    arrow = arrow.replace_schema_metadata(
        {**(arrow.schema.metadata or {}), META_KEY: json.dumps(decisions.meta)}
    )
    write_with(path, lambda tmp: pq.write_table(arrow, tmp))


def read(path: Path) -> Decisions:
    path = Path(path)
    if not path.exists():
        raise ErrataError(f"{path} is missing: decide the FG-OOV pairs first (`errata oov decide`)")
    try:
        arrow = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ErrataError(f"{path}: not a readable decisions table ({exc})") from None
    meta = (arrow.schema.metadata or {}).get(META_KEY)
    if meta is None or list(arrow.column_names) != list(COLUMNS):
        raise ErrataError(f"{path}: not an errata decisions table (columns {', '.join(COLUMNS)})")
    return Decisions(arrow.to_pandas(), json.loads(meta))


def read_if_present(path: Path) -> Decisions | None:
    """The previous table to reuse, or None where there is none or it cannot be read."""
    try:
        return read(path) if Path(path).exists() else None
    except ErrataError:
        return None


def not_run(reason: str, settings: dict[str, Any]) -> Decisions:
    """An empty table recording why the test did not run (the pipeline's output must exist)."""
    meta = {"run": False, "reason": reason, "settings": settings}
    return Decisions(empty_table(), meta | _embedded_meta(np.zeros(imagenet.NUM_VAL_IMAGES, bool)))


def summary(decisions: Decisions, n_new: int) -> dict[str, Any]:
    t = decisions.table
    s = decisions.meta["settings"]
    return {
        "run": True,
        "clip_model": s["model"],
        "clip_pretrained": weights_label(s),
        "gate": s["gate"],
        "n_images_embedded": decisions.meta["n_images_embedded"],
        "n_pairs": len(t),
        "n_pairs_new": n_new,
        "n_pairs_gate_passed": int(t["gate"].sum()),
        "n_pairs_oov": int(t["oov"].sum()),
        "median_prompts": float(t.loc[t["gate"], "n_prompts"].median()) if t["gate"].any() else None,
    }


def note(lookup: Lookup | None) -> str:
    """The line every summary carries about the FG-OOV test: which CLIP, which gate, or not run."""
    if lookup is None:
        return NOT_RUN
    s = lookup.meta["settings"]
    weights = weights_label(s)
    return (
        f"fine_grained_oov: CLIP test run with open_clip {s['model']} ({weights}), gate {s['gate']}, over "
        f"{lookup.meta['n_images_embedded']} embedded images; compare FG-OOV counts only under the same gate"
    )
