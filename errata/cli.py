"""The `errata` command line: one subcommand per job, each a thin call into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from errata import __version__
from errata.errors import ErrataError

Handler = Callable[[argparse.Namespace], None]


def _prepare(args: argparse.Namespace) -> None:
    from errata import labelsets

    evalset = labelsets.build(args.labels)
    stats = labelsets.write(evalset, args.labels, args.out)
    print(
        f"{stats['n_images']} images, {stats['n_problematic']} problematic "
        f"({stats['n_empty_labels']} with no label, {stats['n_without_original_label']} without the "
        f"original label), {stats['n_non_problematic']} evaluated -> {args.out}"
    )


def _sources(args: argparse.Namespace) -> None:
    from errata import sources

    for name, src in sorted(sources.registry().items()):
        if args.action == "list":
            print(f"{name:32s} {src.license:14s} {src.url}")
        else:
            print(f"{name:32s} ok  {sources.fetch(name)}")


def _taxonomy(args: argparse.Namespace) -> None:
    from errata import labelsets, taxonomy

    if args.explain:
        if len(args.explain) != 3 or args.explain[0] != "explain":
            raise ErrataError("usage: errata taxonomy explain CLASS_A CLASS_B (index, wnid or name)")
        cooc_dir = args.cooccurrence or args.out
        print(taxonomy.explain(args.explain[1], args.explain[2], args.definitions, cooc_dir))
        return
    report = taxonomy.write_superclasses(args.definitions, args.out)
    evalset = labelsets.build(args.labels)
    cooc = taxonomy.write_cooccurrence(
        args.out, evalset, args.labels, args.cooccurrence_images, args.min_count, args.out
    )
    print(_coverage_line(report, cooc) + f" -> {args.out}")


def _classify(args: argparse.Namespace) -> None:
    from errata import cascade, classify, labelsets, taxonomy

    evalset = labelsets.read(args.evalset) if args.evalset else labelsets.build(args.labels)
    tax_dir = args.taxonomy
    if tax_dir is None:
        tax_dir = args.out / "taxonomy"
        taxonomy.write_superclasses(None, tax_dir)
        taxonomy.write_cooccurrence(tax_dir, evalset, args.labels, "auto", 2, tax_dir)
    tax = taxonomy.load(tax_dir, args.cooccurrence)
    ev = cascade.EvalArrays.build(evalset, tax.non_prototypical)
    config = {"label_set": args.labels, "taxonomy": str(tax_dir)}
    summaries = classify.classify_files(args.predictions, ev, tax, args.out, config)
    for mid, s in summaries.items():
        print(
            f"{mid}: top-1 {s['top1']:.2f}%, MLA {s['mla']:.2f}%, {s['n_top1_errors']} errors over "
            f"{s['n_evaluated']} evaluated images -> {args.out / mid}"
        )


def _import(args: argparse.Namespace) -> None:
    from errata import zoo

    ids = args.models or list(zoo.models())
    for path in zoo.import_models(ids, args.out):
        print(path)


def _diff(args: argparse.Namespace) -> None:
    from errata import diff

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
    p.add_argument("--out", type=Path, default=Path("data/prepared"))
    p.set_defaults(handler=_prepare)

    p = sub.add_parser(
        "taxonomy",
        help="build superclasses, overlapping classes, co-occurrence pairs (or: explain A B)",
        description="`errata taxonomy --out DIR` builds the taxonomy; "
        "`errata taxonomy explain CLASS_A CLASS_B [--out DIR]` says why two classes do or do not "
        "share a superclass and how often they co-occur (from DIR when it holds a built taxonomy).",
    )
    p.add_argument("explain", nargs="*", help="explain CLASS_A CLASS_B")
    p.add_argument("--out", type=Path, default=Path("data/taxonomy"))
    p.add_argument("--definitions", type=Path, default=None, help="superclass YAML (default: bundled)")
    p.add_argument(
        "--cooccurrence",
        type=Path,
        default=None,
        help="explain: dir with co-occurrence counts (default: --out; the pipeline writes data/cooccurrence)",
    )
    p.add_argument("--labels", default="real", help="label set whose evaluated images are held out")
    p.add_argument("--cooccurrence-images", default="auto", choices=["auto", "all", "disjoint"])
    p.add_argument("--min-count", type=int, default=2)
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
    p.add_argument("--labels", default="real", help="real | multilabel:PATH | custom:PATH")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument(
        "--evalset",
        type=Path,
        default=None,
        help="a prepared evalset.parquet of --labels (default: build it from --labels)",
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

    p = sub.add_parser("diff", help="errors model A makes and B fixes, and the reverse, per error type")
    p.add_argument("model_a")
    p.add_argument("model_b")
    p.add_argument("--dir", type=Path, default=Path("data/classified"), help="output of errata classify")
    p.add_argument("--examples", type=int, default=5, help="example files per line")
    p.set_defaults(handler=_diff)

    p = sub.add_parser("import", help="turn public zoo models' files into predictions .npz files")
    p.add_argument("models", nargs="*", help="zoo model ids (default: all of errata/data/zoo.yaml)")
    p.add_argument("--out", type=Path, default=Path("data/predictions"))
    p.set_defaults(handler=_import)

    p = sub.add_parser("sources", help="list the pinned outside files, or fetch and verify them")
    p.add_argument("action", choices=["list", "fetch"], nargs="?", default="list")
    p.set_defaults(handler=_sources)
    return parser


def run_stage(command: str, fn: Callable[[], None]) -> int:
    """Run a DVC stage body with the same clean error reporting as the CLI."""
    try:
        fn()
    except ErrataError as exc:
        print(f"errata {command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return run_stage(args.command, lambda: handler(args))


if __name__ == "__main__":
    sys.exit(main())
