"""The report's charts, one module for every output: matplotlib's SVG backend (Agg, no display), fonts as
paths, a fixed hash salt and no date in the metadata, so the same figures give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg", force=False)  # no display; a no-op when already selected

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

_STYLE: Any = {
    "svg.hashsalt": "pantau-monev",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
BLUE, ORANGE, RED, GREY = "#1f4e79", "#e07b00", "#b22222", "#888888"
# Above the plot, in one row: inside it, the legend covered the longest bars (the OPDs at 100%).
_LEGEND: Any = {"loc": "lower left", "bbox_to_anchor": (0, 1), "ncols": 2, "frameon": False}


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with plt.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "Pantau"}, bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline in HTML: no XML declaration or doctype


def coverage_bars(labels: Sequence[str], pct_count: Sequence[float], pct_value: Sequence[float]) -> str:
    """Per OPD, % registered by count and by value, worst first (top)."""
    with plt.rc_context(_STYLE):
        height = max(1.6, 0.22 * len(labels) + 0.6)
        figure, axes = plt.subplots(figsize=(6.2, height))
        positions = range(len(labels))
        axes.barh([p + 0.2 for p in positions], pct_count, height=0.4, color=BLUE, label="% kontrak")
        axes.barh([p - 0.2 for p in positions], pct_value, height=0.4, color=ORANGE, label="% nilai")
        axes.set_yticks(list(positions), labels=list(labels))
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel("% terdaftar Jakon")
        axes.legend(**_LEGEND)
        return _svg(figure)


def delay_histogram(bins: Sequence[tuple[str, int]], deadline_days: int, bin_uppers: Sequence[int]) -> str:
    """Registration delay in working days, with the deadline line."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6.2, 2.4))
        labels = [label for label, _ in bins]
        colors = [BLUE if i < len(bin_uppers) and bin_uppers[i] <= deadline_days else RED for i in range(len(bins))]
        axes.bar(range(len(bins)), [n for _, n in bins], color=colors)
        axes.set_xticks(range(len(bins)), labels=labels)
        line = next((i for i, upper in enumerate(bin_uppers) if upper >= deadline_days), len(bins) - 1) + 0.5
        axes.axvline(line, color=RED, linestyle="--", linewidth=1)
        axes.text(line + 0.05, axes.get_ylim()[1] * 0.9, f"batas {deadline_days} hari kerja", color=RED)
        axes.set_xlabel("hari kerja sejak tanggal kontrak")
        axes.set_ylabel("kontrak")
        return _svg(figure)


def premium_bars(labels: Sequence[str], due: Sequence[int], paid: Sequence[int]) -> str:
    """Premium due vs paid per OPD, in juta rupiah."""
    with plt.rc_context(_STYLE):
        height = max(1.6, 0.22 * len(labels) + 0.6)
        figure, axes = plt.subplots(figsize=(6.2, height))
        positions = range(len(labels))
        axes.barh([p + 0.2 for p in positions], [d / 1e6 for d in due], height=0.4, color=GREY, label="iuran wajib")
        axes.barh([p - 0.2 for p in positions], [p / 1e6 for p in paid], height=0.4, color=BLUE, label="iuran dibayar")
        axes.set_yticks(list(positions), labels=list(labels))
        axes.invert_yaxis()
        axes.set_xlabel("juta rupiah")
        axes.legend(**_LEGEND)
        return _svg(figure)


def trend_lines(labels: Sequence[str], pct_count: Sequence[float], pct_value: Sequence[float]) -> str:
    """% registered over the stored final reports and this one."""
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(6.2, 2.2))
        axes.plot(range(len(labels)), pct_count, marker="o", color=BLUE, label="% kontrak")
        axes.plot(range(len(labels)), pct_value, marker="s", color=ORANGE, label="% nilai")
        axes.set_xticks(range(len(labels)), labels=list(labels))
        axes.set_ylim(0, 100)
        axes.set_ylabel("% terdaftar")
        axes.legend(**_LEGEND)
        return _svg(figure)
