"""Issue #13 finding 8: a sign-in is resolved only from an e-mail address the identity provider vouches for, and
addresses are compared exactly after lower-casing ASCII letters (no Unicode case folding)."""

import pytest

from kpi.access import users as users
from kpi.access.principal import LOCAL_USER, claimed_email, email_verified, normalise_email

COMMISSIONER = "kate@council.gov.uk"


@pytest.fixture
def store_with_commissioner(sample_store):
    users.add_user(sample_store, LOCAL_USER, COMMISSIONER, "commissioner")
    return sample_store


def sign_in(store, claims):
    """What the app does with the claims st.user holds: the address it trusts, then the users table."""
    return users.find_user(store, claimed_email(claims))


def test_a_verified_address_signs_in(store_with_commissioner):
    who = sign_in(store_with_commissioner, {"email": "Kate@Council.GOV.uk", "email_verified": True})
    assert who is not None and who.role == "commissioner" and who.email == COMMISSIONER


def test_a_provider_that_sends_no_verified_claim_is_trusted_for_its_addresses(store_with_commissioner):
    assert sign_in(store_with_commissioner, {"email": COMMISSIONER}).role == "commissioner"


@pytest.mark.parametrize("flag", [False, "false", "False", 0, None, "no"])
def test_an_unverified_address_never_signs_in(store_with_commissioner, flag):
    claims = {"email": COMMISSIONER, "email_verified": flag}
    assert not email_verified(claims)
    assert claimed_email(claims) is None
    assert sign_in(store_with_commissioner, claims) is None


def test_a_kelvin_sign_spelling_is_not_the_users_address(store_with_commissioner):
    kelvin = "\u212aate@council.gov.uk"  # KELVIN SIGN: Python's str.lower() turns it into an ASCII "k"
    assert kelvin.lower() == COMMISSIONER
    assert normalise_email(kelvin) != COMMISSIONER
    assert sign_in(store_with_commissioner, {"email": kelvin, "email_verified": True}) is None
    assert users.find_user(store_with_commissioner, kelvin) is None


@pytest.mark.parametrize(
    "look_alike",
    [
        "kate@counc\u0131l.gov.uk",  # dotless i
        "k\u0430te@council.gov.uk",  # Cyrillic a
        "ｋate@council.gov.uk",  # fullwidth k (NFKC folds it)
        "KATE@COUNCİL.GOV.UK",  # capital I with dot above
    ],
)
def test_no_unicode_folding_matches_a_user(store_with_commissioner, look_alike):
    assert sign_in(store_with_commissioner, {"email": look_alike, "email_verified": True}) is None


def test_no_email_claim_is_nobody():
    assert claimed_email({"email_verified": True}) is None
    assert claimed_email({"email": "", "email_verified": True}) is None
