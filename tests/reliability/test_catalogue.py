"""The bad-input catalogue: every case is a test, and `python -m tests.reliability.catalogue` prints their table."""
from __future__ import annotations

import pytest

from tests.reliability import catalogue as catalogue_module
from tests.reliability.case import (
    BOUNDARIES,
    CaseContext,
    CaseFailed,
    CaseResult,
    ReliabilityCase,
    format_table,
    run_case,
)
from tests.reliability.catalogue import catalogue, main, register_cases

CASES = catalogue()


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> CaseContext:
    return CaseContext(tmp_path_factory.mktemp("catalogue"))


def test_the_catalogue_covers_the_issue_list() -> None:
    assert len(CASES) >= 30
    text = " ".join(f"{case.name} {case.input}".lower() for case in CASES)
    for topic in ("nan", "inf", "zero", "negative", "crossed", "zero-width", "vix missing", "stale", "out of range",
                  "empty chain", "expiry", "greeks", "duplicate", "out-of-order", "holiday", "half day",
                  "daylight-saving", "corrupted", "missing", "multipliers", "unknown parameter", "out-of-range",
                  "expired"):
        assert topic in text, topic
    assert {"core", "offline engine"} <= {case.boundary for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: ReliabilityCase, context: CaseContext) -> None:
    result = run_case(case, context)
    assert result.passed, result.observed


def _failing(context: CaseContext) -> str:
    raise CaseFailed("the outcome differs")


def _crashing(context: CaseContext) -> str:
    raise KeyError("boom")


def test_failures_and_crashes_are_reported_not_hidden(context: CaseContext) -> None:
    failing = ReliabilityCase("f", "core", "i", "e", _failing)
    crashing = ReliabilityCase("c", "LEAN adapter", "i", "e", _crashing)
    assert run_case(failing, context) == CaseResult(failing, False, "FAILED: the outcome differs")
    assert run_case(crashing, context) == CaseResult(crashing, False, "CRASHED: KeyError: 'boom'")
    table = format_table([run_case(failing, context), CaseResult(crashing, True, "fine")]).splitlines()
    assert table[2].endswith("| FAILED: the outcome differs | FAIL |") and table[3].endswith("| fine | pass |")
    assert table[-1] == "2 cases (1 core, 1 LEAN adapter): 1 passed, 1 failed"
    with pytest.raises(ValueError, match="boundary 'nowhere'"):
        ReliabilityCase("x", "nowhere", "i", "e", _failing)
    assert BOUNDARIES == ("core", "offline engine", "LEAN adapter")


def test_registered_providers_extend_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalogue_module, "_EXTRA_PROVIDERS", [])
    extra = ReliabilityCase("adapter case", "LEAN adapter", "i", "e", _failing)
    register_cases(lambda: [extra])
    assert catalogue()[-1] is extra
    register_cases(lambda: [extra])
    with pytest.raises(ValueError, match="same name"):
        catalogue()


def test_command_prints_the_table_and_fails_on_a_failing_case(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--boundary", "core"]) == 0
    out = capsys.readouterr().out
    core = [case for case in CASES if case.boundary == "core"]
    assert out.count("| pass |") == len(core) and f"{len(core)} cases ({len(core)} core)" in out
    monkeypatch.setattr(catalogue_module, "_EXTRA_PROVIDERS",
                        [lambda: [ReliabilityCase("bad", "LEAN adapter", "i", "e", _failing)]])
    assert main(["--boundary", "LEAN adapter"]) == 1
    assert "| FAIL |" in capsys.readouterr().out
