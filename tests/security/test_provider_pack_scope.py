"""Issue #13 finding 2: a provider's draft pack holds its own provider's data only.

A second provider (ZZ2) commissioned by the same council sends its own return, has one waiting for review, and
owns an action and a risk. ZZ1's lead builds its draft pack through the library (``kpi.reports.build``, as the
Meeting pack page does): nothing of ZZ2 appears in it (figures, received, late or waiting returns, actions,
risks); asking for ZZ2's pack is refused. The commissioner's pack of the council still shows ZZ2.
"""

from datetime import datetime

import pytest

from kpi import reports
from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.rules import AccessDenied
from kpi.contract import meetings as meetings
from kpi.core.councils import add_provider
from kpi.reports.html import render_html
from kpi.returns.load import WRITTEN, load_return
from kpi.sample import COUNCIL_CODE
from tests.conftest import SAMPLE_Q2_RETURN

ZZ1 = Principal("lead@trust.nhs.uk", "provider", "ZZ1")
SECRET = "ZZ2-ONLY"


def _as_zz2(text: str, period: str) -> bytes:
    lines = text.splitlines()
    rows = [line.replace(",ZZ1,", ",ZZ2,").replace("2026-27 Q2", period) for line in lines[1:]]
    return ("\n".join([lines[0], *rows]) + "\n").encode()


@pytest.fixture
def two_providers(sample_store):
    add_provider(
        sample_store, COUNCIL_CODE, "ZZ2", f"Second trust {SECRET}", "Second contract", principal=LOCAL_USER
    )
    text = SAMPLE_Q2_RETURN.read_text(encoding="utf-8")
    for period, status in (("2026-27 Q2", "accepted"), ("2026-27 Q1", "submitted")):
        result = load_return(
            sample_store,
            _as_zz2(text, period),
            f"zz2_{SECRET}_{period}.csv",
            council_code=COUNCIL_CODE,
            provider_code="ZZ2",
            principal=LOCAL_USER,
            accept_warnings=True,
            reason="test",
            status=status,
        )
        assert result.outcome == WRITTEN, result.message
    meetings.add_action(
        sample_store,
        COUNCIL_CODE,
        what=f"Action {SECRET}",
        owner="ZZ2 lead",
        provider_code="ZZ2",
        principal=LOCAL_USER,
    )
    meetings.add_risk(
        sample_store,
        COUNCIL_CODE,
        risk=f"Risk {SECRET}",
        likelihood=3,
        impact=3,
        owner="o",
        provider_code="ZZ2",
        principal=LOCAL_USER,
    )
    return sample_store


AS_AT = datetime(2026, 11, 23, 23, 0)


def test_a_providers_draft_pack_holds_nothing_of_another_provider(two_providers):
    built = reports.build(two_providers, "pack", "2026-27 Q2", AS_AT, principal=ZZ1)
    html = render_html(built.document)
    assert built.is_draft and built.provider_code == "ZZ1"
    assert "ZZ2" not in html and SECRET not in html
    with pytest.raises(AccessDenied, match="only build a meeting pack for your own provider"):
        reports.build(two_providers, "pack", "2026-27 Q2", AS_AT, principal=ZZ1, provider_code="ZZ2")
    council = render_html(
        reports.build(two_providers, "pack", "2026-27 Q2", AS_AT, principal=LOCAL_USER).document
    )
    assert SECRET in council  # the commissioner's pack still carries ZZ2's action and risk
