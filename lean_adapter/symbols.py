"""LEAN Symbols <-> core Contracts.

A contract is identified by its underlying root, never by the text of a symbol:

- equity options (SPY, QQQ, IWM): the underlying's ticker;
- index options: the option's own root ("SPXW" for the weeklies, "SPX" for the monthlies);
- futures options: the root of the underlying future ("ES", "MES", "MCL"), whatever ticker the
  exchange gives the options (gold options trade as "OG" on the "GC" future);
- futures: their root, with the contract's expiry; shares: their ticker.
"""
from __future__ import annotations

from AlgorithmImports import OptionRight, SecurityType, Symbol

from core.types import CALL, PUT, Contract, ContractKind


def option_root(symbol: Symbol) -> str | None:
    """The core root of an option (contract or canonical chain symbol); None for anything else."""
    kind = symbol.security_type
    if kind == SecurityType.OPTION:
        return str(symbol.underlying.value)
    if kind == SecurityType.INDEX_OPTION:
        return str(symbol.id.symbol)
    if kind == SecurityType.FUTURE_OPTION:
        return str(symbol.underlying.id.symbol)
    return None


def contract_from_symbol(symbol: Symbol) -> Contract | None:
    """The core Contract of a tradable LEAN symbol; None for indices, canonical chains and other
    security types the core does not trade."""
    kind = symbol.security_type
    identifier = symbol.id
    if kind == SecurityType.EQUITY:
        return Contract(str(symbol.value), ContractKind.EQUITY)
    if kind == SecurityType.FUTURE:
        return Contract(str(identifier.symbol), ContractKind.FUTURE, identifier.date.date())
    root = option_root(symbol)
    if root is None or symbol.is_canonical():
        return None
    right = CALL if identifier.option_right == OptionRight.CALL else PUT
    return Contract(root, ContractKind.OPTION, identifier.date.date(), float(identifier.strike_price), right)


class SymbolBook:
    """Remembers the LEAN Symbol of every contract the adapter has shown to the core, so that an
    order or a quote for a core Contract finds its LEAN security again."""

    def __init__(self) -> None:
        self._symbols: dict[str, Symbol] = {}

    def remember(self, symbol: Symbol) -> Contract | None:
        """Translate `symbol` and remember it; returns the Contract (None when not tradable)."""
        contract = contract_from_symbol(symbol)
        if contract is not None:
            self._symbols[contract.key] = symbol
        return contract

    def symbol_for(self, contract: Contract) -> Symbol | None:
        """The LEAN Symbol of a contract seen before, or None."""
        return self._symbols.get(contract.key)

    def __len__(self) -> int:
        return len(self._symbols)
