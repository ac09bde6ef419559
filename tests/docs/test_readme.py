"""The README's configuration reference and commands stay true to the code."""
from __future__ import annotations

from config.loader import load_config, parameter_reference
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_parameter_is_documented_with_its_default():
    missing = [name for name, default, _ in parameter_reference() if f"| `{name}` | `{default}` |" not in README]
    assert missing == []


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci.splitlines()[-1]
    assert "make test" in README and "make backtest" in README


def test_the_data_table_lists_the_files_each_strategy_needs():
    from offline.market.data_requirements import required_files

    for key, files in required_files(load_config()).items():
        row = f"| `{key}` | " + (", ".join(f"`{f}`" for f in files) or "nothing more") + " |"
        assert row in README, row


def test_commands_are_written_as_they_run_from_a_fresh_clone():
    """No bare `tomking ...` command (it is not on the PATH until the venv is activated), and no
    reference to documents outside the repository."""
    import re

    bare = [line for line in README.splitlines() if re.search(r"(^|[`\s])tomking (backtest|sweep|chain|params|data|"
                                                                  r"bundle|journal|reliability)", line)
            and ".venv/bin/tomking" not in line and "type `tomking ...`" not in line]
    assert bare == []
    assert "SPEC" not in README and "SPEC" not in (REPO_ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")


def test_report_png_shows_the_current_seed_figures():
    """docs/report.png is made by `make report-screenshot`, which stores the figures of the run it
    shows; they must be the golden seed figures (regenerate the picture when those move)."""
    import json

    from offline.report.screenshot import read_figures

    golden = json.loads((REPO_ROOT / "tests" / "integration" / "golden_seed_summary.json").read_text(encoding="ascii"))
    figures = read_figures(REPO_ROOT / "docs" / "report.png")
    assert figures == {"final_equity": golden["final_equity"], "total_return": golden["total_return"],
                       "trades": golden["trades"]}
