"""The package's layout rules (issue 19), read from the source with ``ast``.

- No module over 500 lines (migrations aside): a module that outgrows this wants to be a
  package along its own sections.
- No import cycle inside the package, counting imports made inside functions: a cycle
  hidden in a function-level import is still a cycle (it only fails later, at call time,
  or the day someone moves the import up). Imports under ``if TYPE_CHECKING:`` are not
  executed and do not count.
- Imports inside functions only for an optional extra (Wagtail, django CMS, c2pa,
  google-auth, redis, cryptography) or where Django's app loading needs them late
  (``LATE_FOR_TIMING`` says where and why).
- The fake Gemini server stays an independent model of Google: nothing under
  ``testing/fake_gemini`` imports the project's own code (only ``testing/fake_models``
  and ``testing/fake_c2pa``, which import nothing of it either).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "django_nanobanana"
ROOT_NAME = PACKAGE.name
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package but migrations."""
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent)
        if "migrations" in relative.parts:
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _targets(
    name: str, path: Path, node: ast.Import | ast.ImportFrom, modules: set[str]
) -> set[str]:
    """The package's modules an import statement executes."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in modules}
    if node.level:
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if base != ROOT_NAME and not base.startswith(ROOT_NAME + "."):
        return set()
    found = set()
    plain_names = False
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        if submodule in modules:
            found.add(submodule)
        else:
            plain_names = True
    if plain_names and base in modules:
        found.add(base)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    names = set(modules)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in _import_nodes(tree):
            edges |= _targets(name, path, node, names)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_checker_sees_a_cycle_hidden_in_a_function() -> None:
    """The rule can fail: a function-level import that closes a loop is found."""
    tree_a = ast.parse("from .b import x\n")
    tree_b = ast.parse("def f():\n    from .a import y\n")
    graph = {}
    for name, tree in (("pkg.a", tree_a), ("pkg.b", tree_b)):
        graph[name] = set()
        for node in _import_nodes(tree):
            package = "pkg"
            graph[name].add(f"{package}.{node.module}")
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    typed = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import y\n")
    assert [node.module for node in _import_nodes(typed)] == ["typing"]


def test_no_module_over_500_lines() -> None:
    long = {
        name: count
        for name, path in _modules().items()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_no_import_cycle_in_the_package() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the walk found the package
    assert "django_nanobanana.services" in graph["django_nanobanana.tasks"] or any(
        target.startswith("django_nanobanana.services")
        for target in graph["django_nanobanana.tasks"]
    )
    assert cycles(graph) == []


def test_the_fake_server_never_imports_the_project() -> None:
    graph = import_graph()
    fake = [name for name in graph if name.startswith(f"{ROOT_NAME}.testing.fake_gemini")]
    assert fake
    allowed = {
        f"{ROOT_NAME}.testing",
        *(f"{ROOT_NAME}.testing.{name}" for name in ("fake_models", "fake_c2pa")),
        *fake,
    }
    # What the fake may import must itself import nothing of the project (transitively).
    shared = [f"{ROOT_NAME}.testing.{name}" for name in ("fake_models", "fake_c2pa")]
    leaks = {
        name: sorted(graph[name] - allowed) for name in [*fake, *shared] if graph[name] - allowed
    }
    assert leaks == {}


#: Modules that import the package's own code inside functions, and why: Django's app
#: registry (``ready()``; a model field's form field, imported while models load) or a
#: pytest plugin that loads before the settings.
LATE_FOR_TIMING = {
    f"{ROOT_NAME}.apps": "AppConfig.ready(): models and signals once the registry is ready",
    f"{ROOT_NAME}.contrib.wagtail.apps": "AppConfig.ready(), and Wagtail is an optional extra",
    f"{ROOT_NAME}.fields": "models modules import it while the app registry loads",
    f"{ROOT_NAME}.testing.pytest_plugin": "pytest loads its plugins before Django's settings",
    f"{ROOT_NAME}.testing.fake_gemini.generate": "fake_c2pa needs the optional c2pa extra",
}
#: Third-party packages of the optional extras (pyproject.toml): imported where used.
OPTIONAL_EXTRAS = {"c2pa", "cryptography", "google", "redis", "wagtail", "cms", "pythainlp"}


def _late_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Imports inside functions (TYPE_CHECKING blocks aside)."""
    late: list[ast.Import | ast.ImportFrom] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in node.body:
                late.extend(_import_nodes(statement))
    return late


def test_function_level_imports_are_for_optional_extras_or_app_loading_only() -> None:
    """Issue 19: a function-level import hides a dependency; it is kept only for an
    optional extra, or where Django's app loading (or pytest's) needs it late."""
    unexplained = []
    for name, path in _modules().items():
        if name in LATE_FOR_TIMING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _late_imports(tree):
            if isinstance(node, ast.Import):
                top = node.names[0].name.split(".")[0]
            else:
                top = "" if node.level else (node.module or "").split(".")[0]
            if top not in OPTIONAL_EXTRAS:
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert unexplained == [], f"function-level imports without a reason: {unexplained}"
    # the rule can fail: an import inside a function is seen, one under TYPE_CHECKING is not
    sample = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "def f():\n    import json\n    if TYPE_CHECKING:\n        import decimal\n"
    )
    assert [n.names[0].name for n in _late_imports(sample)] == ["json"]


#: The layers below the flows (docs/architecture.md): they never import a flow or an edge.
LOWER = ("ledger", "providers", "imaging", "models", "storage", "access", "conf", "money")
UPPER = ("services", "tasks", "admin", "api", "management", "contrib", "chooser")


def test_nothing_below_the_services_calls_back_up() -> None:
    graph = import_graph()

    def under(name: str, tops: tuple[str, ...]) -> bool:
        return any(name == f"{ROOT_NAME}.{t}" or name.startswith(f"{ROOT_NAME}.{t}.") for t in tops)

    upward = {
        name: sorted(t for t in targets if under(t, UPPER))
        for name, targets in graph.items()
        if under(name, LOWER) and any(under(t, UPPER) for t in targets)
    }
    assert upward == {}
