"""The layout's rules, read from the imports themselves (every import, inside functions too): torch
only where models run, readers of results on the results format alone, the plumbing only in stages
and the CLI, shared modules below the jobs, and no import cycles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from errata.pipeline import stage_deps

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "errata"
HEAVY = {"torch", "torchvision", "timm", "open_clip", "triton"}
MODEL_FOLDERS = ("errata/inference/", "errata/oov/clip/")
JOBS = {"taxonomy", "cascade", "classify", "oov", "inference", "results", "report", "papers", "pipeline"}
READERS = ("errata/results/", "errata/report/")
NOT_FOR_READERS = ("errata.classify", "errata.cascade", "errata.taxonomy", "errata.oov", "errata.inference")


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports_of(path: Path) -> set[str]:
    return stage_deps.imported_modules(path, ROOT)


def every_import(path: Path) -> set[str]:
    """Top-level names of every import in a file, errata's and the libraries'."""
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def closure(module: str, graph: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph.get(m, set())
    return seen


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return {m: {i for i in imports_of(p) if i in modules()} for m, p in modules().items()}


def notebook_imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        tree = ast.parse("\n".join(line for line in code.splitlines() if not line.startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("errata"):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("errata")}
    return found & set(modules())


def test_only_the_model_folders_import_torch_timm_or_open_clip():
    offenders = [
        f"{rel(p)}: {sorted(every_import(p) & HEAVY)}"
        for p in [*PACKAGE.rglob("*.py"), *(ROOT / "stages").glob("*.py")]
        if every_import(p) & HEAVY and not rel(p).startswith(MODEL_FOLDERS)
    ]
    assert offenders == []


def test_no_module_outside_the_model_folders_loads_torch():
    light = [
        m for m, p in modules().items() if not rel(p).startswith(MODEL_FOLDERS) and m != "errata.__main__"
    ]
    code = f"import sys\nfor m in {light!r}:\n    __import__(m)\nprint(sorted(set(sys.modules) & {HEAVY!r}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_readers_of_results_depend_on_the_results_format_alone(graph):
    readers = [m for m, p in modules().items() if rel(p).startswith(READERS)]
    offenders = {
        m: sorted(d for d in closure(m, graph) if d.startswith(NOT_FOR_READERS + ("errata.pipeline",)))
        for m in readers
    }
    assert {m: d for m, d in offenders.items() if d} == {}
    assert all(
        "errata.outputs" in closure(m, graph) for m in ("errata.results.summarize", "errata.report.page")
    )


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_read_results_through_the_readers(notebook, graph):
    reached = set().union(*(closure(m, graph) for m in notebook_imports(notebook)))
    assert reached, f"{notebook.name} imports nothing from errata"
    assert sorted(d for d in reached if d.startswith(NOT_FOR_READERS)) == []


def test_only_stages_and_the_cli_import_the_plumbing(graph):
    offenders = {
        m: sorted(d for d in deps if d.startswith("errata.pipeline"))
        for m, deps in graph.items()
        if not m.startswith("errata.pipeline") and m not in ("errata.cli", "errata.__main__")
    }
    assert {m: d for m, d in offenders.items() if d} == {}
    assert any(d.startswith("errata.pipeline") for d in graph["errata.cli"])


def test_shared_modules_import_no_job(graph):
    shared = [m for m in graph if m.count(".") == 1 and m.split(".")[1] not in JOBS | {"cli", "__main__"}]
    assert len(shared) >= 15
    offenders = {
        m: sorted(d for d in graph[m] if d.count(".") >= 1 and d.split(".")[1] in JOBS) for m in shared
    }
    assert {m: d for m, d in offenders.items() if d} == {}


def test_every_job_lives_in_its_folder():
    for job in JOBS:
        init = PACKAGE / job / "__init__.py"
        assert init.is_file(), job
        assert imports_of(init) == set(), f"{job}/__init__.py imports: stage code deps would grow"


def test_there_are_no_import_cycles(graph):
    cycles = [m for m in graph if any(m in closure(d, graph) for d in graph[m] if d != m)]
    assert cycles == []


def test_the_jobs_import_each_other_without_a_cycle(graph):
    """Between folders too, so each job can be read (and a stage's deps grow) in one direction:
    taxonomy, then the cascade's rules, the FG-OOV test, classify."""

    def job(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 2 and parts[1] in JOBS else None

    jobs: dict[str, set[str]] = {j: set() for j in JOBS}
    for m, deps in graph.items():
        if job(m):
            jobs[job(m)] |= {job(d) for d in deps if job(d) and job(d) != job(m)}
    assert [j for j in sorted(JOBS) if any(j in closure(d, jobs) for d in jobs[j])] == []
    assert {"taxonomy", "cascade"} <= jobs["oov"] and {"cascade", "oov"} <= jobs["classify"]
    assert jobs["cascade"] == {"taxonomy"}
