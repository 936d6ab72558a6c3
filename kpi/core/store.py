"""The DuckDB store: connect, migrate, run a named SQL file, and write in one transaction.

Design (docs/operations.md, how data is stored):

* one database file, path from ``HCP_DB`` (default ``data/hcp.duckdb``);
* **one writer**: a DuckDB file is one read-write process or many read-only ones. The running app keeps one
  read-write connection per process and gives every query its own cursor; writes go through
  :meth:`Store.transaction`, which holds a lock. A command-line write that meets the running app stops with
  :class:`DatabaseBusy` instead of a traceback;
* migrations are the numbered files of ``sql/schema/``, applied in order and recorded in ``schema_migrations``;
* opening for writing also brings the database's KPI catalogue in step with the catalogue file when the file changed
  (:func:`kpi.core.catalogue_sync.sync_if_changed`; what changed is kept in :attr:`Store.catalogue_changes`);
* parameters are always bound, never formatted into SQL;
* extensions are never auto-installed (that would try the network).

Example:
    >>> store = Store.open(":memory:")
    >>> store.query("select 1 as one").item()
    1
"""

from __future__ import annotations

import json
import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from kpi.core import periods as periods
from kpi.core.catalogue import load_setting_defaults
from kpi.core.resources import data_dir

ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = data_dir("sql")
DEFAULT_DB = Path("data") / "hcp.duckdb"
BUSY_MESSAGE = "the dashboard is running and holds the database: stop it or use the Admin page"

#: Scope parameters a SQL file may use without every caller passing them; unset means "no restriction" (the
#: whole council). ``$provider_code`` confines a relation to one provider's data (kpi.access.rules.provider_scope).
OPTIONAL_PARAMS: dict[str, object] = {"provider_code": None}
#: Parameters worked out from the council's deprivation settings when a relation needs them and none is given.
DEPRIVATION_PARAMS = {"iod2025_from_year", "iod2025_from_quarter_index"}

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
#: SQL comments (``-- ...`` to the end of the line, ``/* ... */``): a ``$name`` there is not a parameter.
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class StoreError(RuntimeError):
    """A problem with the database that the user can act on; the message says what to do."""


class ReadOnlyReplica(StoreError):
    """A write asked of a read-only replica (:mod:`kpi.core.replica`): nothing was changed."""


def replica_message(snapshot_at: object) -> str:
    """What a refused write on a replica says (docs/operations.md, scaling)."""
    return (
        f"This is a read-only replica of HCP Contract Monitor (data as at {snapshot_at}): nothing can be changed "
        "here and nothing was changed. Make the change on the council's main dashboard (the writer); it reaches "
        "the replicas with the next snapshot."
    )


#: The replica stores open in this process (kpi.core.replica): while there is one, the process is a replica and
#: every write action is refused (kpi.access.rules.require).
_REPLICAS: weakref.WeakSet = weakref.WeakSet()


def open_replica() -> Store | None:
    """A replica store open in this process (the newest snapshot's), or ``None`` when this process is no replica."""
    stores = [store for store in list(_REPLICAS) if store.replica]
    return max(stores, key=lambda store: str(store.replica.get("snapshot_at", "")), default=None)


class DatabaseBusy(StoreError):
    """Another process (normally the running dashboard) holds the database file."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE)


def db_path() -> Path:
    """The database file: ``HCP_DB`` or ``data/hcp.duckdb``."""
    return Path(os.environ.get("HCP_DB", "").strip() or DEFAULT_DB)


def _translate(exc: duckdb.Error, path: str) -> StoreError:
    text = str(exc)
    lowered = text.lower()
    if "lock" in lowered and ("conflicting" in lowered or "could not set lock" in lowered):
        return DatabaseBusy()
    if "read-only" in lowered or "readonly" in lowered or "permission denied" in lowered:
        return StoreError(
            f"the database {path} cannot be written (read-only file or folder): {text.splitlines()[0]}"
        )
    if "no space" in lowered or "file too large" in lowered or "disk" in lowered and "full" in lowered:
        return StoreError(f"the disk holding {path} is full: free some space and try again")
    return StoreError(f"the database {path} could not be used: {text.splitlines()[0]}")


def ensure_not_held(path: str | Path) -> None:
    """Raise :class:`DatabaseBusy` when another process (the running dashboard) holds the database file.

    For commands that replace the file (``hcp init --force``, ``hcp sample --force``): replacing a file the app
    holds would leave the app writing to a deleted file. A file that is not a database is not "held" (the caller
    is about to replace it).
    """
    target = Path(path)
    if not target.exists():
        return
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    try:
        duckdb.connect(str(target), config=config).close()
    except duckdb.Error as exc:
        if isinstance(_translate(exc, str(target)), DatabaseBusy):
            raise DatabaseBusy() from exc


def replace_database(built: Path, target: Path) -> None:
    """Move a freshly built database file into place (no other process may hold ``target``).

    A write-ahead log left beside ``target`` by a crash belongs to the old file and would be replayed into the new
    one, so it is removed first.
    """
    ensure_not_held(target)
    Path(str(target) + ".wal").unlink(missing_ok=True)
    os.replace(built, target)


class Store:
    """One open database. Thread-safe: every query takes its own cursor; writes hold a lock."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool) -> None:
        self._con = con
        self.path = path
        self.read_only = read_only
        self._write_lock = threading.RLock()
        #: What opening changed in the database's catalogue (``kpi.core.catalogue_sync.SyncResult`` per council).
        self.catalogue_changes: list = []
        #: A replica's snapshot manifest (``snapshot_at``, ``signin_log``...), ``None`` for an ordinary store.
        self.replica: dict | None = None

    def make_replica(self, manifest: dict) -> None:
        """Mark this read-only store as a replica serving the snapshot ``manifest`` describes (kpi.core.replica)."""
        if not self.read_only:
            raise StoreError("only a database opened read-only can serve as a replica")
        self.replica = dict(manifest)
        _REPLICAS.add(self)

    # ---- opening -------------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        migrate: bool = True,
        sync_catalogue: bool = True,
    ) -> Store:
        """Open (and create) the database at ``path`` (default :func:`db_path`).

        Opened for writing (and migrated), the database's KPI catalogue is synced with the catalogue file when the
        file changed since the last sync, effective from the current open quarter (``sync_catalogue=False``
        skips that, e.g. for ``hcp catalogue sync --from PERIOD``).

        Raises:
            DatabaseBusy: another process holds the file.
            StoreError: the file cannot be opened or written, with what to do.
        """
        target = str(path if path is not None else db_path())
        if target != ":memory:":
            if read_only and not Path(target).exists():
                raise StoreError(
                    f"there is no database at {target}: run 'hcp sample' or 'hcp init --council CODE'"
                )
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        try:
            con = duckdb.connect(target, read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise _translate(exc, target) from exc
        store = cls(con, target, read_only)
        if migrate and not read_only:
            applied = store.migrate()
            if "010_deprivation" in applied and store.query("select count(*) from lsoa_reference").item():
                # A database made before IoD2025 gains its lookups now (a new one gains them with its council).
                from kpi.core.deprivation import ensure_indices

                ensure_indices(store)
            if sync_catalogue:
                from kpi.core.catalogue_sync import sync_if_changed

                try:
                    store.catalogue_changes = sync_if_changed(store)
                except BaseException:
                    con.close()
                    raise
        return store

    def close(self) -> None:
        """Close the connection (checkpointing the write-ahead log)."""
        _REPLICAS.discard(self)
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- schema --------------------------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply the migrations of ``sql/schema/`` not yet applied, in order, each in one transaction."""
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute(
                "create table if not exists schema_migrations "
                "(version integer primary key, name varchar not null, applied_at timestamp not null)"
            )
            done = {row[0] for row in cur.execute("select version from schema_migrations").fetchall()}
            applied = []
            for file in sorted((SQL_DIR / "schema").glob("[0-9][0-9][0-9]_*.sql")):
                version = int(file.name[:3])
                if version in done:
                    continue
                cur.execute("begin")
                try:
                    cur.execute(file.read_text(encoding="utf-8"))
                    cur.execute(
                        "insert into schema_migrations values (?, ?, ?)", [version, file.stem, periods.now()]
                    )
                    cur.execute("commit")
                except duckdb.Error as exc:
                    cur.execute("rollback")
                    raise _translate(exc, self.path) from exc
                applied.append(file.stem)
            return applied

    # ---- reading -------------------------------------------------------------------------------------------

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for one query (DuckDB refuses concurrent calls on one connection)."""
        return self._con.cursor()

    def query(self, sql: str, params: dict | list | None = None) -> pl.DataFrame:
        """Run one parameterised statement and return a polars frame."""
        cur = self.cursor()
        try:
            return cur.sql(sql, params=params).pl() if params else cur.sql(sql).pl()
        except duckdb.Error as exc:
            raise _translate(exc, self.path) from exc

    def run_sql(self, name: str, **params: object) -> pl.DataFrame:
        """Run the SQL file ``sql/<name>.sql`` with the named parameters it uses (``$as_at``, ...).

        Parameters the file does not mention are ignored; a parameter it needs and is not given is an error, except
        the scope parameters of :data:`OPTIONAL_PARAMS` (unset: no restriction); the deprivation settings of
        :data:`DEPRIVATION_PARAMS` are read for ``council_code`` as at ``as_at`` when not given.
        """
        text = sql_text(name)
        needed = set(_PARAM.findall(_COMMENT.sub(" ", text)))
        if needed & DEPRIVATION_PARAMS - params.keys() and "council_code" in params:
            # Which deprivation index each period uses is a setting of the council (kpi.core.deprivation).
            from kpi.core.deprivation import sql_params

            params = {**sql_params(self, str(params["council_code"]), params.get("as_at")), **params}
        missing = needed - params.keys() - OPTIONAL_PARAMS.keys()
        if missing:
            raise TypeError(f"sql/{name}.sql needs parameters: {', '.join(sorted(missing))}")
        values = {**OPTIONAL_PARAMS, **params}
        return self.query(text, {key: values[key] for key in needed} or None)

    # ---- writing -------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction under the store's lock: everything or nothing."""
        if self.replica is not None:
            raise ReadOnlyReplica(replica_message(self.replica.get("snapshot_at")))
        if self.read_only:
            raise StoreError(
                "this database is open read-only: writes are made by the dashboard or a stopped app"
            )
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("begin transaction")
            try:
                yield cur
            except duckdb.IOException as exc:
                # A write that fails inside the transaction (a full disk while a large load writes its row groups
                # to the file before the commit): nothing is kept, and the caller gets the same plain message as
                # a commit that fails.
                try:
                    cur.execute("rollback")
                except duckdb.Error:
                    pass
                raise _translate(exc, self.path) from exc
            except BaseException:
                cur.execute("rollback")
                raise
            try:
                cur.execute("commit")
            except duckdb.Error as exc:
                raise _translate(exc, self.path) from exc

    def audit(
        self,
        action: str,
        *,
        actor: str,
        council_code: str | None = None,
        subject: str | None = None,
        detail: dict | None = None,
        cur: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        """Append one audit entry (inside ``cur``'s transaction when given, else on its own).

        On a replica a sign-in's entry goes to the replica's sign-in log instead (:mod:`kpi.core.replica`), which the
        writer moves into the audit log with its next snapshot; any other entry is refused with the write.
        """
        row = [periods.now(), actor, action, council_code, subject, json.dumps(detail or {}, default=str)]
        if self.replica is not None and action in NOT_DATA_ACTIONS and cur is None:
            from kpi.core.replica import log_sign_in

            log_sign_in(self, row)
            return
        sql = (
            "insert into audit_log (event_at, actor, action, council_code, subject, detail_json) "
            "values (?, ?, ?, ?, ?, ?)"
        )
        if cur is not None:
            cur.execute(sql, row)
        else:
            with self.transaction() as own:
                own.execute(sql, row)


_REF = re.compile(r"\{\{\s*ref\('([a-z0-9_/]+)'\)\s*\}\}")


def sql_text(name: str) -> str:
    """The text of ``sql/<name>.sql``, with each ``{{ ref('staging/x') }}`` replaced by that relation's query.

    This is how a mart reads a staging relation (after dbt's ``ref``): the staging file runs as a subquery with
    the same parameters, so each relation still lives in one file.
    """
    file = SQL_DIR / f"{name}.sql"
    if not file.is_file():
        raise FileNotFoundError(f"no SQL file sql/{name}.sql")
    text = file.read_text(encoding="utf-8")
    return _REF.sub(lambda match: "(\n" + sql_text(match[1]) + "\n)", text)


# ---- database information and catalogue ------------------------------------------------------------------------


def set_info(cur: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Record a fact about the database (e.g. ``is_sample``)."""
    cur.execute(
        "insert into database_info values (?, ?) on conflict (info_key) do update set info_value = excluded.info_value",
        [key, value],
    )


def get_info(store: Store) -> dict[str, str]:
    """Facts about the database: ``is_sample``, ``council_code``, ``created_at``..."""
    frame = store.query("select info_key, info_value from database_info")
    return dict(zip(frame["info_key"].to_list(), frame["info_value"].to_list(), strict=True))


def councils(store: Store) -> pl.DataFrame:
    """Every council in the database."""
    return store.query("select * from councils order by council_code")


def default_council(store: Store) -> str:
    """The council this database was made for (the first one when there are several)."""
    info = get_info(store)
    if info.get("council_code"):
        return info["council_code"]
    frame = councils(store)
    if frame.is_empty():
        raise StoreError("the database has no council yet: run 'hcp init --council CODE' or 'hcp sample'")
    return frame["council_code"][0]


def setting(store: Store, council_code: str, key: str, as_at: datetime | None = None) -> object:
    """The value of a setting in force at ``as_at``: the latest dated override, else the config default."""
    defaults = load_setting_defaults()
    if key not in defaults:
        raise KeyError(f"unknown setting '{key}': known settings are {', '.join(sorted(defaults))}")
    frame = store.query(
        "select value_json from settings where council_code = ? and setting_key = ? and set_at <= ? "
        "order by set_at desc, setting_id desc limit 1",
        [council_code, key, as_at or periods.now()],
    )
    return defaults[key].value if frame.is_empty() else json.loads(frame.item())


#: Audit entries that record who came, not what the data is: they never make a cached page stale.
NOT_DATA_ACTIONS = ("signed in", "sign-in refused")


def data_version(store: Store, council_code: str | None = None) -> int:
    """A number that grows with every write that can change what is shown, for caches keyed on the data.

    The newest audit entry (every write is audited in its own transaction) other than a sign-in. With
    ``council_code``, only that council's entries and those of no council (users, settings and reference data every
    council shares) count: a load for one council leaves every other council's cached pages warm (every table of
    figures is kept per council).
    """
    sql = "select coalesce(max(audit_id), 0) from audit_log where action not in (?, ?)"
    params: list = list(NOT_DATA_ACTIONS)
    if council_code is not None:
        sql += " and (council_code = ? or council_code is null)"
        params.append(council_code)
    return int(store.query(sql, params).item())
