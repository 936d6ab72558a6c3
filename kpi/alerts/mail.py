"""Sending e-mail through the council's SMTP relay (docs/operations.md, e-mail alerts).

The relay is four settings (``smtp_host``, ``smtp_port``, ``smtp_tls``: starttls, tls or none, ``smtp_sender``; and
``smtp_user`` when the relay wants a login) and a password in the secrets file under ``[smtp] password``, never in
the database. Without a host or a sender nothing is sent and :func:`relay` says so. Every message sent or failed is
an audit entry ("alert sent", "alert failed") with its recipients, subject and the alerts it carried; a failure is
recorded, not raised, so a load never fails because the relay is down.
"""

from __future__ import annotations

import smtplib
import ssl
import tomllib
from dataclasses import dataclass
from email.message import EmailMessage

from kpi.access.principal import secrets_files
from kpi.core.store import Store, setting

TLS_MODES = ("starttls", "tls", "none")
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Relay:
    """The SMTP relay in force; ``problem`` says why nothing can be sent (None: ready)."""

    host: str
    port: int
    tls: str
    sender: str
    user: str
    problem: str | None


@dataclass(frozen=True)
class Message:
    """One e-mail: to whom, its subject, its plain-text body and the alerts it carries."""

    to: list[str]
    subject: str
    body: str
    alerts: list[str]


def _password() -> str | None:
    for file in secrets_files():
        if file.is_file():
            with open(file, "rb") as handle:
                section = tomllib.load(handle).get("smtp") or {}
            if section.get("password"):
                return str(section["password"])
    return None


def relay(store: Store, council_code: str) -> Relay:
    """The relay the settings describe, and whether alerts can be sent."""
    host = str(setting(store, council_code, "smtp_host")).strip()
    sender = str(setting(store, council_code, "smtp_sender")).strip()
    tls = str(setting(store, council_code, "smtp_tls")).strip().lower()
    problem = None
    if not host or not sender:
        problem = (
            "E-mail alerts are off: no SMTP relay is set. An administrator sets smtp_host and smtp_sender on the "
            "Targets and settings page (and the password, if needed, in secrets.toml under [smtp])."
        )
    elif tls not in TLS_MODES:
        problem = f"E-mail alerts are off: smtp_tls is '{tls}', not one of {', '.join(TLS_MODES)}."
    return Relay(
        host,
        int(setting(store, council_code, "smtp_port")),
        tls,
        sender,
        str(setting(store, council_code, "smtp_user")).strip(),
        problem,
    )


def _connect(r: Relay) -> smtplib.SMTP:
    if r.tls == "tls":
        return smtplib.SMTP_SSL(r.host, r.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
    server = smtplib.SMTP(r.host, r.port, timeout=TIMEOUT_SECONDS)
    if r.tls == "starttls":
        server.starttls(context=ssl.create_default_context())
    return server


def send(store: Store, council_code: str, messages: list[Message], *, actor: str) -> dict[str, int]:
    """Send each message through the relay, auditing each as sent or failed; counts of sent, failed, skipped.

    Without a relay nothing is sent (every message "skipped", nothing audited).
    """
    outcomes = deliver(store, council_code, messages, actor=actor)
    return {state: outcomes.count(state) for state in ("sent", "failed", "skipped")}


def deliver(store: Store, council_code: str, messages: list[Message], *, actor: str) -> list[str]:
    """Send each message as :func:`send` does; what became of each, in order: "sent", "failed" or "skipped"."""
    r = relay(store, council_code)
    if r.problem or not messages:
        return ["skipped"] * len(messages)
    password = _password()
    try:
        server = _connect(r)
    except (OSError, smtplib.SMTPException) as exc:
        return _all_failed(store, council_code, actor, messages, exc)
    outcomes = []
    with server:
        if r.user and password:
            try:
                server.login(r.user, password)
            except (OSError, smtplib.SMTPException) as exc:
                return _all_failed(store, council_code, actor, messages, exc)
        for message in messages:
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = r.sender, ", ".join(message.to), message.subject
            mail.set_content(message.body)
            try:
                server.send_message(mail)
                _audit(store, council_code, actor, message, None)
                outcomes.append("sent")
            except (OSError, smtplib.SMTPException) as exc:
                _audit(store, council_code, actor, message, f"{type(exc).__name__}: {exc}")
                outcomes.append("failed")
    return outcomes


def _all_failed(
    store: Store, council_code: str, actor: str, messages: list[Message], exc: Exception
) -> list[str]:
    for message in messages:
        _audit(store, council_code, actor, message, f"{type(exc).__name__}: {exc}")
    return ["failed"] * len(messages)


def _audit(store: Store, council_code: str, actor: str, message: Message, error: str | None) -> None:
    store.audit(
        "alert failed" if error else "alert sent",
        actor=actor,
        council_code=council_code,
        subject=message.subject,
        detail={"to": message.to, "alerts": message.alerts, **({"error": error} if error else {})},
    )
