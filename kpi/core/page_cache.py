"""What the pages' cached reads are keyed on besides their own arguments: the council and its data version.

The app layer (pages/_app/session.py) keys every cached read on this; the benchmark's ``cache_share`` step counts
cache misses with it, so both use one definition (docs/operations.md, "Scaling").
"""

from __future__ import annotations

from kpi.core.store import Store, data_version


def page_cache_key(store: Store, council_code: str) -> tuple[str, int]:
    """The council and its data version (:func:`kpi.core.store.data_version`).

    A write for another council or a sign-in leaves it unchanged, so that council's cached pages stay warm.
    """
    return council_code, data_version(store, council_code)
