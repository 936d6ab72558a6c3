"""Child-level health visiting records through the real pages: a provider loads its extract on Upload, and the
commissioner sees the reconciliation with the return on Data quality and a KPI by ethnic group (the upload, which
supersedes the sample's extract, comes last)."""

import re

from streamlit.testing.v1 import AppTest

from tests.kpi.hvrecords.fixture import csds_tables, extract
from tests.pages.test_portal_pages import portal_db, texts  # noqa: F401 - the portal's fixtures
from tests.pages.test_portal_pages import signed_in as signed_in  # noqa: F401


def _sample_lsoas() -> dict[str, str]:
    from pages._app import ui as _ui

    found = _ui.store().query(
        "select r.imd_decile, min(l.lsoa_code) from locality_lsoas l join lsoa_reference r using (lsoa_code) "
        "where r.imd_decile in (1, 5) group by 1"
    )
    deciles = dict(found.iter_rows())
    return {"NORTH": deciles[1], "SOUTH": deciles[5]}


def test_the_commissioner_sees_the_planted_disagreement_on_data_quality(signed_in):
    at = signed_in("commissioner", "pages/data_quality.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "2 of " in texts(at) and "cells differ by more than 2.0 percentage points" in texts(at)
    table = at.dataframe[-1].value
    assert table["KPI"].tolist() == ["C2", "C3"] and table["Locality"].tolist() == ["WEST", "WEST"]
    assert table["Children behind"].tolist() == [2, 2]


def test_the_mandated_contacts_page_shows_a_kpi_by_ethnic_group(signed_in):
    at = signed_in("commissioner", "pages/mandated_contacts.py")
    assert not at.exception, [e.value for e in at.exception]
    headers = [h.value for h in at.subheader]
    assert "By ethnic group, 2026-27 Q2" in headers
    table = at.dataframe[-1].value
    assert table["Ethnic group"].tolist()[-1] == "Not stated" and len(table) == 6


def test_a_provider_checks_then_loads_its_extract_on_the_upload_page(signed_in):
    at = signed_in("provider", "pages/upload.py")
    data = extract(_sample_lsoas())
    at = _upload(at, data, "hv_check")
    assert "checked only" in texts(at).lower() and "nothing was written" in texts(at).lower()
    at = _upload(at, data, "hv_load")
    assert "loaded as health visiting records load 2" in texts(at).lower()  # superseding the sample's load 1
    bad = data.replace(b"2025-03-02", b"2025-02-31", 1)
    at = _upload(at, bad, "hv_load")
    assert "the file was rejected" in texts(at).lower()
    report = at.table[-1].value.to_csv()
    assert "not a real day" in report and "2025-02-31" not in report + texts(at)


def test_a_provider_loads_its_submissions_csds_tables_on_the_upload_page(signed_in):
    at = signed_in("provider", "pages/upload.py")
    parts = csds_tables(_sample_lsoas())
    at = _upload(at, parts, "hv_load")
    assert re.search(r"loaded as health visiting records load \d+ \\\(zz1\\: 17 children", texts(at).lower())
    bad = [
        (n, d.replace(b"2025-03-16", b"2025-03-36")) if n.startswith("CYP201") else (n, d) for n, d in parts
    ]
    at = _upload(at, bad, "hv_check")
    assert "a load would be rejected" in texts(at).lower()
    report = at.table[-1].value.to_csv().replace("\\", "")
    assert "contact_date in CYP201_ZZ1.csv" in report and "2025-03-36" not in report + texts(at)


def _upload(at: AppTest, data, button: str) -> AppTest:
    files = data if isinstance(data, list) else [("extract.csv", data)]
    at.file_uploader(key="hv_file").set_value([(name, body, "text/csv") for name, body in files])
    at.run()
    at.button(key=button).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
