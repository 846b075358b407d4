"""``pantau premium NILAI``: the Jakon premium on a contract value, band by band.

Needs no configuration or database: a PPK or a BPJS officer can check a figure on any machine.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click

from monitor.ingest.values import BadValue, parse_money
from monitor.regulation.premium import (
    KAMPUNG_RATE,
    WAGE_JKK_RATE,
    WAGE_JKM_RATE,
    PremiumBreakdown,
    kampung_premium,
    premium_breakdown,
    wage_premium,
)
from monitor.regulation.wording import percent, rupiah

ROUNDING_NOTE = "Pembulatan: setengah ke atas ke rupiah penuh (aturan pembulatan BPJS tidak dipublikasikan)."


def parse_nilai(text: str) -> int:
    """``1.500.000.000``, ``Rp 1.500.000.000,-``, ``1500000000`` -> 1500000000."""
    try:
        value = parse_money(text)
    except BadValue as exc:
        raise click.BadParameter(str(exc), param_hint="NILAI") from exc
    if value is None:
        raise click.BadParameter("nilai kosong", param_hint="NILAI")
    return value


def band_label(lower: int, upper: int | None) -> str:
    if lower == 0:
        return f"s.d. {rupiah(upper)}" if upper is not None else "seluruh nilai"
    if upper is None:
        return f"di atas {rupiah(lower)}"
    return f"{rupiah(lower)} – {rupiah(upper)}"


def _table(header: list[str], rows: list[list[str]], footer: list[str]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows, footer]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return [line(header), rule, *(line(row) for row in rows), rule, line(footer)]


def breakdown_text(breakdown: PremiumBreakdown) -> str:
    rows = [
        [
            band_label(band.lower, band.upper),
            rupiah(band.portion),
            percent(band.jkk_rate),
            rupiah(band.jkk),
            percent(band.jkm_rate),
            rupiah(band.jkm),
            rupiah(band.total),
        ]
        for band in breakdown.bands
    ]
    header = ["Lapisan nilai kontrak", "Bagian nilai", "Tarif JKK", "JKK", "Tarif JKM", "JKM", "Jumlah"]
    footer = ["Jumlah", rupiah(breakdown.value), "", rupiah(breakdown.jkk), "", rupiah(breakdown.jkm),
              rupiah(breakdown.total)]
    lines = [
        f"Iuran Jakon (JKK + JKM) untuk nilai kontrak {rupiah(breakdown.value)}",
        "Tarif berjenjang per lapisan nilai kontrak, bila upah tidak diketahui (PP 44/2015 jo. PP 82/2019).",
        "",
        *_table(header, rows, footer),
        "",
        f"Iuran wajib: {rupiah(breakdown.total)} (JKK {rupiah(breakdown.jkk)} + JKM {rupiah(breakdown.jkm)}).",
        f"Minimal 50% saat pendaftaran: {rupiah(-(-breakdown.total // 2))}; lunas sebelum masa pelaksanaan berakhir.",
        ROUNDING_NOTE,
    ]
    return "\n".join(lines)


def _exact(amount: Decimal) -> str:
    """A band's premium before rounding, as an exact decimal string (a float would lose digits)."""
    return format(amount.normalize(), "f") if amount else "0"


def breakdown_json(breakdown: PremiumBreakdown) -> dict[str, Any]:
    return {
        "basis": "nilai_kontrak",
        "nilai": breakdown.value,
        "bands": [
            {
                "lower": band.lower,
                "upper": band.upper,
                "portion": band.portion,
                "jkk_rate": str(band.jkk_rate),
                "jkk": _exact(band.jkk),
                "jkm_rate": str(band.jkm_rate),
                "jkm": _exact(band.jkm),
            }
            for band in breakdown.bands
        ],
        "jkk": breakdown.jkk,
        "jkm": breakdown.jkm,
        "total": breakdown.total,
        "minimum_payment": -(-breakdown.total // 2),
    }


@click.command("premium")
@click.argument("nilai")
@click.option(
    "--kampung", is_flag=True, help="Kegiatan Kampung Bahagia: 0,24% rata dari nilai kegiatan (Perwal 18/2025)."
)
@click.option("--upah", is_flag=True, help="NILAI adalah upah sebulan: JKK 1,74% + JKM 0,30%.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def premium_command(nilai: str, kampung: bool, upah: bool, fmt: str) -> None:
    """Iuran Jakon untuk NILAI kontrak, per lapisan dan per program (JKK/JKM).

    NILAI boleh ditulis 1.500.000.000, "Rp 1.500.000.000,-" atau 1500000000.
    """
    if kampung and upah:
        raise click.UsageError("pilih salah satu: --kampung atau --upah")
    value = parse_nilai(nilai)
    if kampung:
        total = kampung_premium(value)
        data: dict[str, Any] = {"basis": "kampung", "nilai": value, "rate": str(KAMPUNG_RATE), "total": total}
        text = (
            f"Iuran Jakon kegiatan Kampung Bahagia senilai {rupiah(value)}: {percent(KAMPUNG_RATE)} rata = "
            f"{rupiah(total)} (Perwal Kota Jambi 18/2025).\n{ROUNDING_NOTE}"
        )
    elif upah:
        wages = wage_premium(value)
        data = {"basis": "upah", "upah": value, "jkk_rate": str(WAGE_JKK_RATE), "jkk": wages.jkk,
                "jkm_rate": str(WAGE_JKM_RATE), "jkm": wages.jkm, "total": wages.total}
        text = (
            f"Iuran Jakon per bulan untuk upah {rupiah(value)}: JKK {percent(WAGE_JKK_RATE)} = {rupiah(wages.jkk)}, "
            f"JKM {percent(WAGE_JKM_RATE)} = {rupiah(wages.jkm)}, jumlah {rupiah(wages.total)}.\n{ROUNDING_NOTE}"
        )
    else:
        breakdown = premium_breakdown(value)
        data = breakdown_json(breakdown)
        text = breakdown_text(breakdown)
    click.echo(json.dumps(data, ensure_ascii=False) if fmt == "json" else text)


def register(group: click.Group) -> None:
    group.add_command(premium_command)
