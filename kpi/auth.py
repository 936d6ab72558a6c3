"""Who is asking: the local single-user mode and the rule that it only serves this machine.

Without ``[auth]`` in ``.streamlit/secrets.toml`` the app runs as one local commissioner and must not be reachable
from other machines (architecture.md section 5): the launcher refuses a non-loopback address and the app refuses
any session that reaches it off loopback.
"""

from __future__ import annotations

import ipaddress
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


@dataclass(frozen=True)
class Principal:
    """The signed-in user: e-mail, role and (for providers) the provider they work for."""

    email: str
    role: str  # commissioner | provider | viewer | admin
    provider_code: str | None = None


LOCAL_USER = Principal(email="local user", role="commissioner")


def auth_configured(secrets: Path = SECRETS) -> bool:
    """Whether sign-in (OIDC ``[auth]``) is configured."""
    if not secrets.is_file():
        return False
    with open(secrets, "rb") as handle:
        return bool(tomllib.load(handle).get("auth"))


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
