"""Properties of the trading system over random event sequences (hypothesis, 2,000 sequences, every
property checked on each): entries, exits, fills (whole and partial), rejections, cancels, repeated
and late broker events, expiries, VIX changes (regimes, invalid and missing readings), equity shocks
(drawdown tiers, daily loss, liquidation) and missing quotes, on the real TradingSystem with
scripted strategies and a fake broker and market (tests/reliability/event_sequences.py).

The five properties share one run per sequence (one replay checks them all, which keeps CI time
down); each failure message names the property it broke.
"""
from __future__ import annotations

from itertools import combinations

from hypothesis import given, settings

from core.state_machine import ByPositions
from core.strategy_lifecycle import STRATEGY_TRANSITIONS, StrategyState
from core.types import Purpose, Verdict
from tests.reliability.event_sequences import Player, Sequence, Trace, play, sequences
from tests.risk.test_risk_gate_properties import PHASE_MAX_POSITIONS, groups_of, violations

EXAMPLES = 2_000


def limits_hold(player: Player) -> None:
    """Property 1 (after every step): the book never holds more positions than the phase allows,
    one per strategy in phase 1, and never two positions of one correlation group with the same
    expiry (SPEC section 4)."""
    system = player.system
    summaries = system.book.summaries(system.orders.values())
    phase = system.phases.phase
    assert len(summaries) <= PHASE_MAX_POSITIONS[phase], f"limits: {len(summaries)} positions in phase {phase}"
    if phase == 1:
        strategies = [s.strategy for s in summaries]
        assert len(strategies) == len(set(strategies)), f"limits: two positions of one strategy {strategies}"
    for a, b in combinations(summaries, 2):
        assert not (groups_of(a.roots) & groups_of(b.roots) and a.expiries & b.expiries), f"limits: {a} and {b}"


def approvals_within_limits(trace: Trace) -> None:
    """Property 1 (every order): an approved or resized opening order breaks no limit, re-checked
    independently (tests/risk/test_risk_gate_properties.violations)."""
    for intent, account, decision in trace.decisions:
        if intent.purpose == Purpose.OPEN and decision.verdict != Verdict.DENY:
            assert violations(intent, decision.quantity, account) == [], f"limits: {intent} {account} {decision}"


def transitions_legal(player: Player) -> None:
    """Property 2 (after every step): every transition of every strategy machine is in the table."""
    for machine in player.system.machines.values():
        for step in machine.history:
            target = STRATEGY_TRANSITIONS.get((step.from_state, step.event))
            allowed = target.states() if isinstance(target, ByPositions) else (target,)
            assert target is not None and step.to_state in allowed, f"illegal transition {step}"


def orders_trace_to_approvals(player: Player, trace: Trace) -> None:
    """Property 3: every order sent was approved by the gate at its size, sent once and journaled."""
    approved = {intent.intent_id: decision.quantity for intent, _, decision in trace.decisions
                if decision.verdict != Verdict.DENY}
    sent_ids = [intent.intent_id for intent in trace.sent]
    assert len(sent_ids) == len(set(sent_ids)), "traceability: an intent was sent twice"
    for intent in trace.sent:
        assert approved.get(intent.intent_id) == intent.quantity, f"traceability: {intent} was not approved"
    journaled = [r for r in player.journal.records if r["kind"] == "order" and " order: " in r["message"]]
    assert len(journaled) == len(trace.sent), "traceability: orders sent and journaled differ"


def positions_managed(player: Player) -> None:
    """Property 4 (after every step): every open position belongs to a strategy whose state machine
    knows it holds positions (not IDLE)."""
    machines = player.system.machines
    for position in player.system.book.all_open():
        assert position.strategy in machines, f"unmanaged: no machine for {position.strategy}"
        assert machines[position.strategy].state != StrategyState.IDLE, f"unmanaged: {position.position_id} IDLE"


def closes_never_blocked(trace: Trace) -> None:
    """Property 5: every closing order reaching the gate is approved at full size, and every close a
    strategy's management asked for was sent."""
    for intent, _, decision in trace.decisions:
        if intent.purpose == Purpose.CLOSE:
            assert (decision.verdict, decision.quantity) == (Verdict.APPROVE, intent.quantity), f"blocked: {decision}"
    sent = {intent.intent_id for intent in trace.sent}
    assert all(intent.intent_id in sent for intent in trace.managed_closes), "blocked: a managed close was not sent"


def _after_every_step(player: Player) -> None:
    limits_hold(player)
    transitions_legal(player)
    positions_managed(player)


@settings(max_examples=EXAMPLES, deadline=None)
@given(sequences())
def test_random_event_sequences_keep_every_property(sequence: Sequence) -> None:
    player, trace = play(sequence, _after_every_step)
    assert trace.error is None, f"the system raised {trace.error!r}"  # an IllegalTransition would show here
    approvals_within_limits(trace)
    orders_trace_to_approvals(player, trace)
    closes_never_blocked(trace)
