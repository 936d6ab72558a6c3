"""The NCMP purge (:mod:`kpi.ncmp.purge`): child rows go after the retention period, every figure stays."""

from __future__ import annotations

import json

import pytest

from kpi.access.principal import local_principal
from kpi.core import periods as periods
from kpi.ncmp.purge import purge_ncmp
from kpi.sample import COUNCIL_CODE


def test_purge_is_audited_removes_old_child_rows_and_keeps_every_figure(sample_store):
    def marts():
        return sample_store.run_sql(
            "marts/mart_ncmp_prevalence", council_code=COUNCIL_CODE, as_at=periods.now()
        ).sort("academic_year", "school_year", "breakdown", "group_code", "category")

    figures = marts()
    with pytest.raises(
        ValueError, match=r"academic years from 2022/23 are inside the retention period \(5 years\)"
    ):
        purge_ncmp(sample_store, COUNCIL_CODE, "2024/25", principal=local_principal("tester"))
    with pytest.raises(ValueError, match="needs a reason"):
        purge_ncmp(sample_store, COUNCIL_CODE, "2024/25", principal=local_principal("tester"), force=True)
    result = purge_ncmp(
        sample_store, COUNCIL_CODE, "2024/25", principal=local_principal("tester"), force=True, reason="test"
    )
    assert result.academic_years == ["2022/23", "2023/24"] and result.children_deleted > 10000
    years = sample_store.query("select distinct academic_year from ncmp_children order by 1")["academic_year"]
    assert years.to_list() == ["2024/25", "2025/26"]
    assert marts().equals(figures)
    action, detail = sample_store.query(
        "select action, detail_json from audit_log order by audit_id desc limit 1"
    ).row(0)
    detail = json.loads(detail)
    assert action == "NCMP child rows purged"
    assert detail["children_deleted"] == result.children_deleted and detail["forced"] is True
    purged = sample_store.query("select count(*) from ncmp_loads where purged_at is not null").item()
    assert purged == 2
