"""docs/formats/outcome-measures.md lists every declared check of the local outcome measures file, and only those."""

from __future__ import annotations

from pathlib import Path

from kpi.ingest.rules import documented_section, rules_markdown
from kpi.outcomes.rule_tables import measure_rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "outcome-measures.md"


def test_the_documented_checks_are_the_declared_rules():
    expected = rules_markdown(measure_rules())
    documented = documented_section(DOC.read_text(encoding="utf-8"))
    assert documented == expected, (
        f"{DOC.name}'s table of checks (between <!-- rules --> and <!-- /rules -->) differs from the rule tables "
        f"of kpi.outcomes.rule_tables; replace it with:\n{expected}"
    )


def test_every_check_the_validator_raises_is_declared():
    checks = {rule.check for rule in measure_rules()}
    assert {
        "missing_column",
        "unknown_column",
        "empty",
        "unknown_measure",
        "bad_period",
        "bad_area",
    } <= checks
    assert {"unknown_locality", "locality_elsewhere", "bad_decile", "not_a_number", "half_counts"} <= checks
    assert {"value_mismatch", "percent_range", "proportion_needs_counts", "duplicate_row"} <= checks
    assert {rule.severity for rule in measure_rules()} == {"error"}  # the file has no warnings
