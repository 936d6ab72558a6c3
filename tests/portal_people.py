"""The portal's cast, added to a copy of the sample database: a second provider (ZZ2) and the people who sign in.

Shared by the portal page tests (``AppTest``) and the portal browser test (a real OIDC sign-in), so both meet the
same second trust.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi.access.principal import LOCAL_USER
from kpi.access.users import add_user
from kpi.core.councils import add_provider
from kpi.core.store import Store
from kpi.sample import COUNCIL_CODE
from tests.serving import TODAY


def add_portal_people(db: Path, people: list[tuple[str, str, str | None]]) -> None:
    """Add provider ZZ2 to the council in ``db``, then each (e-mail, role, provider code) in ``people``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HCP_TODAY", TODAY)
        with Store.open(db) as store:
            add_provider(
                store,
                COUNCIL_CODE,
                "ZZ2",
                "Second trust (synthetic)",
                "0-19 HCP (lot 2)",
                principal=LOCAL_USER,
            )
            for email, role, provider in people:
                add_user(store, LOCAL_USER, email, role, provider_code=provider)
