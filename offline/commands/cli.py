"""The `tomking` command: offline backtests, modelled chains, market data download, cloud bundle."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from offline.market.data_files import MarketDataError


def command_backtest(args: argparse.Namespace) -> int:
    from offline.commands.backtest import command_backtest as run_backtest

    return run_backtest(args, args.argv)


def command_sweep(args: argparse.Namespace) -> int:
    from offline.commands.backtest import parse_cash, parse_day
    from offline.research.sweep import dask_executor, parse_grid, process_pool, run_sweep
    from offline.research.sweep_report import write_sweep_html
    from offline.research.sweep_spec import SweepSpec
    from offline.research.walk_forward import parse_walk_forward, run_walk_forward

    if args.scheduler and args.engine != "dask":
        raise ValueError("--scheduler needs --engine dask")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    spec = SweepSpec(str(Path(args.data).resolve()), parse_day(args.start, "--start"), parse_day(args.end, "--end"),
                     parse_cash(args.cash), parse_grid(args.grid))
    executor = dask_executor(args.scheduler) if args.engine == "dask" else process_pool
    workers = args.workers or os.cpu_count() or 1
    out = Path(args.out)
    report = (lambda text: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    if args.walk_forward:
        fit, test = parse_walk_forward(args.walk_forward)
        lines = run_walk_forward(spec, out, workers, fit, test, args.metric, executor, report)
        write_sweep_html(out / "sweep.html", spec, [], lines)
        failed = sum(line["test_status"] != "ok" for line in lines)
        print(f"walk-forward: {len(lines)} windows; walk_forward.csv and sweep.html in {out} (option prices modelled)")
    else:
        rows = run_sweep(spec, out, workers, executor, report)
        failed = sum(row["status"] != "ok" for row in rows)
        print(f"sweep: {len(rows) - failed} of {len(rows)} combinations ran, {failed} failed; sweep.csv and "
              f"sweep.html in {out} (option prices modelled)")
    return 1 if failed else 0


def command_chain(args: argparse.Namespace) -> int:
    from offline.commands.backtest import parse_day
    from offline.market.chain_calibration import write_chain_csv

    day = parse_day(args.date, "--date")
    product = args.product.strip().upper().lstrip("/")
    path = write_chain_csv(args.data, day, product, args.out)
    print(f"modelled {product} chain of {day} written to {path} (option prices modelled)")
    return 0


def command_data_download(args: argparse.Namespace) -> int:
    from offline.market.data_download import download

    download(args.out)
    print(f"market data written to {args.out}")
    return 0


def command_journal(args: argparse.Namespace) -> int:
    """Print a run's journal, one line per record, filtered by --strategy and --kind."""
    from offline.report.journal_view import journal_lines, read_journal

    count = 0
    for line in journal_lines(read_journal(args.out), args.strategy, args.kind):
        print(line)
        count += 1
    print(f"{count} record(s)", file=sys.stderr)
    return 0


def command_params(args: argparse.Namespace) -> int:
    """Print every parameter with its default and meaning (a Markdown table)."""
    from config.loader import parameter_reference

    print("| parameter | default | meaning |")
    print("|---|---|---|")
    for name, default, meaning in parameter_reference():
        print(f"| `{name}` | `{default}` | {meaning} |")
    return 0


def command_bundle(args: argparse.Namespace) -> int:
    from offline.commands.bundle import bundle

    steps = bundle(Path(args.out))
    print(steps)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from offline.report.journal_view import KIND_CHOICES
    from offline.report.workers import WORKERS

    parser = argparse.ArgumentParser(prog="tomking", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    backtest = sub.add_parser("backtest", help="run an offline backtest (option prices are modelled)")
    backtest.add_argument("--data", help="market data folder (see README); default: a synthetic sample market")
    backtest.add_argument("--start", help="first day YYYY-MM-DD (default 2023-01-01)")
    backtest.add_argument("--end", help="last day YYYY-MM-DD (default 2025-01-01)")
    backtest.add_argument("--cash", help="starting capital in USD (default 30000)")
    backtest.add_argument("--out", help="output folder (default results/seed)")
    backtest.add_argument("--set", action="append", metavar="NAME=VALUE", help="override a parameter (repeatable)")
    backtest.add_argument("--fault", action="append", metavar="NAME=VALUE",
                          help="switch on a simulated-broker fault, e.g. reject_probability=0.2 (repeatable)")
    backtest.add_argument("--stop-at", metavar="'YYYY-MM-DD HH:MM'",
                          help="stop after this minute (US/Eastern) and save the state for --resume")
    backtest.add_argument("--resume", metavar="DIR", help="finish a run stopped with --stop-at (outputs into DIR)")
    backtest.add_argument("--strict-data", action="store_true",
                          help="stop at the first impossible value in the market data (default: report it in "
                               "summary.json data_issues, no new entries that day, and go on)")
    backtest.add_argument("--allow-missing", action="store_true",
                          help="run without a strategy whose data file is missing (it is switched off and every "
                               "output says so; default: stop naming the file)")
    backtest.add_argument("--quiet", action="store_true", help="no progress bar")
    backtest.add_argument("--chart-workers", type=int, default=WORKERS, metavar="N",
                          help="processes that draw the report's charts and compute the short put baseline "
                               f"beside the replay (default {WORKERS}; 0: all in this process, the same outputs)")
    backtest.add_argument("--every-minute", action="store_true",
                          help="run all 390 minutes of every session, not only those where something can happen "
                               "(slower, the same outputs: a check of the event-driven replay)")
    backtest.set_defaults(handler=command_backtest)
    sweep = sub.add_parser("sweep", help="run every combination of a parameter grid in parallel (resumable)")
    sweep.add_argument("--data", required=True, help="market data folder (see README)")
    sweep.add_argument("--start", default="2023-01-01", help="first day YYYY-MM-DD (default 2023-01-01)")
    sweep.add_argument("--end", default="2025-01-01", help="last day YYYY-MM-DD (default 2025-01-01)")
    sweep.add_argument("--cash", default="30000", help="starting capital in USD (default 30000)")
    sweep.add_argument("--grid", action="append", required=True, metavar="NAME=v1,v2,...",
                       help="a parameter and its values (repeatable; every combination runs)")
    sweep.add_argument("--workers", type=int, help="parallel runs (default: the CPU count)")
    sweep.add_argument("--out", required=True, help="output folder (rerun with the same folder to resume)")
    sweep.add_argument("--engine", choices=("local", "dask"), default="local",
                       help="local: a process pool; dask: Dask distributed (optional extra)")
    sweep.add_argument("--scheduler", help="Dask scheduler address (default with --engine dask: a local cluster)")
    sweep.add_argument("--walk-forward", metavar="FIT:TEST", help="walk-forward windows in months, e.g. 6:3")
    sweep.add_argument("--metric", default="sharpe", choices=("sharpe", "total_return", "cagr"),
                       help="what the walk-forward maximises on each fit window (default sharpe)")
    sweep.add_argument("--quiet", action="store_true", help="no progress lines")
    sweep.set_defaults(handler=command_sweep)
    chain = sub.add_parser("chain", help="print a modelled option chain to CSV")
    chain.add_argument("--data", required=True, help="market data folder (see README)")
    chain.add_argument("--date", required=True, help="the day YYYY-MM-DD (the chain at its close)")
    chain.add_argument("--product", default="SPY", help="SPY, QQQ, IWM, SPX, SPXW, MES or /MES, ES, ... (default SPY)")
    chain.add_argument("--out", required=True, help="the CSV file to write")
    chain.set_defaults(handler=command_chain)
    data = sub.add_parser("data", help="market data tools")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    download = data_sub.add_parser("download", help="fetch the market data layout from public sources")
    download.add_argument("--out", required=True)
    download.set_defaults(handler=command_data_download)
    journal = sub.add_parser("journal", help="print a run's journal, filtered by strategy and kind")
    journal.add_argument("out", metavar="OUT", help="the --out folder of a finished backtest")
    journal.add_argument("--strategy", help="only this strategy's records (its key, e.g. lt112)")
    journal.add_argument("--kind", choices=sorted(KIND_CHOICES), help="only records of this kind")
    journal.set_defaults(handler=command_journal)
    params = sub.add_parser("params", help="list every parameter, its default and meaning (Markdown)")
    params.set_defaults(handler=command_params)
    bundle = sub.add_parser("bundle", help="assemble the QuantConnect cloud project")
    bundle.add_argument("--out", required=True)
    bundle.set_defaults(handler=command_bundle)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `tomking` console command; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("\ninterrupted: stopped without saving (nothing written after the last message)", file=sys.stderr)
        return 130
    except MarketDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, OSError) as error:
        if os.environ.get("TOMKING_TRACEBACK"):
            raise
        print(f"error: {error} (set TOMKING_TRACEBACK=1 for the full traceback)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
