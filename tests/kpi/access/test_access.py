"""Scope in the data layer (docs/operations.md, "Sign-in and roles"): every denial proved at the function level.

Each test calls a kpi function as a principal who may not do it and asserts the plain-words refusal and that
nothing was written. The sample database (one provider, ZZ1) gets a second provider, ZZ2, for the scope tests.
"""

from datetime import date

import pytest

from kpi.access import audit as audit_log
from kpi.access import rules as access
from kpi.access import users as users
from kpi.access.principal import LOCAL_USER, Principal, local_principal
from kpi.access.rules import AccessDenied, require
from kpi.contract import narratives as exceptions
from kpi.contract import targets as targets
from kpi.core.councils import add_provider
from kpi.returns import review as submissions
from kpi.returns import template as return_template
from kpi.returns import timeliness as data_quality
from kpi.sample import COUNCIL_CODE, SAMPLE_DIR

COMMISSIONER = Principal("commissioner@council.gov.uk", "commissioner")
VIEWER = Principal("scrutiny@council.gov.uk", "viewer")
ADMIN = Principal("it@council.gov.uk", "admin")
ZZ1 = Principal("lead@zz1.nhs.uk", "provider", "ZZ1")
ZZ2 = Principal("lead@zz2.nhs.uk", "provider", "ZZ2")
Q2_SUBMISSION = 17
Q2 = SAMPLE_DIR / "provider_returns" / "mandated_contacts_2026-27_Q2.csv"


@pytest.fixture
def store(sample_store):
    add_provider(sample_store, COUNCIL_CODE, "ZZ2", "Second trust (synthetic)", "lot 2", principal=LOCAL_USER)
    return sample_store


def new_file():
    """The sample's 2026-27 Q2 return with Windows line ends: the same rows, a file not yet received."""
    return Q2.read_bytes().replace(b"\n", b"\r\n")


def test_require_names_the_role_needed_and_who_is_asking():
    with pytest.raises(AccessDenied) as raised:
        require(VIEWER, "review")
    assert str(raised.value) == (
        "Only a commissioner can accept or query a submission. You are signed in as scrutiny@council.gov.uk "
        "(viewer)."
    )
    assert isinstance(raised.value, PermissionError)


def test_a_provider_is_refused_another_providers_data():
    with pytest.raises(AccessDenied) as raised:
        require(ZZ2, "read_submissions", "zz1")
    assert str(raised.value) == "You can only see returns for your own provider (ZZ2), not for ZZ1."


def test_a_provider_account_without_a_provider_is_refused():
    with pytest.raises(AccessDenied, match="without a provider"):
        require(Principal("x@trust.nhs.uk", "provider"), "read_submissions")


def test_nobody_signed_in_is_refused():
    with pytest.raises(AccessDenied, match="You are not signed in"):
        require(None, "read_data")


def test_the_local_user_is_commissioner_and_admin():
    for action in access.PERMISSIONS:
        if action in ("read_unaccepted", "upload") or access.allowed(COMMISSIONER, action):
            require(LOCAL_USER, action)
    require(LOCAL_USER, "manage_users")
    require(LOCAL_USER, "backup")


def test_a_provider_lists_only_its_own_submissions(store):
    assert submissions.list_submissions(store, COUNCIL_CODE, ZZ2).is_empty()
    own = submissions.list_submissions(store, COUNCIL_CODE, ZZ1)
    assert own.height == 17 and own["provider_code"].unique().to_list() == ["ZZ1"]


def test_a_provider_cannot_read_another_providers_rows_report_file_or_history(store):
    for read in (
        lambda: submissions.submission_rows(store, Q2_SUBMISSION, ZZ2),
        lambda: submissions.submission_report(store, Q2_SUBMISSION, ZZ2),
        lambda: submissions.submission_file(store, ZZ2, Q2_SUBMISSION),
        lambda: submissions.submission_history(store, ZZ2, Q2_SUBMISSION),
    ):
        with pytest.raises(AccessDenied, match=r"your own provider \(ZZ2\), not for ZZ1"):
            read()
    assert submissions.submission_rows(store, Q2_SUBMISSION, ZZ1).height == 656


def test_a_viewer_reads_accepted_returns_only(store, table_counts):
    result = submissions.portal_load(store, ZZ1, new_file(), "q2.csv", council_code=COUNCIL_CODE)
    assert result.outcome == submissions.WRITTEN
    seen = submissions.list_submissions(store, COUNCIL_CODE, VIEWER)
    assert result.submission_id not in seen["submission_id"].to_list() and seen.height == 17
    with pytest.raises(AccessDenied, match="a viewer can only see accepted returns"):
        submissions.submission_rows(store, result.submission_id, VIEWER)
    assert submissions.submission_rows(store, Q2_SUBMISSION, VIEWER).height == 656


def test_an_upload_is_stamped_with_the_providers_own_code(store, table_counts):
    before = table_counts(store)
    result = submissions.portal_load(store, ZZ2, new_file(), "zz1_return.csv", council_code=COUNCIL_CODE)
    assert result.outcome == submissions.REJECTED
    assert "the provider code 'ZZ1' is not ZZ2" in result.report.to_text()
    after = table_counts(store)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == {"audit_log": 1}


def test_a_provider_cannot_upload_for_another_provider(store, table_counts):
    before = table_counts(store)
    with pytest.raises(AccessDenied, match="upload or check a return for your own provider"):
        submissions.portal_load(
            store, ZZ2, new_file(), "q2.csv", council_code=COUNCIL_CODE, provider_code="ZZ1"
        )
    assert table_counts(store) == before


@pytest.mark.parametrize("who", [VIEWER, ADMIN])
def test_viewers_and_admins_cannot_upload(store, who):
    with pytest.raises(AccessDenied, match="Only a commissioner or a provider can upload or check a return"):
        submissions.portal_load(
            store, who, new_file(), "q2.csv", council_code=COUNCIL_CODE, provider_code="ZZ1"
        )


@pytest.mark.parametrize("who", [ZZ1, VIEWER, ADMIN])
def test_only_commissioners_accept_or_query(store, who, table_counts):
    waiting = submissions.portal_load(store, ZZ1, new_file(), "q2.csv", council_code=COUNCIL_CODE)
    before = table_counts(store)
    with pytest.raises(AccessDenied, match="Only a commissioner can accept or query a submission"):
        submissions.accept_submission(store, who, waiting.submission_id)
    with pytest.raises(AccessDenied, match="Only a commissioner can accept or query a submission"):
        submissions.query_submission(store, who, waiting.submission_id, "why?")
    assert table_counts(store) == before


@pytest.mark.parametrize("who", [ZZ1, VIEWER, ADMIN])
def test_only_commissioners_change_targets(store, who, table_counts):
    before = table_counts(store)
    with pytest.raises(AccessDenied, match="Only a commissioner can change contract targets"):
        targets.set_target(
            store,
            COUNCIL_CODE,
            "C2",
            target_pct=95,
            amber_margin_pct=5,
            effective_from="2026-27 Q3",
            principal=who,
        )
    assert table_counts(store) == before


@pytest.mark.parametrize("who", [ZZ1, VIEWER])
def test_providers_and_viewers_cannot_change_settings(store, who, table_counts):
    before = table_counts(store)
    with pytest.raises(AccessDenied, match="Only a commissioner or an admin can change settings"):
        targets.set_setting(store, COUNCIL_CODE, "return_due_working_days", 10, principal=who)
    assert table_counts(store) == before


def test_an_admin_changes_settings_and_a_commissioner_targets(store):
    targets.set_setting(
        store, COUNCIL_CODE, "return_due_working_days", 10, principal=ADMIN, reason="new contract"
    )
    start = targets.set_target(
        store,
        COUNCIL_CODE,
        "C2",
        target_pct=95,
        amber_margin_pct=5,
        effective_from="2026-27 Q3",
        principal=COMMISSIONER,
    )
    assert start.code == "2026-27 Q3"
    audit = store.query("select actor, action from audit_log order by audit_id desc limit 2").rows()
    assert audit == [(COMMISSIONER.email, "target set"), (ADMIN.email, "setting changed")]


def test_providers_cannot_read_targets_settings_audit_or_data_quality(store):
    with pytest.raises(AccessDenied, match="see targets and settings"):
        targets.list_targets(store, COUNCIL_CODE, ZZ1)
    with pytest.raises(AccessDenied, match="see the audit log"):
        audit_log.audit_entries(store, ZZ1)
    with pytest.raises(AccessDenied, match="see the audit log"):
        audit_log.audit_entries(store, VIEWER)
    with pytest.raises(AccessDenied, match="see the data quality of returns"):
        data_quality.return_timeliness(store, ZZ1, COUNCIL_CODE)


@pytest.mark.parametrize("who", [COMMISSIONER, ZZ1, VIEWER])
def test_only_admins_manage_users(store, who, table_counts):
    before = table_counts(store)
    with pytest.raises(AccessDenied, match="Only an admin can add, change or remove users"):
        users.add_user(store, who, "new@council.gov.uk", "viewer")
    with pytest.raises(AccessDenied, match="Only an admin can add, change or remove users"):
        users.list_users(store, who)
    assert table_counts(store) == before


def test_a_provider_cannot_write_another_providers_narrative_and_nobody_but_commissioners_agree(store):
    fields = dict(
        kpi_code="C2",
        period="2026-27 Q2",
        locality_code="NORTH",
        explanation="x",
        remedial_action="y",
        owner="z",
        due_date=date(2027, 1, 31),
    )
    with pytest.raises(AccessDenied, match=r"your own provider \(ZZ2\), not for ZZ1"):
        exceptions.save_narrative(store, ZZ2, COUNCIL_CODE, provider_code="ZZ1", **fields)
    with pytest.raises(AccessDenied, match="write an exception narrative"):
        exceptions.save_narrative(store, VIEWER, COUNCIL_CODE, provider_code="ZZ1", **fields)
    exceptions.save_narrative(store, ZZ1, COUNCIL_CODE, provider_code="ZZ1", **fields)
    for who in (ZZ1, VIEWER, ADMIN):
        with pytest.raises(AccessDenied, match="Only a commissioner can agree an exception narrative"):
            exceptions.agree_narrative(
                store,
                who,
                COUNCIL_CODE,
                provider_code="ZZ1",
                kpi_code="C2",
                period="2026-27 Q2",
                locality_code="NORTH",
            )
    assert exceptions.exception_candidates(store, ZZ2, COUNCIL_CODE).is_empty()
    assert exceptions.narratives(store, ZZ2, COUNCIL_CODE).is_empty()
    assert exceptions.narratives(store, VIEWER, COUNCIL_CODE).is_empty()  # not agreed yet


def test_a_provider_cannot_download_another_providers_template(store):
    with pytest.raises(AccessDenied, match=r"your own provider \(ZZ2\), not for ZZ1"):
        return_template.template_csv(store, ZZ2, COUNCIL_CODE, "ZZ1", "2026-27 Q2")


def test_page_roles():
    assert access.page_allowed(ZZ1, "upload") and not access.page_allowed(ZZ1, "review")
    assert access.page_allowed(VIEWER, "overview") and not access.page_allowed(VIEWER, "upload")
    assert access.page_allowed(ADMIN, "admin") and not access.page_allowed(COMMISSIONER, "admin")
    assert access.page_allowed(LOCAL_USER, "admin") and access.page_allowed(LOCAL_USER, "review")
    assert access.page_allowed(COMMISSIONER, "a-page-not-listed")
    assert not access.page_allowed(VIEWER, "a-page-not-listed")


def test_a_providers_overview_shows_only_its_own_returns(store):
    from kpi.contract import values as overview

    zz2 = Q2.read_bytes().replace(b",ZZ1,", b",ZZ2,")
    loaded = submissions.load_return(
        store,
        zz2,
        "zz2.csv",
        council_code=COUNCIL_CODE,
        provider_code="ZZ2",
        principal=local_principal("analyst"),
    )
    assert loaded.outcome == submissions.WRITTEN

    def c2_borough(**scope):
        values = overview.kpi_values(store, COUNCIL_CODE, **scope)
        return values.filter(kpi_code="C2", period="2026-27 Q2", level="borough")["numerator"].item()

    everyone = c2_borough(principal=COMMISSIONER)
    assert c2_borough(principal=ZZ1) == c2_borough(principal=ZZ2) == everyone / 2
    assert c2_borough(principal=VIEWER) == c2_borough(principal=COMMISSIONER) == everyone
    assert c2_borough(principal=ZZ1, provider_code="ZZ1") == everyone / 2
    with pytest.raises(AccessDenied, match=r"your own provider \(ZZ1\), not for ZZ2"):
        c2_borough(principal=ZZ1, provider_code="ZZ2")
    with pytest.raises(AccessDenied, match="see the contract's KPI values"):
        c2_borough(principal=ADMIN)
    # exceptions follow the same scope: ZZ2 now has its own red NORTH C2 to explain
    own = exceptions.exception_candidates(store, ZZ2, COUNCIL_CODE, "2026-27 Q2")
    assert (
        set(own["provider_code"]) == {"ZZ2"}
        and not own.filter(kpi_code="C2", locality_code="NORTH").is_empty()
    )
    both = exceptions.exception_candidates(store, COMMISSIONER, COUNCIL_CODE, "2026-27 Q2")
    assert set(both["provider_code"]) == {"ZZ1", "ZZ2"}
