"""Rendering: one template scheme, Indonesian formats, the most urgent first, untrusted text made
harmless in HTML and headers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from email import message_from_bytes
from email import policy as email_policy

import pytest
from alerts_support import T0, World, digest, html_of, text_of, view
from babel.numbers import format_currency, format_decimal
from jinja2 import UndefinedError

from alerts.digest import Digest, DigestItem
from alerts.i18n import MESSAGES, formatter
from alerts.outbox import render_digest
from alerts.render import compose, header_safe, render
from alerts.view import DETAIL_FIELDS, MAX_ITEMS_PER_SECTION, detail_rows, digest_context
from checks import REGISTRY
from monitor.settings import AlertSettings, Settings

HOSTILE_TITLE = '<script>alert("x")</script>\r\nBcc: victim@evil.example\r\n\r\n<b>Tebusan</b>'


def render_text(d: Digest, language: str = "id") -> tuple[str, str, str]:
    settings = Settings(alerts=AlertSettings(language=language))
    message = render_digest(settings, d, T0, "<x@pantau.test>")
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    return str(message["Subject"]), str(plain.get_content()), str(html.get_content())


def test_a_hostile_title_is_escaped_in_html_and_adds_no_header(world: World) -> None:
    world.configure(bpkad=())
    world.finding(
        opd="PERKIM", severity="medium", title=HOSTILE_TITLE,
        details={"penyedia": "PT <img src=x onerror=alert(1)>", "nama_paket": "Jalan & Jembatan\nX-Evil: 1"},
    )

    world.cycle(T0)

    (received,) = world.smtp.take()
    message = received.message
    assert received.envelope_to == ["perkim@jambikota.go.id"]
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert sorted(message.keys()) == sorted([
        "Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "X-Pantau-Kind", "MIME-Version",
        "Content-Type",
    ])
    subject = str(message["Subject"])
    assert "\r" not in subject and "\n" not in subject
    assert subject.endswith('<script>alert("x")</script> Bcc: victim@evil.example <b>Tebusan</b>')
    html = html_of(message)
    assert "<script>" not in html and "<img" not in html and "<b>Tebusan" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bcc: victim@evil.example &lt;b&gt;Tebusan&lt;/b&gt;" in html
    assert "PT &lt;img src=x onerror=alert(1)&gt;" in html and "Jalan &amp; Jembatan X-Evil: 1" in html
    text = text_of(message)
    assert '<script>alert("x")</script> Bcc: victim@evil.example <b>Tebusan</b>' in text  # plain text: one line
    assert "\nBcc:" not in text and "\nX-Evil" not in text


def test_header_values_lose_control_characters() -> None:
    assert header_safe("a\r\nBcc: x@y\x00\tz\u2028w") == "a Bcc: x@y z w"
    assert header_safe("x" * 300, limit=200) == "x" * 199 + "…"


def test_compose_keeps_data_out_of_the_headers() -> None:
    rendered = render("digest", digest_context(digest(DigestItem(view(1, title=HOSTILE_TITLE), "new")), Settings(), T0))
    message = compose(rendered, sender="Pantau <pantau@jambikota.go.id>", recipient="pupr@jambikota.go.id\r\nCc: x@y",
                      message_id="<a@b>", date=T0, kind="digest")
    parsed = message_from_bytes(message.as_bytes(), policy=email_policy.default)
    assert parsed["Cc"] is None and parsed["Bcc"] is None
    assert str(parsed["To"]).startswith("pupr@jambikota.go.id")


def test_money_and_dates_are_written_the_indonesian_way() -> None:
    details = {"deadline": "2026-09-24", "required": 1_250_000, "paid": 0, "days_overdue": 8,
               "nomor_kontrak": "027/14/SPK-PUPR/III/2026", "nama_paket": "Rehab Jalan", "penyedia": "CV Maju"}
    d = digest(DigestItem(view(7, amount=1_250_000, details=details), "new"))

    subject, text, html = render_text(d)

    for expected in ("Batas pendaftaran: 24 September 2026", "Iuran wajib: Rp1.250.000", "Iuran dibayar: Rp0",
                     "Terlambat: 8 hari", "Nomor kontrak: 027/14/SPK-PUPR/III/2026", "Paket: Rehab Jalan",
                     "Penyedia: CV Maju", "Nilai berisiko: Rp1.250.000", "per 15 April 2026"):
        assert expected in text
    assert "Rp1.250.000" in html and "24 September 2026" in html
    assert subject == "[Pantau] Temuan Jakon PUPR: 1 baru - Temuan"


def test_english_is_selectable_and_keeps_rupiah_and_dates_indonesian_style() -> None:
    d = digest(DigestItem(view(7, amount=1_250_000, details={"deadline": "2026-09-24"}), "reminder"))

    subject, text, _ = render_text(d, language="en")

    assert subject == "[Pantau] Jakon findings PUPR: 1 reminders - Temuan"
    assert "Registration deadline: 24 September 2026" in text and "Amount at risk: Rp1.250.000" in text
    assert "[REMINDER] #7" in text and "pantau ack 7 --note" in text


def test_sections_come_most_urgent_first() -> None:
    d = digest(
        DigestItem(view(1, rule="agreement.expiring", severity="medium"), "new"),
        DigestItem(view(2, severity="high", details={"days_overdue": 3}), "reminder"),
        DigestItem(view(3, severity="high", details={"days_overdue": 30}), "reminder"),
        DigestItem(view(4, rule="jakon.payment_unregistered", severity="critical"), "new"),
        DigestItem(view(5, severity="critical", details={"days_overdue": 1}), "new"),
    )

    _, text, _ = render_text(d)

    sections = [line.split(" (")[1].split(")")[0] for line in text.splitlines() if ", " in line and line.endswith(
        ("kritis", "tinggi", "sedang")) and "(" in line]
    assert sections == ["jakon.payment_unregistered", "jakon.unregistered", "agreement.expiring"]
    order = [int(line.split("#")[1].split()[0]) for line in text.splitlines() if line.startswith("[")]
    assert order == [4, 5, 3, 2, 1]


def test_totals_come_first_and_the_footer_says_how_to_acknowledge() -> None:
    d = digest(
        DigestItem(view(11, amount=1_000_000), "new"),
        DigestItem(view(12, amount=250_000, severity="medium"), "reminder"),
    )

    _, text, _ = render_text(d)

    head = text.split("Kontrak belum terdaftar Jakon")[0]
    assert "Temuan yang perlu ditindaklanjuti: 2" in head and "Nilai berisiko: Rp1.250.000" in head
    assert "Baru: 1" in head and "Pengingat: 1" in head
    assert 'pantau ack 11 --note "keterangan tindak lanjut"' in text


def test_a_long_section_names_the_command_for_the_rest() -> None:
    items = [DigestItem(view(i), "new") for i in range(1, MAX_ITEMS_PER_SECTION + 6)]

    _, text, _ = render_text(digest(*items))

    assert text.count("[BARU] #") == MAX_ITEMS_PER_SECTION
    assert "... dan 5 temuan lain; lihat: pantau findings --rule jakon.unregistered --opd PUPR" in text


def test_a_finding_with_no_details_or_an_unknown_rule_still_renders() -> None:
    d = digest(DigestItem(view(9, rule="custom.rule", severity="low", opd="PUPR"), "new"))

    _, text, _ = render_text(d)

    assert "custom.rule (custom.rule), rendah" in text
    assert "Periksa temuan ini dan tindak lanjuti sesuai ketentuan." in text
    assert "Nomor kontrak: 9/SPK" in text  # taken from the "OPD|nomor" subject


def test_the_rules_own_action_text_is_shown_in_indonesian() -> None:
    d = digest(DigestItem(view(5, details={"tindakan": "PPK PUPR memastikan penyedia membayar Rp2.350.000."}), "new"))
    _, text, _ = render_text(d)
    assert "Yang harus dilakukan: PPK PUPR memastikan penyedia membayar Rp2.350.000." in text


def test_a_missing_template_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(UndefinedError):
        render("digest", {"fmt": formatter("id", Settings().tz)})


def test_both_languages_carry_the_same_messages_and_every_rule_and_detail_has_words() -> None:
    assert set(MESSAGES["id"]) == set(MESSAGES["en"])
    for language in ("id", "en"):
        fmt = formatter(language, Settings().tz)
        for rule_id, rule in REGISTRY.items():
            # Every rule's words come from the rule, in both languages, never the id or the default.
            assert fmt.rule(rule_id) == rule.names.in_language(language) != rule_id, (language, rule_id)
            assert fmt.advice(rule_id) == rule.advice.in_language(language) != fmt.t("advice.default")
        assert fmt.rule("test.unknown") == "test.unknown"
        assert fmt.advice("test.unknown") == fmt.t("advice.default")
        for key, _kind in DETAIL_FIELDS:
            assert fmt.has(f"detail.{key}"), (language, key)


def test_a_contract_whose_end_is_not_known_yet_says_so_in_its_details() -> None:
    fmt = formatter("id", Settings().tz)
    contract = {"nomor_kontrak": "K-1", "tanggal_kontrak": "2025-03-21", "tanggal_selesai": None}
    assert ("Akhir kontrak", "belum diketahui (SPMK belum diimpor)") in detail_rows(fmt, contract, "PUPR|K-1")
    # A Kampung Bahagia activity without an end date is not a contract awaiting its SPMK.
    activity = {"kode_kegiatan": "KB-1", "tanggal_mulai": "2026-03-01", "tanggal_selesai": None}
    assert all(label != "Akhir kontrak" for label, _ in detail_rows(fmt, activity, "KB-1"))


def test_formatter_money_and_dates() -> None:
    fmt = formatter("id", Settings().tz)
    assert fmt.money(1_250_000) == "Rp1.250.000"
    assert fmt.money(0) == "Rp0"
    assert fmt.date(date(2026, 9, 24)) == "24 September 2026"
    assert fmt.date("2026-09-24") == "24 September 2026"
    # 20:00 UTC is already the next day in Jambi.
    assert fmt.date(datetime(2026, 9, 23, 20, 0, tzinfo=UTC)) == "24 September 2026"
    assert fmt.date("bukan tanggal") == "bukan tanggal"


@pytest.mark.parametrize("language", ["id", "en"])
def test_formatter_numbers_equal_babels_own_formatting(language: str) -> None:
    fmt = formatter(language, Settings().tz)
    for value in (0, 1, -1, 999, 1_000, -1_000, 999_999, 1_000_000, 1_250_000, 10**15, -(2**63), 2**70):
        assert fmt.number(value) == format_decimal(value, locale=fmt.locale), value
        assert fmt.money(value) == format_currency(value, "IDR", format="¤#,##0", currency_digits=False,
                                                   locale=fmt.locale), value
    assert fmt.money(None) == fmt.money(0) == "Rp0"
    assert fmt.money(Decimal("2.5")) == "Rp2" and fmt.money(Decimal("3.5")) == "Rp4"  # half to even, as Babel
    assert fmt.number(1.5) == format_decimal(1.5, locale=fmt.locale)  # not whole: Babel's pattern
