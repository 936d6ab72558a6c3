"""docs/formats/fingertips.md lists every declared check of a Fingertips export, and only those."""

from __future__ import annotations

from pathlib import Path

from kpi.ingest.rules import documented_section, rules_markdown
from kpi.outcomes.rule_tables import fingertips_rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "fingertips.md"


def test_the_documented_checks_are_the_declared_rules():
    expected = rules_markdown(fingertips_rules())
    documented = documented_section(DOC.read_text(encoding="utf-8"))
    assert documented == expected, (
        f"{DOC.name}'s table of checks (between <!-- rules --> and <!-- /rules -->) differs from the rule tables "
        f"of kpi.outcomes.rule_tables; replace it with:\n{expected}"
    )


def test_every_check_the_validator_raises_is_declared():
    checks = {rule.check for rule in fingertips_rules()}
    assert {"missing_column", "empty", "bad_indicator_id", "blank_area_code", "blank_time_period"} <= checks
    assert {"not_a_number", "blank_value_without_note", "ci_backwards", "negative", "bad_sort_key"} <= checks
    assert {"bad_period", "unknown_decile", "duplicate_row"} <= checks
    assert {rule.severity for rule in fingertips_rules()} == {"error"}  # the file has no warnings
