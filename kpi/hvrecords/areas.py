"""Where a child lives, as the derivation needs it: an LSOA's IMD decile and the council's locality.

:func:`lsoa_areas` is the one place the LSOA -> decile lookup is read (IoD2019 on LSOA 2011 codes today:
:data:`kpi.core.councils.IMD_EDITION`), so a newer index or LSOA 2021 codes change this function only. A code the
lookup lacks is decile ``U`` (docs/methods.md section 9).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from kpi.core.councils import IMD_EDITION
from kpi.core.store import Store


def lsoa_areas(store: Store, council_code: str, as_at: datetime) -> tuple[pl.DataFrame, str]:
    """LSOA code -> ``imd_decile`` ('1'..'10') and ``locality_code`` (null outside the council), and the edition."""
    frame = store.run_sql("staging/stg_lsoa_areas", council_code=council_code, as_at=as_at)
    return frame.select("lsoa_code", "imd_decile", "locality_code"), IMD_EDITION
