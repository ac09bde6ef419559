"""The LEAN adapter: translates between QuantConnect LEAN objects and the trading core's ports.

It holds no trading logic. main.py builds one of each piece and hands them to the core:

- symbols.py         LEAN Symbols <-> core Contracts (by underlying root)
- clock.py           LEAN's naive algorithm and exchange times -> timezone-aware US/Eastern
- daily_bars.py      completed daily bars per root (warm-up and history top-ups)
- market_view.py     core.ports.MarketView on slices, chains and securities
- broker.py          core.ports.Broker on combo limit / limit orders and the portfolio
- order_events.py    LEAN per-leg order events -> core OrderEvents per combo; exercises and
                     assignments -> core AssignmentEvents
- delivery.py        futures delivered by a futures-option exercise, closed at once
- guard.py           core calls from LEAN events: live keeps going after an error, backtests stop
- object_store.py    core.ports.Store on the ObjectStore, keys prefixed by mode
- subscription_plan.py  which data the strategies need: windows, bands, futures horizons (no LEAN import)
- subscriptions.py   the LEAN subscriptions and option filters of a plan
- subscription_count.py  `python -m lean_adapter.subscription_count`: contracts a configuration
                     subscribes, counted on real chains
- scheduling.py      US/Eastern schedules: session start/end, minute cycle, strategy windows
- notifications.py   rate-limited live notifications and deduplicated logging
- charts.py          self.plot series (at most 30) and runtime statistics
- parameters.py      get_parameter -> the core's configuration
"""
