"""docs/formats/ncmp.md lists every declared check of the NCMP returns, and only those."""

from __future__ import annotations

from pathlib import Path

from kpi.ingest.rules import documented_section, rules_markdown
from kpi.ncmp.rule_tables import all_rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "ncmp.md"


def test_the_documented_checks_are_the_declared_rules():
    expected = rules_markdown(all_rules())
    documented = documented_section(DOC.read_text(encoding="utf-8"))
    assert documented == expected, (
        f"{DOC.name}'s table of checks (between <!-- rules --> and <!-- /rules -->) differs from the rule tables "
        f"of kpi.ncmp.rule_tables; replace it with:\n{expected}"
    )


def test_every_check_the_validator_raises_is_declared():
    checks = {rule.check for rule in all_rules()}
    assert {
        "missing_column",
        "several_academic_years",
        "lsoa_is_postcode",
        "date_us_style",
        "age_out_of_range",
    } <= checks
    assert {"z_implausible", "duplicate_child", "duplicate_school", "bad_eligible_pupils"} <= checks
