"""Hypothesis properties of the risk gate (SPEC section 4), 1,000 examples each.

(a) an approved or resized order never breaks a limit, re-checked here independently from the
    SPEC's tables; (b) the gate never increases a size and its verdict matches its quantity;
(c) well-formed closing orders are always approved, whatever the account looks like.
"""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from config.constants import CORRELATION_GROUPS
from core.account import AccountSnapshot, OpenPositionSummary
from core.types import Leg, OrderIntent, Purpose, Verdict
from tests.risk.test_risk_gate import CONFIG, GATE, NOW, TODAY, make_account, make_intent, opt

TOLERANCE = 1e-6  # USD, as the gate's MONEY_TOLERANCE
CORE = ["friday_0dte", "lt112", "futures_strangle", "leap_put_ladder", "ipmcc", "vix_spike"]
ADVANCED = {"put_ratio_spread": 2, "jade_lizard": 2, "broken_wing_butterfly": 2, "short_leap_put": 2,
            "weekly_butterfly": 3, "diagonal": 3, "box_spread": 3, "bear_trap_11x": 3}
STRATEGIES = [*CORE, *ADVANCED, "unknown_strategy"]
REGIMES = ["EXTREMELY_LOW", "LOW", "NORMAL", "ELEVATED", "VOLATILE", "HIGH", "EXTREME"]
ROOTS = ["SPY", "QQQ", "IWM", "MES", "ES", "GLD", "MCL", "CL", "UNG", "XYZ"]
EXPIRIES = [TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=7), date(2024, 6, 21), date(2025, 1, 17)]
# SPEC section 1 and 2 tables, written out again on purpose (independent of config/constants).
PHASE_MAX_POSITIONS = {1: 3, 2: 6, 3: 10, 4: 15}
PHASE_BP = {1: 0.50, 2: 0.65, 3: 0.75, 4: 0.80}
REGIME_BP = {"EXTREMELY_LOW": 0.45, "LOW": 0.60, "NORMAL": 0.70, "ELEVATED": 0.75, "VOLATILE": 0.50, "HIGH": 0.40}
POSITION_CAP = {"friday_0dte": 0.07, "lt112": 0.30, "futures_strangle": 0.06, "leap_put_ladder": 0.035,
                "ipmcc": 0.20}
SCALE = {"SPY": 1.0, "QQQ": 0.8, "IWM": 0.4, "MES": 10.0, "ES": 10.0, "GLD": 0.4, "MCL": 0.15, "CL": 0.15,
         "UNG": 0.04, "XYZ": 1.0}


def shape_legs(shape: str, root: str, expiry: date) -> tuple[tuple[Leg, ...], float]:
    """Well-formed opening legs of a shape and the sign of its limit price (+1 debit, -1 credit)."""
    s = SCALE[root]
    k = {name: round(value * s, 2) for name, value in
         {"k1": 440.0, "k2": 450.0, "k3": 470.0, "k4": 500.0, "k5": 530.0, "k6": 540.0}.items()}
    if shape == "long_put":
        return (Leg(opt(k["k1"], "put", root, expiry), 1),), 1.0
    if shape == "put_spread":
        return (Leg(opt(k["k4"], "put", root, expiry), -1), Leg(opt(k["k3"], "put", root, expiry), 1)), -1.0
    if shape == "strangle":
        return (Leg(opt(k["k3"], "put", root, expiry), -1), Leg(opt(k["k5"], "call", root, expiry), -1)), -1.0
    if shape == "lt112":
        return (Leg(opt(k["k4"], "put", root, expiry), 1), Leg(opt(k["k3"], "put", root, expiry), -1),
                Leg(opt(k["k1"], "put", root, expiry), -2)), -1.0
    return (Leg(opt(k["k3"], "put", root, expiry), 1), Leg(opt(k["k4"], "put", root, expiry), -1),
            Leg(opt(k["k5"], "call", root, expiry), -1), Leg(opt(k["k6"], "call", root, expiry), 1)), -1.0


SHAPES = st.sampled_from(["long_put", "put_spread", "strangle", "lt112", "iron_condor"])


POSITION_ROWS = st.lists(st.tuples(
    st.sampled_from(STRATEGIES[:-1]), st.frozensets(st.sampled_from(ROOTS), min_size=1, max_size=2),
    st.frozensets(st.sampled_from(EXPIRIES[1:]), min_size=1, max_size=2), st.integers(1, 10),
    st.integers(0, 20_000).map(float)), max_size=10)
POSITIONS = POSITION_ROWS.map(lambda rows: tuple(OpenPositionSummary(f"p{i}", *row) for i, row in enumerate(rows)))
CLEAN = 15  # copies of the harmless value in each list below: most accounts are tradable
ACCOUNT_FIELDS = st.tuples(
    st.integers(5_000, 300_000).map(float),
    st.integers(0, 100).map(lambda pct: pct / 100.0),
    st.sampled_from([0.0] * CLEAN + [0.05, 0.12, 0.15, 0.25]),
    st.sampled_from([0.0] * CLEAN + [-0.02, 0.03, 0.05, 0.08]),
    st.sampled_from([0] * CLEAN + [1, 2, 3, 5]),
    st.integers(1, 4),
    st.sampled_from(REGIMES),
    st.sampled_from([True] * CLEAN + [False]),
    POSITIONS,
    st.sampled_from([None] * CLEAN + [TODAY - timedelta(days=1), TODAY]),
    st.sampled_from([0.0, 5_000.0, 20_000.0]),
)


def build_account(fields: tuple) -> AccountSnapshot:  # type: ignore[type-arg]
    net_liq, used, drawdown, day_loss, streak, phase, regime, usable, opened, paused, budget = fields
    return make_account(net_liquidation=net_liq, margin_used=used * net_liq,
                        high_water_mark=net_liq / (1.0 - drawdown), day_start_value=net_liq / (1.0 - day_loss),
                        losing_streak_today=streak, phase=phase, regime=regime, vix_usable=usable,
                        open_positions=opened, entries_paused_until=paused, spike_budget_remaining=budget)


ACCOUNTS = ACCOUNT_FIELDS.map(build_account)
LEG_CHOICES = st.tuples(SHAPES, st.sampled_from(ROOTS), st.sampled_from(EXPIRIES[1:] * CLEAN + EXPIRIES[:1]))


@st.composite
def cases(draw: st.DrawFn) -> tuple[AccountSnapshot, OrderIntent]:
    """A random account and a well-formed opening intent (sometimes with an expired leg)."""
    account = draw(ACCOUNTS)
    legs, sign = shape_legs(*draw(LEG_CHOICES))
    ids = [p.position_id for p in account.open_positions]
    strategy, quantity, limit, margin, max_loss, position_id = draw(st.tuples(
        st.sampled_from(STRATEGIES), st.integers(1, 15), st.integers(5, 2_000).map(lambda c: c / 100.0),
        st.integers(0, 600_000).map(lambda c: c / 100.0), st.integers(0, 200_000).map(lambda c: c / 100.0),
        st.sampled_from([None, None, "new", *ids[:3]])))
    intent = make_intent(strategy=strategy, legs=legs, quantity=quantity, limit_price=sign * limit,
                         margin=margin, max_loss=max_loss, position_id=position_id)
    return account, intent


def groups_of(roots: frozenset[str]) -> set[str]:
    named = {group for group, members in CORRELATION_GROUPS.items() for root in roots if root in members}
    known = set().union(*CORRELATION_GROUPS.values())
    return named | {f"?{root}" for root in roots if root not in known}


def violations(intent: OrderIntent, quantity: int, account: AccountSnapshot) -> list[str]:
    """Every SPEC section 4 limit that an opening order of `quantity` units would break."""
    broken = []
    nl, m, risk = account.net_liquidation, intent.margin_per_unit, CONFIG.risk
    if any(leg.contract.expiry is not None and leg.contract.expiry < TODAY for leg in intent.legs):
        broken.append("expired leg")
    if not account.vix_usable:
        broken.append("vix")
    if account.entries_paused_until is not None and TODAY <= account.entries_paused_until:
        broken.append("paused")
    if account.net_liquidation <= account.high_water_mark * (1 - risk.drawdown_stop) + TOLERANCE:
        broken.append("drawdown")
    if account.net_liquidation <= account.day_start_value * (1 - risk.daily_loss_limit) + TOLERANCE:
        broken.append("daily loss")
    if account.losing_streak_today >= 3:
        broken.append("streak")
    if account.regime == "EXTREME" and intent.strategy != "vix_spike":
        broken.append("extreme")
    if account.regime in ("EXTREMELY_LOW", "HIGH", "EXTREME") and intent.strategy == "futures_strangle":
        broken.append("strangle regime")
    if intent.strategy == "vix_spike" and quantity * m > account.spike_budget_remaining + TOLERANCE:
        broken.append("spike budget")
    if account.phase < (1 if intent.strategy in CORE else ADVANCED.get(intent.strategy, 99)):
        broken.append("locked strategy")
    if nl < 75_000 and intent.roots & {"ES", "NQ", "CL", "GC"} or "XYZ" in intent.roots:
        broken.append("locked product")
    existing = next((p for p in account.open_positions if p.position_id == intent.position_id), None)
    others = [p for p in account.open_positions if p is not existing]
    if existing is None:
        if len(account.open_positions) >= PHASE_MAX_POSITIONS[account.phase]:
            broken.append("positions")
        if account.phase == 1 and any(p.strategy == intent.strategy for p in account.open_positions):
            broken.append("one per strategy")
    if quantity > (1 if account.phase == 1 else 10):
        broken.append("contracts")
    new_groups = groups_of(intent.roots)
    new_expiries = {leg.contract.expiry for leg in intent.legs}
    for group in new_groups:
        limit = 1 if group in ("C2", "D2") or group.startswith("?") else (3 if account.phase == 4 else 2)
        if sum(group in groups_of(p.roots) for p in others) + 1 > limit:
            broken.append(f"group {group}")
    if new_groups & {"A1", "A2"} and sum(bool(groups_of(p.roots) & {"A1", "A2"}) for p in others) + 1 > (3, 4, 6, 8)[account.phase - 1]:
        broken.append("A1+A2")
    if any(groups_of(p.roots) & new_groups and p.expiries & new_expiries for p in others):
        broken.append("same group same expiry")
    if quantity * intent.max_loss_per_unit > 0.02 * nl + TOLERANCE:
        broken.append("risk per trade")
    if intent.strategy in POSITION_CAP:
        held = existing.margin if existing is not None and intent.strategy != "leap_put_ladder" else 0.0
        if held + quantity * m > POSITION_CAP[intent.strategy] * nl + TOLERANCE:
            broken.append("per-position cap")
    cap = min(PHASE_BP[account.phase], REGIME_BP.get(account.regime, 1.0), 0.80)
    if account.margin_used + quantity * m > cap * nl + TOLERANCE:
        broken.append("buying power")
    return broken


@settings(max_examples=1000, deadline=None)
@given(cases())
def test_gate_never_approves_an_order_that_breaks_a_limit(case: tuple[AccountSnapshot, OrderIntent]) -> None:
    account, intent = case
    decision = GATE.evaluate(intent, account)
    if decision.verdict != Verdict.DENY:
        assert violations(intent, decision.quantity, account) == [], decision
    else:
        # a denial means no positive size would have been within every limit, or a rule refused it
        assert decision.quantity == 0 and decision.reason


@settings(max_examples=1000, deadline=None)
@given(cases())
def test_resizing_never_increases_size(case: tuple[AccountSnapshot, OrderIntent]) -> None:
    account, intent = case
    decision = GATE.evaluate(intent, account)
    assert 0 <= decision.quantity <= intent.quantity
    if decision.verdict == Verdict.APPROVE:
        assert decision.quantity == intent.quantity and decision.reason == "ok"
    elif decision.verdict == Verdict.RESIZE:
        assert 1 <= decision.quantity < intent.quantity and decision.reason != "ok"
        # the resized order passes unchanged: the gate is idempotent on its own output
        again = GATE.evaluate(intent.with_quantity(decision.quantity), account)
        assert (again.verdict, again.quantity) == (Verdict.APPROVE, decision.quantity)
    else:
        assert decision.quantity == 0
    if decision.verdict != Verdict.DENY and intent.quantity > 1:
        # asking for less never turns an acceptable order into a refusal
        assert GATE.evaluate(intent.with_quantity(1), account).verdict == Verdict.APPROVE


HOSTILE_ACCOUNTS = st.tuples(st.integers(-100_000, 100_000).map(float), st.integers(0, 9), POSITIONS).map(
    lambda fields: make_account(net_liquidation=fields[0], margin_used=float("nan"), phase=fields[1],
                                regime="EXTREME", vix_usable=False, losing_streak_today=99, open_positions=fields[2],
                                entries_paused_until=TODAY + timedelta(days=30)))
CLOSING_FIELDS = st.tuples(st.one_of(ACCOUNTS, HOSTILE_ACCOUNTS), SHAPES, st.sampled_from(ROOTS),
                           st.sampled_from(EXPIRIES[1:]), st.sampled_from(STRATEGIES), st.integers(1, 50),
                           st.integers(1, 5_000).map(lambda cents: cents / 100.0))


@settings(max_examples=1000, deadline=None)
@given(CLOSING_FIELDS)
def test_well_formed_closing_orders_are_always_approved(fields: tuple) -> None:  # type: ignore[type-arg]
    account, shape, root, expiry, strategy, quantity, price = fields
    legs, sign = shape_legs(shape, root, expiry)
    closing = OrderIntent(intent_id="c1", strategy=strategy, purpose=Purpose.CLOSE,
                          legs=tuple(Leg(leg.contract, -leg.ratio) for leg in legs), quantity=quantity,
                          limit_price=-sign * price, created=NOW, reason="exit", position_id="p0")
    decision = GATE.evaluate(closing, account)
    assert (decision.verdict, decision.quantity) == (Verdict.APPROVE, closing.quantity), decision
