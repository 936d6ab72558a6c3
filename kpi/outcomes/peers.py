"""Comparator groups as data: DfE statistical neighbours, the NHS England peer group and a council's own lists.

Who a council is compared with (docs/methods.md section 9) is dated data in the database (``comparator_group_loads``
and ``comparator_group_members``, ``sql/schema/009_comparator_groups.sql``):

* **DfE statistical neighbours** (``dfe-sn``): DfE's Children's Services Statistical Neighbours of May 2025, the ten
  councils closest to each upper-tier LA, in DfE's order (rank 1 = closest) with DfE's closeness band; in force
  from 1 May 2025 (DfE's list changed then);
* **NHS England peer group** (``nhse-peers``): the local authority peer group Fingertips adopted in May 2024,
  unordered; shipped for Trafford only (the reference holds no other council's);
* **a council's own list** (``hcp load peers FILE --name NAME``, e.g. the CIPFA nearest neighbours it licenses):
  checked against the 153 upper-tier LAs (every problem at once, :mod:`kpi.outcomes.peer_rules`), stored in one
  transaction with the raw file, audited; a newer load of the same name supersedes the older, which stays in history.

The reference groups are copied from ``reference/`` when a council is set up (:func:`ensure_reference_groups`). Which
groups apply is the dated setting ``comparator_groups`` (group codes, in order); every council is also placed among
all English councils and among its region's (:func:`kpi.outcomes.comparison.comparison_groups`).

Example:
    >>> group_code("CIPFA nearest neighbours 2025")
    'cipfa-nearest-neighbours-2025'
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

import polars as pl

from kpi.access.principal import Principal
from kpi.access.rules import require
from kpi.core import periods as periods
from kpi.core.resources import data_dir
from kpi.core.store import Store, setting
from kpi.ingest import pipeline
from kpi.ingest.files import ReadError, read_text_table, sha256
from kpi.ingest.report import Report
from kpi.ingest.rules import check_rules
from kpi.outcomes import peer_rules as rules

REFERENCE_DIR = data_dir("reference")
UPPER_TIER_FILE = REFERENCE_DIR / "upper_tier_las.csv"
DFE_FILE = REFERENCE_DIR / "dfe_statistical_neighbours_2025.csv"
NHSE_FILE = REFERENCE_DIR / "nhse_peer_group_trafford_2024.csv"
DFE_CODE, NHSE_CODE = "dfe-sn", "nhse-peers"
DFE_NAME = "DfE statistical neighbours (May 2025)"
NHSE_NAME = "NHS England peer group (2024)"
DFE_VALID_FROM = date(2025, 5, 1)
NHSE_VALID_FROM = date(2024, 5, 1)
#: ONS 2025 codes of councils recoded since the ONS 2024 codes the reference uses -> their 2024 code (reference/README.md).
RECODED_2025 = {"E08000038": "E08000016", "E08000039": "E08000019"}  # Barnsley, Sheffield
#: The dated setting naming the groups a council is compared with.
GROUPS_SETTING = "comparator_groups"
DATASET = "peers"
MEMBER_COLUMNS = ("member_code", "member_name", "member_rank", "closeness")


@lru_cache(maxsize=1)
def upper_tier_las() -> pl.DataFrame:
    """The 153 English upper-tier LAs (``reference/upper_tier_las.csv``): code, name, DfE number, region.

    Example:
        >>> upper_tier_las().filter(pl.col("area_code") == "E08000009").row(0)
        ('E08000009', 'Trafford', '358', 'North West', 'E12000002')
    """
    return pl.read_csv(UPPER_TIER_FILE, infer_schema_length=0)


def to_2024_codes(codes: pl.Expr) -> pl.Expr:
    """Council codes as the reference writes them (ONS 2024): Barnsley's and Sheffield's 2025 codes mapped back.

    Example:
        >>> pl.select(to_2024_codes(pl.lit("E08000038"))).item()
        'E08000016'
    """
    return codes.replace(RECODED_2025)


def group_code(name: str) -> str:
    """The code of a council's own group: its name in lower case, words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]


# ---- the reference groups ----------------------------------------------------------------------------------------


def reference_members(council_code: str) -> dict[str, pl.DataFrame]:
    """The council's members of each reference group (:data:`MEMBER_COLUMNS`), by group code; absent when none."""
    code = council_code.upper()
    dfe = pl.read_csv(DFE_FILE, infer_schema_length=0).filter(pl.col("area_code") == code)
    nhse = pl.read_csv(NHSE_FILE, infer_schema_length=0).filter(pl.col("area_code") == code)
    found = {
        DFE_CODE: dfe.select(
            pl.col("neighbour_code").alias("member_code"),
            pl.col("neighbour_name").alias("member_name"),
            pl.col("rank").cast(pl.Int32).alias("member_rank"),
            "closeness",
        ).sort("member_rank"),
        NHSE_CODE: nhse.select(
            pl.col("peer_code").alias("member_code"),
            pl.col("peer_name").alias("member_name"),
            pl.lit(None, dtype=pl.Int32).alias("member_rank"),
            pl.lit(None, dtype=pl.String).alias("closeness"),
        ),
    }
    return {name: frame for name, frame in found.items() if frame.height}


_REFERENCE = {
    DFE_CODE: (DFE_NAME, "dfe", True, DFE_VALID_FROM, DFE_FILE),
    NHSE_CODE: (NHSE_NAME, "nhse", False, NHSE_VALID_FROM, NHSE_FILE),
}


def ensure_reference_groups(
    store: Store, council_code: str, *, principal: Principal, loaded_at: datetime | None = None
) -> list[str]:
    """Copy the council's reference groups into the database unless already there; returns the codes written.

    Idempotent: a group whose reference file (by SHA-256) is already loaded for the council is left alone; a changed
    reference file supersedes the earlier copy. One transaction, audited. ``loaded_at`` (default now) dates the copy.
    """
    require(principal, "set_up")
    members = reference_members(council_code)
    written: list[str] = []
    with store.transaction() as cur:
        for code, frame in members.items():
            name, kind, ranked, valid_from, path = _REFERENCE[code]
            data = path.read_bytes()
            digest = sha256(data)
            found = cur.execute(
                "select count(*) from comparator_group_loads where council_code = ? and group_code = ? "
                "and file_sha256 = ? and superseded_at is null",
                [council_code, code, digest],
            ).fetchone()[0]
            if found:
                continue
            report = Report(file_name=path.name, sha256=digest)
            at = loaded_at or periods.now()
            run = pipeline.LoadRun(store, council_code, principal, report, data, "reference", None, at)
            _write_group(cur, run, code, name, kind, ranked, valid_from, frame, keep_file=False)
            written.append(code)
        if written:
            store.audit(
                "comparator groups loaded",
                actor=principal.email,
                council_code=council_code,
                subject=", ".join(written),
                detail={"groups": written, "source": "reference"},
                cur=cur,
            )
    return written


def _write_group(cur, run, code, name, kind, ranked, valid_from, members, *, keep_file: bool) -> int:
    """Insert one group load and its members, superseding the council's current load of the same group."""
    load_id = pipeline.insert_load(
        cur,
        run,
        "comparator_group_loads",
        "group_load_id",
        keep_file=keep_file,
        supersede={"council_code": run.council_code, "group_code": code},
        group_code=code,
        group_name=name,
        group_kind=kind,
        is_ranked=ranked,
        valid_from=valid_from,
    )
    with pipeline.registered(cur, "member_frame", members.select(MEMBER_COLUMNS)):
        cur.execute(
            "insert into comparator_group_members select ?, ?, member_code, member_name, member_rank, closeness "
            "from member_frame",
            [load_id, run.council_code],
        )
    return load_id


# ---- a council's own list ----------------------------------------------------------------------------------------


def check_peers(frame: pl.DataFrame, report: Report, council_code: str, name: str) -> pl.DataFrame | None:
    """Check a council's own comparator list (docs/formats/peers.md); its members, or None with every problem."""
    report.rows_read = frame.height
    if not (name or "").strip():
        report.add(rules.BLANK_NAME.one())
    missing = [c for c in rules.REQUIRED if c not in frame.columns]
    for column in missing:
        report.add(rules.MISSING_COLUMN.one(column=column, name=column))
    if not missing and frame.is_empty():
        report.add(rules.EMPTY.one())
    if missing or frame.is_empty():
        return None
    for column in rules.OPTIONAL:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(column))
    frame = frame.with_columns(
        to_2024_codes(pl.col("area_code").str.strip_chars().str.to_uppercase()),
        pl.col("rank").str.strip_chars().cast(pl.Int64, strict=False).alias("_rank"),
    )
    las = upper_tier_las()
    params = {"known_codes": las["area_code"], "council": council_code.upper()}
    check_rules(frame, rules.ROW_RULES, report, params)
    if not report.ok:
        return None
    names = dict(zip(las["area_code"].to_list(), las["area_name"].to_list(), strict=True))
    return frame.select(
        pl.col("area_code").alias("member_code"),
        pl.coalesce(pl.col("area_code").replace_strict(names, default=None), pl.col("area_name")).alias(
            "member_name"
        ),
        pl.col("_rank").cast(pl.Int32).alias("member_rank"),
        pl.lit(None, dtype=pl.String).alias("closeness"),
    )


def _read_peers(run: pipeline.LoadRun) -> pl.DataFrame:
    try:
        return run.read_as(read_text_table(run.data, run.report.file_name, sheet="Peers")).frame
    except ReadError:
        raise
    except ValueError as exc:
        raise ReadError(str(exc)) from exc


def _validate_peers(run: pipeline.LoadRun, frame: pl.DataFrame) -> pl.DataFrame | None:
    return check_peers(frame, run.report, run.council_code, str(run.options.get("group_name") or ""))


def _write_peers(cur, run: pipeline.LoadRun, members: pl.DataFrame) -> tuple[pipeline.LoadResult, dict]:
    name = str(run.options["group_name"]).strip()
    code = group_code(name)
    valid_from = run.options.get("valid_from") or run.at.date()
    ranked = members["member_rank"].is_not_null().all()
    load_id = _write_group(cur, run, code, name, "own", ranked, valid_from, members, keep_file=True)
    message = (
        f"comparator group '{name}' loaded as '{code}' ({members.height} councils, in force from {valid_from}); "
        f"add {code} to the setting {GROUPS_SETTING} to compare with it"
    )
    detail = {"group_code": code, "group_name": name, "members": members.height, "sha256": run.report.sha256}
    return pipeline.LoadResult(pipeline.WRITTEN, run.report, load_id, message=message), detail


def _same_group_file(run: pipeline.LoadRun) -> int | None:
    found = run.store.query(
        "select group_load_id from comparator_group_loads where council_code = ? and group_code = ? "
        "and file_sha256 = ? and superseded_at is null order by 1 limit 1",
        [run.council_code, group_code(str(run.options.get("group_name") or "")), run.report.sha256],
    )
    return None if found.is_empty() else int(found.item())


#: A council's own comparator group (``hcp load peers FILE --name NAME``); a newer list of the same name supersedes.
PEERS_SPEC = pipeline.DatasetSpec(
    name="peers",
    label=DATASET,
    loaded_action="comparator group loaded",
    read=_read_peers,
    validate=_validate_peers,
    write=_write_peers,
    supersedes=("comparator_group_loads", ("council_code", "group_code")),
    duplicate=_same_group_file,
    id_name="group_load",
    options=("group_name", "valid_from"),
)


def load_peers(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    council_code: str,
    group_name: str,
    principal: Principal,
    **load,
) -> pipeline.LoadResult:
    """Check a council's own comparator list and, unless ``check_only``, store it (see the module docstring).

    ``load``: ``source``, ``check_only``, ``loaded_at``, ``valid_from`` (a date; default the load's date).
    """
    return pipeline.run_load(
        store,
        PEERS_SPEC,
        data,
        file_name,
        council_code=council_code,
        principal=principal,
        group_name=group_name,
        **load,
    )


# ---- reading -------------------------------------------------------------------------------------------------------


def comparator_groups(
    store: Store, council_code: str, as_at: datetime | None = None, *, principal: Principal
) -> pl.DataFrame:
    """Every group in force at ``as_at`` with its members in order (``sql/marts/mart_comparator_groups.sql``).

    Council-wide data (a council's own list may be licensed), read by the roles that see council-wide figures.
    """
    require(principal, "read_council_data")
    return store.run_sql(
        "marts/mart_comparator_groups", council_code=council_code, as_at=as_at or periods.now()
    )


def chosen_group_codes(store: Store, council_code: str, as_at: datetime | None = None) -> list[str]:
    """The group codes of the setting ``comparator_groups`` in force at ``as_at``, in its order."""
    text = str(setting(store, council_code, GROUPS_SETTING, as_at))
    codes = [part.strip().lower() for part in text.split(",")]
    return list(dict.fromkeys(code for code in codes if code))
