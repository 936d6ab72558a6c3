"""The contract and its monitoring.

KPI values and RAG against dated targets (:mod:`kpi.contract.values`), targets and settings, England benchmarks,
the provider's exception narratives, meetings, actions, risks and the packs built.
"""
