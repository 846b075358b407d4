"""Drive the generator over the year and close each chunk: retype the contract numbers as the
contractors did at BPJS, add the orphans (and, in the first chunk, the Kampung Bahagia activities,
the agreements and the malformed rows), order the rows as the exports list them, and write down
the ground truth.

``expected`` is what a correct engine finds as of the demo date, rule by rule, computed from the
planted truth with the rules' own definitions (see the issue and ``checks/``): the deadline is the
14th working day after ``tanggal_kontrak``; a registration protects from its ``tanggal_daftar`` unless
``batal``; value and end date are those of the latest addendum; shortfall is paid < 100 % of the
premium after the end, < 50 % before it. Registrations nobody can place (split packages) are not
linked, so their contracts count as unregistered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

from monitor.demo import numbers
from monitor.demo.extras import Activity, agreements, kampung_activities, orphan
from monitor.demo.generator import ChunkGenerator
from monitor.demo.malformed import malformed_rows
from monitor.demo.plan import ChunkPlan, YearContext, chunk_plans, year_context
from monitor.demo.records import Chunk, Job, Reg
from monitor.demo.tariff import kampung_premium, required_premium

RULES = (
    "jakon.unregistered", "jakon.late_registration", "jakon.premium_shortfall", "jakon.coverage_gap",
    "jakon.payment_unregistered", "agreement.expiring", "agreement.expired", "kampung.no_sk_rt",
    "kampung.unregistered", "data.orphan_registration", "data.ambiguous_match",
)


def generate(contracts: int, seed: int, as_of: date, noise: str = "normal") -> Iterator[Chunk]:
    """The year's chunks, in order; the first also holds agreements, kampung and malformed rows."""
    ctx = year_context(contracts, seed, as_of, noise)
    for plan in chunk_plans(ctx):
        yield make_chunk(ctx, plan)


def make_chunk(ctx: YearContext, plan: ChunkPlan) -> Chunk:
    """One chunk of the year, from its plan alone (so chunks can be made in parallel)."""
    gen = ChunkGenerator(ctx, plan)
    split_sources = {item.twin_of for item in plan.items if item.twin_of is not None}
    by_serial: dict[int, Job] = {}
    jobs: list[Job] = []
    for item in plan.items:
        source = by_serial.get(item.twin_of) if item.twin_of is not None else None
        job = gen.contract(item, source)
        if source is None:
            if item.serial in split_sources and gen.register_split(job):
                by_serial[item.serial] = job
            else:
                gen.add_addenda(job)
                gen.register(job)
        gen.add_payments(job)
        jobs.append(job)
    return _finish(gen, jobs)


def _finish(gen: ChunkGenerator, jobs: list[Job]) -> Chunk:
    index = gen.plan.index
    chunk = Chunk(index, first_row=gen.plan.first_row)
    _retype_numbers(gen, jobs)
    _mark_shared_numbers(jobs)
    regs = [reg for job in jobs for reg in job.regs]
    orphans: list[tuple[Reg, str]] = []
    if len(jobs) >= 50 or index == 0:
        values_by_vendor: dict[str, list[int]] = defaultdict(list)
        for job in jobs:
            values_by_vendor[job.vendor.npwp].extend((job.row["nilai_kontrak"], job.value))
        orphans = [orphan(gen, i, values_by_vendor) for i in range(max(1, round(len(jobs) * 0.02)))]
    regs.extend(reg for reg, _ in orphans)
    activities = kampung_activities(gen) if index == 0 else []
    regs.extend(a.reg for a in activities if a.reg is not None)
    # The export lists projects in the order they were registered (the sort is stable).
    regs.sort(key=lambda reg: reg.row["tanggal_daftar"])
    payments = [p for job in jobs for p in job.payments]
    payments.sort(key=lambda p: p["tanggal_sp2d"])

    rows = chunk.rows
    rows["contracts"] = [job.row for job in jobs]
    rows["addenda"] = [a for job in jobs for a in job.addenda]
    rows["registrations"] = [reg.row for reg in regs]
    rows["payments"] = payments
    for job in jobs:
        _judge_contract(gen, job, chunk)
    chunk.counts.update(label for job in jobs for label in job.labels)
    chunk.counts["contracts"] += len(jobs)
    for reg, label in orphans:
        chunk.orphans.append(reg.row["nomor_registrasi"])
        chunk.scenarios.append((reg.row["nomor_registrasi"], ["orphan", label]))
        chunk.expected.append(("data.orphan_registration", reg.row["nomor_registrasi"]))
        chunk.counts[f"orphan_{label}"] += 1
    if index == 0:
        rows["kampung"] = [a.row for a in activities]
        for activity in activities:
            _judge_activity(gen, activity, chunk)
        rows["agreements"] = agreements(gen)
        for agreement in rows["agreements"]:
            _judge_agreement(gen.as_of, agreement, chunk)
        chunk.malformed = _place_malformed(gen.year, rows)
    return chunk


# --- how contractors retype the SPK number -------------------------------------------------------

def _retype_numbers(gen: ChunkGenerator, jobs: list[Job]) -> None:
    rng = gen.rng
    by_opd: dict[str, list[Job]] = defaultdict(list)
    position: dict[int, int] = {}
    for job in jobs:
        position[id(job)] = len(by_opd[job.opd_key])
        by_opd[job.opd_key].append(job)
    numbers_here = {job.row["nomor_kontrak"] for job in jobs}
    for job in jobs:
        number = job.row["nomor_kontrak"]
        for reg in job.regs:
            noise = reg.noise
            text: str | None = number
            if noise == "typo_other":
                other = _neighbour(by_opd[job.opd_key], position[id(job)], number)
                if other is None:
                    noise = "mistype"
                else:
                    text = other.row["nomor_kontrak"]
                    other.labels.append("number_taken_by_typo")
            if noise == "reformat":
                text = numbers.reformat(number, rng)
            elif noise == "mistype":
                text = numbers.mistype(number, rng)
            elif noise == "garble":
                text = numbers.garble(number, rng)
            elif noise == "blank":
                text = numbers.blank(rng)
            reg.row["nomor_kontrak"] = text
            reg.noise = noise
            if noise != "exact":
                job.labels.append(f"number_{noise}")
            if noise in ("mistype", "garble") and text in numbers_here:
                job.labels.append("number_hits_other_contract")


def _neighbour(same_opd: list[Job], at: int, number: str) -> Job | None:
    """Another contract of the same OPD whose number is one keystroke away."""
    for j in (at + 1, at - 1, at + 2, at - 2, at + 3, at - 3, at + 10, at - 10):
        if 0 <= j < len(same_opd) and numbers.one_character_apart(number, same_opd[j].row["nomor_kontrak"]):
            return same_opd[j]
    return None


def _mark_shared_numbers(jobs: list[Job]) -> None:
    """Label the numbers that two OPDs both use (numbers are unique within an OPD)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for job in jobs:
        number = job.row["nomor_kontrak"]
        if number in seen:
            shared.add(number)
        seen.add(number)
    if shared:
        for job in jobs:
            if job.row["nomor_kontrak"] in shared:
                job.labels.append("shared_number")


# --- the truth ------------------------------------------------------------------------------------

def _judge_contract(gen: ChunkGenerator, job: Job, chunk: Chunk) -> None:
    as_of = gen.as_of
    subject = job.subject
    labels = job.labels
    opd = job.opd_key
    nomor = job.row["nomor_kontrak"]
    for earlier, later in zip(job.regs, job.regs[1:], strict=False):
        chunk.superseded.append({"nomor_registrasi": earlier.row["nomor_registrasi"], "opd": opd,
                                 "nomor_kontrak": nomor, "superseded_by": later.row["nomor_registrasi"]})
    linked = job.regs[-1] if job.regs else None
    if linked is not None:
        chunk.links.append({"opd": opd, "nomor_kontrak": nomor, "nomor_registrasi": linked.row["nomor_registrasi"]})
        if job.ambiguous:
            chunk.ambiguous.append({"nomor_registrasi": linked.row["nomor_registrasi"], "opd": opd,
                                    "nomor_kontrak": nomor})
            chunk.expected.append(("data.ambiguous_match", linked.row["nomor_registrasi"]))
            labels.append("ambiguous")
            linked = None
    valid = linked.row if linked is not None and linked.row["status"] != "batal" else None
    if valid is None:
        if as_of > job.deadline:
            labels.append("unregistered")
            chunk.expected.append(("jakon.unregistered", subject))
        else:
            labels.append("not_yet_due")
    else:
        if valid["tanggal_daftar"] > job.deadline:
            labels.append("late")
            chunk.expected.append(("jakon.late_registration", subject))
        required = required_premium(job.value)
        paid = valid["iuran_dibayar"]
        if paid < required and (as_of > job.end or paid * 2 < required):
            labels.append("underpaid")
            chunk.expected.append(("jakon.premium_shortfall", subject))
        if valid["masa_akhir"] < job.end or (valid["status"] == "berakhir" and as_of <= job.end):
            labels.append("coverage_gap")
            chunk.expected.append(("jakon.coverage_gap", subject))
    before = False
    for payment in job.payments:
        if valid is None or valid["tanggal_daftar"] > payment["tanggal_sp2d"]:
            before = True
            chunk.expected.append(("jakon.payment_unregistered", payment["nomor_sp2d"]))
    if before:
        labels.append("paid_unregistered" if valid is None else "paid_before_registration")
    if labels:
        chunk.scenarios.append((subject, sorted(set(labels))))


def _judge_activity(gen: ChunkGenerator, activity: Activity, chunk: Chunk) -> None:
    row = activity.row
    labels = activity.labels
    kode = row["kode_kegiatan"]
    if activity.reg is not None:
        row["nomor_registrasi"] = activity.reg.row["nomor_registrasi"]
        chunk.kampung_links.append({"kode_kegiatan": kode, "nomor_registrasi": row["nomor_registrasi"]})
    started = row["tanggal_mulai"] <= gen.as_of
    if not started:
        labels.append("not_started")
    else:
        if row["nomor_sk_rt"] is None or row["tanggal_sk_rt"] is None or row["tanggal_sk_rt"] > row["tanggal_mulai"]:
            chunk.expected.append(("kampung.no_sk_rt", kode))
        reg = activity.reg
        if reg is None or reg.row["iuran_dibayar"] < kampung_premium(row["nilai_kegiatan"]):
            chunk.expected.append(("kampung.unregistered", kode))
    chunk.counts.update(f"kampung_{label}" for label in labels)
    if labels:
        chunk.scenarios.append((kode, sorted(labels)))


def _judge_agreement(as_of: date, agreement: dict[str, Any], chunk: Chunk) -> None:
    renewed = agreement["status"] == "diperpanjang" or bool(agreement["nomor_pengganti"])
    days_left = (agreement["tanggal_berakhir"] - as_of).days
    label = "renewed" if renewed else "valid"
    if not renewed:
        if agreement["status"] == "berakhir" or days_left < 0:
            label = "expired"
            chunk.expected.append(("agreement.expired", agreement["nomor"]))
        elif days_left <= 90:
            label = "expiring_" + next(str(w) for w in (7, 30, 60, 90) if days_left <= w)
            chunk.expected.append(("agreement.expiring", agreement["nomor"]))
    chunk.scenarios.append((agreement["nomor"], [label]))


def _place_malformed(year: int, rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Spread each kind's malformed rows through the first chunk; ``line`` counts the header as 1."""
    placed: dict[str, list[dict[str, Any]]] = {}
    for kind, broken in malformed_rows(year).items():
        total = len(rows[kind]) + len(broken)
        placed[kind] = [
            {**item, "line": 2 + (j + 1) * total // (len(broken) + 1)} for j, item in enumerate(broken)
        ]
    return placed
