"""Issue #13 finding 9a: a provider's words are shown as typed, never rendered as Markdown.

A narrative with an image (fetched by every viewer's browser), a link and Streamlit's colour syntax is saved and
agreed through the library as the real roles, then the Overview is rendered (AppTest) for the commissioner: the
Markdown element carries every such character escaped, so no image, link or colour is produced.
"""

from datetime import date

from tests.pages.test_portal_pages import PEOPLE, portal_db, signed_in  # noqa: F401 (fixtures)

HOSTILE = "Staffing ![x](http://127.0.0.1:9/beacon.png) see [the plan](http://evil.example) :red[urgent]"


def test_a_narrative_with_markdown_is_shown_as_typed(signed_in):  # noqa: F811
    from kpi.access.users import find_user
    from kpi.contract import narratives as exceptions
    from pages._app import ui as _ui

    signed_in("provider", "pages/exceptions.py")  # opens the store the pages use
    store = _ui.store()
    where = dict(provider_code="ZZ1", kpi_code="C2", period="2026-27 Q2", locality_code="NORTH")
    exceptions.save_narrative(
        store,
        find_user(store, PEOPLE["provider"][0]),
        "E08000009",
        **where,
        explanation=HOSTILE,
        remedial_action="[Click here](javascript:alert(1))",
        owner="**Head** of service",
        due_date=date(2027, 1, 31),
    )
    exceptions.agree_narrative(store, find_user(store, PEOPLE["commissioner"][0]), "E08000009", **where)
    overview = signed_in("commissioner", "pages/overview.py")
    shown = "\n".join(m.value for m in overview.markdown)
    assert _ui.plain(HOSTILE) in shown
    assert "\\!\\[x\\]\\(http\\://127\\.0\\.0\\.1\\:9/beacon\\.png\\)" in shown
    for raw in ("![x](", "[the plan](", ":red[", "[Click here](", "**Head**"):
        assert raw not in shown, raw
