"""Who is asking: the principal, the local single-user mode and the rule that it only serves this machine.

With ``[auth]`` in the secrets file the app signs people in with OIDC (``st.login``) and each signed-in e-mail is
looked up in the ``users`` table (:mod:`kpi.access.users`) to make a :class:`Principal`. Without it the app runs as one
local commissioner and must not be reachable from other machines (docs/operations.md, sign-in and roles): the launcher refuses
a non-loopback address and the app refuses any session that reaches it off loopback.

The secrets file is the project's ``.streamlit/secrets.toml``, or the files named by ``STREAMLIT_SECRETS_FILES``
(Streamlit's own environment variable for its ``secrets.files`` option, whitespace-separated), so that the launcher,
the app and Streamlit's own sign-in read the same file.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kpi.core.store import ROOT

SECRETS = ROOT / ".streamlit" / "secrets.toml"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
#: The Host names a local-mode app answers to (``server.allowedHosts``): a page on another name that resolves to
#: 127.0.0.1 (DNS rebinding) is refused.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
#: Headers a forwarding proxy adds. Local mode serves a browser on this computer directly, so a request carrying
#: any of them came through a forwarder (another machine's request relayed over loopback) and is refused.
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip")
HOST_REFUSAL = (
    "HCP Contract Monitor does not answer to the web address this page was opened with. In local single-user mode "
    "open it as http://127.0.0.1 (or http://localhost) on this computer; with sign-in, use the address sign-in is "
    "configured for (redirect_uri in .streamlit/secrets.toml)."
)
FORWARDED_REFUSAL = (
    "HCP Contract Monitor is running in local single-user mode (no sign-in is configured) and this request came "
    "through a proxy or forwarder, so it may come from another computer and was refused. To serve it through a "
    "proxy, configure sign-in ([auth] in .streamlit/secrets.toml) and add users."
)
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
    ``is_system`` marks the program acting on its own (:data:`SCHEDULER`), never a person.

    Example:
        >>> Principal("lead@trust.nhs.uk", "provider", "ZZ1").roles
        frozenset({'provider'})
    """

    email: str
    role: str  # commissioner | provider | viewer | admin
    provider_code: str | None = None
    is_local: bool = False
    is_system: bool = False

    @property
    def roles(self) -> frozenset[str]:
        """The roles whose rights this principal has (the local user: commissioner and admin)."""
        return frozenset({"commissioner", "admin"}) if self.is_local else frozenset({self.role})

    @property
    def label(self) -> str:
        """How the principal is named to people and in the audit log."""
        if self.is_system:
            return f"{self.email} (system)"
        if self.role == "provider" and self.provider_code:
            return f"{self.email} (provider {self.provider_code})"
        return f"{self.email} ({self.role})"


LOCAL_USER = Principal(email="local user", role="commissioner", is_local=True)
#: The served app acting on its own: it sends the time-based alerts (late returns, actions falling due) every
#: ``alerts_check_minutes`` (:mod:`kpi.alerts.schedule`). A commissioner's rights, named in the audit log as itself.
SCHEDULER = Principal(email="hcp scheduler", role="commissioner", is_system=True)


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


def _auth_section(secrets: Path | None = None) -> dict:
    for file in [secrets] if secrets is not None else secrets_files():
        if file.is_file():
            with open(file, "rb") as handle:
                section = tomllib.load(handle).get("auth")
            if section:
                return section
    return {}


def host_name(host: str | None) -> str | None:
    """The host name of a ``Host`` header or URL authority (lower case, port dropped), ``None`` when malformed.

    Example:
        >>> host_name("127.0.0.1:8501"), host_name("[::1]:80"), host_name("Attacker.Example."), host_name("a@b")
        ('127.0.0.1', '::1', 'attacker.example', None)
    """
    if not host or any(c in host for c in "/?#@\\ "):
        return None
    try:
        parts = urlsplit(f"//{host}")
        _ = parts.port  # a port that is not a number in range is malformed
    except ValueError:
        return None
    return parts.hostname.rstrip(".") if parts.hostname else None


def allowed_hosts(secrets: Path | None = None) -> list[str]:
    """The Host names the app answers to (Streamlit's ``server.allowedHosts``).

    Local mode: this computer's names only. With sign-in: the host of ``redirect_uri`` in ``[auth]`` (the address
    people sign in at), and nothing when it is missing or malformed (the launcher then refuses to start).
    """
    if not auth_configured(secrets):
        return list(LOCAL_HOSTS)
    section = _auth_section(secrets)
    uri = section.get("redirect_uri")
    host = host_name(urlsplit(uri).netloc) if isinstance(uri, str) else None
    return [host] if host else []


def request_refusal(
    address: object, headers: Mapping[str, str], *, signed_in: bool, hosts: list[str] | tuple[str, ...]
) -> str | None:
    """Why a session's request is refused (the text to show), or ``None`` when it may be served.

    ``address`` is ``st.context.ip_address`` (Streamlit reports ``None`` for a loopback client) and ``headers``
    the request's headers. Local mode (``signed_in`` false) serves only a browser on this computer talking to it
    directly: a loopback connection, a Host naming this computer, and no forwarding header. With sign-in, the Host
    must be the configured one. A session without any header is Streamlit's test harness, not a network client.
    """
    lowered = {str(k).lower(): v for k, v in headers.items()}
    if not lowered and not isinstance(address, str):
        return None
    # Forwarding headers first: Streamlit's server (uvicorn) already rewrites the address from X-Forwarded-For
    # when the forwarder is on loopback, so the address alone cannot tell a forwarded request.
    if not signed_in and any(name in lowered for name in FORWARDING_HEADERS):
        return FORWARDED_REFUSAL
    if not signed_in and isinstance(address, str) and not is_loopback(address):
        return REFUSAL
    if host_name(lowered.get("host")) not in {h.lower() for h in hosts}:
        return HOST_REFUSAL
    return None


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
