"""``hcp init`` (kpi/cli/database.py): an empty database for a real council, then its localities.

Commands run in-process through :func:`kpi.cli.main` (output captured with ``capsys``); the database is a copy of
the sample, or a fresh one in ``tmp_path``.
"""

from kpi.core import periods as periods
from kpi.core.store import Store
from kpi.sample import COUNCIL_CODE
from tests.kpi.cli.commands import LOCALITIES, counts, hcp

# ---- init and localities --------------------------------------------------------------------------------------------


def test_init_then_load_localities(tmp_path, capsys):
    db = tmp_path / "trafford.duckdb"
    assert hcp(db, "init", "--council", "e08000009") == 0
    assert capsys.readouterr().out.strip() == (
        f"created {db} for E08000009: load its localities with 'hcp load localities FILE'"
    )
    assert not (tmp_path / "trafford.duckdb.building").exists()
    assert hcp(db, "load", "localities", str(LOCALITIES)) == 0
    out = capsys.readouterr().out
    assert "No problems found." in out and out.rstrip().endswith("localities loaded")
    with Store.open(db) as store:
        from kpi.core.councils import localities
        from kpi.core.store import get_info

        assert get_info(store)["is_sample"] == "false"
        assert store.query("select council_name from councils").item() == "Trafford"
        assert localities(store, COUNCIL_CODE)["locality_code"].to_list() == [
            "CENTRAL",
            "NORTH",
            "SOUTH",
            "WEST",
        ]
        assert store.query("select count(*) from locality_lsoas").item() == 138
        assert store.query("select count(*) from submissions").item() == 0
        actions = store.query("select action from audit_log order by audit_id")["action"].to_list()
        assert actions == ["council created", "comparator groups loaded", "localities loaded"]
        groups = store.query("select group_code from comparator_group_loads order by group_code")
        assert groups["group_code"].to_list() == ["dfe-sn", "nhse-peers"]


def test_init_refuses_to_replace_a_database_without_force(db, capsys):
    before = counts(db)
    assert hcp(db, "init", "--council", "E08000009") == 2
    assert capsys.readouterr().err.strip() == (
        f"a database already exists at {db}: choose another HCP_DB or pass --force to replace it"
    )
    assert counts(db) == before
    assert hcp(db, "init", "--council", "E08000009", "--force") == 0
    assert counts(db)["submissions"] == 0


def test_init_for_an_unknown_code_says_to_use_name(tmp_path, capsys):
    db = tmp_path / "county.duckdb"
    assert hcp(db, "init", "--council", "E10000015") == 2
    assert capsys.readouterr().err.strip() == (
        "'E10000015' is not a local authority code in the IMD 2019 lookup: give the council's name with --name "
        "(county councils are not in the lookup)"
    )
    assert not db.exists(), "a failed init must leave no half-made database behind"
    assert list(tmp_path.iterdir()) == []
    assert hcp(db, "init", "--council", "E10000015", "--name", "Hertfordshire") == 0
    with Store.open(db) as store:
        assert store.query("select council_code, council_name from councils").row(0) == (
            "E10000015",
            "Hertfordshire",
        )
