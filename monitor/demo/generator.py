"""One chunk of the year: its contracts with their addenda, Jakon registrations and SP2D payments.

A chunk is a pure function of the year's shared context, its :class:`~monitor.demo.plan.ChunkPlan`
and its own random stream (seeded by the year's seed and the chunk's index), so chunks can be
generated in any order or in parallel and the year stays the same for a seed. Identifiers that
must be unique across the year (project and SP2D numbers) derive from the contract's serial.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from monitor.demo.names import (
    Place,
    Vendor,
    bpjs_npwp,
    bpjs_title,
    bpjs_vendor_name,
    consortium_name,
    contract_npwp,
    contract_vendor_name,
    package_title,
)
from monitor.demo.plan import DAY, UNKNOWN_OPD, ChunkPlan, Planned, YearContext
from monitor.demo.records import Job, Reg, contract_project_id, project_number
from monitor.demo.reference import OpdInfo
from monitor.demo.tariff import required_premium

_DAYS = tuple(timedelta(days=n) for n in range(800))

# Cumulative shares of the ways a contract number reaches BPJS: about 9 % cannot be matched by
# the number (mistyped, typed into another contract's number, garbled or blank).
_NUMBER_NOISE = (("exact", 0.625), ("reformat", 0.845), ("mistype", 0.87), ("typo_other", 0.885),
                 ("garble", 0.905), ("blank", 0.945))


class ChunkGenerator:
    def __init__(self, ctx: YearContext, plan: ChunkPlan) -> None:
        self.ctx = ctx
        self.plan = plan
        self.rng = random.Random(f"{ctx.seed}:chunk:{plan.index}")
        self.noise = ctx.noise
        # The extra noise draws from its own stream: a normal year never touches it.
        self.noise_rng = random.Random(f"{ctx.seed}:noise:{plan.index}")
        self.as_of = ctx.as_of
        self.year = ctx.year
        self.ref = ctx.ref
        self.places = ctx.ref.kelurahan
        self.year_end = date(ctx.year, 12, 28)
        self._after: dict[tuple[date, int], date] = {}
        self._working_from: dict[date, date] = {}

    # --- the calendar, memoized: a chunk asks the same few hundred questions thousands of times ---

    def after_working_days(self, day: date, n: int) -> date:
        key = (day, n)
        found = self._after.get(key)
        if found is None:
            found = self._after[key] = self.ctx.calendar.add_working_days(day, n)
        return found

    def working_day_on_or_after(self, day: date) -> date:
        found = self._working_from.get(day)
        if found is None:
            found = day
            while not self.ctx.calendar.is_working_day(found):
                found += DAY
            self._working_from[day] = found
        return found

    def clear_of_as_of(self, day: date) -> date:
        """Keep planted dates two days clear of the demo date, so no finding hangs on the reading
        of "after" versus "on or after"."""
        return day + _DAYS[3] if -1 <= (day - self.as_of).days <= 1 else day

    def pick_vendor(self) -> Vendor:
        # Skewed: a few firms win many packages.
        r = self.rng.random()
        vendors = self.ctx.vendors
        return vendors[int(len(vendors) * r ** 1.5)]

    # --- one contract -----------------------------------------------------------------------------

    def contract(self, item: Planned, twin_of: Job | None = None) -> Job:
        rng = self.rng.random
        ref = self.ref
        if twin_of is not None:
            # A package split in two: same vendor, value, title and dates; only the number differs.
            kode = str(41_000_000 + item.serial * 7 + 3)
            twin_row = {**twin_of.row, "nomor_kontrak": item.number, "kode_paket": kode}
            job = Job(item.serial, twin_row, twin_of.opd, twin_of.opd_key, twin_of.vendor, twin_of.deadline,
                      twin_of.value, twin_of.end, twin_of.start)
            job.labels.append("split_package")
            return job
        day = item.day
        consultancy = rng() < 0.14
        r = rng()
        if consultancy:
            lo, hi, d0, d1 = 25e6, 900e6, 45, 150
        elif r < 0.5:
            lo, hi, d0, d1 = 30e6, 200e6, 30, 75
        elif r < 0.86:
            lo, hi, d0, d1 = 200e6, 2.5e9, 60, 150
        elif r < 0.985:
            lo, hi, d0, d1 = 2.5e9, 15e9, 120, 210
        else:
            lo, hi, d0, d1 = 15e9, 60e9, 180, 330
        value = int(lo * (hi / lo) ** rng() / 1000) * 1000
        start = day + _DAYS[int(rng() * 8)]
        end = start + _DAYS[d0 + int(rng() * (d1 - d0)) - 1]
        if value < 15_000_000_000:
            end = max(min(end, self.year_end), start + _DAYS[13])
        end = self.clear_of_as_of(end)
        kec, kel = self.places[int(rng() * len(self.places))]
        rt = 1 + int(rng() * 40)
        vendor = self.pick_vendor()
        opd: OpdInfo | None
        if item.opd == UNKNOWN_OPD:
            opd = None
            opd_text = opd_key = ref.unknown_opd
            kec, kel = "Danau Teluk", ref.kecamatan["Danau Teluk"][int(rng() * 5)]
            title = f"Rehabilitasi Kantor Lurah {kel}"
        else:
            opd = ref.opds[item.opd]
            opd_key = opd.code
            title = package_title(ref, self.rng, Place(kec, kel, rt), opd, consultancy)
            r = rng()
            if r < 0.5 or not opd.aliases:
                opd_text = opd.name if r < 0.8 else opd.code
            else:
                opd_text = opd.aliases[int(rng() * len(opd.aliases))] if r < 0.8 else opd.code
        located = rng() < 0.85
        npwp = contract_npwp(vendor, rng())
        row: dict[str, Any] = {
            "kode_paket": str(41_000_000 + item.serial * 7 + int(rng() * 7)),
            "nomor_kontrak": item.number,
            "tanggal_kontrak": day,
            "opd": opd_text,
            "nama_paket": title,
            "penyedia": contract_vendor_name(vendor, rng()),
            "npwp_penyedia": npwp,
            "nilai_kontrak": value,
            "tanggal_mulai": start if rng() > 0.04 else None,
            "tanggal_selesai": end,
            "sumber_dana": "APBD" if rng() > 0.03 else None,
            "jenis_pekerjaan": "konsultansi" if consultancy else "konstruksi",
            "tahun_anggaran": self.year,
            "kecamatan": kec if located else None,
            "kelurahan": kel if located else None,
        }
        job = Job(item.serial, row, opd, opd_key, vendor, self.after_working_days(day, 14), value, end, start)
        labels = job.labels
        if self.noise.consortium and self.noise_rng.random() < self.noise.consortium:
            self.won_by_consortium(job)
        if opd is None:
            labels.append("opd_unknown")
        if end.year > self.year:
            labels.append("multi_year")
        if npwp is None:
            labels.append("npwp_missing_in_contract")
        elif len(npwp) == 16:
            labels.append("npwp_16_digit")
        return job

    # --- addenda ----------------------------------------------------------------------------------

    def add_addenda(self, job: Job) -> None:
        rng = self.rng.random
        span = (job.end - job.start).days
        if span < 30 or rng() >= 0.18:
            return
        when = job.start + _DAYS[int(span * (0.3 + 0.6 * rng()))]
        if when >= self.as_of:
            return
        count = 2 if rng() < 0.2 else 1
        number = job.row["nomor_kontrak"]
        for k in range(1, count + 1):
            r = rng()
            new_value = None
            new_end = None
            if k == count or r < 0.55:  # the latest addendum always restates the end date
                new_end = self.clear_of_as_of(job.end + _DAYS[14 + int(rng() * 47)])
            if r >= 0.45 or (k == count and count > 1):
                new_value = int(job.value * (0.92 + 0.18 * rng()) / 1000) * 1000
            job.addenda.append({
                "nomor_kontrak": number,
                "opd": job.row["opd"],
                "nomor_adendum": f"ADD-{k:02d}/{number}",
                "tanggal_adendum": when,
                "nilai_kontrak_baru": new_value,
                "tanggal_selesai_baru": new_end,
            })
            if new_value is not None:
                job.value = new_value
            if new_end is not None:
                job.end = new_end
            when = when + _DAYS[7 + int(rng() * 30)]
            if when >= self.as_of or when >= job.end:
                break
        job.labels.append("addendum")

    # --- registrations ----------------------------------------------------------------------------

    def register(self, job: Job) -> None:
        """Decide whether, when and how the contractor registered the project at BPJS."""
        rng = self.rng.random
        as_of = self.as_of
        rate = job.opd.register if job.opd else 0.5
        if job.row["jenis_pekerjaan"] == "konsultansi":
            rate *= 0.85
        signed = job.row["tanggal_kontrak"]
        day: date | None = None
        if rng() < rate:
            if rng() < 0.2:
                day = self.after_working_days(job.deadline, 3 + int(rng() * 40))
                day = None if day > as_of else day
            else:
                day = self.after_working_days(signed, 1 + int(rng() * 10))
                if day > as_of:
                    day = as_of - DAY if as_of - DAY > signed else None
        if day is None and -2 <= (job.deadline - as_of).days <= 2 and as_of - DAY > signed:
            # No unregistered contract has its deadline within two days of the demo date.
            day = min(self.after_working_days(signed, 1 + int(rng() * 5)), as_of - DAY)
        if day is not None:
            self.registration(job, day)

    def registration(self, job: Job, day: date, cancellable: bool = True) -> None:
        rng = self.rng.random
        labels = job.labels
        original = job.row["nilai_kontrak"]
        if job.addenda and (all(a["tanggal_adendum"] < day for a in job.addenda) or rng() < 0.5):
            value, end = job.value, job.end
            labels.append("addendum_reported")
        else:
            value, end = original, job.row["tanggal_selesai"]
            if job.addenda:
                labels.append("addendum_not_reported")
        required = required_premium(value)
        # A registration cancelled by BPJS (on time and paid, so only the status protects nobody),
        # sometimes followed by a new one that supersedes it.
        cancelled = cancellable and not job.addenda and day <= job.deadline and rng() < 0.015
        r = rng()
        if r < 0.84 or cancelled:
            paid = required
        elif r < 0.88:
            paid = -(-required * 3 // 4)
            labels.append("instalment_75")
        elif r < 0.95:
            paid = -(-required // 2)
            labels.append("instalment_50")
        elif r < 0.98:
            paid = required // 4
            labels.append("instalment_25")
        else:
            paid = flat_rate_premium(value)
            labels.append("flat_rate_premium")
        status = "batal" if cancelled else "aktif"
        if cancelled:
            pass
        elif end < self.as_of:
            if rng() < 0.5:
                status = "berakhir"
        elif (end - self.as_of).days >= 3 and (self.as_of - job.start).days >= 3 and rng() < 0.006:
            status = "berakhir"
            labels.append("berakhir_early")
        vendor_name, vendor_typo = bpjs_vendor_name(job.vendor, self.rng)
        npwp = bpjs_npwp(job.vendor, rng())
        row: dict[str, Any] = {
            "nomor_registrasi": project_number(day.year, contract_project_id(job.serial, len(job.regs))),
            "npp": job.vendor.npp if rng() > 0.05 else None,
            "nomor_kontrak": job.row["nomor_kontrak"],
            "nama_proyek": bpjs_title(job.row["nama_paket"], self.year, self.rng),
            "penyedia": vendor_name,
            "npwp_penyedia": npwp,
            "nilai_kontrak_terdaftar": value,
            "iuran_dibayar": paid,
            "tanggal_daftar": day,
            "masa_awal": job.row["tanggal_mulai"] or job.start,
            "masa_akhir": end,
            "status": status,
        }
        if self.noise.name != "normal":
            self.registered_under_another_name(job, row)
            npwp = row["npwp_penyedia"]
        if vendor_typo:
            labels.append("vendor_name_typo")
        if npwp is None:
            labels.append("npwp_missing_in_registration")
        job.regs.append(Reg(row, self.blanker(self.number_noise(value == original))))
        if cancelled:
            labels.append("batal")
            again = self.after_working_days(day, 5 + int(rng() * 25))
            if rng() < 0.5 and again < self.as_of:
                again_row = {**row, "status": "aktif", "tanggal_daftar": again,
                             "nomor_registrasi": project_number(again.year, contract_project_id(job.serial, 1)),
                             "nama_proyek": bpjs_title(job.row["nama_paket"], self.year, self.rng)}
                job.regs.append(Reg(again_row))
                labels.append("superseded_registration")

    def number_noise(self, original_value: bool) -> str:
        """How the contractor typed the SPK number. A registration whose value was updated after
        an addendum keeps a readable number: with neither number nor value to go on, no matcher
        could find it, and the truth would ask for the impossible."""
        r = self.rng.random()
        noise = "exact"
        for kind, edge in _NUMBER_NOISE:
            if r < edge:
                noise = kind
                break
        if not original_value and noise not in ("exact", "reformat"):
            noise = "reformat"
        return noise

    # --- the high noise level (monitor.demo.plan.Noise) ----------------------------------------------

    def other_vendor(self, job: Job) -> Vendor:
        vendors = self.ctx.vendors
        other = vendors[int(len(vendors) * self.noise_rng.random())]
        return other if other is not job.vendor else vendors[(vendors.index(other) + 1) % len(vendors)]

    def won_by_consortium(self, job: Job) -> None:
        """A KSO of the vendor (lead) and a partner won the contract; SPSE names the consortium or
        only its lead, and the consortium's NPWP is often not the lead's."""
        rng = self.noise_rng.random
        job.partner = self.other_vendor(job)
        job.labels.append("kso_contract")
        if rng() < 0.6:
            job.row["penyedia"] = consortium_name(
                [contract_vendor_name(job.vendor, rng()), contract_vendor_name(job.partner, rng())], int(rng() * 6))
            if rng() < 0.5:
                job.row["npwp_penyedia"] = None

    def registered_under_another_name(self, job: Job, row: dict[str, Any]) -> None:
        """Who registered the project, when not the contract's vendor as the contract names it: the
        consortium under its own name, its lead, or its partner alone; or an unrelated firm."""
        noise, rng, labels = self.noise, self.noise_rng.random, job.labels
        if job.partner is not None:
            r = rng()
            if r < 0.4:
                names = [bpjs_vendor_name(member, self.noise_rng)[0] for member in (job.vendor, job.partner)]
                row["penyedia"] = consortium_name(names, int(rng() * 6))
                row["npwp_penyedia"] = None if rng() < 0.7 else row["npwp_penyedia"]
                labels.append("registered_by_consortium")
            elif r < 0.7:
                labels.append("registered_by_lead")
            else:
                row["penyedia"] = bpjs_vendor_name(job.partner, self.noise_rng)[0]
                row["npwp_penyedia"] = bpjs_npwp(job.partner, rng())
                labels.append("registered_by_partner")
        elif rng() < noise.other_name:
            other = self.other_vendor(job)
            row["penyedia"] = bpjs_vendor_name(other, self.noise_rng)[0]
            row["npwp_penyedia"] = bpjs_npwp(other, rng())
            labels.append("registered_under_other_name")
        if row["npwp_penyedia"] is not None and rng() < noise.blank_npwp:
            row["npwp_penyedia"] = None

    def blanker(self, number_noise: str) -> str:
        """At the high noise level, some numbers typed exactly are left blank instead."""
        if number_noise == "exact" and self.noise.blank_number and self.noise_rng.random() < self.noise.blank_number:
            return "blank"
        return number_noise

    def register_split(self, job: Job) -> bool:
        """The one registration of a split package: on time, paid, aktif, and its number left
        blank, so nothing tells which of the two identical contracts it is for."""
        signed = job.row["tanggal_kontrak"]
        day = min(self.after_working_days(signed, 2), self.as_of - DAY)
        if day <= signed:
            return False
        self.registration(job, day, cancellable=False)
        reg = job.regs[-1]
        reg.row.update(status="aktif", iuran_dibayar=required_premium(job.value))
        reg.noise = "blank"
        job.labels[:] = [label for label in job.labels if not label.startswith(("instalment", "flat", "berakhir"))]
        job.labels.append("split_package")
        job.ambiguous = True
        return True

    # --- SP2D ---------------------------------------------------------------------------------------

    def add_payments(self, job: Job) -> None:
        """Advance, progress and final payments that BPKAD disbursed by the demo date."""
        rng = self.rng.random
        value, start, end = job.value, job.start, job.end
        span = max((end - start).days, 1)
        plan: list[tuple[date, int, str]] = []
        paid = 0
        if value >= 200_000_000 and rng() < 0.5:
            share = 30 if rng() < 0.6 else 20
            advance = value * share // 100
            plan.append((start + _DAYS[7 + int(rng() * 14)], advance, f"Uang Muka {share}%"))
            paid += advance
        if span > 60 and rng() < 0.8:
            progress = value // 2 - paid // 2
            plan.append((start + _DAYS[span // 2 + int(rng() * 15)], progress, "Termin I (50%)"))
            paid += progress
        retention = value * 5 // 100 if value > 200_000_000 and rng() < 0.5 else 0
        plan.append((end + _DAYS[5 + int(rng() * 25)], value - paid - retention,
                     "Termin Akhir (95%)" if retention else "Pelunasan 100%"))
        registered = {reg.row["tanggal_daftar"] for reg in job.regs}
        opd_text = (job.opd.name if rng() < 0.75 else job.opd.code) if job.opd else job.opd_key
        number = job.row["nomor_kontrak"]
        for k, (planned, amount, stage) in enumerate(plan):
            if planned > self.as_of:
                continue
            when = self.working_day_on_or_after(planned)
            while when in registered:  # never on a registration day itself: no finding hangs on a tie
                when = self.working_day_on_or_after(when + DAY)
            if when > self.as_of or amount <= 0:
                continue
            job.payments.append({
                "nomor_sp2d": f"{(job.serial * 4 + k) * 7 % 10_000_000:07d}/SP2D-LS/BPKAD/{self.year}",
                "tanggal_sp2d": when,
                "nomor_kontrak": number,
                "opd": opd_text,
                "nilai": amount,
                "uraian": f"Pembayaran {stage} {job.row['nama_paket']}",
            })


def flat_rate_premium(value: int) -> int:
    """What a contractor pays who applies the top band's rate to the whole value (a common
    misreading of the marginal tariff): less than the premium due above Rp 100 juta."""
    for lower, rate in ((5_000_000_000, 10), (1_000_000_000, 12), (500_000_000, 15), (100_000_000, 19)):
        if value > lower:
            return (value * rate + 5_000) // 10_000
    return required_premium(value)
