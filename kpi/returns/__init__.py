"""The provider's quarterly return.

Its checks (:mod:`kpi.returns.checks`), loading and review (:mod:`kpi.returns.load`), the template providers fill
in (:mod:`kpi.returns.template`) and the timeliness of returns (:mod:`kpi.returns.timeliness`).
"""
