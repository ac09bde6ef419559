"""The cloud bundle: only inside-LEAN sources, every file within QuantConnect's rules, config.json
generated from the parameters (and the repository's copy never drifts)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.loader import PARAMETERS, FrameworkConfig, load_config
from lean_adapter.parameters import ADAPTER_DEFAULTS, project_parameters, read_notification_settings
from offline.commands.bundle import (
    LEAN_PACKAGES,
    MAX_FILE_CHARS,
    BundleError,
    bundle,
    bundle_project,
    check_source,
    config_json_document,
)

REPO = Path(__file__).resolve().parents[2]


def test_bundle_holds_main_config_and_the_lean_packages_only(tmp_path: Path) -> None:
    out = tmp_path / "TomKingFramework"
    text = bundle(out)
    top = sorted(p.name for p in out.iterdir())
    assert top == sorted(["main.py", "config.json", *LEAN_PACKAGES])
    assert not list(out.rglob("test_*.py")) and not (out / "offline").exists() and not (out / "tests").exists()
    assert (out / "lean_adapter" / "broker.py").read_bytes() == (REPO / "lean_adapter" / "broker.py").read_bytes()
    assert json.loads((out / "config.json").read_text())["parameters"] == project_parameters()
    assert 'lean cloud push --project "TomKingFramework"' in text
    for path in out.rglob("*.py"):
        content = path.read_text(encoding="ascii")
        assert len(content) <= MAX_FILE_CHARS, path


def test_rebundle_replaces_stale_modules_and_keeps_the_cli_project_ids(tmp_path: Path) -> None:
    out = tmp_path / "project"
    bundle_project(out)
    (out / "core" / "removed_module.py").write_text("x = 1\n")
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "local-id": 123456, "cloud-id": 42}))
    bundle_project(out)
    assert not (out / "core" / "removed_module.py").exists()
    rewritten = json.loads((out / "config.json").read_text())
    assert (rewritten["local-id"], rewritten["cloud-id"]) == (123456, 42)


@pytest.mark.parametrize(("text", "problem"), [
    ("x = 'caf\u00e9'\n", "non-ASCII character"),
    ("x = 1\n" + "#" * MAX_FILE_CHARS + "\n", "characters, QuantConnect accepts at most 32,000"),
    ("import matplotlib.pyplot as plt\n", "imports 'matplotlib'"),
    ("def f():\n    from offline.replay.runner import BacktestRunner\n", "imports 'offline'"),
    ("import tests.conftest\n", "imports 'tests'"),
    ("def broken(:\n", "syntax error"),
])
def test_each_rule_breach_is_named(text: str, problem: str) -> None:
    problems = check_source("core/example.py", text)
    assert len(problems) == 1 and problem in problems[0] and problems[0].startswith("core/example.py")


def test_allowed_imports_pass() -> None:
    text = ("import json\nimport numpy as np\nfrom scipy.special import ndtr\nimport pandas as pd\n"
            "from AlgorithmImports import *\nfrom core.types import Leg\nfrom zoneinfo import ZoneInfo\n")
    assert check_source("main.py", text) == []


def test_a_breach_stops_the_bundle_and_lists_every_offending_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "core").mkdir(parents=True)
    (repo / "main.py").write_text("from core.good import x\n")
    (repo / "core" / "good.py").write_text("x = 1\n")
    (repo / "core" / "bad.py").write_text("import requests\n")
    (repo / "core" / "worse.py").write_text("s = '\u2013'\n")
    for package in LEAN_PACKAGES:
        (repo / package).mkdir(exist_ok=True)
    out = tmp_path / "out"
    with pytest.raises(BundleError) as caught:
        bundle_project(out, repo)
    assert [p.split(":")[0] for p in caught.value.problems] == ["core/bad.py", "core/worse.py"]
    assert not out.exists()


def test_output_inside_the_repository_is_refused() -> None:
    with pytest.raises(ValueError, match="outside the repository"):
        bundle_project(REPO / "build" / "project")


def test_repository_config_json_equals_the_generated_project_file() -> None:
    """config.json never drifts from the parameters (keys the LEAN CLI adds are allowed).
    After changing a parameter: .venv/bin/python -m offline.commands.bundle --config-json"""
    stored = json.loads((REPO / "config.json").read_text())
    expected = config_json_document()
    assert {k: stored[k] for k in expected} == expected
    assert set(stored) - set(expected) <= {"cloud-id", "local-id", "organization-id"}


def test_every_core_parameter_is_in_the_project_file_and_round_trips() -> None:
    parameters = project_parameters()
    assert set(parameters) == set(PARAMETERS) | set(ADAPTER_DEFAULTS)
    assert all(isinstance(v, str) for v in parameters.values())
    assert load_config({k: v for k, v in parameters.items() if k in PARAMETERS}) == FrameworkConfig()
    settings = read_notification_settings(parameters.get)
    assert (settings.email, settings.telegram_id, settings.max_per_hour) == ("", "", 12)


def test_lean_json_is_a_workspace_file_without_credentials() -> None:
    settings = json.loads((REPO / "lean.json").read_text())
    assert settings["data-folder"] == "data"
    # With show-missing-data-logs LEAN logs an error for every missing file of every subscription
    # (Lean Engine/DataFeeds/SubscriptionDataSourceReader.cs:31,73-78): every listed futures
    # contract's options universe without data (the micro roots have none), every day.
    assert settings["show-missing-data-logs"] is False
    # symbol-minute/second/tick-limit fill Controls (Queues/JobQueue.cs:142-144) that no engine
    # code reads: listing them would suggest a limit that does not exist.
    assert not any(key.startswith("symbol-") for key in settings)
    secrets = [k for k in settings if any(word in k for word in ("token", "password", "secret", "account", "user-id"))]
    assert secrets == []
