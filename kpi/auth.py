"""Who is asking: the principal, the local single-user mode and the rule that it only serves this machine.

With ``[auth]`` in the secrets file the app signs people in with OIDC (``st.login``) and each signed-in e-mail is
looked up in the ``users`` table (:mod:`kpi.users`) to make a :class:`Principal`. Without it the app runs as one
local commissioner and must not be reachable from other machines (architecture.md section 5): the launcher refuses
a non-loopback address and the app refuses any session that reaches it off loopback.

The secrets file is the project's ``.streamlit/secrets.toml``, or the files named by ``STREAMLIT_SECRETS_FILES``
(Streamlit's own environment variable for its ``secrets.files`` option, whitespace-separated), so that the launcher,
the app and Streamlit's own sign-in read the same file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kpi.store import ROOT

SECRETS = ROOT / ".streamlit" / "secrets.toml"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
REFUSAL = (
    "HCP Contract Monitor is running in local single-user mode (no sign-in is configured), so it only serves "
    "this computer. To share it, configure sign-in ([auth] in .streamlit/secrets.toml) and add users."
)


ROLES = ("commissioner", "provider", "viewer", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is asking: e-mail, role and (for providers) the provider they work for.

    ``is_local`` marks the single user of an app without sign-in, and the command line: the person at this
    computer, who is the commissioner and also administers the installation (users, settings, backups).

    Example:
        >>> Principal("lead@trust.nhs.uk", "provider", "ZZ1").roles
        frozenset({'provider'})
    """

    email: str
    role: str  # commissioner | provider | viewer | admin
    provider_code: str | None = None
    is_local: bool = False

    @property
    def roles(self) -> frozenset[str]:
        """The roles whose rights this principal has (the local user: commissioner and admin)."""
        return frozenset({"commissioner", "admin"}) if self.is_local else frozenset({self.role})

    @property
    def label(self) -> str:
        """How the principal is named to people and in the audit log."""
        if self.role == "provider" and self.provider_code:
            return f"{self.email} (provider {self.provider_code})"
        return f"{self.email} ({self.role})"


LOCAL_USER = Principal(email="local user", role="commissioner", is_local=True)


def local_principal(actor: str) -> Principal:
    """The principal of a command-line user (``--actor``): the local commissioner and administrator."""
    return Principal(email=actor, role="commissioner", is_local=True)


def secrets_files() -> list[Path]:
    """The secrets files Streamlit reads: ``STREAMLIT_SECRETS_FILES`` if set, else the project's file."""
    named = os.environ.get("STREAMLIT_SECRETS_FILES", "").split()
    return [Path(name) for name in named] if named else [SECRETS]


def auth_configured(secrets: Path | None = None) -> bool:
    """Whether sign-in (OIDC ``[auth]``) is configured in the secrets file(s)."""
    for file in [secrets] if secrets is not None else secrets_files():
        if not file.is_file():
            continue
        with open(file, "rb") as handle:
            if tomllib.load(handle).get("auth"):
                return True
    return False


def is_loopback(address: str | None) -> bool:
    """Whether an address or host name is this machine only (127.0.0.0/8, ::1, localhost)."""
    if not address:
        return False
    host = address.strip().strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---- the e-mail claim a sign-in is resolved by ------------------------------------------------------------------

_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
UNVERIFIED = (
    "Your organisation's sign-in service says the e-mail address of this account has not been verified, so "
    "HCP Contract Monitor cannot tell who you are. Please verify the address with your IT service, then sign in "
    "again."
)


def normalise_email(email: str | None) -> str:
    r"""An address as it is stored and compared: surrounding spaces removed and ASCII letters in lower case.

    Only A-Z are lowered: no Unicode case folding or normalisation, so a look-alike such as the Kelvin sign
    (U+212A) stays itself and never matches a user's ``k``.

    Example:
        >>> normalise_email(" Lead@Trust.NHS.uk "), normalise_email("\u212aate@x.org") == "kate@x.org"
        ('lead@trust.nhs.uk', False)
    """
    return (email or "").strip().translate(_ASCII_UPPER)


def email_verified(claims) -> bool:
    """Whether the identity provider's claims allow the e-mail to be trusted.

    A provider that sends ``email_verified`` must send true (the boolean, or the text "true"); one that does not
    send the claim at all (some councils' directories never do) is trusted for the addresses it issues.
    """
    if "email_verified" not in claims:
        return True
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def claimed_email(claims) -> str | None:
    """The signed-in e-mail address to look up in the users table, or ``None`` when there is none to trust.

    ``None`` when there is no e-mail claim, or ``email_verified`` is sent and is not true.
    """
    email = claims.get("email")
    if not email or not isinstance(email, str) or not email_verified(claims):
        return None
    return normalise_email(email) or None
