"""Stop an offline backtest at a given minute and resume it later with exactly the same results.

`tomking backtest ... --stop-at "YYYY-MM-DD HH:MM"` runs every step at or before that time (US/Eastern),
then saves; `tomking backtest --resume DIR` finishes the run. A resumed run produces the same
trades.csv, equity.csv, journal.jsonl and final equity as an uninterrupted one (only the wall
time differs). What is saved where:

- the trading system's state: `TradingSystem.save()` writes the "<prefix>/system" document into the
  run's FileStore (DIR/state), the same document and schema the LEAN adapter keeps in the
  ObjectStore, and `TradingSystem.restore()` reads it back;
- DIR/checkpoint.json (this module, schema CHECKPOINT_SCHEMA): the run's settings (data folder,
  parameter overrides, broker faults), the runner's cursor, the market state of the current minute
  (it is not recomputable: prices persist across missing bars), the simulated broker's state
  (holdings, orders, queued events, the fault generator), the results so far (equity series,
  regimes, counters) and the journal records written so far, as their JSON lines;
- digests: the checkpoint carries a SHA-256 of its own content and of the system document it was
  written with, so a corrupted, edited or mismatched state gets a clear ValueError, never a
  silently different run. Another schema version is refused with a message naming both versions.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from config.loader import load_config
from offline.broker.faults import BrokerFaults
from offline.market.market_data import load_market_data
from offline.market.market_view import MarketState
from offline.market.volatility_surface import VolatilityTerm
from offline.replay.runner import BacktestRunner, ProgressCallback, RunCursor
from reporting.journal import Journal, record_to_json

CHECKPOINT_SCHEMA = 3
CHECKPOINT_FILE = "checkpoint.json"
STATE_FOLDER = "state"


@dataclass(frozen=True)
class RunSettings:
    """What a run was started with: the market data folder, parameter overrides (name -> text), the
    broker faults, whether a bad data value stops the run (`strict_data`) and whether every minute is
    run (`every_minute`, BacktestRunner). Enough to rebuild the same runner. `command` (the command
    line) and `strategies_off` (strategies run without their data, one line each) are recorded for
    the outputs."""

    data_dir: str
    overrides: dict[str, str] = field(default_factory=dict)
    faults: BrokerFaults = field(default_factory=BrokerFaults)
    strict_data: bool = False
    command: str = ""
    strategies_off: tuple[str, ...] = ()
    every_minute: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"data_dir": self.data_dir, "overrides": dict(self.overrides), "faults": asdict(self.faults),
                "strict_data": self.strict_data, "command": self.command,
                "strategies_off": list(self.strategies_off), "every_minute": self.every_minute}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> RunSettings:
        return RunSettings(str(data["data_dir"]), {str(k): str(v) for k, v in data["overrides"].items()},
                           BrokerFaults(**data["faults"]), bool(data["strict_data"]), str(data["command"]),
                           tuple(str(line) for line in data["strategies_off"]),
                           bool(data.get("every_minute", False)))  # absent from earlier checkpoints


def canonical_digest(document: dict[str, Any]) -> str:
    """SHA-256 (hex) of a JSON document written with sorted keys and no NaN (the FileStore form)."""
    text = json.dumps(document, sort_keys=True, allow_nan=False, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def build_runner(settings: RunSettings, state_dir: Path, progress: ProgressCallback | None = None) -> BacktestRunner:
    """A fresh runner for `settings` (loads the configuration and the market data).

    Raises:
        ValueError: a bad parameter override; MarketDataError: bad or missing data files.
    """
    config = load_config(settings.overrides)
    market = load_market_data(settings.data_dir, config.backtest.start_date, config.backtest.end_date,
                              strict=settings.strict_data)
    return BacktestRunner(config, market, state_dir, faults=settings.faults, progress=progress,
                          every_minute=settings.every_minute)


# --- the market state of the current minute -------------------------------------------------


def market_state_to_dict(state: MarketState) -> dict[str, Any]:
    """Every field of the MarketState (datetimes as ISO text, the term structure as its closes)."""
    document: dict[str, Any] = {}
    for item in fields(MarketState):
        value = getattr(state, item.name)
        if isinstance(value, datetime):
            value = {"datetime": value.isoformat()}
        elif isinstance(value, VolatilityTerm):
            value = {"volatility_term": list(value.closes)}
        document[item.name] = value
    return document


def restore_market_state(state: MarketState, data: dict[str, Any]) -> None:
    """Set every field of `state` from `market_state_to_dict` output.

    Raises:
        ValueError: the saved fields are not exactly the MarketState's fields (another version).
    """
    names = {item.name for item in fields(MarketState)}
    if set(data) != names:
        raise ValueError(f"checkpoint market state has fields {sorted(data)}, this version has {sorted(names)}")
    for name, value in data.items():
        if isinstance(value, dict) and set(value) == {"datetime"}:
            value = datetime.fromisoformat(value["datetime"])
        elif isinstance(value, dict) and set(value) == {"volatility_term"}:
            value = VolatilityTerm(tuple(value["volatility_term"]))
        elif isinstance(value, dict):
            value = dict(value)
        setattr(state, name, value)


# --- save ------------------------------------------------------------------------------------


def save_checkpoint(runner: BacktestRunner, out_dir: str | Path, settings: RunSettings) -> Path:
    """Save a stopped run: the system document into the runner's store, the rest into
    out_dir/checkpoint.json (written to a temporary file and renamed). Returns the checkpoint path.

    Raises:
        ValueError: the runner has not stopped (a finished run has nothing to resume).
    """
    if not runner.stopped:
        raise ValueError("only a stopped run can be saved for a resume")
    runner.system.save()
    result = runner.result
    document: dict[str, Any] = {
        "schema": CHECKPOINT_SCHEMA,
        "settings": settings.to_dict(),
        "key_prefix": runner.system.key_prefix,
        "cursor": {"session": runner.cursor.session, "minute": runner.cursor.minute,
                   "day": runner.sessions()[runner.cursor.session].isoformat()},
        "market_state": market_state_to_dict(runner.state),
        "broker": runner.broker.to_dict(),
        "result": {"equity_dates": [d.isoformat() for d in result.equity_dates], "equity": result.equity,
                   "vix_close": [v if math.isfinite(v) else None for v in result.vix_close],
                   "regimes": result.regimes, "max_open_positions": result.max_open_positions,
                   "simulated_minutes": result.simulated_minutes, "wall_seconds": result.wall_seconds,
                   "daily": result.daily},
        "journal": runner.journal.to_jsonl_lines(),
        "system_digest": canonical_digest(runner.system.to_dict()),
    }
    document["digest"] = canonical_digest(document)
    path = Path(out_dir) / CHECKPOINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, sort_keys=True, allow_nan=False), encoding="ascii")
    os.replace(temporary, path)
    return path


def clear_checkpoint(out_dir: str | Path) -> None:
    """Remove a checkpoint (a finished or freshly started run has nothing to resume)."""
    (Path(out_dir) / CHECKPOINT_FILE).unlink(missing_ok=True)


# --- load and resume -------------------------------------------------------------------------


def load_checkpoint(out_dir: str | Path) -> dict[str, Any]:
    """Read and verify out_dir/checkpoint.json.

    Raises:
        ValueError: no checkpoint, unreadable JSON, another schema version, or a digest that does
            not match the content (corruption or an edit).
    """
    path = Path(out_dir) / CHECKPOINT_FILE
    if not path.is_file():
        raise ValueError(f"no checkpoint in {out_dir}: nothing to resume (stop a run with --stop-at first)")
    try:
        document = json.loads(path.read_text(encoding="ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"checkpoint {path} is corrupted: {error}") from None
    if not isinstance(document, dict):
        raise ValueError(f"checkpoint {path} is corrupted: not a JSON object")  # noqa: TRY004 - bad data
    if document.get("schema") != CHECKPOINT_SCHEMA:
        raise ValueError(f"checkpoint {path} has schema {document.get('schema')!r}; this version reads schema "
                         f"{CHECKPOINT_SCHEMA} (finish the run with the version that stopped it)")
    claimed = document.pop("digest", None)
    if claimed != canonical_digest(document):
        raise ValueError(f"checkpoint {path} is corrupted: its content does not match its digest")
    return document


def resume_runner(out_dir: str | Path, progress: ProgressCallback | None = None) -> tuple[BacktestRunner, RunSettings]:
    """Rebuild the runner of a stopped run saved in `out_dir`, positioned at its next step.

    Raises:
        ValueError: see `load_checkpoint`; also a system document that is missing, from another
            schema, or not the one the checkpoint was written with, or malformed checkpoint fields.
    """
    out = Path(out_dir)
    document = load_checkpoint(out)
    try:
        settings = RunSettings.from_dict(document["settings"])
        runner = build_runner(settings, out / STATE_FOLDER, progress)
        _restore(runner, document)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"checkpoint in {out} is malformed: {error!r}") from error
    return runner, settings


def _restore(runner: BacktestRunner, document: dict[str, Any]) -> None:
    system = runner.system
    if document["key_prefix"] != system.key_prefix:
        raise ValueError(f"checkpoint is for {document['key_prefix']!r}, the settings give {system.key_prefix!r}")
    if not system.restore():
        raise ValueError(f"the system state {system.key_prefix}/system is missing from {runner.store.root}")
    if canonical_digest(system.to_dict()) != document["system_digest"]:
        raise ValueError(f"the system state {system.key_prefix}/system is not the one saved with the checkpoint "
                         "(changed or overwritten since the stop)")
    cursor = document["cursor"]
    sessions = runner.sessions()
    index = int(cursor["session"])
    if not 0 <= index < len(sessions) or sessions[index].isoformat() != cursor["day"]:
        raise ValueError(f"checkpoint cursor (session {index}, {cursor['day']}) does not fit the run's sessions")
    runner.cursor = RunCursor(index, int(cursor["minute"]))
    restore_market_state(runner.state, document["market_state"])
    runner.restore_broker(document["broker"])
    saved = document["result"]
    result = runner.result
    result.equity_dates = [date.fromisoformat(d) for d in saved["equity_dates"]]
    result.equity = [float(v) for v in saved["equity"]]
    result.vix_close = [float("nan") if v is None else float(v) for v in saved["vix_close"]]
    result.regimes = [str(r) for r in saved["regimes"]]
    result.max_open_positions = int(saved["max_open_positions"])
    result.simulated_minutes = int(saved["simulated_minutes"])
    result.wall_seconds = float(saved["wall_seconds"])
    runner.recorder.rows[:] = saved["daily"]
    replay_journal(runner.journal, document["journal"])


def replay_journal(journal: Journal, lines: list[str]) -> None:
    """Append saved journal lines (`Journal.to_jsonl_lines` output) to `journal`, record by record,
    so its counters match too.

    Raises:
        ValueError: a line that is not a journal record or does not reproduce itself exactly.
    """
    for number, line in enumerate(lines, 1):
        record = json.loads(line)
        data = {k: v for k, v in record.items() if k not in ("time", "kind", "message", "strategy")}
        entry = journal.record(datetime.fromisoformat(record["time"]), record["kind"], record["message"],
                               record["strategy"], **data)
        if record_to_json(entry) != line:
            raise ValueError(f"saved journal record {number} does not reproduce exactly: {line[:120]}")
