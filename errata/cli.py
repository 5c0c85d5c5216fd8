"""The `errata` command line: one subcommand per job, each a thin call into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="errata", description="Classify the remaining errors of ImageNet classifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("prepare", help="build the evaluation set of a label set")
    p.add_argument("--labels", default="real", help="real | multilabel:PATH | custom:PATH")
    p.add_argument("--out", type=Path, default=Path("data/prepared"))
    p.set_defaults(handler=_prepare)

    p = sub.add_parser("sources", help="list the pinned outside files, or fetch and verify them")
    p.add_argument("action", choices=["list", "fetch"], nargs="?", default="list")
    p.set_defaults(handler=_sources)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        handler(args)
    except ErrataError as exc:
        print(f"errata {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
