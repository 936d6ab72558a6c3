"""The cache-share step (bench/cache_share.py): its resubmissions are new files of the same return, and its
"before" key is the previous definition (any audit entry, sign-ins included)."""

from bench import cache_share
from kpi.access.principal import Principal
from kpi.access.users import record_sign_in
from kpi.core.store import Store

RETURN = b"period,provider_code,metric_code,locality_code,imd_decile,numerator,denominator,comment\n" + (
    b"2026-27 Q2,ZZ1,C1,CENTRAL,1,10,,\n2026-27 Q2,ZZ1,C1,CENTRAL,2,2,,\n"
)


def test_a_resubmission_changes_only_the_first_rows_comment():
    again = cache_share._resubmission(RETURN, 3)
    assert again != RETURN
    assert again.splitlines()[1] == b"2026-27 Q2,ZZ1,C1,CENTRAL,1,10,,resubmitted 3"
    assert again.splitlines()[0] == RETURN.splitlines()[0] and again.splitlines()[2] == RETURN.splitlines()[2]


def test_the_before_key_moves_with_a_sign_in_and_another_councils_write():
    with Store.open(":memory:") as store:
        store.audit("target set", actor="a@council.gov.uk", council_code="E08000009")
        first = cache_share._before_key(store, "E08000009")
        record_sign_in(store, "a@council.gov.uk", Principal("a@council.gov.uk", "commissioner"))
        second = cache_share._before_key(store, "E08000009")
        store.audit("mandated contacts loaded", actor="b@council.gov.uk", council_code="E08000003")
        assert first[1] < second[1] < cache_share._before_key(store, "E08000009")[1]
