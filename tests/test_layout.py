"""The repository's layout rules, checked on the source itself: test modules import the code and testkit/,
never each other or a conftest; the shipped packages never import test or benchmark code; the shared data's
location is spelled in one place (services/kit/paths.py); no two classes of the shipped code share a name."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from services.kit.paths import REPO

SHIPPED = ("services", "kataforge")
NOT_SHIPPED = ("tests", "testkit", "bench")


def python_files(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in (REPO / root).rglob("*.py") if ".venv" not in p.parts)


def imported_modules(path: Path, package: tuple[str, ...] | None = None) -> set[str]:
    """Every module an import statement of the file names (absolute names; relative imports resolved against
    `package`, by default the file's own under REPO)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    if package is None:
        package = path.relative_to(REPO).with_suffix("").parts[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def test_the_rules_see_imports_of_every_form(tmp_path):
    """The scanner itself: plain, from, dotted and relative imports are all found."""
    source = tmp_path / "probe.py"
    source.write_text("import tests.conftest\nfrom tests.pose import conftest\nfrom . import learning\n"
                      "if True:\n    from ..kit import paths\n")
    found = imported_modules(source, package=("tests", "scoring"))
    assert {"tests.conftest", "tests.pose.conftest", "tests.scoring.learning", "tests.kit.paths"} <= found


def test_no_test_imports_another_test_module_or_a_conftest():
    local = {p.stem for p in (REPO / "tests").rglob("*.py")} - {"__init__"}
    wrong = {str(path.relative_to(REPO)): found for path in python_files("tests", "bench", "testkit")
             if (found := sorted(m for m in imported_modules(path) if m == "tests" or m.startswith("tests.")
                                 or m.split(".")[0] in local or m.endswith("conftest")))}
    assert not wrong, f"shared helpers belong in testkit/, fixtures in a conftest: {wrong}"


def test_shipped_code_never_imports_tests_testkit_or_bench():
    wrong = {str(path.relative_to(REPO)): found for path in python_files(*SHIPPED)
             if (found := sorted(m for m in imported_modules(path) if m.split(".")[0] in NOT_SHIPPED))}
    assert not wrong, f"the images do not ship these: {wrong}"


def test_the_shared_data_is_located_in_one_place():
    here, spelled_out = Path(__file__).resolve(), '"shared" / "data"'
    spelled = [str(p.relative_to(REPO)) for p in python_files("services", "bench", "tests", "testkit")
               if spelled_out in p.read_text() and p.name != "paths.py" and p != here]
    assert not spelled, f"use services.kit.paths instead of spelling the shared data's location in {spelled}"


def test_no_two_shipped_classes_share_a_name():
    """A name says which class is meant (a pose-container track and a tracked person were both `Track`)."""
    where = defaultdict(list)
    for path in python_files("services"):
        for node in ast.parse(path.read_text(), filename=str(path)).body:
            if isinstance(node, ast.ClassDef):
                where[node.name].append(str(path.relative_to(REPO)))
    shared = {name: paths for name, paths in where.items() if len(paths) > 1}
    assert not shared, f"rename one of each: {shared}"
