"""The Greek inputs of many contracts, priced in one vectorised call per root, are each contract's own."""
from __future__ import annotations

from datetime import date

from core.types import Contract, ContractKind
from offline.market.market_view import ModelledMarketView
from tests.offline.test_market_view_memo import HELD, _state

MORE = [*HELD, Contract("MES", ContractKind.OPTION, date(2024, 12, 20), 5600.0, "call"),
        Contract("SPY", ContractKind.OPTION, date(2024, 8, 9), 500.0, "call"),
        Contract("NQ", ContractKind.OPTION, date(2024, 9, 20), 18000.0, "put")]  # no NQ price: None


def test_each_contract_gets_what_it_gets_alone():
    view = ModelledMarketView(_state())
    together = view.contract_greek_inputs(MORE)
    assert together == [view.contract_greek_inputs([c])[0] for c in MORE]
    assert [found is None for found in together] == [c.kind != ContractKind.OPTION or c.root == "NQ" for c in MORE]
    spot, years, iv, rate, q = together[0]
    assert (spot, rate, q) == (517.0, 0.052, 0.013) and 0 < years < 0.05 and 0.1 < iv < 1.0
