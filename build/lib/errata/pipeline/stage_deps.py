"""The code each DVC stage runs, found from its imports, so that dvc.yaml's code dependencies are
generated rather than hand-kept (a hand-kept list drifts, and `dvc status` then calls stale
results up to date).

A stage's code is its script (`cmd: python stages/NAME.py`), every `errata` module the script
imports directly or through other modules (imports inside functions included: over-approximating
is safe, missing one is not), the package `__init__`s on the way, and the data files those
modules read through `packaged.data_file("name")`. In dvc.yaml, deps under `errata/` or `stages/`
are this generated part; every other dep is written by hand.

    python -m errata.pipeline.stage_deps            # rewrite dvc.yaml's code deps
    python -m errata.pipeline.stage_deps --check    # exit 1 (and say what differs) if they are stale
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

import yaml

PACKAGE = "errata"
CODE_PREFIXES = (f"{PACKAGE}/", "stages/")
SCRIPT = re.compile(r"^python3? (stages/[\w./-]+\.py)(?: .*)?$")
HEADER = (
    "# Paths come from errata/data/layout.yaml (vars: ${layout.NAME}), each named once, and reach the\n"
    "# stage scripts as arguments. Code deps (paths under errata/ and stages/) are generated from each\n"
    "# stage script's imports: run `python -m errata.pipeline.stage_deps` after changing what a stage\n"
    "# imports. Other deps are by hand.\n"
)


def module_path(module: str, root: Path) -> Path | None:
    """errata.x.y -> errata/x/y.py or errata/x/y/__init__.py (None when it is not a module)."""
    base = root.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(path: Path, root: Path) -> set[str]:
    """The `errata` modules a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            if node.level:
                raise ValueError(f"{path}: relative imports are not followed; import from {PACKAGE}")
            found.add(node.module)
            found |= {
                f"{node.module}.{a.name}"
                for a in node.names
                if module_path(f"{node.module}.{a.name}", root) is not None
            }
    return found


def data_files(path: Path) -> set[str]:
    """Package data files a module reads through `data_file("literal")`."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "data_file"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            out.add(f"{PACKAGE}/data/{node.args[0].value}")
    return out


def _with_parents(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}


def code_deps(script: Path, root: Path) -> list[str]:
    """Sorted repo-relative paths of everything `script` runs or reads from the package."""
    seen: set[str] = set()
    todo = set().union(*(_with_parents(m) for m in imported_modules(root / script, root)))
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_path(module, root)
        if path is None:
            raise ValueError(f"{script}: imports {module}, which is not a module of {PACKAGE}")
        for found in imported_modules(path, root):
            todo |= _with_parents(found) - seen
    files = {module_path(m, root) for m in seen}
    deps = {str(script)} | {p.relative_to(root).as_posix() for p in files if p is not None}
    deps |= set().union(*(data_files(p) for p in files if p is not None))
    return sorted(deps)


def stage_script(cmd: str) -> Path | None:
    found = SCRIPT.match(cmd.strip())
    return Path(found.group(1)) if found else None


def regenerate(pipeline: dict, root: Path) -> dict:
    """`pipeline` (dvc.yaml as loaded) with each stage's code deps replaced by the generated ones."""
    for entry in pipeline["stages"].values():
        stage = entry.get("do", entry)  # a `foreach` stage's template
        script = stage_script(stage["cmd"])
        if script is None:
            continue
        by_hand = [d for d in stage.get("deps", []) if not str(d).startswith(CODE_PREFIXES)]
        stage["deps"] = code_deps(script, root) + by_hand
    return pipeline


def stale(dvc_yaml: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per stage whose code deps are wrong: (missing, extra)."""
    current = yaml.safe_load(dvc_yaml.read_text())
    wanted = regenerate(yaml.safe_load(dvc_yaml.read_text()), dvc_yaml.parent)
    out = {}
    for name, entry in wanted["stages"].items():
        stage, now = entry.get("do", entry), current["stages"][name]
        have, want = set(now.get("do", now).get("deps", [])), set(stage.get("deps", []))
        if have != want:
            out[name] = (sorted(want - have), sorted(have - want))
    return out


def write(dvc_yaml: Path) -> None:
    from errata.atomic import write_text

    pipeline = regenerate(yaml.safe_load(dvc_yaml.read_text()), dvc_yaml.parent)
    body = yaml.safe_dump(pipeline, sort_keys=False, default_flow_style=False, width=110)
    write_text(dvc_yaml, HEADER + body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m errata.pipeline.stage_deps", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only report stale code deps (exit 1)")
    parser.add_argument("--dvc-yaml", type=Path, default=Path("dvc.yaml"))
    args = parser.parse_args(argv)
    problems = stale(args.dvc_yaml)
    if not args.check:
        write(args.dvc_yaml)
        print(f"{args.dvc_yaml}: code deps of {len(problems)} stage(s) updated")
        return 0
    for name, (missing, extra) in problems.items():
        print(f"{name}: missing {missing or '-'}; not imported {extra or '-'}")
    if problems:
        print("run `python -m errata.pipeline.stage_deps` to regenerate them", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
