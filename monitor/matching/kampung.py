"""Kampung Bahagia activities carry the BPJS registration number themselves (the RT's treasurer
copies it from the certificate), so they link by that number alone: no fuzzy stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.compute.columns import column
from monitor.records import KampungState, RegistrationState


def registration_number_key(raw: str | None) -> str | None:
    """A registration number compared as people read it: case and spaces ignored."""
    if raw is None:
        return None
    key = "".join(raw.split()).upper()
    return key or None


def link_kampung(
    activities: Sequence[KampungState],
    registrations: Mapping[str, RegistrationState] | Sequence[RegistrationState],
) -> dict[int, int]:
    """Activity id -> registration id, for activities whose ``nomor_registrasi`` names a known
    registration (exactly, or after trimming spaces and folding case). Accepts
    ``CheckContext.registrations_by_number``, a :class:`~monitor.compute.columns.Table` or any sequence of
    registrations."""
    pool = list(registrations.values()) if isinstance(registrations, Mapping) else registrations
    # A table's own columns (monitor.compute.columns): a million registrations, no row made for each.
    pool_ids, pool_numbers = column(pool, "id"), column(pool, "nomor_registrasi")
    wanted_exact = {a.nomor_registrasi.strip() for a in activities if a.nomor_registrasi}
    wanted = {key for a in activities if (key := registration_number_key(a.nomor_registrasi))}
    if not wanted:
        return {}
    exact: dict[str, int] = {}
    by_key: dict[str, int | None] = {}
    for registration_id, number in zip(pool_ids, pool_numbers, strict=True):
        number = number.strip()
        if number in wanted_exact:
            exact[number] = registration_id
        key = registration_number_key(number)
        if key in wanted:
            # Two registrations differing only in case or spacing: only an exact match decides.
            by_key[key] = None if key in by_key else registration_id
    links: dict[int, int] = {}
    for activity in activities:
        if not activity.nomor_registrasi:
            continue
        registration_id = exact.get(activity.nomor_registrasi.strip())
        if registration_id is None:
            key = registration_number_key(activity.nomor_registrasi)
            registration_id = by_key.get(key) if key else None
        if registration_id is not None:
            links[activity.id] = registration_id
    return links
