"""HCP Contract Monitor: the library behind the dashboard, the command line and the reports.

Nothing in this package imports Streamlit: pages call these functions, and so can an analyst's script.
"""

__version__ = "0.1.0"
