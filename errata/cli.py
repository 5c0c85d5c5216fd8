"""The `errata` command line: one subcommand per job, each a thin call into the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from errata import __version__, extras, inputs
from errata.errors import ErrataError, report_errors
from errata.taxonomy import cooccurrence

Handler = Callable[[argparse.Namespace], None]


def _prepare(args: argparse.Namespace) -> None:
    from errata import labelsets

    evalset = labelsets.build(args.labels)
    stats = labelsets.write(evalset, args.labels, inputs.require_out_dir(args.out))
    print(f"{labelsets.describe(stats)} -> {args.out}")


def _labels(args: argparse.Namespace) -> None:
    from errata import labelsets

    evalset = labelsets.build(args.spec)
    labelsets.write_custom(evalset, args.out)
    print(f"{labelsets.describe(labelsets.counts(evalset, args.spec))} -> {args.out}")


def _preset(args: argparse.Namespace) -> None:
    from errata.pipeline import presets

    def short(value: object) -> str:
        return f"[{len(value)} items]" if isinstance(value, list) else repr(value)

    changed = presets.apply(args.preset, args.params)
    for key, (old, new) in changed.items():
        print(f"{key}: {short(old)} -> {short(new)}")
    print(f"{len(changed)} params changed in {args.params}; run `dvc exp run` or `dvc repro`")


def _sources(args: argparse.Namespace) -> None:
    from errata import sources

    for name, src in sorted(sources.registry().items()):
        if args.action == "list":
            print(f"{name:32s} {src.license:14s} {src.url}")
        else:
            print(f"{name:32s} ok  {sources.fetch(name)}")


def _taxonomy_build(args: argparse.Namespace) -> None:
    from errata import labelsets
    from errata.atomic import staged_dir
    from errata.taxonomy import build

    out = inputs.require_out_dir(args.out)
    evalset = labelsets.build(args.labels)
    with staged_dir(out) as stage:
        build.build(
            stage,
            evalset,
            args.labels,
            args.definitions,
            images=args.cooccurrence_images,
            min_count=args.min_count,
            per_images=args.per_images,
        )
    print(f"{build.describe(out)} -> {out}")


def _taxonomy_explain(args: argparse.Namespace) -> None:
    from errata.taxonomy import explain

    print(explain.explain(args.class_a, args.class_b, args.definitions, args.cooccurrence))


def _taxonomy_calibrate(args: argparse.Namespace) -> None:
    if (args.verdicts is None) == (not args.experts):
        raise ErrataError("give VERDICTS.json (the reference's verdicts), or --experts, not both")
    if args.experts:
        from errata.papers import expert_calibration as ec

        setting = ec.setting(
            args.definitions, args.labels, args.cooccurrence_images, args.min_count, args.per_images
        )
        print(ec.render(ec.report(setting)))
        return
    from errata.papers import calibration, crossval
    from errata.taxonomy import superclasses

    defs = superclasses.load(args.definitions)
    verdicts = calibration.read_verdicts(args.verdicts)
    ids, member = [d.id for d in defs], superclasses.membership(defs)
    print(calibration.render_superclass_report(calibration.superclass_report(verdicts, ids, member)))
    print(
        crossval.render(crossval.cross_validate(verdicts, ids, member, args.folds, args.repeats, args.seed))
    )


def _classify(args: argparse.Namespace) -> None:
    from errata.classify import job

    summaries = job.run(
        args.predictions,
        args.out,
        labels=args.labels,
        evalset_path=args.evalset,
        taxonomy_dir=args.taxonomy,
        cooccurrence_dir=args.cooccurrence,
        oov_decisions=args.oov,
        workers=args.workers,
    )
    for mid, s in summaries.items():
        print(f"{job.describe(s)} -> {args.out / mid}")


def _predict(args: argparse.Namespace) -> None:
    extras.require("models", "errata predict")
    from errata.inference import runner

    config = runner.RunConfig.from_settings(vars(args))
    for path in runner.predict(args.images, args.models, args.out, args.expect, config):
        print(path)


def _oov_proposals(args: argparse.Namespace) -> None:
    import json

    from errata import imagenet, inputs
    from errata.oov import proposals
    from errata.taxonomy import tables

    if (args.pairs is None) == (args.pred is None or args.target is None):
        raise ErrataError("give --pred P --target T, or --pairs CSV (columns pred,target)")
    if args.pairs is not None:
        table = inputs.read_csv(args.pairs, "CSV of (pred, target) pairs with columns pred,target")
        if list(table.columns[:2]) != ["pred", "target"]:
            raise ErrataError(f"{args.pairs}: expected columns pred,target")
        pairs = [
            (imagenet.class_index(p), imagenet.class_index(t))
            for p, t in zip(table["pred"], table["target"], strict=True)
        ]
    else:
        pairs = [(imagenet.class_index(args.pred), imagenet.class_index(args.target))]
    proposer = proposals.Proposer(tables.same_superclass(args.taxonomy, args.definitions))
    for pred, target in pairs:
        if pred == target:
            raise ErrataError(f"pred and target are the same class ({pred}): that is not an error")
        print(json.dumps(proposals.as_json(pred, target, proposer.proposals(pred, target))))


def _oov_calibrate(args: argparse.Namespace) -> None:
    from errata.oov import proposals
    from errata.papers import calibration, proposal_calibration
    from errata.taxonomy import tables

    verdicts = calibration.read_verdicts(args.verdicts)
    proposer = proposals.Proposer(tables.same_superclass(args.taxonomy, args.definitions))
    report = proposal_calibration.proposals_report(verdicts.get("fg-OOV", []), proposer)
    print(proposal_calibration.render_proposals_report(report, args.limit))


def _oov_embed(args: argparse.Namespace) -> None:
    extras.require("models", "errata oov embed")
    from errata.oov import config, proposals
    from errata.oov.clip import embed, run
    from errata.taxonomy import tables

    settings = config.ClipSettings(
        args.model, args.pretrained, args.gate, args.templates, args.random_weights
    )
    settings.check()
    out = inputs.require_out_dir(args.out)
    prompts = proposals.Proposer(tables.same_superclass(args.taxonomy, args.definitions)).vocabulary()
    throughput = embed.Throughput(batch_size=args.batch_size, workers=args.workers)
    written = run.embed_images(
        args.images, args.expect, out, settings, throughput, args.device, args.train_images, prompts
    )
    print("\n".join(map(str, written)))


def _oov_decide(args: argparse.Namespace) -> None:
    from errata.oov import job

    report = job.decide(
        args.predictions,
        args.out,
        embeddings_dir=args.embeddings,
        taxonomy_dir=args.taxonomy,
        cooccurrence_dir=args.cooccurrence,
        evalset_path=args.evalset,
        labels=args.labels,
    )
    print(
        f"{report['n_pairs']} pairs ({report['n_pairs_new']} decided now), {report['n_pairs_gate_passed']} "
        f"passed the gate ({report['gate']}), {report['n_pairs_oov']} out of vocabulary -> {args.out}"
    )


def _import(args: argparse.Namespace) -> None:
    from errata import zoo

    ids = args.models or list(zoo.models())
    for path in zoo.import_models(ids, inputs.require_out_dir(args.out)):
        print(path)


def _diff(args: argparse.Namespace) -> None:
    from errata.results import diff

    diff.require_same_label_set(args.dir, args.model_a, args.model_b)
    a, b = (diff.load_errors(args.dir, m) for m in (args.model_a, args.model_b))
    both = diff.compare(a, b)
    table = diff.fixes(both, args.examples)
    print(diff.render(args.model_a, args.model_b, both, table))


def _shards(args: argparse.Namespace) -> None:
    import json

    from errata.pipeline import shards

    if args.count:
        print(len(shards.from_params(args.params, args.machines, by_preprocessing=False)))
        return
    plan = shards.from_params(args.params, args.machines)
    chosen = plan if args.index is None else [shards.pick(plan, args.index)]
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "index": s.index,
                        "models": list(s.models),
                        "stages": list(s.stages),
                        "command": s.command,
                    }
                    for s in chosen
                ]
            )
        )
    elif args.index is not None:
        print(chosen[0].command)
    else:
        print("\n".join(f"{s.index}\t{s.command}" for s in chosen))


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
        "labels",
        help="write a label set as a custom CSV (to edit into your own)",
        description="`errata labels export SPEC --out FILE.csv` writes the label set SPEC as a "
        "`custom:` CSV (file_name,target,labels,problematic); read back, it gives the same evaluation set.",
    )
    p.add_argument("verb", choices=["export"])
    p.add_argument("spec", help="real | multilabel:PATH | custom:PATH")
    p.add_argument("--out", type=Path, required=True, help="CSV file to write")
    p.set_defaults(handler=_labels)

    p = sub.add_parser(
        "preset",
        help="merge a params preset (such as presets/paper.yaml) into params.yaml",
        description="`errata preset apply PRESET` sets every key PRESET names in params.yaml, keeping "
        "its comments and the keys PRESET does not name; `git checkout params.yaml` undoes it.",
    )
    p.add_argument("verb", choices=["apply"])
    p.add_argument("preset", type=Path, help="a partial params file, e.g. presets/paper.yaml")
    p.add_argument("--params", type=Path, default=Path("params.yaml"))
    p.set_defaults(handler=_preset)

    _add_taxonomy(sub)

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
    p.add_argument(
        "--oov",
        type=Path,
        default=None,
        metavar="DECISIONS",
        help="FG-OOV decisions .parquet from `errata oov decide` (default: the test is not run)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes sharing the models (default: usable cores, max 8)",
    )
    p.set_defaults(handler=_classify)

    _add_oov(sub)

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

    p = sub.add_parser(
        "shards",
        help="the predict stages as shards for several machines, and the command each one runs",
        description="One shard per predict@<spec> stage of params.yaml (or --machines N of them): "
        "each machine runs its stages and pushes their outputs and run-cache to the default DVC "
        "remote; a clone then restores them with `dvc repro --pull`. Prints INDEX<TAB>COMMAND lines.",
    )
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="the pipeline's params file")
    p.add_argument(
        "--machines",
        type=int,
        default=None,
        help="deal the models to N shards, grouped by preprocessing; each machine runs its models "
        "together, decoding each image once (default: one shard per model)",
    )
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--index", type=int, default=None, help="print only shard I's command (0-based)")
    shown.add_argument("--count", action="store_true", help="print the number of shards")
    p.add_argument(
        "--json", action="store_true", help="index, models, stages and command of each shard as JSON"
    )
    p.set_defaults(handler=_shards)

    p = sub.add_parser("sources", help="list the pinned outside files, or fetch and verify them")
    p.add_argument("action", choices=["list", "fetch"], nargs="?", default="list")
    p.set_defaults(handler=_sources)
    return parser


def _add_taxonomy(sub: argparse._SubParsersAction) -> None:
    tax = sub.add_parser(
        "taxonomy",
        help="build the superclasses, overlapping classes and co-occurrence pairs; explain; calibrate",
        description="`build` writes a taxonomy directory; `explain A B` says why two classes do or do "
        "not share a superclass and how often they co-occur; `calibrate` measures the superclasses "
        "against the reference's per-image verdicts. A class is an index, a wnid or any of its names.",
    )
    verbs = tax.add_subparsers(dest="verb", required=True, metavar="VERB")
    definitions = argparse.ArgumentParser(add_help=False)
    definitions.add_argument(
        "--definitions", type=Path, default=None, help="superclass YAML (default: bundled)"
    )

    cooc = argparse.ArgumentParser(add_help=False)
    cooc.add_argument("--labels", default="real", help="label set whose evaluated images are held out")
    cooc.add_argument("--cooccurrence-images", default="auto", choices=["auto", "all", "disjoint"])
    cooc.add_argument(
        "--min-count",
        type=int,
        default=cooccurrence.DEFAULT_MIN_COUNT,
        help="co-occurrences per --per-images images that make a pair common",
    )
    cooc.add_argument(
        "--per-images",
        type=lambda v: None if v == "none" else int(v),
        default=cooccurrence.REFERENCE_IMAGES,
        help="the threshold is --min-count per this many counted images, scaled to the images counted "
        "(default 30000, the reference's; 'none': --min-count is an absolute count)",
    )

    p = verbs.add_parser(
        "build",
        parents=[definitions, cooc],
        help="build a taxonomy directory (the pipeline's is data/taxonomy)",
    )
    p.add_argument("--out", type=Path, required=True, help="directory to build the taxonomy in")
    p.set_defaults(handler=_taxonomy_build)

    p = verbs.add_parser(
        "explain", parents=[definitions], help="why two classes do or do not share a superclass"
    )
    p.add_argument("class_a", metavar="CLASS_A", help="index, wnid or name")
    p.add_argument("class_b", metavar="CLASS_B", help="index, wnid or name")
    p.add_argument(
        "--cooccurrence",
        type=Path,
        default=None,
        help="dir with co-occurrence counts (the pipeline writes data/cooccurrence; "
        "default: count over all 50,000 ReaL images)",
    )
    p.set_defaults(handler=_taxonomy_explain)

    p = verbs.add_parser(
        "calibrate",
        parents=[definitions, cooc],
        help="the superclasses against the reference's verdicts (cross-validated) or the experts'",
        description="With VERDICTS.json: fine-grained recall and specificity in sample and "
        "cross-validated over class pairs (each fold's groups chosen on the other folds). With "
        "--experts: the cascade against the experts' fine-grained and spurious categories, why their "
        "spurious correlations land elsewhere, and a co-occurrence threshold sweep.",
    )
    p.add_argument("verdicts", type=Path, nargs="?", metavar="VERDICTS", help="reference verdicts JSON")
    p.add_argument("--experts", action="store_true", help="against the experts' categories instead")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds over class pairs")
    p.add_argument("--repeats", type=int, default=10, help="cross-validation repeats (seeds)")
    p.add_argument("--seed", type=int, default=0, help="the first cross-validation seed")
    p.set_defaults(handler=_taxonomy_calibrate)


def _taxonomy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--taxonomy", type=Path, default=None, help="a built taxonomy dir (its superclasses)")
    p.add_argument(
        "--definitions", type=Path, default=None, help="superclass YAML when no --taxonomy (default: bundled)"
    )


def _add_oov(sub: argparse._SubParsersAction) -> None:
    from errata.oov import config

    oov = sub.add_parser(
        "oov",
        help="the CLIP fine-grained out-of-vocabulary test: proposals, embeddings, decisions",
        description="`proposals` prints what CLIP compares an image against; `embed` embeds images and "
        "prompts with CLIP; `decide` decides each (image, class) pair the models need; `calibrate` "
        "compares the proposals with the reference implementation's printed cases.",
    )
    verbs = oov.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = verbs.add_parser(
        "proposals", help="print the proposals of one (pred, target) pair or of a CSV of pairs"
    )
    p.add_argument("--pred", help="predicted class: index, wnid or name")
    p.add_argument("--target", help="original label: index, wnid or name")
    p.add_argument(
        "--pairs", type=Path, default=None, help="CSV with columns pred,target: one JSON line each"
    )
    _taxonomy_options(p)
    p.set_defaults(handler=_oov_proposals)

    p = verbs.add_parser("calibrate", help="compare proposals with the reference's FG-OOV cases")
    p.add_argument(
        "verdicts", type=Path, help="reference verdicts JSON (records with clip_top5, n_proposals)"
    )
    p.add_argument("--limit", type=int, default=20, help="missing proposals to list")
    _taxonomy_options(p)
    p.set_defaults(handler=_oov_calibrate)

    p = verbs.add_parser("embed", help="CLIP embeddings of the validation images and of every prompt")
    p.add_argument("--images", type=Path, required=True, help="ImageNet validation folder")
    p.add_argument("--out", type=Path, required=True, help="directory for the two embeddings files")
    p.add_argument("--model", default=config.DEFAULT_MODEL, help="open_clip model name or JSON config path")
    p.add_argument("--pretrained", default=config.DEFAULT_PRETRAINED, help="open_clip pretrained tag")
    p.add_argument("--gate", choices=config.GATES, default="zero_shot")
    p.add_argument(
        "--templates", choices=["openai", "simple"], default="openai", help="zero_shot gate prompts"
    )
    p.add_argument(
        "--train-images", type=Path, default=None, help="ImageNet training folder (gate knn_train)"
    )
    p.add_argument("--random-weights", action="store_true", help="download nothing; torch.manual_seed(0)")
    p.add_argument("--expect", choices=["all", "found"], default="all")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    _taxonomy_options(p)
    p.set_defaults(handler=_oov_embed)

    p = verbs.add_parser("decide", help="decide every (image, class) pair the models' errors need")
    p.add_argument("--predictions", type=Path, nargs="+", required=True, metavar="FILE")
    p.add_argument("--embeddings", type=Path, required=True, help="directory written by `errata oov embed`")
    p.add_argument(
        "--taxonomy", type=Path, required=True, help="a built taxonomy dir (`errata taxonomy build --out`)"
    )
    p.add_argument("--cooccurrence", type=Path, default=None, help="dir with common_cooccurrence.npz")
    p.add_argument(
        "--evalset", type=Path, default=None, help="an evalset.parquet (default: built from --labels)"
    )
    p.add_argument("--labels", default=None, help="real | multilabel:PATH | custom:PATH")
    p.add_argument("--out", type=Path, required=True, help="decisions .parquet; an existing one is reused")
    p.set_defaults(handler=_oov_decide)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return report_errors(args.command, lambda: handler(args))


if __name__ == "__main__":
    sys.exit(main())
