"""docs/formats/localities.md lists every declared check of the localities file, and only those."""

from __future__ import annotations

from pathlib import Path

from kpi.core.locality_rules import all_rules
from kpi.ingest.rules import documented_section, rules_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "localities.md"


def test_the_documented_checks_are_the_declared_rules():
    expected = rules_markdown(all_rules())
    documented = documented_section(DOC.read_text(encoding="utf-8"))
    assert documented == expected, (
        f"{DOC.name}'s table of checks (between <!-- rules --> and <!-- /rules -->) differs from the rule tables "
        f"of kpi.core.locality_rules; replace it with:\n{expected}"
    )


def test_every_check_the_validator_raises_is_declared():
    checks = {rule.check for rule in all_rules()}
    assert {"missing_column", "empty", "blank", "locality_code_form", "locality_code_reserved"} <= checks
    assert {"unknown_lsoa", "duplicate_lsoa", "locality_two_names"} <= checks
    assert {rule.severity for rule in all_rules()} == {"error"}  # the file has no warnings
