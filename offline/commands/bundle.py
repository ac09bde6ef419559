"""`tomking bundle --out DIR`: assemble the QuantConnect cloud project.

The project holds main.py, config.json and the packages that run inside LEAN (config, core,
strategies, risk, greeks, helpers, reporting, lean_adapter); no tests and no offline engine.
Before anything is written, every file is checked against QuantConnect's rules: ASCII only, at
most 32,000 characters, and imports of the standard library, numpy, pandas, scipy,
AlgorithmImports and the bundled packages only. Any breach stops the bundle with a list of the
offending files (BundleError, a ValueError).
"""
from __future__ import annotations

import ast
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from lean_adapter.parameters import project_parameters

REPO_ROOT = Path(__file__).resolve().parents[2]
LEAN_PACKAGES = ("config", "core", "strategies", "risk", "greeks", "helpers", "reporting", "lean_adapter")
ENTRY_POINT = "main.py"
ALLOWED_THIRD_PARTY = frozenset({"numpy", "pandas", "scipy", "AlgorithmImports"})
MAX_FILE_CHARS = 32_000
PROJECT_DESCRIPTION = "Tom King options framework: SPY and futures options premium selling, Tastytrade margin account"
KEPT_CONFIG_KEYS = ("cloud-id", "local-id", "organization-id")  # written by the LEAN CLI; a re-bundle keeps them


class BundleError(ValueError):
    """The sources break a QuantConnect rule; `problems` lists one line per offence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("cloud bundle refused, fix these files first:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class BundleResult:
    """What `bundle_project` wrote."""

    out_dir: Path
    files: tuple[str, ...]
    largest: tuple[str, int]

    def report(self) -> str:
        lines = [f"QuantConnect project assembled in {self.out_dir}: {len(self.files)} Python files plus config.json",
                 f"  largest file {self.largest[0]} ({self.largest[1]:,} of {MAX_FILE_CHARS:,} characters)", ""]
        return "\n".join(lines + upload_steps(self.out_dir))


def config_json_document(existing: dict | None = None) -> dict:
    """The LEAN project file: language, description and every parameter as text (the CLI's own
    project ids are kept from `existing`)."""
    document = {"algorithm-language": "Python", "description": PROJECT_DESCRIPTION,
                "parameters": project_parameters()}
    for key in KEPT_CONFIG_KEYS:
        if existing and key in existing:
            document[key] = existing[key]
    return document


def config_json_text(existing: dict | None = None) -> str:
    return json.dumps(config_json_document(existing), indent=4, ensure_ascii=True) + "\n"


def write_config_json(repo: Path = REPO_ROOT) -> Path:
    """Regenerate the repository's config.json after a parameter was added or changed (the CLI's
    project ids in it are kept)."""
    path = repo / "config.json"
    existing = json.loads(path.read_text()) if path.is_file() else None
    path.write_text(config_json_text(existing), encoding="ascii")
    return path


def source_files(repo: Path = REPO_ROOT) -> list[Path]:
    """main.py and every .py file of the LEAN packages, sorted (no caches, no tests)."""
    files = [repo / ENTRY_POINT]
    for package in LEAN_PACKAGES:
        files += sorted(p for p in (repo / package).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _imported_roots(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def check_source(relative: str, text: str) -> list[str]:
    """The rule breaches of one file, as "path: problem" lines (empty when it is fine)."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        bad = next((c for c in line if ord(c) > 127), None)
        if bad is not None:
            problems.append(f"{relative}:{number}: non-ASCII character {bad!r} (U+{ord(bad):04X})")
            break
    if len(text) > MAX_FILE_CHARS:
        problems.append(f"{relative}: {len(text):,} characters, QuantConnect accepts at most {MAX_FILE_CHARS:,}")
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        return [*problems, f"{relative}:{error.lineno}: syntax error: {error.msg}"]
    allowed = set(sys.stdlib_module_names) | ALLOWED_THIRD_PARTY | set(LEAN_PACKAGES)
    for number, root in _imported_roots(tree):
        if root not in allowed:
            problems.append(f"{relative}:{number}: imports {root!r}, which is not available in the cloud project "
                            "(allowed: standard library, numpy, pandas, scipy, AlgorithmImports, bundled packages)")
    return problems


def check_sources(repo: Path = REPO_ROOT) -> list[str]:
    """Every breach in the files the bundle would hold."""
    problems = []
    for path in source_files(repo):
        relative = path.relative_to(repo).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"{relative}: not UTF-8 text ({error.reason} at byte {error.start})")
            continue
        problems += check_source(relative, text)
    return problems


def bundle_project(out_dir: Path, repo: Path = REPO_ROOT) -> BundleResult:
    """Check the sources, then write the project into `out_dir` (its package folders are
    replaced, so no stale module survives a re-bundle).

    Raises:
        BundleError: a file breaks a rule (nothing is written).
        ValueError: `out_dir` is the repository itself or inside it.
    """
    out = Path(out_dir).resolve()
    if out == repo.resolve() or repo.resolve() in out.parents:
        raise ValueError(f"bundle output {out} must be outside the repository {repo}")
    problems = check_sources(repo)
    if problems:
        raise BundleError(problems)
    out.mkdir(parents=True, exist_ok=True)
    for package in LEAN_PACKAGES:
        if (out / package).exists():
            shutil.rmtree(out / package)
    written = []
    for path in source_files(repo):
        relative = path.relative_to(repo)
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
        written.append(relative.as_posix())
    existing_path = out / "config.json"
    existing = json.loads(existing_path.read_text()) if existing_path.is_file() else None
    existing_path.write_text(config_json_text(existing), encoding="ascii")
    sizes = {name: len((out / name).read_text(encoding="ascii")) for name in written}
    largest = max(sizes.items(), key=lambda item: item[1])
    return BundleResult(out, tuple(written), largest)


def upload_steps(out_dir: Path) -> list[str]:
    """How to get the bundled project onto QuantConnect."""
    name = Path(out_dir).name
    return [
        "Upload to QuantConnect:",
        f"  A. LEAN CLI: put (or bundle straight into) the folder `{name}` inside your organization workspace",
        "     (the folder where `lean init` wrote lean.json), then run from the workspace:",
        f"       lean cloud push --project \"{name}\"",
        f"       lean cloud backtest \"{name}\" --open",
        "  B. Web IDE: create a Python project, then upload main.py and each package folder (config, core,",
        "     strategies, risk, greeks, helpers, reporting, lean_adapter) with their folder names unchanged,",
        "     and enter the parameters of config.json on the project's Parameters panel (only to change a default).",
        "  Live on Tastytrade: see docs/lean.md (lean live deploy ... --brokerage Tastytrade).",
    ]


def bundle(out_dir: Path) -> str:
    """Assemble the project in `out_dir` and return the report with the upload steps.

    Raises:
        BundleError, ValueError: see bundle_project.
    """
    return bundle_project(Path(out_dir)).report()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m offline.commands.bundle OUT_DIR    (or --config-json: regenerate ./config.json)")
    if sys.argv[1] == "--config-json":
        print(f"wrote {write_config_json()}")
    else:
        print(bundle(Path(sys.argv[1])))
