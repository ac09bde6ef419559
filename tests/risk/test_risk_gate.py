"""Table tests of the risk gate: one group of cases per rule (approve, deny and resize)."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from config.loader import load_config
from core.account import AccountSnapshot, OpenPositionSummary
from core.types import Contract, ContractKind, Leg, OrderIntent, Purpose, RiskDecision, Verdict
from risk.risk_checks import order_limits
from risk.risk_gate import RiskGate
from strategies.registry import risk_policies

NOW = datetime(2024, 3, 8, 10, 30, tzinfo=ZoneInfo("America/New_York"))
TODAY = NOW.date()
LT112_EXPIRY = date(2024, 6, 28)
CONFIG = load_config()
GATE = RiskGate(CONFIG, risk_policies())


def make_account(**changes: object) -> AccountSnapshot:
    """A clean $30k phase-1 account in a NORMAL regime, with overrides."""
    base = AccountSnapshot(time=NOW, net_liquidation=30_000.0, margin_used=0.0, high_water_mark=30_000.0,
                           day_start_value=30_000.0, losing_streak_today=0, phase=1, regime="NORMAL",
                           vix_usable=True, intraday_spike=False, open_positions=())
    return replace(base, **changes)  # type: ignore[arg-type]


def opt(strike: float, right: str, root: str = "SPY", expiry: date = TODAY) -> Contract:
    return Contract(root, ContractKind.OPTION, expiry, strike, right)


def iron_condor(expiry: date = TODAY, root: str = "SPY") -> tuple[Leg, ...]:
    return (Leg(opt(500, "put", root, expiry), 1), Leg(opt(510, "put", root, expiry), -1),
            Leg(opt(530, "call", root, expiry), -1), Leg(opt(540, "call", root, expiry), 1))


def lt112_legs(expiry: date = LT112_EXPIRY) -> tuple[Leg, ...]:
    return (Leg(opt(475, "put", expiry=expiry), 1), Leg(opt(470, "put", expiry=expiry), -1),
            Leg(opt(450, "put", expiry=expiry), -2))


def strangle(root: str = "MES", expiry: date = date(2024, 6, 21)) -> tuple[Leg, ...]:
    return (Leg(opt(4_500, "put", root, expiry), -1), Leg(opt(5_700, "call", root, expiry), -1))


def make_intent(strategy: str = "friday_0dte", legs: tuple[Leg, ...] | None = None, quantity: int = 1,
                limit_price: float = -1.50, purpose: Purpose = Purpose.OPEN, margin: float = 850.0,
                max_loss: float = 450.0, position_id: str | None = None, **changes: object) -> OrderIntent:
    intent = OrderIntent(intent_id="i1", strategy=strategy, purpose=purpose,
                         legs=legs if legs is not None else iron_condor(), quantity=quantity,
                         limit_price=limit_price, created=NOW, reason="test", position_id=position_id,
                         max_loss_per_unit=max_loss, margin_per_unit=margin)
    return replace(intent, **changes)  # type: ignore[arg-type]


def summary(pid: str, strategy: str, roots: set[str], expiries: set[date], units: int = 1,
            margin: float = 1_000.0) -> OpenPositionSummary:
    return OpenPositionSummary(pid, strategy, frozenset(roots), frozenset(expiries), units, margin)


def assert_decision(decision: RiskDecision, verdict: Verdict, reason: str, quantity: int) -> None:
    assert (decision.verdict, decision.reason, decision.quantity) == (verdict, reason, quantity), decision.detail


def test_a_clean_iron_condor_is_approved_unchanged() -> None:
    assert_decision(GATE.evaluate(make_intent(), make_account()), Verdict.APPROVE, "ok", 1)


# --- order sanity --------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "what"), [
    ({"quantity": 0}, "quantity"),
    ({"legs": (*iron_condor(), Leg(opt(550, "call"), 1))}, "leg_count"),
    ({"legs": ()}, "leg_count"),
    ({"legs": (Leg(opt(510, "put"), -1), Leg(opt(300, "put", "QQQ"), 1))}, "mixed_roots"),
    ({"legs": (Leg(opt(510, "put"), -1), Leg(opt(510, "put"), 1))}, "duplicate_leg"),
    ({"legs": (Leg(opt(510, "put"), -2), Leg(opt(500, "put"), 2))}, "ratio_gcd"),
    ({"limit_price": math.nan}, "limit_price"),
    ({"limit_price": 0.0}, "zero_limit"),
    ({"natural_price": math.inf}, "natural_price"),
    ({"legs": iron_condor(TODAY - timedelta(days=1))}, "expired"),
    ({"max_loss_per_unit": math.nan}, "max_loss_per_unit"),
    ({"margin_per_unit": -1.0}, "margin_per_unit"),
])
def test_order_sanity_denials(changes: dict[str, object], what: str) -> None:
    decision = GATE.evaluate(make_intent(**changes), make_account())
    assert_decision(decision, Verdict.DENY, f"order_sanity:{what}", 0)


STRIKE_CASES = [
    # (legs, limit, ok)
    ((Leg(opt(510, "put"), -1), Leg(opt(500, "put"), 1)), -1.0, True),  # put credit spread
    ((Leg(opt(510, "put"), -1), Leg(opt(500, "put"), 1)), 1.0, False),  # ... sent as a debit
    ((Leg(opt(510, "put"), 1), Leg(opt(500, "put"), -1)), 1.0, True),  # put debit spread (or a close)
    ((Leg(opt(510, "put"), 1), Leg(opt(500, "put"), -1)), -1.0, False),
    ((Leg(opt(530, "call"), -1), Leg(opt(540, "call"), 1)), -1.0, True),  # call credit spread
    ((Leg(opt(530, "call"), 1), Leg(opt(540, "call"), -1)), -1.0, False),
    ((Leg(opt(500, "put"), -1), Leg(opt(540, "call"), -1)), -2.0, True),  # strangle
    ((Leg(opt(540, "put"), -1), Leg(opt(500, "call"), -1)), -2.0, False),  # put above the call
    (iron_condor(), -1.5, True),
    (tuple(Leg(leg.contract, -leg.ratio) for leg in iron_condor()), 1.5, True),  # closing the condor
    (iron_condor(), 1.5, False),  # a credit condor sent as a debit
    ((Leg(opt(500, "put"), 1), Leg(opt(530, "put"), -1), Leg(opt(510, "call"), -1), Leg(opt(540, "call"), 1)),
     -1.5, False),  # short put above the short call
    ((Leg(opt(500, "call"), 1), Leg(opt(510, "call"), -1), Leg(opt(510, "put"), 1), Leg(opt(500, "put"), -1)),
     9.5, True),  # box spread
    ((Leg(opt(500, "put"), 1), Leg(opt(505, "put"), -2), Leg(opt(515, "put"), 1)), -0.3, True),  # broken wing
    ((Leg(opt(500, "put"), 1), Leg(opt(505, "put"), 1), Leg(opt(515, "put"), -2)), -0.3, False),
    (lt112_legs(), -1.0, True),
    ((Leg(opt(475, "put", expiry=LT112_EXPIRY), 1), Leg(opt(450, "put", expiry=LT112_EXPIRY), -1),
      Leg(opt(470, "put", expiry=LT112_EXPIRY), -2)), -1.0, False),  # the two shorts nearer than the single
]


@pytest.mark.parametrize(("legs", "limit", "ok"), STRIKE_CASES)
def test_strike_order(legs: tuple[Leg, ...], limit: float, ok: bool) -> None:
    intent = make_intent(strategy="lt112", legs=legs, limit_price=limit, margin=100.0, max_loss=100.0)
    decision = GATE.evaluate(intent, make_account(phase=3, net_liquidation=60_000.0, high_water_mark=60_000.0,
                                                  day_start_value=60_000.0))
    if ok:
        assert decision.verdict == Verdict.APPROVE, decision.detail
    else:
        assert_decision(decision, Verdict.DENY, "order_sanity:strike_order", 0)


# --- closing orders ------------------------------------------------------------------------------

def test_closing_orders_pass_every_limit_but_not_sanity() -> None:
    full = tuple(summary(f"p{i}", "lt112", {"SPY"}, {TODAY}) for i in range(3))
    hostile = make_account(net_liquidation=20_000.0, margin_used=50_000.0, losing_streak_today=9,
                           vix_usable=False, regime="EXTREME", open_positions=full,
                           entries_paused_until=TODAY + timedelta(days=10))
    closing = make_intent(legs=tuple(Leg(leg.contract, -leg.ratio) for leg in iron_condor()), limit_price=0.4,
                          purpose=Purpose.CLOSE, quantity=5, position_id="p0", margin=math.nan, max_loss=math.nan)
    assert_decision(GATE.evaluate(closing, hostile), Verdict.APPROVE, "ok", 5)
    assert_decision(GATE.evaluate(replace(closing, limit_price=0.0), hostile), Verdict.DENY,
                    "order_sanity:zero_limit", 0)


# --- account state -------------------------------------------------------------------------------

@pytest.mark.parametrize("changes", [
    {"net_liquidation": math.nan}, {"net_liquidation": 0.0}, {"margin_used": -1.0}, {"phase": 7},
    {"regime": "CALM"}, {"spike_budget_remaining": math.inf},
    {"open_positions": (summary("p1", "lt112", {"SPY"}, {LT112_EXPIRY}, margin=math.nan),)},
])
def test_account_invalid(changes: dict[str, object]) -> None:
    assert_decision(GATE.evaluate(make_intent(), make_account(**changes)), Verdict.DENY, "account_invalid", 0)


def test_entries_paused_through_the_date_inclusive() -> None:
    assert_decision(GATE.evaluate(make_intent(), make_account(entries_paused_until=TODAY)),
                    Verdict.DENY, "entries_paused", 0)
    decision = GATE.evaluate(make_intent(), make_account(entries_paused_until=TODAY - timedelta(days=1)))
    assert decision.verdict == Verdict.APPROVE


def test_vix_unusable_denies_new_risk() -> None:
    assert_decision(GATE.evaluate(make_intent(), make_account(vix_usable=False)), Verdict.DENY, "vix_unusable", 0)


@pytest.mark.parametrize(("net_liq", "verdict"), [(25_530.0, Verdict.APPROVE), (25_500.0, Verdict.DENY),
                                                  (20_000.0, Verdict.DENY)])
def test_drawdown_stop_at_fifteen_percent(net_liq: float, verdict: Verdict) -> None:
    account = make_account(net_liquidation=net_liq, day_start_value=net_liq)
    decision = GATE.evaluate(make_intent(max_loss=100.0, margin=100.0), account)
    assert decision.verdict == verdict
    if verdict == Verdict.DENY:
        assert decision.reason == "drawdown_stop"


@pytest.mark.parametrize(("net_liq", "verdict"), [(28_530.0, Verdict.APPROVE), (28_500.0, Verdict.DENY)])
def test_daily_loss_at_five_percent(net_liq: float, verdict: Verdict) -> None:
    account = make_account(net_liquidation=net_liq, high_water_mark=net_liq)
    decision = GATE.evaluate(make_intent(max_loss=100.0, margin=100.0), account)
    assert decision.verdict == verdict
    if verdict == Verdict.DENY:
        assert decision.reason == "daily_loss"


def test_losing_streak() -> None:
    assert GATE.evaluate(make_intent(), make_account(losing_streak_today=2)).verdict == Verdict.APPROVE
    assert_decision(GATE.evaluate(make_intent(), make_account(losing_streak_today=3)), Verdict.DENY,
                    "losing_streak", 0)


# --- regimes -------------------------------------------------------------------------------------

def spike_intent(quantity: int = 1, margin: float = 400.0) -> OrderIntent:
    legs = (Leg(opt(480, "put", expiry=date(2024, 4, 19)), -1), Leg(opt(475, "put", expiry=date(2024, 4, 19)), 1))
    return make_intent(strategy="vix_spike", legs=legs, limit_price=-1.0, quantity=quantity, margin=margin,
                       max_loss=300.0)


def test_regime_extreme_admits_only_the_spike_within_its_budget() -> None:
    extreme = make_account(regime="EXTREME", spike_budget_remaining=6_000.0, phase=2, net_liquidation=40_000.0,
                           high_water_mark=40_000.0, day_start_value=40_000.0)
    assert_decision(GATE.evaluate(make_intent(), extreme), Verdict.DENY, "regime_extreme", 0)
    assert_decision(GATE.evaluate(spike_intent(1), extreme), Verdict.APPROVE, "ok", 1)
    assert_decision(GATE.evaluate(spike_intent(3, margin=2_500.0), extreme), Verdict.RESIZE, "spike_budget", 2)
    assert_decision(GATE.evaluate(spike_intent(1), replace(extreme, spike_budget_remaining=300.0)),
                    Verdict.DENY, "spike_budget", 0)


@pytest.mark.parametrize(("regime", "allowed"), [("EXTREMELY_LOW", False), ("LOW", True), ("NORMAL", True),
                                                 ("ELEVATED", True), ("VOLATILE", True), ("HIGH", False)])
def test_no_futures_strangles_in_thin_or_stressed_regimes(regime: str, allowed: bool) -> None:
    intent = make_intent(strategy="futures_strangle", legs=strangle(), limit_price=-3.0, margin=1_200.0,
                         max_loss=300.0)
    decision = GATE.evaluate(intent, make_account(regime=regime))
    if allowed:
        assert decision.verdict == Verdict.APPROVE, decision.detail
    else:
        assert_decision(decision, Verdict.DENY, "regime_no_strangles", 0)


# --- unlocks -------------------------------------------------------------------------------------

def test_strategy_unlocks_by_phase() -> None:
    lizard = make_intent(strategy="jade_lizard", legs=(Leg(opt(480, "put", expiry=LT112_EXPIRY), -1),),
                         limit_price=-2.0, margin=500.0, max_loss=500.0)
    assert_decision(GATE.evaluate(lizard, make_account()), Verdict.DENY, "strategy_locked", 0)
    phase2 = make_account(phase=2, net_liquidation=40_000.0, high_water_mark=40_000.0, day_start_value=40_000.0)
    assert GATE.evaluate(lizard, phase2).verdict == Verdict.APPROVE
    assert_decision(GATE.evaluate(replace(lizard, strategy="box_spread"), phase2), Verdict.DENY, "strategy_locked", 0)
    assert_decision(GATE.evaluate(replace(lizard, strategy="martingale"), phase2), Verdict.DENY, "strategy_locked", 0)
    # the unlock phase is the strategy's min_phase parameter
    diagonal = replace(lizard, strategy="diagonal_calendar")
    assert_decision(GATE.evaluate(diagonal, phase2), Verdict.DENY, "strategy_locked", 0)
    assert RiskGate(load_config({"diagonal_calendar_min_phase": "2"}), risk_policies()).evaluate(diagonal, phase2).verdict == Verdict.APPROVE


def test_full_size_futures_need_75k() -> None:
    intent = make_intent(strategy="futures_strangle", legs=strangle("ES"), limit_price=-3.0, margin=1_200.0,
                         max_loss=300.0)
    assert_decision(GATE.evaluate(intent, make_account()), Verdict.DENY, "product_locked", 0)
    rich = make_account(phase=4, net_liquidation=80_000.0, high_water_mark=80_000.0, day_start_value=80_000.0)
    assert GATE.evaluate(intent, rich).verdict == Verdict.APPROVE
    assert GATE.evaluate(replace(intent, legs=strangle("MES")), make_account()).verdict == Verdict.APPROVE
    unknown = replace(intent, legs=strangle("XYZ"))
    assert_decision(GATE.evaluate(unknown, rich), Verdict.DENY, "product_locked", 0)


# --- positions, contracts, groups ----------------------------------------------------------------

def test_phase_max_positions_counts_pending_entries_but_not_adds() -> None:
    opened = (summary("p1", "lt112", {"SPY"}, {LT112_EXPIRY}), summary("p2", "futures_strangle", {"MES"},
              {date(2024, 6, 21)}), summary("p3", "leap_put_ladder", {"GLD"}, {date(2025, 6, 20)}))
    account = make_account(open_positions=opened)
    assert_decision(GATE.evaluate(make_intent(), account), Verdict.DENY, "phase_max_positions", 0)
    rung = make_intent(strategy="leap_put_ladder", legs=(Leg(opt(180, "put", "GLD", date(2025, 9, 19)), 1),),
                       limit_price=5.0, margin=500.0, max_loss=500.0, position_id="p3")
    assert GATE.evaluate(rung, account).verdict == Verdict.APPROVE
    # a position id that is not open is a new position
    assert GATE.evaluate(replace(rung, position_id="p9"), account).reason == "phase_max_positions"


def test_phase_one_allows_one_position_per_strategy() -> None:
    opened = (summary("p1", "friday_0dte", {"SPY"}, {TODAY - timedelta(days=7)}),)
    decision = GATE.evaluate(make_intent(), make_account(open_positions=opened))
    assert_decision(decision, Verdict.DENY, "phase_max_positions", 0)
    phase2 = make_account(open_positions=opened, phase=2, net_liquidation=40_000.0, high_water_mark=40_000.0,
                          day_start_value=40_000.0)
    assert GATE.evaluate(make_intent(), phase2).verdict == Verdict.APPROVE


def test_contract_caps_resize() -> None:
    assert_decision(GATE.evaluate(make_intent(quantity=3, margin=100.0, max_loss=100.0), make_account()),
                    Verdict.RESIZE, "contract_cap", 1)
    big = make_account(phase=4, net_liquidation=1_000_000.0, high_water_mark=1e6, day_start_value=1e6)
    assert_decision(GATE.evaluate(make_intent(quantity=12, margin=100.0, max_loss=100.0), big),
                    Verdict.RESIZE, "contract_cap", 10)


def test_correlation_group_limits_and_same_expiry() -> None:
    phase2 = {"phase": 2, "net_liquidation": 40_000.0, "high_water_mark": 40_000.0, "day_start_value": 40_000.0}
    two = (summary("p1", "lt112", {"SPY"}, {LT112_EXPIRY}), summary("p2", "ipmcc", {"QQQ"}, {date(2025, 1, 17)}))
    assert_decision(GATE.evaluate(make_intent(), make_account(open_positions=two, **phase2)), Verdict.DENY,
                    "correlation_group", 0)
    same_day = (summary("p1", "ipmcc", {"SPY"}, {TODAY, date(2025, 1, 17)}),)
    assert_decision(GATE.evaluate(make_intent(), make_account(open_positions=same_day, **phase2)), Verdict.DENY,
                    "same_group_same_expiry", 0)
    one = (summary("p1", "lt112", {"SPY"}, {LT112_EXPIRY}),)
    assert GATE.evaluate(make_intent(), make_account(open_positions=one, **phase2)).verdict == Verdict.APPROVE


# --- sizes ---------------------------------------------------------------------------------------

def test_per_trade_risk_resizes_to_two_percent() -> None:
    phase2 = make_account(phase=2, net_liquidation=40_000.0, high_water_mark=40_000.0, day_start_value=40_000.0)
    # 2% of 40,000 = 800 -> two units of 400
    assert_decision(GATE.evaluate(make_intent(quantity=5, max_loss=400.0, margin=100.0), phase2),
                    Verdict.RESIZE, "per_trade_risk", 2)
    assert_decision(GATE.evaluate(make_intent(max_loss=601.0, margin=100.0), make_account()),
                    Verdict.DENY, "per_trade_risk", 0)
    assert GATE.evaluate(make_intent(max_loss=600.0, margin=100.0), make_account()).verdict == Verdict.APPROVE


def test_per_position_cap() -> None:
    phase2 = make_account(phase=2, net_liquidation=40_000.0, high_water_mark=40_000.0, day_start_value=40_000.0)
    # 0DTE cap 7% of 40,000 = 2,800 -> three units of 900
    assert_decision(GATE.evaluate(make_intent(quantity=5, margin=900.0, max_loss=100.0), phase2),
                    Verdict.RESIZE, "per_position_cap", 3)
    assert_decision(GATE.evaluate(make_intent(margin=2_801.0, max_loss=100.0), phase2),
                    Verdict.DENY, "per_position_cap", 0)
    # adding to a position counts the margin it already holds (LT112 cap 30% = 12,000)
    held = (summary("p1", "lt112", {"SPY"}, {LT112_EXPIRY}, margin=11_000.0),)
    add = make_intent(strategy="lt112", legs=lt112_legs(date(2024, 7, 19)), limit_price=-1.0, margin=1_500.0,
                      max_loss=300.0, position_id="p1")
    assert_decision(GATE.evaluate(add, replace(phase2, open_positions=held)), Verdict.DENY, "per_position_cap", 0)
    # ... except for the ladder, whose cap (3.5% = 1,400) is per rung
    ladder = (summary("p1", "leap_put_ladder", {"SPY"}, {date(2025, 3, 21)}, margin=4_000.0),)
    rung = make_intent(strategy="leap_put_ladder", legs=(Leg(opt(420, "put", expiry=date(2025, 6, 20)), 1),),
                       limit_price=6.0, margin=600.0, max_loss=600.0, position_id="p1")
    assert GATE.evaluate(rung, replace(phase2, open_positions=ladder)).verdict == Verdict.APPROVE


@pytest.mark.parametrize(("phase", "regime", "fraction"), [
    (1, "NORMAL", 0.50), (2, "NORMAL", 0.65), (4, "ELEVATED", 0.75), (4, "NORMAL", 0.70), (4, "VOLATILE", 0.50),
    (4, "HIGH", 0.40), (4, "EXTREMELY_LOW", 0.45), (4, "EXTREME", 0.80), (3, "EXTREME", 0.75),
])
def test_buying_power_cap_fraction(phase: int, regime: str, fraction: float) -> None:
    account = make_account(phase=phase, regime=regime)
    assert order_limits(make_intent(), account, CONFIG, risk_policies()).cap_fraction == pytest.approx(fraction)


def test_buying_power_headroom() -> None:
    # phase 1, NORMAL: 50% of 30,000 = 15,000; 13,000 in use leaves 2,000
    account = make_account(margin_used=13_000.0)
    assert GATE.evaluate(make_intent(margin=2_000.0, max_loss=100.0), account).verdict == Verdict.APPROVE
    assert_decision(GATE.evaluate(make_intent(margin=2_000.01, max_loss=100.0), account),
                    Verdict.DENY, "buying_power", 0)
    big = make_account(phase=4, net_liquidation=100_000.0, high_water_mark=1e5, day_start_value=1e5,
                       regime="VOLATILE", margin_used=45_000.0)
    # VOLATILE caps at 50,000 -> 5,000 left; per-position 7% = 7,000; risk 2,000
    decision = GATE.evaluate(make_intent(quantity=8, margin=900.0, max_loss=100.0), big)
    assert_decision(decision, Verdict.RESIZE, "buying_power", 5)
    assert "per_position_cap" in decision.detail
