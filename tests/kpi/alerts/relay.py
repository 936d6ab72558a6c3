"""The alert tests' shared steps: point a council at the loopback SMTP server, read what it received."""

from __future__ import annotations

from kpi.access.principal import LOCAL_USER
from kpi.contract.targets import set_setting

COUNCIL = "E08000009"


def use_relay(store, port: int, council: str = COUNCIL) -> None:
    """Set the council's relay to the loopback server on ``port`` (no TLS) and its sender address."""
    for key, value in (
        ("smtp_host", "127.0.0.1"),
        ("smtp_port", port),
        ("smtp_tls", "none"),
        ("smtp_sender", "hcp@council.gov.uk"),
    ):
        set_setting(store, council, key, value, principal=LOCAL_USER)


def subject(message) -> str:
    """The subject, unfolded (a long header is folded onto several lines)."""
    return message["Subject"].replace("\r\n", "").replace("\n", "")
