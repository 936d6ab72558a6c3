"""What the ``hcp`` tests share: running a command in-process and counting a database's rows."""

from kpi import cli
from kpi.core.store import Store
from kpi.sample import SAMPLE_DIR

LOCALITIES = SAMPLE_DIR / "reference" / "trafford_localities.csv"


def hcp(db, *arguments):
    return cli.main(["--db", str(db), "--actor", "analyst", *arguments])


def counts(db):
    with Store.open(db) as store:
        names = store.query("select table_name from duckdb_tables() order by 1")["table_name"].to_list()
        return {name: store.query(f'select count(*) from "{name}"').item() for name in names}


def copy_of(rows):
    """An independent copy of the return's rows (each fixture below changes its own)."""
    return type(rows)(dict(row) for row in rows)
