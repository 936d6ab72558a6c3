"""Issue #13 finding 9d: the admin role (users, settings, backups and the audit log, README roles table) is not
offered a page whose data it may not read: Data quality refused it with AccessDenied."""

import pytest

from kpi import data_quality
from kpi.access import AccessDenied, page_allowed
from kpi.auth import Principal
from kpi.store import default_council

ADMIN = Principal("it@council.gov.uk", "admin")


def test_admin_is_not_offered_data_quality_and_the_library_agrees(sample_ro_store):
    assert not page_allowed(ADMIN, "data-quality")
    with pytest.raises(AccessDenied):
        data_quality.return_timeliness(sample_ro_store, ADMIN, default_council(sample_ro_store))


@pytest.mark.parametrize("page", ["admin", "audit-log", "targets-settings"])
def test_admin_keeps_its_own_pages(page):
    assert page_allowed(ADMIN, page)
