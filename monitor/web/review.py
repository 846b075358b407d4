"""Proposals and the review queue.

An OPD proposes the registration number it got from BPJS for a contract Pantau sees as unregistered.
Pantau says at once whether that number is in the imported BPJS data and whether it already links
another contract, and queues the proposal. BPKAD or BPJS staff confirm or reject it; a confirmation is a
manual match decision exactly like ``pantau match confirm`` (:func:`monitor.matching.record_decision`),
so the next check links the contract (method ``manual``) and resolves the finding. The matcher's
``data.ambiguous_match`` cases sit in the same queue, each candidate one confirm away, and so do its
weakest automatic links (a registration under a consortium's or another firm's name among them), each
one confirm or reject away. Every step is a history row of the finding, with its actor.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.check.findings import ACTIVE, FINDING, FindingsError, note_action
from monitor.matching import DecisionError, record_decision
from monitor.matching.decisions import find_contract, find_registration
from monitor.models import Contract, MatchLink, MatchProposal, Registration

PENDING, CONFIRMED, REJECTED = "pending", "confirmed", "rejected"


class ReviewError(Exception):
    """A proposal or decision refused; the message is for the user (Bahasa Indonesia)."""


@dataclass(frozen=True, slots=True)
class Checked:
    """What Pantau knows of a proposed number right now."""

    nomor_registrasi: str
    found: bool
    linked_elsewhere: str | None  # "OPD|nomor_kontrak" of the contract it already links

    @property
    def message(self) -> str:
        if not self.found:
            return (f"Nomor {self.nomor_registrasi} belum ada di data BPJS yang diimpor (mungkin belum diimpor). "
                    "Usulan tetap diantrekan; petugas memeriksanya setelah data BPJS berikutnya masuk.")
        if self.linked_elsewhere:
            return (f"Nomor {self.nomor_registrasi} ada di data BPJS, tetapi sudah tertaut ke kontrak "
                    f"{self.linked_elsewhere}. Usulan diantrekan untuk diperiksa petugas.")
        return (f"Nomor {self.nomor_registrasi} ada di data BPJS dan belum tertaut ke kontrak lain. Usulan "
                "diantrekan untuk dikonfirmasi petugas BPKAD atau BPJS.")


def check_number(session: Session, opd: str, nomor_kontrak: str, nomor_registrasi: str) -> Checked:
    try:
        registration = find_registration(session, nomor_registrasi)
    except DecisionError:
        return Checked(nomor_registrasi, False, None)
    other = session.execute(
        select(Contract.opd, Contract.nomor_kontrak).join(MatchLink, MatchLink.contract_id == Contract.id)
        .where(MatchLink.registration_id == registration.id)
    ).first()
    elsewhere = None
    if other is not None and (other.opd, other.nomor_kontrak) != (opd, nomor_kontrak):
        elsewhere = f"{other.opd}|{other.nomor_kontrak}"
    return Checked(registration.nomor_registrasi, True, elsewhere)


def _clean_number(value: str) -> str:
    nomor = " ".join(value.split())
    if not nomor or len(nomor) > 100 or not nomor.isprintable():
        raise ReviewError("Tulis nomor registrasi (kepesertaan proyek) Jakon dari BPJS, paling panjang 100 karakter.")
    return nomor


def propose(session: Session, finding_id: int, opd: str, nomor_kontrak: str, nomor_registrasi: str, *,
            actor: str, note: str | None, now: datetime) -> Checked:
    """Queue an OPD's proposed registration number for the contract of ``finding_id``."""
    nomor = _clean_number(nomor_registrasi)
    try:
        contract = find_contract(session, opd, nomor_kontrak)
    except DecisionError as exc:
        raise ReviewError(str(exc)) from exc
    checked = check_number(session, contract.opd, contract.nomor_kontrak, nomor)
    session.add(MatchProposal(
        finding_id=finding_id, opd=contract.opd, nomor_kontrak=contract.nomor_kontrak,
        nomor_registrasi=checked.nomor_registrasi, found=checked.found, linked_elsewhere=checked.linked_elsewhere,
        status=PENDING, proposed_by=actor, proposed_at=now, note=(note or "").strip() or None,
    ))
    where = "ada di data BPJS" if checked.found else "belum ada di data BPJS"
    note_action(session, finding_id, actor=actor, now=now,
                note=f"mengusulkan nomor registrasi {checked.nomor_registrasi} ({where})"
                     + (f": {note.strip()}" if note and note.strip() else ""))
    session.flush()
    return checked


def decide_proposal(session: Session, proposal_id: int, decision: str, *, actor: str, note: str | None,
                    now: datetime) -> MatchProposal:
    """Confirm (a manual match decision, as ``pantau match confirm``) or reject a pending proposal."""
    proposal = session.get(MatchProposal, proposal_id)
    if proposal is None:
        raise ReviewError(f"Usulan #{proposal_id} tidak ada.")
    if proposal.status != PENDING:
        raise ReviewError(f"Usulan #{proposal_id} sudah diputuskan ({proposal.status}) oleh {proposal.decided_by}.")
    if decision not in ("confirm", "reject"):
        raise ReviewError("Pilih konfirmasi atau tolak.")
    if decision == "confirm":
        try:
            record_decision(session, proposal.opd, proposal.nomor_kontrak, proposal.nomor_registrasi, "confirm",
                            actor, note or f"usulan #{proposal.id} dari {proposal.proposed_by}")
        except DecisionError as exc:
            raise ReviewError(str(exc)) from exc
    proposal.status = CONFIRMED if decision == "confirm" else REJECTED
    proposal.decided_by, proposal.decided_at, proposal.decision_note = actor, now, (note or "").strip() or None
    if proposal.finding_id is not None:
        verb = "mengonfirmasi" if decision == "confirm" else "menolak"
        tail = "; pemeriksaan berikutnya menautkannya" if decision == "confirm" else ""
        with contextlib.suppress(FindingsError):  # the finding is gone (purged): the decision still stands
            note_action(session, proposal.finding_id, actor=actor, now=now,
                        note=f"{verb} usulan nomor registrasi {proposal.nomor_registrasi}{tail}"
                             + (f": {note.strip()}" if note and note.strip() else ""))
    session.flush()
    return proposal


def decide_ambiguity(session: Session, finding_id: int, opd: str, nomor_kontrak: str, *, actor: str,
                     note: str | None, now: datetime) -> None:
    """Confirm one candidate of a ``data.ambiguous_match`` finding (its subject is the registration)."""
    f = FINDING.c
    row = session.execute(select(f.rule, f.subject, f.status, f.details).where(f.id == finding_id)).first()
    if row is None or row.rule != "data.ambiguous_match" or row.status not in ACTIVE:
        raise ReviewError(f"Temuan #{finding_id} bukan kasus pencocokan ganda yang masih terbuka.")
    candidates = {(c.get("opd"), c.get("nomor_kontrak")) for c in (row.details or {}).get("candidates", [])}
    if (opd, nomor_kontrak) not in candidates:
        raise ReviewError("Kontrak itu bukan salah satu kandidat kasus ini.")
    try:
        record_decision(session, opd, nomor_kontrak, row.subject, "confirm", actor, note)
    except DecisionError as exc:
        raise ReviewError(str(exc)) from exc
    note_action(session, finding_id, actor=actor, now=now,
                note=f"memilih kontrak {opd}|{nomor_kontrak} untuk registrasi {row.subject}")


def pending_proposals(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(MatchProposal, Registration.nama_proyek, Registration.penyedia, Registration.nilai_kontrak_terdaftar,
               Contract.nama_paket, Contract.penyedia.label("penyedia_kontrak"), Contract.nilai_kontrak)
        .outerjoin(Registration, Registration.nomor_registrasi == MatchProposal.nomor_registrasi)
        .outerjoin(Contract, (Contract.opd == MatchProposal.opd)
                   & (Contract.nomor_kontrak == MatchProposal.nomor_kontrak))
        .where(MatchProposal.status == PENDING).order_by(MatchProposal.proposed_at, MatchProposal.id)
    ).all()
    return [{"proposal": p, "nama_proyek": nama_proyek, "penyedia": penyedia, "nilai_terdaftar": nilai_terdaftar,
             "nama_paket": nama_paket, "penyedia_kontrak": penyedia_kontrak, "nilai_kontrak": nilai_kontrak}
            for p, nama_proyek, penyedia, nilai_terdaftar, nama_paket, penyedia_kontrak, nilai_kontrak in rows]


def proposals_of(session: Session, finding_id: int) -> list[MatchProposal]:
    return list(session.scalars(select(MatchProposal).where(MatchProposal.finding_id == finding_id)
                                .order_by(MatchProposal.id)))


def ambiguous_cases(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    f = FINDING.c
    rows = session.execute(
        select(f.id, f.subject, f.title, f.details).where(f.rule == "data.ambiguous_match", f.status.in_(ACTIVE))
        .order_by(f.id).limit(limit)
    ).all()
    return [dict(row._mapping) for row in rows]


WEAKEST_SHOWN = 50  # automatic links listed for review, weakest first


def weakest_links(session: Session, limit: int = WEAKEST_SHOWN) -> list[dict[str, Any]]:
    """The automatic links most in need of a human's eye, weakest first: those made despite who
    registered (``other_name``, scored at most 0.75) come before the fuzzy ones that barely passed."""
    # The weakest links first, then their contracts and registrations: joined after the cut, not before
    # (at a million links, joining every one before sorting took the page half a second).
    weakest = (select(MatchLink.id, MatchLink.contract_id, MatchLink.registration_id, MatchLink.method,
                      MatchLink.score, MatchLink.details)
               .where(MatchLink.method != "manual").order_by(MatchLink.score, MatchLink.id).limit(limit).subquery())
    rows = session.execute(
        select(Contract.opd, Contract.nomor_kontrak, Contract.nama_paket, Contract.penyedia.label("penyedia_kontrak"),
               Contract.nilai_kontrak, Registration.nomor_registrasi, Registration.nama_proyek, Registration.penyedia,
               Registration.nilai_kontrak_terdaftar, weakest.c.method, weakest.c.score, weakest.c.details)
        .select_from(weakest)
        .join(Contract, Contract.id == weakest.c.contract_id)
        .join(Registration, Registration.id == weakest.c.registration_id)
        .order_by(weakest.c.score, weakest.c.id)
    ).all()
    return [dict(row._mapping) for row in rows]


def decide_link(session: Session, opd: str, nomor_kontrak: str, nomor_registrasi: str, decision: str, *,
                actor: str, note: str | None) -> None:
    """Confirm (it becomes a manual link) or reject (it goes, and the matcher never makes it again) one
    automatic link of the queue: the same decision as ``pantau match confirm|reject``."""
    if decision not in ("confirm", "reject"):
        raise ReviewError("Pilih Benar atau Salah.")
    linked = session.execute(
        select(MatchLink.method).join(Contract, Contract.id == MatchLink.contract_id)
        .join(Registration, Registration.id == MatchLink.registration_id)
        .where(Contract.opd == opd, Contract.nomor_kontrak == nomor_kontrak,
               Registration.nomor_registrasi == nomor_registrasi)
    ).scalar_one_or_none()
    if linked is None or linked == "manual":
        raise ReviewError(f"Kontrak {opd}|{nomor_kontrak} tidak (lagi) tertaut otomatis ke registrasi "
                          f"{nomor_registrasi}; muat ulang antrean.")
    try:
        record_decision(session, opd, nomor_kontrak, nomor_registrasi, decision, actor, note)
    except DecisionError as exc:
        raise ReviewError(str(exc)) from exc
