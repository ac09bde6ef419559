"""docs/report.png from a headless-browser screenshot of the seed report (make report-screenshot).

The image is scaled to 900 px wide and carries the figures of the run it shows (final equity, total
return, trades, from that run's summary.json) as PNG text, so a test can check that the picture in
the README is of the current seed results. Usage:
    python -m offline.report.screenshot SCREENSHOT.png SUMMARY.json docs/report.png
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from PIL import Image, PngImagePlugin

FIGURES = ("final_equity", "total_return", "trades")
WIDTH = 900


def seed_figures(summary: dict) -> str:
    """The figures the picture shows, as one line of JSON."""
    return json.dumps({key: summary[key] for key in FIGURES}, sort_keys=True)


def write_report_png(screenshot: Path, summary_path: Path, out: Path) -> Path:
    """Scale `screenshot` to WIDTH px, quantize to 256 colours and save it with the run's figures."""
    image = Image.open(screenshot).convert("RGB")
    image = image.resize((WIDTH, image.height * WIDTH // image.width)).quantize(256)
    info = PngImagePlugin.PngInfo()
    info.add_text("seed_figures", seed_figures(json.loads(summary_path.read_text(encoding="ascii"))))
    image.save(out, optimize=True, pnginfo=info)
    return out


def read_figures(png: Path) -> dict:
    """The figures stored in a report picture by `write_report_png`."""
    return json.loads(Image.open(png).text["seed_figures"])


if __name__ == "__main__":
    print(write_report_png(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])))
