"""Generate the synthetic child-level health visiting records in sample_data/hv_records/.

Run from the repository root: ``uv run python sample_data/hv_records/generate_hv_records.py``. Deterministic (numpy
RNG seeded with SEED): running it again rewrites a byte-identical file.

Every child is synthetic. The extract is built so that the KPIs derived from it (docs/methods.md section 10) agree
exactly with provider ZZ1's 2026-27 Q2 return (../provider_returns/mandated_contacts_2026-27_Q2.csv) in every
locality x decile cell of C1-C6viii, but one planted disagreement: in WEST decile 3 two new birth visits the
return counts within 14 days were on day 15 (C2 20 of 24 derived against 22 returned; C3 4 against 2). For each
cell the children of each cohort of the quarter are made with dates of birth that put them in that cohort, living
in the cell's LSOAs (2021 codes, the sample's locality lookup; deciles on IoD2025, the index of 2026-27 Q2):

* new birth visits: born 2 July - 1 September 2026 (the published Q2 window); those born by 5 August also turned
  8 weeks in the quarter and are the 6-8 week cohort; a 6-8 week cohort larger than the cell's new birth visit
  cohort is made up with children who moved in at 5 weeks (not in the new birth visit cohort);
* C1: mothers seen antenatally in the quarter, children born 1 October - 15 November 2026;
* C4: born July - September 2025; C5: born April - June 2025; C6: born January - March 2024, who also had their
  earlier reviews (most of them), so the longitudinal measure has values.

Ethnic categories, practitioners, places and additional telephone or video contacts are drawn at plausible rates
(most antenatal reviews by a SCPHN at home, a little under DHSC's 98%). Only the quarter 2026-27 Q2 is consistent
with the return: the cohorts of other quarters hold only the children made for this one.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RETURN = ROOT / "sample_data" / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"
LOCALITIES = ROOT / "sample_data" / "reference" / "trafford_localities_lsoa21.csv"
LOOKUP = ROOT / "reference" / "lsoa21_imd2025.parquet"
OUT = HERE / "hv_records_ZZ1.csv.gz"
TABLES = HERE / "csds_tables"
#: BREASTFEEDING STATUS -> a SNOMED CT finding of it (CYP202.CodedFinding)
SNOMED_STATUS = {"01": "169741004", "02": "169743001", "03": "169746009"}
SEED = 20262
PLANTED = ("WEST", "3", 2)  # locality, decile, NBVs on day 15 the return counted within 14 days
HEADER = (
    "LocalPatientId,DateOfBirth,Gender,EthnicCategory,LSOA2021,ReferralRequest_ReceivedDate,Discharge_Date,"
    "DateOfDeath,CareContactId,Contact_Date,ConsMechanism,Activity_LocationType,AttendanceStatus,Activity_Type,"
    "practitioner_role,BreastFeedingStatus,asq3_questionnaire,asq3_communication,asq3_gross_motor,"
    "asq3_fine_motor,asq3_problem_solving,asq3_personal_social"
).split(",")
ETHNIC = ["A"] * 62 + ["B", "C"] * 3 + ["D", "E", "F", "G"] + ["H", "J", "K", "L"] * 3 + ["M", "N", "P"] * 2
ETHNIC += ["R", "S"] + ["Z"] * 8
DOMAINS = ("C6iii", "C6iv", "C6v", "C6vi", "C6vii")


class Extract:
    """The rows being written, and the RNG."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(SEED)
        self.rows: list[list[str]] = []
        self.children = 0
        self.contacts = 0

    def pick(self, items):
        return items[int(self.rng.integers(len(items)))]

    def day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=int(self.rng.integers((end - start).days + 1)))

    def child(self, lsoa: str, born: dt.date, start: dt.date | None = None) -> dict:
        self.children += 1
        return {
            "LocalPatientId": f"SYN{self.children:06d}",
            "DateOfBirth": born.isoformat(),
            "Gender": self.pick(["1", "2"]),
            "EthnicCategory": self.pick(ETHNIC),
            "LSOA2021": lsoa,
            "ReferralRequest_ReceivedDate": start.isoformat() if start else "",
        }

    def contact(
        self, child: dict, on: dt.date, activity: str, role: str, place: str, medium: str = "01", **more
    ):
        self.contacts += 1
        row = {**child, "CareContactId": f"C{self.contacts:07d}", "Contact_Date": on.isoformat()}
        row |= {"ConsMechanism": medium, "Activity_LocationType": place, "AttendanceStatus": "5"}
        row |= {"Activity_Type": activity, "practitioner_role": role, **more}
        self.rows.append([row.get(name, "") for name in HEADER])

    def alone(self, child: dict) -> None:
        """A child without contacts: one row with blank contact fields."""
        self.rows.append([child.get(name, "") for name in HEADER])

    def review_practitioner(self, review: str) -> tuple[str, str]:
        if review == "antenatal":
            return (
                ("SCPHN", "A01") if self.rng.random() < 0.95 else (self.pick(["STAFF_NURSE", "SCPHN"]), "B01")
            )
        if review in ("08", "09"):
            role = self.pick(["SCPHN"] * 7 + ["STAFF_NURSE", "NURSERY_NURSE", "FNP"])
            return role, self.pick(["A01"] * 6 + ["B01", "K01"])
        role = self.pick(["SCPHN"] * 4 + ["NURSERY_NURSE"] * 3 + ["STAFF_NURSE", "HV_ASSISTANT", "FNP"])
        return role, self.pick(["A01", "B01", "B01", "K01", "K01", "C01", "X01"])

    def review(self, child: dict, on: dt.date, activity: str, **more) -> None:
        role, place = self.review_practitioner(activity)
        self.contact(child, on, activity, role, place, **more)

    def extra_contact(self, child: dict, quarter: tuple[dt.date, dt.date]) -> None:
        """Now and then an additional contact by telephone or video (not a review)."""
        if self.rng.random() < 0.15:
            self.contact(
                child, self.day(*quarter), "04", "SCPHN", "X01", medium=self.pick(["02", "02", "11", "05"])
            )


def cells() -> dict[tuple[str, str], dict[str, tuple[int, int | None]]]:
    """The Q2 return's locality x decile cells: KPI -> (numerator, denominator)."""
    frame = pl.read_csv(RETURN, infer_schema_length=0).filter(
        pl.col("imd_decile").is_not_null() & (pl.col("imd_decile") != "") & (pl.col("locality_code") != "ALL")
    )
    out: dict = {}
    for row in frame.iter_rows(named=True):
        den = row["denominator"]
        out.setdefault((row["locality_code"], row["imd_decile"]), {})[row["metric_code"]] = (
            int(float(row["numerator"])),
            None if den in (None, "") else int(float(den)),
        )
    return out


def lsoas() -> dict[tuple[str, str], list[str]]:
    """The sample's LSOAs (2021) of each locality x IoD2025 decile, the index of 2026-27 Q2's cells."""
    frame = pl.read_csv(LOCALITIES).join(
        pl.read_parquet(LOOKUP).select("lsoa_code", "imd_decile"), on="lsoa_code"
    )
    out: dict = {}
    for code, locality, decile in (
        frame.select("lsoa_code", "locality_code", "imd_decile").sort("lsoa_code").iter_rows()
    ):
        out.setdefault((locality, str(decile)), []).append(code)
    return out


def new_births_and_8_weeks(x: Extract, lsoa, cell: dict, planted: int) -> None:
    """C2, C3 (turned 30 days in Q2) and C8i, C8ii (turned 8 weeks in Q2)."""
    (n2, d2), (n3, _) = cell["C2"], cell["C3"]
    (n8, d8), (nbf, _) = cell["C8i"], cell["C8ii"]
    both = min(d2, d8)
    born = [x.day(dt.date(2026, 7, 2), dt.date(2026, 8, 5)) for _ in range(d8)]
    born += [x.day(dt.date(2026, 8, 6), dt.date(2026, 9, 1)) for _ in range(d2 - both)]
    children = []
    for i, birth in enumerate(born):
        moved_in = both <= i < d8  # in the 6-8 week cohort only: moved in at 5 weeks
        children.append(
            (x.child(lsoa(), birth, birth + dt.timedelta(days=35) if moved_in else None), birth, i)
        )
    nbv = [c for c in children if not (both <= c[2] < d8)]
    for rank, (child, birth, _) in enumerate(nbv):
        if rank < n2 + n3:
            on_day = int(x.rng.integers(7, 15)) if rank < n2 - planted else int(x.rng.integers(15, 31))
            if planted and n2 - planted <= rank < n2:
                on_day = 15
            x.review(child, birth + dt.timedelta(days=on_day), "08")
    eight = [c for c in children if c[2] < d8]
    late = max(nbf - n8, 0)
    for rank, (child, birth, _) in enumerate(eight):
        status = "01" if rank < nbf // 2 else ("02" if rank < nbf else "03")
        if rank < n8:
            x.review(
                child,
                birth + dt.timedelta(days=int(x.rng.integers(42, 57))),
                "09",
                BreastFeedingStatus=status,
            )
        elif rank < n8 + late:
            x.review(
                child,
                birth + dt.timedelta(days=int(x.rng.integers(57, 64))),
                "09",
                BreastFeedingStatus=status,
            )
    for child, _, _ in children:
        x.alone(child)


def antenatal(x: Extract, lsoa, cell: dict) -> None:
    """C1: children whose mothers were seen antenatally in Q2 (born after the quarter)."""
    for _ in range(cell["C1"][0]):
        birth = x.day(dt.date(2026, 10, 1), dt.date(2026, 11, 15))
        child = x.child(lsoa(), birth)
        role, place = x.review_practitioner("antenatal")
        x.contact(child, x.day(dt.date(2026, 7, 1), dt.date(2026, 9, 30)), "97", role, place)


def one_year(x: Extract, lsoa, cell: dict) -> None:
    """C4 (turned 12 months in Q2) and C5 (turned 15 months in Q2)."""
    n4, d4 = cell["C4"]
    for rank in range(d4):
        birth = x.day(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
        child = x.child(lsoa(), birth)
        if rank < n4:
            x.review(child, birth + dt.timedelta(days=int(x.rng.integers(300, 360))), "10")
        x.alone(child)
    n5, d5 = cell["C5"]
    for rank in range(d5):
        birth = x.day(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
        child = x.child(lsoa(), birth)
        if rank < n5:
            x.review(child, birth + dt.timedelta(days=int(x.rng.integers(300, 440))), "10")
        x.extra_contact(child, (dt.date(2026, 7, 1), dt.date(2026, 9, 30)))
        x.alone(child)


def _asq_scores(cell: dict) -> list[list[str]]:
    """ASQ-3 scores (27-month questionnaire) per child using it that make the cell's C6iii-viii counts.

    60 is at or above every domain's cut-off, 5 below. The first C6viii children are at or above in all five; each
    later child is below in at least one domain (the one with most children still to place below), so no other
    child is at or above in all five.
    """
    used, all_five = cell["C6ii"][0], cell["C6viii"][0]
    scored = [cell[code][1] for code in DOMAINS]
    below_left = [cell[code][1] - cell[code][0] for code in DOMAINS]
    below = [set() for _ in DOMAINS]
    for rank in range(all_five, used):
        open_domains = [d for d in range(5) if rank < scored[d] and below_left[d] > 0]
        if open_domains:
            d = max(open_domains, key=lambda d: below_left[d])
            below[d].add(rank)
            below_left[d] -= 1
    for d in range(5):  # the rest of each domain's children below it
        for rank in range(scored[d] - 1, all_five - 1, -1):
            if below_left[d] == 0:
                break
            if rank not in below[d]:
                below[d].add(rank)
                below_left[d] -= 1
    return [
        ["" if rank >= scored[d] else ("5" if rank in below[d] else "60") for d in range(5)]
        for rank in range(used)
    ]


def two_years(x: Extract, lsoa, cell: dict) -> None:
    """C6i-viii (turned 2 1/2 in Q2), with their earlier reviews for the longitudinal measure."""
    n6, d6 = cell["C6i"]
    used = cell["C6ii"][0]
    scores = _asq_scores(cell)
    for rank in range(d6):
        birth = x.day(dt.date(2024, 1, 1), dt.date(2024, 3, 31))
        child = x.child(lsoa(), birth)
        if x.rng.random() < 0.9:
            x.review(child, birth + dt.timedelta(days=int(x.rng.integers(8, 15))), "08")
        if x.rng.random() < 0.85:
            x.review(child, birth + dt.timedelta(days=int(x.rng.integers(42, 57))), "09")
        if x.rng.random() < 0.8:
            x.review(child, birth + dt.timedelta(days=int(x.rng.integers(300, 420))), "10")
        if rank < n6:
            on = birth + dt.timedelta(days=int(x.rng.integers(760, 880)))
            asq = ["27", *scores[rank]] if rank < used else [""] * 6
            names = ("asq3_questionnaire", "asq3_communication", "asq3_gross_motor", "asq3_fine_motor")
            names += ("asq3_problem_solving", "asq3_personal_social")
            x.review(child, on, "11", **dict(zip(names, asq, strict=True)))
        x.alone(child)


def build() -> Extract:
    """Every child and contact of the sample, in the extract's rows."""
    x = Extract()
    areas = lsoas()
    for (locality, decile), cell in sorted(cells().items()):
        pool = areas.get((locality, decile), [""])  # decile U: no LSOA

        def lsoa(pool=pool) -> str:
            return x.pick(pool)

        planted = PLANTED[2] if (locality, decile) == PLANTED[:2] else 0
        new_births_and_8_weeks(x, lsoa, cell, planted)
        antenatal(x, lsoa, cell)
        one_year(x, lsoa, cell)
        two_years(x, lsoa, cell)
    return x


def _gzip_csv(header, rows) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return gzip.compress(text.getvalue().encode(), mtime=0)


def generate() -> bytes:
    """The joined extract: one row per care contact, the child's fields repeated on each."""
    return _gzip_csv(HEADER, build().rows)


def generate_tables() -> dict[str, bytes]:
    """The same children as a CSDS submission's separate tables (file name -> gzip CSV bytes).

    CYP001 (person), CYP101 (one referral per child), CYP201 (care contacts), CYP202 (one care activity per
    contact, its practitioner in CYP901), CYP610 (breastfeeding status) and CYP612 (ASQ-3, one row per domain).
    The 6-8 week reviews of even-numbered contacts carry their breastfeeding status as a SNOMED CT finding in
    CYP202 instead of a CYP610 row.
    """
    from kpi.hvrecords.schema import ASQ_DOMAINS, ASQ_SNOMED

    asq_code = {value: code for code, value in ASQ_SNOMED.items()}
    people, referrals, contacts, activities, statuses, scores, staff = {}, [], [], [], [], [], {}
    for row in build().rows:
        r = dict(zip(HEADER, row, strict=True))
        child = r["LocalPatientId"]
        if child not in people:
            people[child] = [child, r["DateOfBirth"], r["Gender"], r["EthnicCategory"], r["LSOA2021"]]
            people[child].append(r["DateOfDeath"])
            referrals.append([f"R{child}", child, r["ReferralRequest_ReceivedDate"], r["Discharge_Date"]])
        if not r["Contact_Date"]:
            continue
        contact = r["CareContactId"]
        contacts.append([contact, child, f"R{child}", r["Contact_Date"], r["ConsMechanism"]])
        contacts[-1] += [r["Activity_LocationType"], r["AttendanceStatus"]]
        professional = f"HV-{r['practitioner_role']}"
        staff[professional] = [professional, r["practitioner_role"]]
        status = r["BreastFeedingStatus"]
        coded = SNOMED_STATUS[status] if status and int(contact[1:]) % 2 == 0 else ""
        activities.append([f"A{contact[1:]}", contact, r["Activity_Type"], professional, coded])
        if status and not coded:
            statuses.append([f"A{contact[1:]}", status])
        if r["asq3_questionnaire"]:
            for domain in ASQ_DOMAINS:
                if r[f"asq3_{domain}"]:
                    code = asq_code[(r["asq3_questionnaire"], domain)]
                    scores.append([f"A{contact[1:]}", code, r[f"asq3_{domain}"]])
    return {
        "CYP001_ZZ1.csv.gz": _gzip_csv(
            ["LocalPatientID", "DateOfBirth", "Gender", "EthnicCategory", "LSOA2021", "DateOfDeath"],
            list(people.values()),
        ),
        "CYP101_ZZ1.csv.gz": _gzip_csv(
            ["ServiceRequestID", "LocalPatientID", "ReferralRequest_ReceivedDate", "Discharge_Date"],
            referrals,
        ),
        "CYP201_ZZ1.csv.gz": _gzip_csv(
            ["CareContactID", "LocalPatientID", "ServiceRequestID", "Contact_Date", "ConsMechanism"]
            + ["Activity_LocationType", "AttendanceStatus"],
            contacts,
        ),
        "CYP202_ZZ1.csv.gz": _gzip_csv(
            ["CareActivityID", "CareContactID", "Activity_Type", "CareProfessionalID_Local", "CodedFinding"],
            activities,
        ),
        "CYP610_ZZ1.csv.gz": _gzip_csv(["CareActivityID", "BreastFeedingStatus"], statuses),
        "CYP612_ZZ1.csv.gz": _gzip_csv(["CareActivityID", "SNOMED_ID", "Score"], scores),
        "CYP901_ZZ1.csv.gz": _gzip_csv(
            ["CareProfessionalID_Local", "practitioner_role"], list(staff.values())
        ),
    }


if __name__ == "__main__":
    OUT.write_bytes(generate())
    print(f"wrote {OUT.relative_to(ROOT)}")
    TABLES.mkdir(exist_ok=True)
    for name, data in generate_tables().items():
        (TABLES / name).write_bytes(data)
        print(f"wrote {(TABLES / name).relative_to(ROOT)}")
