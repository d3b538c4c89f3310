"""The shape of the code, checked by reading it (ast): which app may import which, no
import cycles, no "optional app" devices, and each shared rule defined in one place.

Dependency direction, one way:  houhu.lib, houhu.outbox, houhu.ledger  <-  houhu.accounts,
houhu.grid  <-  pledges  <-  patrols  <-  stats. A lower app learns of a higher one's work by
a signal (houhu.lib.signals) or a registration in the higher app's AppConfig.ready, never
by importing it. The project's own modules (settings, urls, celery, wsgi) sit on top.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("houhu", "pledges", "patrols", "stats")
LAYER = {
    "houhu.lib": 0,
    # Follow-up work recorded in a transaction: every app records jobs, it imports none.
    "houhu.outbox": 0,
    # The hash chain: the apps' migrations install its triggers; it imports none of them.
    "houhu.ledger": 0,
    "houhu.accounts": 1,
    "houhu.grid": 1,
    "pledges": 2,
    "patrols": 3,
    "stats": 4,
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts:
                continue
            name = ".".join(rel.with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import statement, at any depth (a lazy
    import inside a function is an import too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target, node.lineno


def _app(module: str) -> str | None:
    for app in sorted(LAYER, key=len, reverse=True):
        if module == app or module.startswith(app + "."):
            return app
    return None  # the project's own modules: settings, urls, celery, wsgi


GRAPH = {name: dict(_imports(name, path)) for name, path in MODULES.items()}


def test_the_modules_were_found():
    assert {"pledges.models", "patrols.services", "stats.compute", "houhu.lib.errors"} <= set(
        MODULES
    )


def test_no_app_imports_a_higher_app():
    upward = [
        f"{module}:{line} imports {target}"
        for module, targets in GRAPH.items()
        for target, line in targets.items()
        if _app(module) and _app(target) and LAYER[_app(target)] > LAYER[_app(module)]
    ]
    assert upward == []


def test_there_is_no_import_cycle():
    # Tarjan's strongly connected components over every import, lazy ones included.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []


def _app_sources() -> Iterator[tuple[str, str]]:
    for name, path in MODULES.items():
        if not name.startswith("houhu.settings"):
            yield name, path.read_text()


@pytest.mark.parametrize(
    ("device", "pattern"),
    [
        ("except ImportError", r"except\s+\(?\s*ImportError"),
        ("importlib", r"\bimportlib\b"),
        ("template look-ups", r"TemplateDoesNotExist|NoReverseMatch"),
    ],
)
def test_no_optional_app_devices_between_apps_that_are_always_installed(device, pattern):
    assert [name for name, text in _app_sources() if re.search(pattern, text)] == [], device


def test_each_app_registers_its_demo_step_in_dependency_order():
    from houhu.grid import demo

    # Registered by the AppConfigs (INSTALLED_APPS order): the core never imports them.
    assert [name for name, _ in demo.STEPS] == ["pledges.demo", "patrols.demo", "stats.demo"]


def test_the_higher_apps_register_their_home_cards_and_landing_pages():
    from houhu.accounts import home

    assert home.villager_cards() == ["patrols/villager_card.html", "pledges/villager_card.html"]
    assert [x.url_name for x in sorted(home._landings.values(), key=lambda x: x.order)] == [
        "patrols:workspace",
        "stats:dashboard",
    ]


def test_pledges_are_written_by_the_one_signing_service():
    # The demo loader writes its year of history in SQL and is no entry point.
    writers = [
        name
        for name, text in _app_sources()
        if re.search(r"\bPledge\(\s*$|\bPledge\.objects\.(bulk_)?create\(", text, re.M)
        and name != "pledges.demo"
    ]
    assert writers == ["pledges.compact.signing"]


# Modules that may name a role: the permissions module and the model that defines roles,
# the one service that creates a villager's account, and the demo data generators.
ROLE_WRITERS = {
    "houhu.accounts.scopes",
    "houhu.accounts.models",
    "houhu.accounts.services",
    "houhu.grid.demo",
    "houhu.grid.management.commands.load_demo",
    "pledges.demo",
    "patrols.demo",
}


def test_only_the_permissions_module_decides_by_role():
    pattern = re.compile(
        r"\bRole\.|\.role\b|\brole\s*(==|!=|in\b|=)|is_superuser|\.is_(leader|villager|station_staff|grid_manager)\b"
    )
    deciding = {name for name, text in _app_sources() if pattern.search(text)} - ROLE_WRITERS
    assert deciding == set()


def test_no_template_decides_by_role():
    pattern = re.compile(
        r"user\.(role|is_superuser|is_(leader|villager|station_staff|grid_manager))"
    )
    found = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.html")
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_readmes_where_things_live_matches_the_tree():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    missing = []
    for row in section.splitlines():
        cells = re.findall(r"`([^`]+)`", row)
        if not row.startswith("| `") or not cells:
            continue
        base = ROOT / cells[0]
        assert base.exists(), cells[0]
        paths = [t for t in cells[1:] if "/" in t or t.endswith(".py")]
        missing += [
            f"{cells[0]}: {t}" for t in paths if not ((ROOT / t).exists() or (base / t).exists())
        ]
    assert missing == []
    listed = set(re.findall(r"^\| `([\w.]+)/`", section, re.M))
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages <= listed | {"tests", "bench"}
