"""The `errata` command line: one subcommand per job, each a thin call into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from errata import __version__, inputs
from errata.errors import ErrataError, report_errors

Handler = Callable[[argparse.Namespace], None]


def _prepare(args: argparse.Namespace) -> None:
    from errata import labelsets

    evalset = labelsets.build(args.labels)
    stats = labelsets.write(evalset, args.labels, inputs.require_out_dir(args.out))
    print(f"{labelsets.describe(stats)} -> {args.out}")


def _sources(args: argparse.Namespace) -> None:
    from errata import sources

    for name, src in sorted(sources.registry().items()):
        if args.action == "list":
            print(f"{name:32s} {src.license:14s} {src.url}")
        else:
            print(f"{name:32s} ok  {sources.fetch(name)}")


def _taxonomy(args: argparse.Namespace) -> None:
    from errata import labelsets, taxonomy
    from errata.atomic import staged_dir

    if args.explain:
        if len(args.explain) != 3 or args.explain[0] != "explain":
            raise ErrataError("usage: errata taxonomy explain CLASS_A CLASS_B (index, wnid or name)")
        print(taxonomy.explain(args.explain[1], args.explain[2], args.definitions, args.cooccurrence))
        return
    if args.out is None:
        raise ErrataError("--out DIR is required to build a taxonomy (the pipeline's is data/taxonomy)")
    out = inputs.require_out_dir(args.out)
    evalset = labelsets.build(args.labels)
    with staged_dir(out) as stage:
        report = taxonomy.write_superclasses(args.definitions, stage)
        cooc = taxonomy.write_cooccurrence(
            stage, evalset, args.labels, args.cooccurrence_images, args.min_count, stage
        )
    print(_coverage_line(report, cooc) + f" -> {out}")


def _classify(args: argparse.Namespace) -> None:
    from errata import classify

    summaries = classify.run(
        args.predictions,
        args.out,
        labels=args.labels,
        evalset_path=args.evalset,
        taxonomy_dir=args.taxonomy,
        cooccurrence_dir=args.cooccurrence,
    )
    for mid, s in summaries.items():
        print(f"{classify.describe(s)} -> {args.out / mid}")


def _predict(args: argparse.Namespace) -> None:
    from errata.inference import runner

    config = runner.RunConfig(
        batch_size=args.batch_size,
        workers=args.workers,
        chunk_size=args.chunk_size,
        on_unreadable=args.on_unreadable,
        device=args.device,
        save_logits=args.save_logits,
        random_weights=args.random_weights,
        clip_templates=args.clip_templates,
    )
    for path in runner.predict(args.images, args.models, args.out, args.expect, config):
        print(path)


def _import(args: argparse.Namespace) -> None:
    from errata import zoo

    ids = args.models or list(zoo.models())
    for path in zoo.import_models(ids, inputs.require_out_dir(args.out)):
        print(path)


def _diff(args: argparse.Namespace) -> None:
    from errata import diff

    diff.require_same_label_set(args.dir, args.model_a, args.model_b)
    a, b = (diff.load_errors(args.dir, m) for m in (args.model_a, args.model_b))
    both = diff.compare(a, b)
    table = diff.fixes(both, args.examples)
    print(diff.render(args.model_a, args.model_b, both, table))


def _coverage_line(report: dict, cooc: dict) -> str:
    return (
        f"{report['n_non_singleton']} superclasses (sizes {report['size_min']}-{report['size_max']}, "
        f"median {report['size_median']:g}), {report['n_singleton_classes']} singleton classes, "
        f"{report['n_pairs_sharing']} pairs sharing a superclass; {cooc['n_common_pairs']} common "
        f"co-occurrence pairs over {cooc['n_images_counted']} images"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="errata", description="Classify the remaining errors of ImageNet classifiers."
    )
    parser.add_argument("--version", action="version", version=f"errata {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="build the evaluation set of a label set")
    p.add_argument("--labels", default="real", help="real | multilabel:PATH | custom:PATH")
    p.add_argument("--out", type=Path, required=True, help="directory for evalset.parquet and counts.json")
    p.set_defaults(handler=_prepare)

    p = sub.add_parser(
        "taxonomy",
        help="build superclasses, overlapping classes, co-occurrence pairs (or: explain A B)",
        description="`errata taxonomy --out DIR` builds the taxonomy; "
        "`errata taxonomy explain CLASS_A CLASS_B [--cooccurrence DIR]` says why two classes do or "
        "do not share a superclass and how often they co-occur. A class is an index, a wnid or any "
        "of its names.",
    )
    p.add_argument("explain", nargs="*", help="explain CLASS_A CLASS_B")
    p.add_argument("--out", type=Path, default=None, help="directory to build the taxonomy in")
    p.add_argument("--definitions", type=Path, default=None, help="superclass YAML (default: bundled)")
    p.add_argument(
        "--cooccurrence",
        type=Path,
        default=None,
        help="explain: dir with co-occurrence counts (the pipeline writes data/cooccurrence; "
        "default: count over all 50,000 ReaL images)",
    )
    p.add_argument("--labels", default="real", help="label set whose evaluated images are held out")
    p.add_argument("--cooccurrence-images", default="auto", choices=["auto", "all", "disjoint"])
    p.add_argument("--min-count", type=int, default=2, help="co-occurrences that make a pair common")
    p.set_defaults(handler=_taxonomy)

    p = sub.add_parser("classify", help="classify the errors of one or more models")
    p.add_argument(
        "--predictions",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help=".npz, ImageNet-X .csv or file_name,top1[,..] .csv; model id = file stem",
    )
    p.add_argument(
        "--labels",
        default=None,
        help="real | multilabel:PATH | custom:PATH (default: the --evalset's own, else real)",
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--evalset",
        type=Path,
        default=None,
        help="an evalset.parquet from `errata prepare` (default: build it from --labels)",
    )
    p.add_argument(
        "--taxonomy",
        type=Path,
        default=None,
        help="a built taxonomy dir (default: build one into OUT/taxonomy)",
    )
    p.add_argument(
        "--cooccurrence",
        type=Path,
        default=None,
        help="dir with common_cooccurrence.npz (default: the taxonomy dir)",
    )
    p.set_defaults(handler=_classify)

    p = sub.add_parser(
        "predict",
        help="run timm / torchvision / open_clip models over an ImageNet validation folder",
        description="Writes OUT/<spec>.npz per model (top-5 classes and probabilities, metadata), "
        "readable by `errata classify`. Models sharing a preprocessing share decoded images; an "
        "interrupted run resumes where it stopped.",
    )
    p.add_argument("--images", type=Path, required=True, help="flat or nXXXXXXXX/ class sub-folders")
    p.add_argument(
        "--models",
        nargs="+",
        required=True,
        metavar="SPEC",
        help="timm arch.tag | torchvision/<name>.<WEIGHTS> | open_clip/<model>.<pretrained>",
    )
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--random-weights",
        action="store_true",
        help="download nothing; torch.manual_seed(0) before creating each model",
    )
    p.add_argument(
        "--expect",
        choices=["all", "found"],
        default="all",
        help="all: the 50,000 validation images must be there (default); found: run on those present",
    )
    p.add_argument("--on-unreadable", choices=["stop", "skip"], default="stop")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--workers", type=int, default=4, help="DataLoader worker processes")
    p.add_argument("--chunk-size", type=int, default=2048, help="images per resumable chunk")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--save-logits", action="store_true", help="also store the 1,000 logits (float16)")
    p.add_argument(
        "--clip-templates",
        choices=["openai", "simple"],
        default="openai",
        help="open_clip's ImageNet prompt templates for zero-shot CLIP models",
    )
    p.set_defaults(handler=_predict)

    p = sub.add_parser("diff", help="errors model A makes and B fixes, and the reverse, per error type")
    p.add_argument("model_a")
    p.add_argument("model_b")
    p.add_argument("--dir", type=Path, default=Path("data/classified"), help="output of errata classify")
    p.add_argument("--examples", type=int, default=5, help="example files per line")
    p.set_defaults(handler=_diff)

    p = sub.add_parser("import", help="turn public zoo models' files into predictions .npz files")
    p.add_argument("models", nargs="*", help="zoo model ids (default: all of errata/data/zoo.yaml)")
    p.add_argument("--out", type=Path, required=True, help="directory for <model>.npz")
    p.set_defaults(handler=_import)

    p = sub.add_parser("sources", help="list the pinned outside files, or fetch and verify them")
    p.add_argument("action", choices=["list", "fetch"], nargs="?", default="list")
    p.set_defaults(handler=_sources)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return report_errors(args.command, lambda: handler(args))


if __name__ == "__main__":
    sys.exit(main())
