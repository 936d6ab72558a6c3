"""kpi.reports.extras: the pack's NCMP section names the deprivation index its decile figures use."""

from __future__ import annotations

from datetime import datetime

from kpi.access.principal import LOCAL_USER
from kpi.reports.document import Paragraph
from kpi.reports.extras import ncmp_section

COUNCIL = "E08000009"


def test_the_ncmp_gap_names_its_deprivation_index(sample_ro_store):
    section = ncmp_section(sample_ro_store, COUNCIL, datetime(2026, 11, 23, 12), principal=LOCAL_USER)
    gaps = [b.text for b in section.blocks if isinstance(b, Paragraph) and "decile" in b.text]
    assert len(gaps) == 2  # Reception and Year 6, 2025/26
    for text in gaps:
        assert text.endswith("Deciles of IMD 2025 (English Indices of Deprivation 2025, LSOAs 2021).")
    earlier = ncmp_section(sample_ro_store, COUNCIL, datetime(2026, 1, 5, 12), principal=LOCAL_USER)
    before = [b.text for b in earlier.blocks if isinstance(b, Paragraph) and "decile 10" in b.text]
    assert len(before) == 2  # 2024/25, the latest year loaded by then
    assert all(
        t.endswith("Deciles of IMD 2019 (English Indices of Deprivation 2019, LSOAs 2011).") for t in before
    )
