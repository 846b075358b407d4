from __future__ import annotations

from datetime import date

from rule_fixtures import context, contract, payment, registration, run, subjects

from checks.jakon_payment_unregistered import PaymentUnregistered

SP2D_DAY = date(2026, 5, 12)
AS_OF = date(2026, 6, 1)


def test_it_flags_exactly_the_sp2d_paid_to_contracts_unregistered_on_that_day() -> None:
    contracts = [contract(i) for i in range(1, 7)]
    registrations = [
        registration(102, tanggal_daftar=SP2D_DAY),  # registered the same day: protected
        registration(103, tanggal_daftar=date(2026, 5, 13)),  # registered the day after the SP2D
        registration(104, tanggal_daftar=date(2026, 3, 20), status="batal"),
        registration(105, tanggal_daftar=date(2026, 3, 20)),
    ]
    payments = [
        payment(501, contract_id=1),  # never registered
        payment(502, contract_id=2),
        payment(503, contract_id=3),
        payment(504, contract_id=4),
        payment(505, contract_id=5),
        payment(506, contract_id=None),  # contract unknown to Pantau: the import reports it
        payment(507, contract_id=6, tanggal_sp2d=date(2026, 6, 2)),  # after the check date
    ]
    ctx = context(
        AS_OF, contracts=contracts, registrations=registrations, payments=payments,
        links=[(2, 102), (3, 103), (4, 104), (5, 105)],
    )
    findings = run(PaymentUnregistered, ctx)
    assert subjects(findings) == ["SP2D/0501/LS/BPKAD/2026", "SP2D/0503/LS/BPKAD/2026", "SP2D/0504/LS/BPKAD/2026"]
    assert {f.severity for f in findings} == {"critical"}


def test_the_finding_tells_bpkad_what_to_hold_and_how_much_is_due() -> None:
    ctx = context(AS_OF, contracts=[contract(1)], payments=[payment(501, contract_id=1)])
    [finding] = run(PaymentUnregistered, ctx)
    assert finding.subject == "SP2D/0501/LS/BPKAD/2026"
    assert finding.opd == "PUPR"
    assert finding.amount_at_risk == 2_350_000
    assert finding.title == (
        "SP2D SP2D/0501/LS/BPKAD/2026 sebesar Rp450.000.000 terbit 12 Mei 2026 untuk kontrak "
        "027/1/SPK-PUPR/III/2026 yang belum terdaftar di BPJS Ketenagakerjaan"
    )
    details = finding.details
    assert details["nilai_sp2d"] == 450_000_000
    assert details["tanggal_sp2d"] == "2026-05-12"
    assert details["kontrak"] == "PUPR|027/1/SPK-PUPR/III/2026"
    assert details["required"] == 2_350_000
    assert details["tindakan"].startswith("BPKAD: tahan SP2D berikutnya")
    assert "Rp2.350.000" in details["tindakan"]


def test_a_registration_made_since_keeps_the_finding_but_not_the_amount() -> None:
    ctx = context(
        AS_OF, contracts=[contract(1)], payments=[payment(501, contract_id=1)],
        registrations=[registration(101, tanggal_daftar=date(2026, 5, 13))], links=[(1, 101)],
    )
    [finding] = run(PaymentUnregistered, ctx)
    assert finding.amount_at_risk == 0
    assert finding.details["nomor_registrasi"] == "JK-2026-0000101"
    assert "baru dibuat 13 Mei 2026, setelah SP2D terbit" in finding.details["tindakan"]


def test_out_of_scope_contracts_and_severity_override() -> None:
    contracts = [contract(1, sumber_dana="DAK"), contract(2)]
    payments = [payment(501, contract_id=1), payment(502, contract_id=2)]
    config = {"jakon.payment_unregistered": {"severity": "high"}}
    [finding] = run(PaymentUnregistered, context(AS_OF, contracts=contracts, payments=payments, config=config))
    assert finding.subject == "SP2D/0502/LS/BPKAD/2026"
    assert finding.severity == "high"
