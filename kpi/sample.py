"""Build the marked sample database from ``sample_data/``: Trafford's real localities, synthetic returns.

Every page of a sample database says "Sample data: synthetic figures". The provider returns are loaded through the
same loader as a real return, with the receipt times of ``sample_data/provider_returns/manifest.csv`` so the late
return and the resubmission appear as they would in life; the NCMP and outcome files go through the one load
pipeline (:func:`kpi.ingest.pipeline.run_load`, with the spec ``hcp load`` names them by), and the last review
meeting with its actions and risks through the same calls as the Meetings page. The database is built in a
temporary file and moved into place only when complete.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from kpi.access.principal import local_principal
from kpi.core.councils import add_provider, init_council, load_localities
from kpi.core.store import ROOT, Store, StoreError, ensure_not_held, replace_database
from kpi.ingest.pipeline import LoadResult, run_load
from kpi.returns.load import WRITTEN, load_return

SAMPLE_DIR = ROOT / "sample_data"
NCMP_DIR = SAMPLE_DIR / "ncmp"
#: England's NCMP prevalence figures (:data:`kpi.ncmp.benchmarks.ENGLAND_COLUMNS`), loaded into the sample.
NCMP_ENGLAND_FILE = NCMP_DIR / "england_ncmp.csv"
#: The synthetic child-level health visiting records of provider ZZ1 (sample_data/hv_records/).
HV_RECORDS_FILE = SAMPLE_DIR / "hv_records" / "hv_records_ZZ1.csv.gz"
#: The same extract as a CSDS submission's separate tables (CYP001, CYP101, CYP201, CYP202, CYP610, CYP612, CYP901).
HV_RECORDS_TABLES = SAMPLE_DIR / "hv_records" / "csds_tables"
COUNCIL_CODE = "E08000009"
REGION_CODE, REGION_NAME = "E12000002", "North West"
PROVIDER_CODE = "ZZ1"
PROVIDER_NAME = "Sample Community Health NHS Trust (synthetic)"
CONTRACT_NAME = "0-19 Healthy Child Programme (sample contract)"
ACTOR = "sample"
#: Who builds the sample: the local user at this computer, named "sample" in the audit log (a new file, no one
#: else's data).
PRINCIPAL = local_principal(ACTOR)


def build_sample(target: Path, *, force: bool = False) -> str:
    """Build the sample database at ``target``; returns a one-paragraph summary."""
    target = Path(target)
    if target.exists() and not force:
        raise StoreError(f"a database already exists at {target}: remove it or run 'hcp sample --force'")
    ensure_not_held(target)  # never build a replacement for a file the running dashboard holds
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(target.name + ".building")
    leftovers = (building, Path(str(building) + ".wal"))
    for leftover in leftovers:
        leftover.unlink(missing_ok=True)
    try:
        with Store.open(building) as store:
            init_council(
                store,
                COUNCIL_CODE,
                region_code=REGION_CODE,
                region_name=REGION_NAME,
                principal=PRINCIPAL,
                is_sample=True,
            )
            add_provider(
                store, COUNCIL_CODE, PROVIDER_CODE, PROVIDER_NAME, CONTRACT_NAME, principal=PRINCIPAL
            )
            # on LSOAs of 2021; older NCMP years give 2011 codes, mapped through the exact-fit lookup
            localities_file = SAMPLE_DIR / "reference" / "trafford_localities_lsoa21.csv"
            report = load_localities(
                store,
                COUNCIL_CODE,
                localities_file.read_bytes(),
                localities_file.name,
                principal=PRINCIPAL,
                loaded_at=datetime(2022, 4, 1),
            )
            if not report.ok:
                raise StoreError("the sample localities did not load:\n" + report.to_text())
            loaded = _load_returns(store)
            extras = _load_extras(store) + _record_meeting(store)
        replace_database(building, target)
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
    return (
        f"sample database built at {target}: Trafford ({COUNCIL_CODE}), 4 localities, {loaded} provider returns"
        f"{extras}. All KPI values are synthetic."
    )


def _load_returns(store: Store) -> int:
    manifest = pl.read_csv(SAMPLE_DIR / "provider_returns" / "manifest.csv", infer_schema_length=0)
    manifest = manifest.with_columns(pl.col("received_at").str.to_datetime()).sort("received_at")
    count = 0
    for row in manifest.iter_rows(named=True):
        path = SAMPLE_DIR / "provider_returns" / row["file"]
        result = load_return(
            store,
            path.read_bytes(),
            path.name,
            council_code=COUNCIL_CODE,
            provider_code=PROVIDER_CODE,
            principal=PRINCIPAL,
            source="sample",
            accept_warnings=True,
            reason="sample data: synthetic return",
            received_at=row["received_at"],
        )
        if result.outcome != WRITTEN:
            raise StoreError(f"the sample return {path.name} did not load:\n{result.report.to_text()}")
        count += 1
    return count


def _record_meeting(store: Store) -> str:
    """The last review meeting, its actions and the risk log, recorded as the Meetings page records them.

    Read from sample_data/meetings/meetings.toml; returns text for the summary.
    """
    import tomllib

    from kpi.contract import actions, meetings, risks

    with open(SAMPLE_DIR / "meetings" / "meetings.toml", "rb") as file:
        declared = tomllib.load(file)
    meeting_id = meetings.record_meeting(
        store, COUNCIL_CODE, provider_code=PROVIDER_CODE, principal=PRINCIPAL, **declared["meeting"]
    )
    for action in declared["action"]:
        actions.add_action(
            store,
            COUNCIL_CODE,
            provider_code=PROVIDER_CODE,
            meeting_id=meeting_id,
            principal=PRINCIPAL,
            **action,
        )
    for risk in declared["risk"]:
        risks.add_risk(store, COUNCIL_CODE, provider_code=PROVIDER_CODE, principal=PRINCIPAL, **risk)
    return (
        f", the meeting of {declared['meeting']['meeting_date']} with {len(declared['action'])} actions and "
        f"{len(declared['risk'])} risks"
    )


def _load_extras(store: Store) -> str:
    """Hook for later datasets (benchmarks, NCMP, outcomes); returns text for the summary."""
    from kpi.contract import benchmarks as benchmarks

    loaded = benchmarks.seed_sample(store, COUNCIL_CODE, principal=PRINCIPAL)
    hv = _load_file(
        store, "hv-records", HV_RECORDS_FILE, datetime(2026, 11, 21, 9), provider_code=PROVIDER_CODE
    )
    return (
        f", {loaded} England benchmark values"
        + _load_outcomes(store)
        + _load_ncmp(store)
        + _load_peers(store)
        + f", {hv.message}"
    )


def _load_peers(store: Store) -> str:
    """Trafford's comparator groups (reference/) and every other council's synthetic figures (sample_data/fingertips/).

    The all-councils export is gzipped in the repository; it is loaded as ``hcp load fingertips`` loads the CSV.
    """
    import gzip

    from kpi.cli.datasets import dataset_spec
    from kpi.outcomes.peers import ensure_reference_groups

    groups = ensure_reference_groups(store, COUNCIL_CODE, principal=PRINCIPAL, loaded_at=datetime(2025, 6, 2))
    path = SAMPLE_DIR / "fingertips" / "fingertips_all_areas_synthetic.csv.gz"
    result = run_load(
        store,
        dataset_spec("fingertips"),
        gzip.decompress(path.read_bytes()),
        path.name.removesuffix(".gz"),
        council_code=COUNCIL_CODE,
        principal=PRINCIPAL,
        source="sample",
        loaded_at=datetime(2026, 11, 2),
    )
    if result.outcome != WRITTEN:
        raise StoreError(f"the sample file {path.name} did not load:\n{result.report.to_text()}")
    return (
        f", {len(groups)} comparator groups and {result.report.rows_read} other councils' values (synthetic)"
    )


def _load_ncmp(store: Store) -> str:
    """England's NCMP figures, then four academic years of eligible pupils and synthetic children (sample_data/ncmp/).

    The files and their load times are ``sample_data/ncmp/manifest.csv`` (``file, dataset, loaded_at``).
    """
    from kpi.ncmp.benchmarks import load_ncmp_benchmarks

    england = pl.read_csv(NCMP_ENGLAND_FILE, infer_schema_length=0)
    load_ncmp_benchmarks(store, COUNCIL_CODE, england, loaded_at=datetime(2022, 4, 1), principal=PRINCIPAL)
    manifest = pl.read_csv(NCMP_DIR / "manifest.csv", infer_schema_length=0).sort("loaded_at")
    children = 0
    for row in manifest.iter_rows(named=True):
        loaded_at = datetime.fromisoformat(row["loaded_at"])
        result = _load_file(store, row["dataset"], NCMP_DIR / row["file"], loaded_at)
        if row["dataset"] == "ncmp":
            children += result.report.rows_read
    return f", {children} NCMP children (synthetic) and {england.height} England NCMP values"


def _load_outcomes(store: Store) -> str:
    """The synthetic Fingertips export and local outcome measures (sample_data/fingertips/, outcome_measures/)."""
    files = (
        ("fingertips", SAMPLE_DIR / "fingertips" / "fingertips_trafford_synthetic.csv", datetime(2025, 6, 2)),
        (
            "outcome-measures",
            SAMPLE_DIR / "outcome_measures" / "local_outcome_measures.csv",
            datetime(2026, 10, 20),
        ),
    )
    rows = sum(_load_file(store, *file).report.rows_read for file in files)
    return f", {rows} outcome values (synthetic Fingertips export and local measures)"


def _load_file(store: Store, dataset: str, path: Path, loaded_at: datetime, **options) -> LoadResult:
    """Load one sample file through the load pipeline as the ``hcp load`` dataset ``dataset`` would be.

    Raises:
        StoreError: the file did not load; the message carries its report.
    """
    from kpi.cli.datasets import dataset_spec

    result = run_load(
        store,
        dataset_spec(dataset),
        path.read_bytes(),
        path.name,
        council_code=COUNCIL_CODE,
        principal=PRINCIPAL,
        source="sample",
        loaded_at=loaded_at,
        **options,
    )
    if result.outcome != WRITTEN:
        raise StoreError(f"the sample file {path.name} did not load:\n{result.report.to_text()}")
    return result
