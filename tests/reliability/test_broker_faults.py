"""The trading system under each simulated-broker fault on a real-data window (2024-07-15 ..
2024-09-15, the 2024-08-05 spike inside): the state machines recover (SPEC section 7), no order is
duplicated, the journal stays consistent and the books reconcile with the broker's holdings at the
end of every session."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.state_machine import ByPositions
from core.strategy_lifecycle import STRATEGY_TRANSITIONS, StrategyState
from core.types import OrderStatus
from helpers.exchange_calendar import EASTERN
from offline.broker.faults import BrokerFaults
from offline.replay.restart import STATE_FOLDER, RunSettings, build_runner
from offline.replay.runner import BacktestRunner
from tests.reliability.runs import SHORT_WINDOW

MARGIN_CALL_AT = datetime(2024, 8, 7, 10, 0, tzinfo=EASTERN)  # the spike deployment of 2024-08-05 is open
UNITS = {"risk_phase1_max_contracts": "3"}  # orders of several units, so that partial fills exist
# COVID crash with near-the-money spike puts and wide stops, so that short puts end in the money
CRASH = {"backtest_start": "2020-02-18", "backtest_end": "2020-04-17", "vix_spike_short_delta": "0.4",
         "vix_spike_stop_loss": "10", **UNITS}
# $33,600: about what the seed account holds by then, so the LEAP ladder's rung budget reaches a rung
WINDOW = {**SHORT_WINDOW, **UNITS, "backtest_cash": "33600"}
FAULTS = {
    "rejection": (BrokerFaults(reject_probability=0.5, seed=11), WINDOW),
    "partial fill of a combo": (BrokerFaults(partial_fill=True), WINDOW),
    "cancel by the broker": (BrokerFaults(cancel_probability=0.3, seed=12), WINDOW),
    "no fill until time-out": (BrokerFaults(no_fill=True), WINDOW),
    "worse fill": (BrokerFaults(worse_fill_ticks=3), WINDOW),
    "early assignment": (BrokerFaults(early_assignment_probability=1.0, seed=13), CRASH),
    "duplicated events": (BrokerFaults(duplicate_events=True, partial_fill=True), WINDOW),
    "out-of-order events": (BrokerFaults(out_of_order_events=True, partial_fill=True), WINDOW),
    "margin call": (BrokerFaults(), WINDOW),
}
RESTING = {StrategyState.IDLE, StrategyState.MANAGING}


class Watch:
    """Wraps a runner: records every order sent and checks the books and machines at each close."""

    def __init__(self, runner: BacktestRunner, margin_call: bool) -> None:
        self.runner, self.system, self.broker = runner, runner.system, runner.broker
        self.sent: list[Any] = []
        self.events: list[Any] = []
        self.problems: list[str] = []
        self.sessions = 0
        submit, end, process = self.broker.submit, self.system.on_session_end, self.broker.process
        on_event = self.system.on_order_event

        def watched_event(event: Any) -> None:
            self.events.append(event)
            on_event(event)

        def watched_submit(intent: Any) -> str:
            working = {o.intent.position_id for o in self.system.orders.values() if o.intent.position_id}
            if intent.position_id in working:
                self.problems.append(f"second working order for {intent.position_id} at {intent.created}")
            self.sent.append(intent)
            return submit(intent)

        def watched_end(now: datetime) -> None:
            end(now)
            self.sessions += 1
            differences = self.system.book.reconcile(self.broker.holdings(), now)
            if differences:
                self.problems.append(f"{now:%Y-%m-%d}: books differ from the broker on {differences}")
            for key, machine in self.system.machines.items():
                if machine.state not in RESTING and not self.system.has_working_order(key):
                    self.problems.append(f"{now:%Y-%m-%d}: {key} left in {machine.state.value} with nothing working")

        def watched_process(now: datetime) -> None:
            process(now)
            if margin_call and now == MARGIN_CALL_AT:
                self.broker.force_margin_call(now)

        self.broker.submit = watched_submit  # type: ignore[method-assign]
        self.system.on_session_end = watched_end  # type: ignore[method-assign]
        self.broker.process = watched_process  # type: ignore[method-assign]
        self.system.on_order_event = watched_event  # type: ignore[method-assign]


def _count(records: list[dict[str, Any]], words: str) -> int:
    return sum(words in r["message"] for r in records)


def _late_acks(events: list[Any]) -> int:
    filled: set[str] = set()
    late = 0
    for event in events:
        if event.fill_quantity > 0:
            filled.add(event.order_id)
        late += event.status == OrderStatus.SUBMITTED and event.order_id in filled
    return late


# what shows that each fault really fired: (description, count from journal records and events, minimum)
FIRED = {
    "rejection": ("random rejections", lambda r, e: _count(r, "fault: random rejection"), 2),
    "partial fill of a combo": ("partial fills", lambda r, e: sum(x.status == OrderStatus.PARTIALLY_FILLED
                                                                  for x in e), 2),
    "cancel by the broker": ("broker cancels", lambda r, e: sum("fault: cancelled" in x.message for x in e), 2),
    "no fill until time-out": ("time-outs", lambda r, e: _count(r, "order not filled in time"), 3),
    "worse fill": ("fills", lambda r, e: sum(x["kind"] == "fill" for x in r), 2),
    "early assignment": ("early assignments", lambda r, e: _count(r, "early_assignment"), 2),
    "duplicated events": ("repeated fills ignored", lambda r, e: _count(r, "duplicate fill event"), 1),
    "out-of-order events": ("acknowledgements after a fill", lambda r, e: _late_acks(e), 2),
    "margin call": ("positions closed by the broker", lambda r, e: _count(r, "the broker no longer holds"), 1),
}


def _journal_problems(records: list[dict[str, Any]]) -> list[str]:
    """Order ids journaled once each; fills and exits only for positions with an order before."""
    problems = []
    sent = Counter(r["order_id"] for r in records if r["kind"] == "order" and " order: " in r["message"])
    problems += [f"order {order_id} journaled {count} times" for order_id, count in sent.items() if count > 1]
    ordered: set[str] = set()
    for record in records:
        if record["kind"] == "order" and record.get("position_id"):
            ordered.add(record["position_id"])
        if record["kind"] in ("fill", "entry") and record["position_id"] not in ordered:
            problems.append(f"{record['kind']} of {record['position_id']} without an order")
    return problems


def _transitions_legal(machine: Any) -> bool:
    """Every recorded transition is a row of the table (either branch of a ByPositions target)."""
    for step in machine.history:
        target = STRATEGY_TRANSITIONS.get((step.from_state, step.event))
        allowed = target.states() if isinstance(target, ByPositions) else (target,)
        if target is None or step.to_state not in allowed:
            return False
    return True


@pytest.mark.parametrize("name", FAULTS)
def test_the_system_survives_the_fault(name: str, shared_data: Path, tmp_path: Path) -> None:
    faults, overrides = FAULTS[name]
    runner = build_runner(RunSettings(str(shared_data), dict(overrides), faults), tmp_path / STATE_FOLDER)
    watch = Watch(runner, margin_call=name == "margin call")
    result = runner.run()
    system = runner.system
    assert watch.sessions == len(result.equity_dates) == len(runner.sessions())
    assert watch.problems == []
    ids = [intent.intent_id for intent in watch.sent]
    assert len(ids) == len(set(ids)), "an intent was sent twice"
    assert _journal_problems(result.journal.records) == []
    assert all(_transitions_legal(machine) for machine in system.machines.values())
    assert not system.orders and not runner.broker.open_order_ids()
    assert len(watch.sent) >= 5
    description, count, minimum = FIRED[name]
    assert count(result.journal.records, watch.events) >= minimum, f"too few {description}"
    if name == "no fill until time-out":
        assert result.journal.count_by("fill") == 0 and not system.book.trades
    if name == "margin call":
        assert [t["exit_reason"] for t in system.book.trades].count("closed_by_broker") >= 1
