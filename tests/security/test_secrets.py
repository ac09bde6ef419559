"""No credentials in the repository (SPEC section 9: the LEAN CLI holds them, never the repo).

Scans every file git would commit (tracked, plus untracked files that .gitignore does not exclude)
for credentials, tokens and brokerage account numbers; checks that lean.json and config.json carry
no credential values; checks that .gitignore keeps local secrets, results and the virtual
environment out. The detectors are tested on made-up examples first, so a scan that finds nothing
means something.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# Made-up examples are assembled from pieces so that this file holds no secret-shaped literal.
DETECTORS: dict[str, re.Pattern[str]] = {
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key block": re.compile("-----BEGIN [A-Z ]*" + "PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"),
    "bearer token": re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{20,}"),
    "secret assignment": re.compile(
        r"(?i)\b(api[_-]?key|api[_-]?token|access[_-]?token|auth[_-]?token|client[_-]?secret|secret[_-]?key|"
        r"password|passwd)\b[\"']?\s*[:=]\s*[\"'][^\"'\s<>{}$]{8,}[\"']"),
    "QuantConnect credential": re.compile(
        r"(?i)[\"'](job-user-id|user-id|api-access-token|organization-id)[\"']\s*:\s*[\"']?[A-Za-z0-9]{4,}"),
    "Tastytrade account number": re.compile(r"\b5W[A-Z0-9]{6}\b"),
    "IBKR account number": re.compile(r"\b[DU][0-9]{6,8}\b"),
    "account number assignment": re.compile(
        r"(?i)\baccount[_-]?(number|id|no)\b[\"']?\s*[:=]\s*[\"']?[A-Z0-9]{6,}\b"),
}
CREDENTIAL_WORDS = ("token", "password", "secret", "user-id", "account", "api-key", "organization", "login")


def _examples() -> dict[str, str]:
    digits = "".join(str(i % 10) for i in range(40))
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
    return {
        "AWS access key": "key = " + "AK" + "IA" + "ABCDEFGHIJKLMNOP",
        "private key block": "-----BEGIN RSA " + "PRIVATE KEY-----",
        "GitHub token": "gh" + "p_" + letters,
        "Slack token": "xo" + "xb-" + digits[:12],
        "JSON web token": "ey" + "J" + letters[:12] + "." + letters[:12] + "." + letters[:6],
        "bearer token": "Authorization: Bear" + "er " + letters[:24],
        "secret assignment": "api_" + 'key = "' + letters[:16] + '"',
        "QuantConnect credential": '"job-user' + '-id": "' + digits[:6] + '"',
        "Tastytrade account number": "account 5W" + "X12345",
        "IBKR account number": "U" + digits[1:8],
        "account number assignment": "account_" + "number=" + "7XQ" + digits[:5],
    }


BENIGN = [
    "password = os.environ['TASTYTRADE_PASSWORD']",
    "--tastytrade-account-number <your account number>",
    'secrets = [k for k in settings if any(word in k for word in ("token", "password", "secret"))]',
    '"storage-limit": 52428800,',
    "order_id = 'O000001'",
    "SPY 2024-08-16 P 500",
]


def repository_files() -> list[Path]:
    """Every file git would commit: tracked files and untracked files not ignored."""
    try:
        listing = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                 cwd=REPO_ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"cannot list the repository's files with git: {error}")
    return [REPO_ROOT / name for name in listing.decode().split("\0") if name and (REPO_ROOT / name).is_file()]


def findings(text: str) -> list[str]:
    """Names of the detectors that match `text`."""
    return [name for name, pattern in DETECTORS.items() if pattern.search(text)]


def test_detectors_find_made_up_credentials_and_pass_harmless_lines() -> None:
    examples = _examples()
    assert set(examples) == set(DETECTORS)
    for name, example in examples.items():
        assert name in findings(example), name
    for line in BENIGN:
        assert findings(line) == [], line


def test_no_credentials_tokens_or_account_numbers_in_the_repository() -> None:
    files = repository_files()
    assert len(files) > 100 and REPO_ROOT / "core" / "engine" / "trading_system.py" in files
    hits = []
    for path in files:
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (compressed data, images)
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            hits += [f"{path.relative_to(REPO_ROOT)}:{number}: {name}" for name in findings(line)]
    assert hits == []


def _settings_without_comments(path: Path) -> dict:
    """A LEAN JSON settings file; LEAN allows // comments, which are dropped first."""
    lines = [line for line in path.read_text().splitlines() if not line.strip().startswith("//")]
    return json.loads("\n".join(lines))


def _credential_values(document: object, path: str = "") -> list[str]:
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}" if path else str(key)
            if any(word in str(key).lower() for word in CREDENTIAL_WORDS) and value not in ("", None, [], {}):
                found.append(where)
            found += _credential_values(value, where)
    elif isinstance(document, list):
        for index, item in enumerate(document):
            found += _credential_values(item, f"{path}[{index}]")
    return found


@pytest.mark.parametrize("name", ["lean.json", "config.json"])
def test_lean_settings_carry_no_credentials(name: str) -> None:
    path = REPO_ROOT / name
    assert path.is_file(), f"{name} is missing"
    assert _credential_values(_settings_without_comments(path)) == []
    assert _credential_values({"job-user-id": "123", "nested": {"api-access-token": "x"}, "ok": 1}) == [
        "job-user-id", "nested.api-access-token"]


@pytest.mark.parametrize("path", [".env", "broker.secret", ".lean/credentials", "results/seed/summary.json",
                                  ".venv/bin/python"])
def test_gitignore_keeps_local_secrets_results_and_the_venv_out(path: str) -> None:
    checked = subprocess.run(["git", "check-ignore", "--no-index", "-q", path], cwd=REPO_ROOT, check=False)
    assert checked.returncode == 0, f"{path} is not ignored by .gitignore"
    assert REPO_ROOT / path not in repository_files()
