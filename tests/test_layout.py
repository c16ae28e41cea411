"""The house rules of the layout, read from the source: packages along the data path, imports only
downward, each outside library owned by one place, no package holding most of the code."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from sd_model.paths import ROOT

#: Top-level packages from the bottom of the data path up; a package may import only those before it.
LAYERS = ("diagrams", "engine", "sd_model", "calibration", "robustness", "sensitivity", "explorer")
#: Side by side: the analyses may use calibration's futures, nothing above them.
ALLOWED = {
    "diagrams": set(),
    "engine": {"diagrams"},
    "sd_model": {"diagrams", "engine"},
    "calibration": {"diagrams", "engine", "sd_model"},
    "robustness": {"diagrams", "engine", "sd_model", "calibration"},
    "sensitivity": {"diagrams", "engine", "sd_model", "calibration"},
    "explorer": set(LAYERS) - {"explorer"},
}


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree) -> set[str]:
    """Top-level names of every module imported anywhere in ``tree`` (function-level imports too)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_only_the_packages_below_it(package):
    for path, tree in modules(package):
        upward = (imported(tree) & set(LAYERS)) - ALLOWED[package] - {package}
        assert not upward, f"{path.relative_to(ROOT)} imports {sorted(upward)}, above or beside {package}"


def test_each_outside_library_is_owned_by_one_place():
    owners = {"streamlit": ("explorer",), "pysd": ("engine",)}
    for package in LAYERS:
        for path, tree in modules(package):
            where = str(path.relative_to(ROOT))
            for library, allowed in owners.items():
                if library in imported(tree):
                    assert where.startswith(allowed), f"{where} imports {library}; only {allowed} may"


def test_the_core_imports_without_the_heavy_libraries():
    code = (
        "import sys, sd_model, calibration, robustness, sensitivity\n"
        "heavy = ('altair', 'arviz', 'emcee', 'simlin', 'distributed', 'streamlit', 'platypus')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"imported at import time: {done.stdout.strip()}"


def test_no_analysis_module_writes_prose_in_a_language():
    """Sentences in both languages live in sd_model/words.py (and the explorer's own words in
    explorer/i18n.py): no Chinese text in the code of the model or the analyses."""
    for package in ("diagrams", "engine", "sd_model", "calibration", "robustness", "sensitivity"):
        for path, _ in modules(package):
            text = path.read_text(encoding="utf-8")
            chinese = re.search(r"[\u4e00-\u9fff]", text)
            assert chinese is None or path.name == "words.py", f"{path.relative_to(ROOT)}: {chinese.group()!r}"


def test_no_top_level_package_holds_most_of_the_code():
    lines = {
        package: sum(len(path.read_text(encoding="utf-8").splitlines()) for path, _ in modules(package))
        for package in LAYERS
    }
    total = sum(lines.values()) + len((ROOT / "app.py").read_text(encoding="utf-8").splitlines())
    largest = max(lines, key=lines.get)
    assert lines[largest] < 0.4 * total, f"{largest} holds {lines[largest]} of {total} lines"
