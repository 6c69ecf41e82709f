"""The shape of the code: pure rules, imports one way, no rule in a template, small files.

Fast and without a database: these read the source (ast, regular expressions), they run
nothing of Pôle. Modules are found by glob, so a new rules module is covered the day it
is written.
"""

from __future__ import annotations

import ast
import re
import sys
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
POLE = ROOT / "pole"
TEMPLATES = ROOT / "templates"

# Third-party packages a pure module may use: dates, time zones and French words.
PURE_LIBRARIES = {"babel", "dateutil", "zoneinfo"}
# Pure by design, besides every rules module (found by glob below).
PURE_BY_NAME = [
    "pole/bookings/grid.py",
    "pole/bookings/capacity.py",
    "pole/bookings/recurrence.py",
    "pole/timeutil.py",
    "pole/formatting.py",
    "pole/core/refusals.py",
    "pole/permanences/patterns.py",
    "pole/feeds/ical/__init__.py",
]
MAX_LINES = 400


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def path_of(module: str) -> Path | None:
    """The source file of a `pole.` module (or package), None if there is none."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, anywhere in it; `from a import b` names a.b if a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            submodules = [f"{module}.{a.name}" for a in node.names]
            if all(path_of(name) is not None for name in submodules):
                found.update(submodules)  # `from pole.x import rules`: the module, not pole.x
            else:
                found.add(module)
    return {m for m in found if m}


def rules_modules() -> list[Path]:
    """Every rules module: a `rules.py`, or any module of a `rules/` package."""
    return sorted({*POLE.rglob("rules.py"), *POLE.rglob("rules/**/*.py")})


def pure_modules() -> list[Path]:
    named = [ROOT / name for name in PURE_BY_NAME]
    return sorted({*rules_modules(), *named})


@cache
def impurities(module: str) -> tuple[str, ...]:
    """What a module imports, itself or through `pole.` modules, beyond the stdlib and dates."""
    found, seen, todo = [], {module}, [module]
    while todo:
        current = todo.pop()
        for name in sorted(imported_modules(path_of(current))):
            top = name.split(".")[0]
            if top == "pole":
                if path_of(name) is None:
                    found.append(f"{current}: {name} (no such module)")
                elif name not in seen:
                    seen.add(name)
                    todo.append(name)
            elif top not in sys.stdlib_module_names and top not in PURE_LIBRARIES:
                found.append(f"{current}: {name}")
    return tuple(sorted(found))


@pytest.mark.parametrize("path", pure_modules(), ids=relative)
def test_rules_and_pure_modules_import_only_the_stdlib_dates_and_other_pure_modules(path):
    assert impurities(module_name(path)) == ()


def test_the_purity_check_sees_through_pole_imports():
    assert impurities("pole.bookings.services.checks") != ()
    assert any("sqlalchemy" in why for why in impurities("pole.permanences.services.screens"))


def test_every_rules_module_is_found():
    found = {relative(p) for p in rules_modules()}
    assert {"pole/auth/rules.py", "pole/permanences/rules.py"} <= found
    assert any(p.startswith("pole/bookings/rules") for p in found)


def kind_of(path: Path) -> str | None:
    """Which layer a file belongs to, by its name or its folder."""
    parts = path.relative_to(POLE).parts
    name = path.stem
    if "views" in parts[:-1] or name.startswith("views") or relative(path) == "pole/main.py":
        return "views"
    if "services" in parts[:-1] or name == "services":
        return "services"
    if "rules" in parts[:-1] or name == "rules":
        return "rules"
    if name == "models":
        return "models"
    if name == "forms" or name.endswith("_forms"):
        return "forms"
    return None


FORBIDDEN = {
    "services": {"views"},
    "forms": {"views"},
    "models": {"views", "services"},
    "rules": {"views", "services", "models", "forms"},
}
LAYERED = sorted(p for p in POLE.rglob("*.py") if kind_of(p) in FORBIDDEN)


@pytest.mark.parametrize("path", LAYERED, ids=relative)
def test_imports_flow_one_way_from_views_to_services_to_models_and_rules(path):
    kind = kind_of(path)
    wrong = sorted(
        name
        for name in imported_modules(path)
        if name.startswith("pole.")
        and (target := path_of(name)) is not None
        and kind_of(target) in FORBIDDEN[kind]
    )
    assert wrong == [], f"{kind} must not import {sorted(FORBIDDEN[kind])}"


# A template asks a rule (can_cancel(appointment, now)); it never compares times itself nor
# reads a policy flag that a rule turns into a yes or no.
RESTATED_RULES = {
    "compares with now": re.compile(r"(?:[<>]=?|[!=]=)\s*now\b|\bnow\s*(?:[<>]=?|[!=]=)"),
    "compares a start or end": re.compile(
        r"\.(?:start|end)\s*(?:[<>]=?)|(?:[<>]=?)\s*\w+\.(?:start|end)\b"
    ),
    "reads requires_approval": re.compile(r"(?<!form\.)\brequires_approval\b"),
}
TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATE_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_template_restates_a_rule(template):
    text = template.read_text()
    found = [
        f"{what}: {match.group(0)!r}"
        for what, pattern in RESTATED_RULES.items()
        for match in pattern.finditer(text)
    ]
    assert found == []


def test_the_template_check_catches_a_restated_rule():
    samples = [
        "{% if appointment.start > now %}",
        "{% if now < a.end %}",
        "{% if resource.requires_approval %}",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in RESTATED_RULES.values()), sample
    assert not any(p.search("{% if can_cancel(a, now) %}") for p in RESTATED_RULES.values())
    assert not any(p.search("{{ field(form.requires_approval) }}") for p in RESTATED_RULES.values())


@pytest.mark.parametrize("path", sorted(POLE.rglob("*.py")), ids=relative)
def test_a_file_holds_one_job_in_at_most_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{relative(path)}: {lines} lines"
