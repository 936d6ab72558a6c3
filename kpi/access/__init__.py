"""Who is asking and what they may do.

The principal (:mod:`kpi.access.principal`), the rules (:mod:`kpi.access.rules`), the users table
(:mod:`kpi.access.users`) and the audit log (:mod:`kpi.access.audit`).
"""
