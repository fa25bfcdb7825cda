"""No float on a price path: the pricing package, the jobs and every platform's normaliser, read as syntax trees,
hold no float literal, no call of `float`, and no other use of `float` than in a type annotation or in an
`isinstance` check (which refuses a float, or turns it into its exact digits)."""

from __future__ import annotations

import ast
from pathlib import Path

import connector

ROOT = Path(connector.__file__).parent
PRICE_PATHS = [
    *sorted((ROOT / "pricing").rglob("*.py")),
    *sorted((ROOT / "jobs").rglob("*.py")),
    *sorted((ROOT / "platforms").glob("*/normalise.py")),
]


def floats(source: str) -> list[str]:
    """Each float literal and each use of the name `float` outside annotations and isinstance checks."""
    tree = ast.parse(source)
    allowed: set[int] = set()  # annotations and isinstance checks
    for node in ast.walk(tree):
        found = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            found += node.args[1:]
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            found.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            found.append(node.returns)
        for annotation in found:
            allowed |= {id(inner) for inner in ast.walk(annotation)}
    problems = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            problems.append(f"{node.lineno}: float literal {node.value!r}")
        elif isinstance(node, ast.Name) and node.id == "float":
            problems.append(f"{node.lineno}: float")
    return sorted(problems)


def test_the_scan_finds_floats_where_they_are():
    sample = (
        "x: float = 1\ndef f(a: float) -> float:\n    return float(a) + 0.5\nparse(parse_float=float)\n"
        "if isinstance(x, float):\n    raise TypeError\n"
    )
    assert floats(sample) == ["3: float", "3: float literal 0.5", "4: float"]


def test_no_float_on_the_price_path():
    names = {str(path.relative_to(ROOT)) for path in PRICE_PATHS}
    assert {"pricing/compute.py", "jobs/prices/plan.py", "platforms/shopify/normalise.py"} <= names
    assert "platforms/woocommerce/normalise.py" in names
    found = {str(path.relative_to(ROOT)): floats(path.read_text()) for path in PRICE_PATHS}
    assert {name: problems for name, problems in found.items() if problems} == {}
