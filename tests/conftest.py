"""Shared test settings.

Real-data tests find the market data through one setting: the environment variable
TOMKING_DATA, defaulting to ../shared/data beside the repository. When it is missing, the
`shared_data` fixture fails loudly (it never skips), so CI cannot go green without the data.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed, reproducible set of examples (derandomised); locally they
# explore new random examples each run, and failures found there are kept in .hypothesis/.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("TOMKING_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of the real market data (../shared/data or $TOMKING_DATA); fails if missing."""
    if not (DATA_DIR / "daily" / "SPY.csv").is_file():
        pytest.fail(f"real market data not found at {DATA_DIR}: set TOMKING_DATA or put shared/ beside the repo")
    return DATA_DIR
