"""docs/formats/provider-return.md lists every declared check of the provider return, and only those."""

from __future__ import annotations

from pathlib import Path

from kpi.ingest.rules import documented_section, rules_markdown
from kpi.returns.rule_tables import all_rules

DOC = Path(__file__).resolve().parents[3] / "docs" / "formats" / "provider-return.md"


def test_the_documented_checks_are_the_declared_rules():
    expected = rules_markdown(all_rules())
    documented = documented_section(DOC.read_text(encoding="utf-8"))
    assert documented == expected, (
        f"{DOC.name}'s table of checks (between <!-- rules --> and <!-- /rules -->) differs from the rule tables "
        f"of kpi.returns.rule_tables; replace it with:\n{expected}"
    )


def test_every_check_the_validator_raises_is_declared():
    checks = {rule.check for rule in all_rules()}
    assert {
        "wrong_header",
        "bad_period",
        "several_periods",
        "duplicate_row",
        "deciles_do_not_add_up",
    } <= checks
    assert {"visits_over_cohort", "c5_below_c4", "rows_not_returned", "large_movement"} <= checks
