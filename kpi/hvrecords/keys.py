"""The keyed hash that replaces a child's pseudonymised person id: HMAC-SHA256 computed inside DuckDB.

The key is the secret ``HCP_HV_KEY`` (64 hex characters) when set, else a random per-database key made on the first
load and kept in ``database_info`` (docs/methods.md section 10). Only a short id of the key is stored with a load.
The same child in two loads under the same key has the same hash, and nobody without the key can recompute it from a
guessed id.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import duckdb
import polars as pl

from kpi.core.store import set_info

_INFO_KEY = "hv_pseudonym_key"


class PseudonymKeyError(ValueError):
    """The configured key cannot be used."""


def pseudonym_key(cur: duckdb.DuckDBPyConnection) -> bytes:
    """The key: ``HCP_HV_KEY`` when set, else the database's own (made now, inside the caller's transaction)."""
    configured = os.environ.get("HCP_HV_KEY", "").strip()
    if configured:
        try:
            key = bytes.fromhex(configured)
        except ValueError as exc:
            raise PseudonymKeyError("HCP_HV_KEY must be 64 hexadecimal characters (32 random bytes)") from exc
        if len(key) < 32:
            raise PseudonymKeyError(
                "HCP_HV_KEY is too short: give 64 hexadecimal characters (32 random bytes)"
            )
        return key
    found = cur.execute("select info_value from database_info where info_key = ?", [_INFO_KEY]).fetchone()
    if found:
        return bytes.fromhex(found[0])
    key = secrets.token_bytes(32)
    set_info(cur, _INFO_KEY, key.hex())
    return key


def key_id(key: bytes) -> str:
    """A short public id of a key (which key made a load's hashes), never the key."""
    return hashlib.sha256(b"hcp hv pseudonym key id:" + key).hexdigest()[:16]


def keyed_hashes(ids: pl.Series, key: bytes) -> pl.Series:
    """HMAC-SHA256 (hex) of each id under ``key``, computed in DuckDB over the whole column at once.

    Example:
        >>> import hmac
        >>> key = bytes(range(32))
        >>> keyed_hashes(pl.Series(["abc"]), key)[0] == hmac.new(key, b"abc", "sha256").hexdigest()
        True

    """
    block = key.ljust(64, b"\x00") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\x00")
    inner = bytes(b ^ 0x36 for b in block)
    outer = bytes(b ^ 0x5C for b in block)
    frame = pl.DataFrame({"id": ids.cast(pl.String)})
    con = duckdb.connect()
    try:
        con.register("ids", frame)
        result = con.sql(
            "select sha256($outer::blob || unhex(sha256($inner::blob || encode(id)))) as h from ids",
            params={"outer": outer, "inner": inner},
        ).to_arrow_table()
    finally:
        con.close()
    return pl.Series(ids.name, result.column("h"))
