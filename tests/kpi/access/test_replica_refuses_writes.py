"""On a read-only replica the library refuses every write, whoever asks (issue #20): not only by hiding pages.

Every write function of the table in ``test_every_function_checks_the_caller`` is called against a replica store
with each role it allows; each must be refused with :class:`~kpi.access.rules.ReplicaRefused` (the replica's
message) before it changes anything, and the snapshot's file must be byte for byte what it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import (
    REPLICA_PAGES,
    WRITE_ACTIONS,
    AccessDenied,
    ReplicaRefused,
    allowed,
    page_allowed,
    require,
)
from kpi.core.backup_manifest import sha256_of
from kpi.core.replica import Replica
from kpi.core.snapshot import publish_snapshot
from kpi.core.store import ReadOnlyReplica, Store, open_replica
from tests.conftest import open_sample_copy
from tests.kpi.access.test_every_function_checks_the_caller import PRINCIPALS, TABLE, Checked

WRITES = sorted(name for name, entry in TABLE.items() if isinstance(entry, Checked) and entry.kind == "write")


@pytest.fixture(scope="module")
def replica(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A replica store serving a snapshot of the sample; the process is no replica once it is closed."""
    folder = tmp_path_factory.mktemp("replica")
    with open_sample_copy(sample_db_path, folder) as writer:
        publish_snapshot(writer, folder / "snapshots", principal=LOCAL_USER)
    store = Replica(folder / "snapshots").current()
    try:
        yield store
    finally:
        store.close()
    assert open_replica() is None


def test_the_table_has_write_functions() -> None:
    assert len(WRITES) > 40
    for name in WRITES:
        assert TABLE[name].allows("local"), name


@pytest.mark.parametrize("name", WRITES)
def test_every_write_function_is_refused_on_a_replica(name: str, replica: Store, hcp_today) -> None:
    entry = TABLE[name]
    file = Path(replica.path)
    before = sha256_of(file)
    for role, who in PRINCIPALS.items():
        with pytest.raises(AccessDenied) as refused:
            entry.call(replica, who)
        if who is not None and entry.allows(role):
            assert isinstance(refused.value, ReplicaRefused), f"{name} as {role}: {refused.value}"
            assert "read-only replica" in str(refused.value)
            assert "nothing was changed" in str(refused.value)
    assert sha256_of(file) == before


def test_every_write_action_is_refused_and_not_offered(replica: Store) -> None:
    commissioner = Principal("commissioner@council.gov.uk", "commissioner")
    for action in WRITE_ACTIONS:
        assert not allowed(LOCAL_USER, action), action
        with pytest.raises(ReplicaRefused, match="data as at 2026-11-23"):
            require(commissioner, action)
    # Reading is as before.
    require(commissioner, "read_data")
    assert allowed(commissioner, "read_unaccepted")


def test_only_reading_pages_are_offered(replica: Store) -> None:
    assert page_allowed(LOCAL_USER, "overview")
    assert page_allowed(LOCAL_USER, "targets-settings")
    for url_path in ("upload", "review", "meetings", "meeting-pack", "alerts", "admin"):
        assert url_path not in REPLICA_PAGES
        assert not page_allowed(LOCAL_USER, url_path), url_path


def test_the_store_itself_refuses_a_transaction(replica: Store) -> None:
    with pytest.raises(ReadOnlyReplica, match="read-only replica"):
        with replica.transaction() as cur:
            cur.execute("delete from audit_log")
    with pytest.raises(ReadOnlyReplica):
        replica.audit("target set", actor="x")
