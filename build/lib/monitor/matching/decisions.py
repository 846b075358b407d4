"""Human decisions on links, kept in ``match_decision``: they win over the matcher on every run.

A decision names the contract by OPD and contract number and the registration by its number (not
by database ids), so it survives a re-import that renumbers rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from monitor.matching.normalize import contract_number_key
from monitor.models import Contract, MatchDecision, MatchLink, Registration

DECISIONS = ("confirm", "reject")


class DecisionError(Exception):
    """A decision that cannot be recorded; the message is for the user (Bahasa Indonesia)."""


@dataclass(frozen=True, slots=True)
class Decision:
    opd: str
    nomor_kontrak: str
    nomor_registrasi: str
    decision: Literal["confirm", "reject"]
    actor: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_decision` did, for the CLI to report."""

    decision: Decision
    replaced: str | None  # the earlier decision on the same pair, if any
    # Other confirmed pairs this confirm overrides ("OPD|nomor_kontrak ↔ nomor_registrasi").
    overridden: tuple[str, ...]


def load_decisions(session: Session) -> list[Decision]:
    """Every decision, oldest first (the matcher lets a later one win a conflict)."""
    rows = session.execute(
        select(MatchDecision.opd, MatchDecision.nomor_kontrak, MatchDecision.nomor_registrasi,
               MatchDecision.decision, MatchDecision.actor, MatchDecision.note)
        .order_by(MatchDecision.created_at, MatchDecision.id)
    )
    return [Decision(opd, kontrak, registrasi, decision, actor, note)
            for opd, kontrak, registrasi, decision, actor, note in rows]


def find_contract(session: Session, opd: str, nomor_kontrak: str) -> Contract:
    """The contract as written, or the one contract of that OPD whose number normalizes the same."""
    opd, nomor_kontrak = opd.strip(), nomor_kontrak.strip()
    contract = session.scalars(
        select(Contract).where(Contract.opd == opd, Contract.nomor_kontrak == nomor_kontrak)
    ).one_or_none()
    if contract is not None:
        return contract
    key = contract_number_key(nomor_kontrak)
    numbers = session.execute(select(Contract.id, Contract.nomor_kontrak).where(Contract.opd == opd)).all()
    same = [(cid, nomor) for cid, nomor in numbers if key is not None and contract_number_key(nomor) == key]
    if len(same) == 1:
        return session.get_one(Contract, same[0][0])
    if len(same) > 1:
        listed = ", ".join(sorted(nomor for _, nomor in same))
        raise DecisionError(f"Nomor kontrak {nomor_kontrak!r} di {opd} tidak tunggal: {listed}. Tulis persis.")
    raise DecisionError(f"Kontrak {nomor_kontrak!r} tidak ditemukan di OPD {opd}.")


def find_registration(session: Session, nomor_registrasi: str) -> Registration:
    nomor = nomor_registrasi.strip()
    registration = session.scalars(select(Registration).where(Registration.nomor_registrasi == nomor)).one_or_none()
    if registration is None:
        # Typed in another case or with spaces: compare the way people read it.
        wanted = "".join(nomor.split()).upper()
        same = session.scalars(
            select(Registration).where(func.upper(func.replace(Registration.nomor_registrasi, " ", "")) == wanted)
        ).all()
        if len(same) != 1:
            raise DecisionError(f"Registrasi Jakon {nomor!r} tidak ditemukan.")
        registration = same[0]
    return registration


def record_decision(
    session: Session,
    opd: str,
    nomor_kontrak: str,
    nomor_registrasi: str,
    decision: str,
    actor: str,
    note: str | None = None,
) -> Recorded:
    """Record (or replace) a decision on one pair, in the caller's transaction.

    The contract and the registration must exist (:class:`DecisionError` otherwise). The stored
    links are updated at once so ``pantau matches`` shows the decision before the next check run:
    a confirm replaces any link of either side, a reject removes that pair's link.
    """
    if decision not in DECISIONS:
        raise DecisionError(f"Keputusan {decision!r} tidak dikenal; pilih confirm atau reject.")
    kind: Literal["confirm", "reject"] = "confirm" if decision == "confirm" else "reject"
    contract = find_contract(session, opd, nomor_kontrak)
    registration = find_registration(session, nomor_registrasi)
    key = (contract.opd, contract.nomor_kontrak, registration.nomor_registrasi)
    row = session.scalars(
        select(MatchDecision).where(
            MatchDecision.opd == key[0], MatchDecision.nomor_kontrak == key[1], MatchDecision.nomor_registrasi == key[2]
        )
    ).one_or_none()
    replaced = None if row is None else row.decision
    now = datetime.now(UTC)
    if row is None:
        row = MatchDecision(opd=key[0], nomor_kontrak=key[1], nomor_registrasi=key[2])
        session.add(row)
    row.decision, row.actor, row.note, row.created_at = decision, actor, note, now

    overridden: tuple[str, ...] = ()
    if decision == "confirm":
        others = session.execute(
            select(MatchDecision.opd, MatchDecision.nomor_kontrak, MatchDecision.nomor_registrasi).where(
                MatchDecision.decision == "confirm",
                or_(
                    (MatchDecision.opd == key[0]) & (MatchDecision.nomor_kontrak == key[1]),
                    MatchDecision.nomor_registrasi == key[2],
                ),
            )
        ).all()
        overridden = tuple(sorted(f"{o}|{k} ↔ {r}" for o, k, r in others if (o, k, r) != key))
        session.execute(
            delete(MatchLink).where(
                or_(MatchLink.contract_id == contract.id, MatchLink.registration_id == registration.id)
            )
        )
        session.add(MatchLink(
            contract_id=contract.id, registration_id=registration.id, method="manual", score=1.0,
            details={"decision": "confirm", "actor": actor, "note": note, "reason": "manual: dikonfirmasi petugas"},
        ))
    else:
        session.execute(
            delete(MatchLink).where(MatchLink.contract_id == contract.id, MatchLink.registration_id == registration.id)
        )
    session.flush()
    return Recorded(Decision(*key, kind, actor, note), replaced, overridden)
