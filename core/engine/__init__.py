"""The trading system (trading_system.py): the decision cycle, with its roles in their own modules."""
