"""Users and roles: ``hcp users add|list|remove`` and kpi.access.users (dated rows, history kept, audited)."""

import json

import pytest

from kpi import cli
from kpi.access import users as users
from kpi.access.principal import LOCAL_USER, Principal
from kpi.access.users import UserError
from kpi.core.store import Store


def hcp(db, *arguments):
    return cli.main(["--db", str(db), "--actor", "it-team", *arguments])


@pytest.fixture
def db(sample_db_copy, hcp_today):
    return sample_db_copy


def test_users_add_list_remove_on_the_command_line(db, capsys):
    assert hcp(db, "users", "add", "Lead@ZZ1.nhs.uk", "--role", "provider", "--provider", "zz1") == 0
    assert capsys.readouterr().out == "lead@zz1.nhs.uk may sign in as provider for provider ZZ1\n"
    assert hcp(db, "users", "add", "chair@council.gov.uk", "--role", "viewer") == 0
    capsys.readouterr()
    assert hcp(db, "users", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["email"], u["role"], u["provider_code"], u["added_by"]) for u in listed] == [
        ("chair@council.gov.uk", "viewer", None, "it-team"),
        ("lead@zz1.nhs.uk", "provider", "ZZ1", "it-team"),
    ]
    assert hcp(db, "users", "remove", "CHAIR@council.gov.uk") == 0
    assert "chair@council.gov.uk removed: they can no longer sign in" in capsys.readouterr().out
    assert hcp(db, "users", "list") == 0
    assert "chair@council.gov.uk" not in capsys.readouterr().out
    assert hcp(db, "users", "list", "--all") == 0
    assert "chair@council.gov.uk" in capsys.readouterr().out
    with Store.open(db) as store:
        audit = store.query(
            "select action, actor, subject from audit_log where action like 'user%' order by audit_id"
        ).rows()
    assert audit == [
        ("user added", "it-team", "lead@zz1.nhs.uk"),
        ("user added", "it-team", "chair@council.gov.uk"),
        ("user removed", "it-team", "chair@council.gov.uk"),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["not-an-address", "--role", "viewer"], "'not-an-address' is not an e-mail address"),
        (["x@trust.nhs.uk", "--role", "provider"], "a provider user needs the provider they work for"),
        (
            ["x@trust.nhs.uk", "--role", "provider", "--provider", "ZZ9"],
            "ZZ9 is not a provider of this database",
        ),
        (
            ["x@council.gov.uk", "--role", "viewer", "--provider", "ZZ1"],
            "only provider users have a provider",
        ),
    ],
)
def test_users_add_refuses_with_a_reason(db, capsys, arguments, message):
    assert hcp(db, "users", "add", *arguments) == 1
    assert message in capsys.readouterr().err


def test_users_remove_of_a_stranger_says_so(db, capsys):
    assert hcp(db, "users", "remove", "nobody@council.gov.uk") == 1
    assert "'nobody@council.gov.uk' is not a current user: nothing was changed" in capsys.readouterr().err


def test_users_add_needs_a_role(db, capsys):
    with pytest.raises(SystemExit):
        hcp(db, "users", "add", "x@council.gov.uk")
    assert "users add needs --role" in capsys.readouterr().err


def test_changing_a_role_keeps_the_history(sample_store):
    users.add_user(sample_store, LOCAL_USER, "pat@council.gov.uk", "viewer")
    changed = users.add_user(sample_store, LOCAL_USER, "pat@council.gov.uk", "commissioner")
    assert changed == Principal("pat@council.gov.uk", "commissioner")
    assert users.find_user(sample_store, " PAT@council.gov.uk ") == changed
    history = users.list_users(sample_store, LOCAL_USER, include_removed=True)
    assert history.select("role", "removed_by").rows() == [("viewer", "local user"), ("commissioner", None)]
    audit = sample_store.query(
        "select action, detail_json from audit_log order by audit_id desc limit 1"
    ).row(0)
    assert audit[0] == "user changed" and json.loads(audit[1])["previous_role"] == "viewer"
    # adding the same again changes nothing
    count = sample_store.query("select count(*) from users").item()
    users.add_user(sample_store, LOCAL_USER, "pat@council.gov.uk", "commissioner")
    assert sample_store.query("select count(*) from users").item() == count


def test_a_removed_user_can_no_longer_sign_in(sample_store):
    users.add_user(sample_store, LOCAL_USER, "pat@council.gov.uk", "viewer")
    users.remove_user(sample_store, LOCAL_USER, "pat@council.gov.uk")
    assert users.find_user(sample_store, "pat@council.gov.uk") is None
    assert users.find_user(sample_store, None) is None
    with pytest.raises(UserError, match="is not a current user"):
        users.remove_user(sample_store, LOCAL_USER, "pat@council.gov.uk")


def test_sign_ins_and_refusals_are_audited(sample_store):
    who = users.add_user(sample_store, LOCAL_USER, "pat@council.gov.uk", "viewer")
    users.record_sign_in(sample_store, "pat@council.gov.uk", who)
    users.record_sign_in(sample_store, "Stranger@Example.org", None)
    rows = sample_store.query("select action, actor from audit_log order by audit_id desc limit 2").rows()
    assert rows == [("sign-in refused", "stranger@example.org"), ("signed in", "pat@council.gov.uk")]
