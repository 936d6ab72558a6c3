"""The scrutiny briefing's breakdown by ethnic group (docs/methods.md sections 6 and 10), on the sample.

The sample's child-level records were loaded on 21 November 2026: a briefing as at the next day has the section, one
as at 20 November (the other briefing tests) has none. Every percentage is checked against the disclosure rule
written out by hand in test_briefing.py, from the counts read straight from the store.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER
from kpi.hvrecords.schema import ETHNIC_GROUP_ORDER
from tests.kpi.reports.briefing.test_briefing import expected_text, rounded
from tests.kpi.reports.documents import AS_AT, PERIOD, docx_document, docx_tables

AFTER_RECORDS = datetime(2026, 11, 22, 9, 0)
HEADER = ["Ethnic group", "C2", "C8i", "C8ii", "C5", "C6i", "C6viii"]


@pytest.fixture(scope="module")
def after(reports_store):
    built = reports.build(reports_store, "briefing", PERIOD, AFTER_RECORDS, principal=LOCAL_USER)
    return built, reports.render(built.document, "docx")


def _counts(store) -> dict:
    frame = store.query(
        "select kpi_code, ethnic_group, sum(numerator) as n, sum(denominator) as d from hv_kpi_counts "
        "where period = ? group by all",
        [PERIOD],
    )
    return {(k, g): (float(n or 0), float(d or 0)) for k, g, n, d in frame.iter_rows()}


def test_each_headline_measure_by_ethnic_group_is_disclosed_like_every_other_count(reports_store, after):
    _, docx = after
    table = next(t for t in docx_tables(docx) if t[0][0] == "Ethnic group")
    assert table[0] == HEADER
    assert [row[0] for row in table[1:]] == [*ETHNIC_GROUP_ORDER, "All children"]
    counts = _counts(reports_store)
    for column, code in enumerate(HEADER[1:], start=1):
        printed = [row[column] for row in table[1:]]
        assert printed.count("*") != 1, f"{code}: one hidden cell is the total minus the others"
        for group, text in zip(ETHNIC_GROUP_ORDER, printed, strict=False):
            num, den = counts.get((code, group), (0.0, 0.0))
            if rounded(num) is None or rounded(den) is None:
                assert text == "*", f"{code} {group}: a count of 1-7 behind a shown percentage"
            elif text != "*":  # else hidden to protect another cell
                assert text == expected_text(num, den), f"{code} {group}"
        num = sum(n for (k, _), (n, _) in counts.items() if k == code)
        den = sum(d for (k, _), (_, d) in counts.items() if k == code)
        assert printed[-1] == expected_text(num, den), code
    # the sentence gives each measure's all-children counts, rounded
    text = "\n".join(p.text for p in docx_document(docx).paragraphs)
    c2 = [sum(v[i] for (k, _), v in counts.items() if k == "C2") for i in (0, 1)]
    assert f"New birth visits within 14 days, {rounded(c2[0])} of {rounded(c2[1])} children" in text


def test_the_section_is_there_only_where_records_exist(reports_store, after):
    built, _ = after
    headings = [getattr(b, "text", None) for b in built.document.blocks]
    assert "By ethnic group" in headings
    before = reports.build(reports_store, "briefing", PERIOD, AS_AT, principal=LOCAL_USER)
    assert "By ethnic group" not in [getattr(b, "text", None) for b in before.document.blocks]
