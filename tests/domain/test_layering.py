"""The domain layer is pure: no Textual, no Rich, no kubernetes client. Only the probe imports iptc.

Walks the source with `ast` (never importing it), so a violation hidden in a function body or a
`try:` block is caught too, and the failure names the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "k8snet_tui"
DOMAIN = PKG / "domain"
PRESENT = PKG / "present"
FORBIDDEN_IN_DOMAIN = ("textual", "rich", "kubernetes")
# Data flows one way: sources -> collect -> domain -> present -> screens/widgets/cli text.
ABOVE_DOMAIN = ("k8snet_tui.present", "k8snet_tui.screens", "k8snet_tui.widgets", "k8snet_tui.app",
                "k8snet_tui.views", "k8snet_tui.render_text", "k8snet_tui.collect", "k8snet_tui.sources",
                "k8snet_tui.cli", "k8snet_tui.runtime", "k8snet_tui.registry")
ABOVE_PRESENT = ("k8snet_tui.screens", "k8snet_tui.widgets", "k8snet_tui.app", "k8snet_tui.views",
                 "k8snet_tui.render_text", "k8snet_tui.collect", "k8snet_tui.sources", "k8snet_tui.cli",
                 "k8snet_tui.runtime")


def imported_modules(tree: ast.AST) -> list[tuple[str, int]]:
    """Every absolute module name an `import` or `from ... import` statement names, with its line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            # `from kubernetes import client` names "kubernetes"; `from x import y` with x a
            # forbidden top-level package is covered by the module name itself.
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.args[0].value, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, node.lineno))
    return found


def violations(root: Path, banned: tuple[str, ...], *, skip: tuple[Path, ...] = (),
               base: Path = PKG.parent) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        if any(path.is_relative_to(s) for s in skip):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in imported_modules(tree):
            top = module.split(".")[0]
            if top in banned:
                out.append(f"{path.relative_to(base)}:{line} imports {module}")
    return out


def test_domain_imports_neither_textual_rich_nor_kubernetes() -> None:
    assert list(DOMAIN.rglob("*.py")), "found no domain modules to check"
    bad = violations(DOMAIN, FORBIDDEN_IN_DOMAIN)
    assert not bad, "the domain layer must stay pure:\n" + "\n".join(bad)


def test_presenters_import_neither_textual_rich_nor_kubernetes() -> None:
    assert list(PRESENT.rglob("*.py")), "found no presenter modules to check"
    bad = violations(PRESENT, FORBIDDEN_IN_DOMAIN)
    assert not bad, "presenters must stay pure:\n" + "\n".join(bad)


def layer_violations(root: Path, banned_prefixes: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, line in imported_modules(tree):
            if any(module == p or module.startswith(p + ".") for p in banned_prefixes):
                out.append(f"{path.relative_to(PKG.parent)}:{line} imports {module}")
    return out


def test_the_domain_imports_nothing_above_it() -> None:
    bad = layer_violations(DOMAIN, ABOVE_DOMAIN)
    assert not bad, "domain/ must not depend on the layers above it:\n" + "\n".join(bad)


def test_presenters_import_nothing_above_them() -> None:
    bad = layer_violations(PRESENT, ABOVE_PRESENT)
    assert not bad, "present/ must not depend on screens, widgets, sources or the app:\n" + "\n".join(bad)


def test_only_the_probe_imports_iptc() -> None:
    bad = violations(PKG, ("iptc",), skip=(PKG / "probe",))
    assert not bad, "only k8snet_tui/probe/ may import iptc:\n" + "\n".join(bad)


@pytest.mark.parametrize("source, expected", [
    ("import textual", ["textual"]),
    ("import rich.text as t", ["rich.text"]),
    ("from kubernetes import client", ["kubernetes"]),
    ("from kubernetes.client import V1Pod", ["kubernetes.client"]),
    ("def f():\n    from textual.app import App\n", ["textual.app"]),
    ("try:\n    import iptc\nexcept ImportError:\n    pass\n", ["iptc"]),
    ("import importlib\nimportlib.import_module('kubernetes')", ["importlib", "kubernetes"]),
    ("from . import model", []),  # relative imports stay inside the package
])
def test_the_checker_sees_every_import_form(source: str, expected: list[str]) -> None:
    assert [m for m, _ in imported_modules(ast.parse(source))] == expected


def test_the_checker_names_file_and_line(tmp_path: Path) -> None:
    fake_pkg = tmp_path / "k8snet_tui"
    (fake_pkg / "domain").mkdir(parents=True)
    (fake_pkg / "domain" / "bad.py").write_text('"""doc"""\n\nimport os\nfrom rich.text import Text\n')
    bad = violations(fake_pkg / "domain", FORBIDDEN_IN_DOMAIN, base=tmp_path)
    assert bad == ["k8snet_tui/domain/bad.py:4 imports rich.text"]
