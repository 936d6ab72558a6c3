"""Issue #13 finding 9d: the admin role (users, settings, backups and the audit log, README roles table) is not
offered a page whose data it may not read: Data quality refused it with AccessDenied."""

import pytest

from kpi.access.principal import Principal
from kpi.access.rules import AccessDenied, page_allowed
from kpi.core.store import default_council
from kpi.returns import timeliness as data_quality

ADMIN = Principal("it@council.gov.uk", "admin")


def test_admin_is_not_offered_data_quality_and_the_library_agrees(sample_ro_store):
    assert not page_allowed(ADMIN, "data-quality")
    with pytest.raises(AccessDenied):
        data_quality.return_timeliness(sample_ro_store, ADMIN, default_council(sample_ro_store))


@pytest.mark.parametrize("page", ["admin", "audit-log", "targets-settings"])
def test_admin_keeps_its_own_pages(page):
    assert page_allowed(ADMIN, page)
