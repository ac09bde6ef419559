"""The sizer and the risk gate enforce the same limits (core/limits.py): from the same account, an
order the sizer sized passes the gate unchanged, and the gate cuts a larger order to that size.

Orders here use margin: a covered unit (no margin) is sized without the buying-power limit, while
the gate still refuses it when buying power is already overdrawn (core/limits.py `units_within`)."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from core.types import Verdict
from core.unified_position_sizer import size_position
from risk.risk_checks import order_limits
from strategies.registry import risk_policies
from tests.risk.test_risk_gate import CONFIG, GATE, make_account, make_intent

POLICIES = risk_policies()


@settings(max_examples=500, deadline=None)
@given(st.floats(5_000.0, 2e6), st.floats(0.0, 0.9), st.floats(1.0, 50_000.0), st.floats(1.0, 50_000.0),
       st.integers(1, 30), st.sampled_from([1, 2, 3, 4]),
       st.sampled_from(["EXTREMELY_LOW", "LOW", "NORMAL", "ELEVATED", "VOLATILE", "HIGH"]))
def test_the_gate_admits_exactly_what_the_sizer_sized(net_liq: float, used: float, max_loss: float, margin: float,
                                                      asked: int, phase: int, regime: str) -> None:
    account = make_account(net_liquidation=net_liq, high_water_mark=net_liq, day_start_value=net_liq,
                           margin_used=used * net_liq, phase=phase, regime=regime)
    intent = make_intent(quantity=asked, margin=margin, max_loss=max_loss)
    sized = size_position(order_limits(intent, account, CONFIG, POLICIES), max_loss_per_unit=max_loss,
                          margin_per_unit=margin, kelly=None, kelly_fraction=0.25, regime_multiplier=1.0,
                          drawdown_multiplier=1.0)
    decision = GATE.evaluate(intent, account)
    if sized.quantity == 0:
        assert decision.verdict == Verdict.DENY
        return
    assert decision.verdict != Verdict.DENY and decision.quantity == sized.quantity
    assert GATE.evaluate(replace(intent, quantity=sized.quantity), account).verdict == Verdict.APPROVE
