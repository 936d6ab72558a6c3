"""Where a child lives, as the derivation needs it: an LSOA's IMD decile on each index and the council's locality.

:func:`lsoa_areas` is the one place the LSOA lookups are read: every code of either vintage (2011 or 2021) with its
decile on IoD2019 and on IoD2025 (a code of the other vintage mapped through the ONS exact-fit lookup; null when
its linked LSOAs lie in different deciles) and its locality from the council's lookup of either vintage
(``sql/staging/stg_lsoa_areas.sql``). Which decile a count uses is the index of its quarter
(:func:`kpi.hvrecords.cohorts.decile_on`); a code neither lookup has, or a split across deciles, is decile ``U``
(docs/methods.md sections 7.1 and 10).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.core import deprivation
from kpi.core.store import Store


def lsoa_areas(store: Store, council_code: str, as_at: datetime) -> tuple[pl.DataFrame, str]:
    """Every LSOA code's deciles and locality, and the first quarter on IoD2025 (the setting at ``as_at``).

    Columns: lsoa_code, imd_decile_iod2019, imd_decile_iod2025 ('1'..'10'; null: split across deciles),
    locality_code (null outside the council).
    """
    frame = store.run_sql("staging/stg_lsoa_areas", council_code=council_code, as_at=as_at)
    first = deprivation.first_quarter(store, council_code, as_at).code
    return frame.select("lsoa_code", "imd_decile_iod2019", "imd_decile_iod2025", "locality_code"), first
