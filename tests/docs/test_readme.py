"""The README's configuration reference and commands stay true to the code."""
from __future__ import annotations

from config.loader import parameter_reference
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_parameter_is_documented_with_its_default():
    missing = [name for name, default, _ in parameter_reference() if f"| `{name}` | `{default}` |" not in README]
    assert missing == []


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci.splitlines()[-1]
    assert "make test" in README and "make backtest" in README
