"""The meeting pack's "Recovery trajectories" section, read back from its HTML, PDF and DOCX.

A trajectory for North's C2 (82% in 2026-27 Q2 rising to 90% in 2027-28 Q1) is recorded on 10 November, before the
pack's as-at time; a C4 one recorded after it must not show. The sample's North C2 is 153 of 190 = 80.5% in
2026-27 Q2: off trajectory (docs/methods.md section 5.9).
"""

from __future__ import annotations

import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER
from kpi.contract import spc_controls, trajectories
from kpi.reports.html import render_html
from tests.kpi.reports.documents import AS_AT, COUNCIL, PERIOD, docx_tables, pdf_text


@pytest.fixture(scope="module")
def built(reports_store):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", "2026-11-10")
        trajectories.set_trajectory(
            reports_store,
            COUNCIL,
            "C2",
            "2026-27 Q2=82, 2026-27 Q3=85, 2026-27 Q4=88, 2027-28 Q1=90",
            reason="North recovery plan",
            locality_code="NORTH",
            principal=LOCAL_USER,
        )
        spc_controls.add_annotation(
            reports_store, COUNCIL, "2025-26 Q3", "Staffing crisis", kpi_code="C2", principal=LOCAL_USER
        )
        spc_controls.rebase(
            reports_store, COUNCIL, "C3", "2025-26 Q1", reason="New service model", principal=LOCAL_USER
        )
        patch.setenv("HCP_TODAY", "2026-11-22")
        trajectories.set_trajectory(
            reports_store, COUNCIL, "C4", "2026-27 Q2=50", reason="after the pack", principal=LOCAL_USER
        )
    result = reports.build(reports_store, "pack", PERIOD, AS_AT, principal=LOCAL_USER)
    return {
        "built": result,
        "html": render_html(result.document),
        "pdf": pdf_text(reports.render(result.document, "pdf")),
        "docx": reports.render(result.document, "docx"),
    }


def test_the_section_judges_north_c2_off_trajectory(built):
    table = next(
        t for t in docx_tables(built["docx"]) if t[0][:5] == ["KPI", "Where", "Value", "Planned", "Status"]
    )
    assert len(table) == 2  # the C4 trajectory was recorded after the pack's as-at time
    row = table[1]
    assert row[0].startswith("C2 ") and row[1] == "North"
    assert row[2:5] == ["80.5%", "82.0%", "■ Off trajectory"]
    assert row[6] == "2027-28 Q1 at 90.0%"
    for text in (built["html"], built["pdf"]):
        assert "Recovery trajectories, 2026-27 Q2" in text
        assert "1 of 1 recovery trajectory off trajectory" in text


def test_the_section_draws_the_trajectory_on_north_s_xmr_chart(built):
    figures = built["built"].document.figures
    assert "trajectory-C2-0" in figures.figures
    figure = figures["trajectory-C2-0"]
    assert "recovery trajectory as a dash-dot line" in figure.alt
    assert "C2 North: XmR chart with its recovery trajectory" in built["html"]


def test_the_pack_lists_the_spc_changes_and_events_and_draws_them(built):
    for text in (built["html"], built["pdf"]):
        assert "SPC changes and events on the charts" in text
        assert "C3: rebased from 2025-26 Q1: New service model" in text
        assert "2025-26 Q3, C2: Staffing crisis" in text
    figures = built["built"].document.figures
    c2 = figures["xmr-C2"].make().to_dict()
    labels = {row.get("label") for data in c2["datasets"].values() for row in data}
    assert "Staffing crisis" in labels
    north = figures["trajectory-C2-0"].make().to_dict()
    assert "Staffing crisis" in {row.get("label") for data in north["datasets"].values() for row in data}
