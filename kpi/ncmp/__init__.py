"""National Child Measurement Programme (NCMP).

UK90 BMI z-scores (:mod:`kpi.ncmp.bmi`), the validation rules (:mod:`kpi.ncmp.rules`), the child-level file's
checks, loading, the views the pages read and their charts.

``kpi.ncmp.bmi_zscore`` is the public entry point analysts script against.
"""

from kpi.ncmp.bmi import bmi_category, bmi_zscore, is_severely_obese

__all__ = ["bmi_category", "bmi_zscore", "is_severely_obese"]
