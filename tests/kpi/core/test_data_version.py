"""The data version pages cache on (kpi.core.store.data_version): per council, and never moved by a sign-in."""

from __future__ import annotations

from kpi.access.principal import Principal
from kpi.access.users import record_sign_in
from kpi.core.page_cache import page_cache_key
from kpi.core.store import Store, data_version


def test_a_council_version_moves_with_its_own_writes_and_shared_ones_only():
    with Store.open(":memory:") as store:
        store.audit("target set", actor="a@council.gov.uk", council_code="E08000009")
        store.audit("target set", actor="b@council.gov.uk", council_code="E08000003")
        trafford, manchester = data_version(store, "E08000009"), data_version(store, "E08000003")
        assert 0 < trafford < manchester
        # Manchester loads a return: Trafford's cached pages stay warm, Manchester's refresh
        store.audit("mandated contacts loaded", actor="b@council.gov.uk", council_code="E08000003")
        assert data_version(store, "E08000009") == trafford
        assert data_version(store, "E08000003") > manchester
        # a sign-in (or a refused one) changes no figure anywhere
        before = data_version(store)
        record_sign_in(store, "a@council.gov.uk", Principal("a@council.gov.uk", "commissioner"))
        record_sign_in(store, "stranger@example.com", None)
        assert data_version(store) == before and data_version(store, "E08000009") == trafford
        # a write every council shares (a user, a setting, reference data) refreshes every council
        store.audit("user added", actor="admin@council.gov.uk", subject="c@council.gov.uk")
        assert data_version(store, "E08000009") > trafford
        assert data_version(store, "E08000003") == data_version(store) > before


def test_the_pages_cache_key_is_the_council_and_its_own_version():
    with Store.open(":memory:") as store:
        store.audit("target set", actor="a@council.gov.uk", council_code="E08000009")
        key = page_cache_key(store, "E08000009")
        store.audit("mandated contacts loaded", actor="b@council.gov.uk", council_code="E08000003")
        record_sign_in(store, "a@council.gov.uk", Principal("a@council.gov.uk", "commissioner"))
        assert page_cache_key(store, "E08000009") == key == ("E08000009", data_version(store, "E08000009"))
        assert page_cache_key(store, "E08000003")[1] > key[1]
