"""The backup manifest (kpi/core/backup_manifest.py): its signature under the backup key and its form.

Expected values by hand: HMAC-SHA256 from the standard library over the canonical JSON of every field but the
signature. The attacks on a signed manifest are in tests/security/test_forged_backups.py.
"""

import hashlib
import hmac
import json

import pytest

from kpi.core import backup_manifest as manifests

KEY = bytes(range(32))
MANIFEST = {
    "format": 1,
    "file": "hcp.duckdb",
    "sha256": "a" * 64,
    "schema_version": 3,
    "tables": {"councils": 1},
}


def test_the_signature_is_hmac_sha256_of_the_canonical_json():
    signed = manifests.sign_manifest(MANIFEST, KEY)
    canonical = json.dumps(MANIFEST, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert signed["signature"]["algorithm"] == "HMAC-SHA256"
    assert signed["signature"]["value"] == hmac.new(KEY, canonical, hashlib.sha256).hexdigest()
    assert manifests.signed_by(signed, KEY)
    assert manifests.signature_status(signed, KEY) == "signed"


def test_a_changed_field_another_key_or_no_signature_is_not_signed():
    signed = manifests.sign_manifest(MANIFEST, KEY)
    assert not manifests.signed_by({**signed, "schema_version": 4}, KEY)
    assert manifests.signature_status(signed, bytes(32)) == "foreign"
    assert manifests.signature_status(signed, None) == "foreign"
    assert manifests.signature_status(MANIFEST, KEY) == "unsigned"


def test_the_key_file_sits_beside_the_database(tmp_path):
    assert manifests.key_file(tmp_path / "hcp.duckdb") == tmp_path / "hcp.duckdb.backup-key"
    assert manifests.installation_key(tmp_path / "hcp.duckdb") is None
    (tmp_path / "hcp.duckdb.backup-key").write_text("00ff\n")
    with pytest.raises(manifests.BackupError, match="is too short to be a key made by this program"):
        manifests.read_key(tmp_path / "hcp.duckdb.backup-key")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "1"}, r"malformed \(format is not a number\)"),
        ({"file": "../hcp.duckdb"}, r"malformed \(file is not a file name\)"),
        ({"sha256": "XYZ"}, r"malformed \(sha256 is not a SHA-256\)"),
        ({"tables": {"councils": -1}}, r"malformed \(tables is not a list of row counts\)"),
        ({"created_by": 7}, r"malformed \(created_by is not text\)"),
    ],
)
def test_read_manifest_names_the_malformed_field(tmp_path, change, message):
    (tmp_path / "manifest.json").write_text(json.dumps({**MANIFEST, **change}))
    with pytest.raises(manifests.BackupError, match=message):
        manifests.read_manifest(tmp_path)
    manifests.write_manifest(tmp_path, MANIFEST)
    assert manifests.read_manifest(tmp_path) == MANIFEST
