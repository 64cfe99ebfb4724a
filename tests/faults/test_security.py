"""Static checks of the package: no shell, no page data in a command line, SQL with parameters."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "newsspider"
# The one place a subprocess runs: the PostgreSQL test cluster (fixed argument lists, no shell).
SUBPROCESS_ALLOWED = {"db/pgcluster.py"}
# An f-string may put into SQL text only module constants (UPPER_CASE), and these local names of
# identifiers and placeholder lists, themselves built from constants: never a value.
SQL_TEXT_NAMES = {"table", "columns", "marks", "pragma", "chunk", "len", "array_type"}


def _modules() -> list[tuple[str, ast.Module]]:
    return [(str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8")))
            for path in sorted(PACKAGE.rglob("*.py"))]  # fmt: skip


def test_no_shell_and_no_subprocess_outside_the_test_cluster() -> None:
    for name, module in _modules():
        for node in ast.walk(module):
            if isinstance(node, ast.Call):
                assert not any(
                    kw.arg == "shell" and isinstance(kw.value, ast.Constant) and kw.value.value
                    for kw in node.keywords
                ), f"{name}:{node.lineno}: shell=True"
                func = ast.unparse(node.func)
                assert func not in ("os.system", "os.popen", "os.execv", "os.execvp"), (
                    f"{name}:{node.lineno}: {func}"
                )
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                if "subprocess" in names:
                    assert name in SUBPROCESS_ALLOWED, f"{name}:{node.lineno} imports subprocess"


def test_every_sql_statement_takes_its_values_as_parameters() -> None:
    for name, module in _modules():
        for node in ast.walk(module):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in ("execute", "executemany", "executescript") or not node.args:
                continue
            sql = node.args[0]
            if isinstance(sql, ast.JoinedStr):
                for value in sql.values:
                    if isinstance(value, ast.FormattedValue):
                        names = {n.id for n in ast.walk(value.value) if isinstance(n, ast.Name)}
                        unsafe = {n for n in names if not n.lstrip("_").isupper() and n not in SQL_TEXT_NAMES}
                        assert not unsafe, f"{name}:{node.lineno}: SQL text built from {unsafe}"
            else:
                assert not isinstance(sql, ast.BinOp), f"{name}:{node.lineno}: SQL built with % or +"
