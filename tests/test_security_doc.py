"""docs/security.md names, for each security promise, the test that proves it: every named test must exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "security.md"
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def named_tests() -> list[tuple[str, str]]:
    return NODE_ID.findall(DOC.read_text(encoding="utf-8"))


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")}


def test_every_test_named_in_the_security_doc_exists():
    named = named_tests()
    assert len(named) >= 40
    missing = [f"{path}::{name}" for path, name in named
               if not (ROOT / path).is_file() or name not in functions_in(ROOT / path)]
    assert not missing, "docs/security.md names tests that do not exist:\n" + "\n".join(missing)


def test_every_section_names_at_least_one_test():
    sections = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)[1:]
    for section in sections:
        title = section.splitlines()[0]
        assert NODE_ID.search(section), f"section {title!r} names no test"
