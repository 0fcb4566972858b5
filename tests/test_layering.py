"""analysis/ must stay pure: it imports nothing from service/ or models/."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_imports_nothing_from_service_or_models():
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & {"service", "models"})
        for p in (ROOT / "analysis").rglob("*.py")
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_models_import_nothing_from_service():
    offenders = [
        str(p.relative_to(ROOT)) for p in (ROOT / "models").rglob("*.py") if "service" in _imports(p)
    ]
    assert offenders == []
