"""Data quality: late and missing returns, resubmissions, warnings confirmed, and the child-level records reconciled."""

import polars as pl
import streamlit as st

from kpi.core.store import setting
from kpi.hvrecords import reconcile as hv_reconcile
from kpi.returns import timeliness as data_quality
from pages._app import ui as _ui

_ui.start_page("Data quality")
who, council, store = _ui.principal(), _ui.council_code(), _ui.store()
due_days = setting(store, council, "return_due_working_days")
st.caption(
    f"A return is due {due_days} working days after its quarter ends (the return_due_working_days setting). "
    "Quarters are expected from each provider's first return to the latest quarter that has ended."
)

timeliness = data_quality.return_timeliness(store, who, council)
resubmitted = data_quality.resubmissions(store, who, council)
warned = data_quality.confirmed_warnings(store, who, council)
cols = st.columns(4)
cols[0].metric("Late returns", timeliness.filter(timeliness=data_quality.LATE).height)
cols[1].metric("Missing returns", timeliness.filter(timeliness=data_quality.MISSING).height)
cols[2].metric("Quarters resubmitted", resubmitted.height)
cols[3].metric("Returns with warnings confirmed", warned.height)

provider_names = _ui.provider_names()
for row in timeliness.filter(timeliness=data_quality.MISSING).iter_rows(named=True):
    provider = provider_names.get(row["provider_code"], row["provider_code"])
    st.error(
        f"Missing return: {row['period']} from {provider} was due on {row['due_date']:%d %B %Y} "
        f"and has not been received ({row['days_late']} days overdue).",
        icon=":material/error:",
    )

st.subheader("Timeliness by quarter")
_ui.table(
    timeliness.select(
        "provider_code",
        pl.col("period").alias("Period"),
        pl.col("due_date").dt.strftime("%d %b %Y").alias("Due"),
        pl.col("first_received_at").dt.strftime("%d %b %Y %H:%M").alias("First received"),
        (pl.col("timeliness").str.slice(0, 1).str.to_uppercase() + pl.col("timeliness").str.slice(1)).alias(
            "Timeliness"
        ),
        pl.col("days_late").alias("Days late"),
        pl.col("submissions").alias("Files received"),
        pl.col("accepted").alias("Accepted"),
    ),
    key="dq_timeliness",
)
_ui.download_frame(timeliness, "return_timeliness", key="dq_timeliness_csv")

st.subheader("Resubmissions")
if resubmitted.is_empty():
    st.info("No quarter has been returned more than once.")
else:
    _ui.table(resubmitted, key="dq_resubmissions")
    _ui.download_frame(resubmitted, "resubmissions", key="dq_resubmissions_csv")

st.subheader("Warnings confirmed, and the reasons given")
if warned.is_empty():
    st.info("No return was stored with warnings.")
else:
    _ui.table(warned, key="dq_warnings")
    _ui.download_frame(warned, "warnings_confirmed", key="dq_warnings_csv")

st.subheader("Child-level health visiting records against the return")
reconciled = hv_reconcile.reconciliation(store, council, principal=who)
compared = sorted(reconciled["period"].unique().to_list(), reverse=True)
if compared:
    quarter = st.selectbox("Quarter compared", compared, key="dq_hv_quarter")
    reconciled = reconciled.filter(pl.col("period") == quarter)
flagged = hv_reconcile.flagged_cells(reconciled)
points = setting(store, council, "hv_reconcile_points")
if reconciled.is_empty():
    st.info(
        "No quarter has both a provider's return and its child-level health visiting records "
        "(hcp load hv-records, or Upload)."
    )
elif flagged.is_empty():
    st.success(
        f"The KPIs derived from the child-level records agree with the returns within {points} percentage points "
        f"in every one of {reconciled.height} cells compared."
    )
else:
    st.warning(
        f"{flagged.height} of {reconciled.height} cells differ by more than {points} percentage points (the "
        "hv_reconcile_points setting), or in their counts where no value can be compared. 'Children behind' is "
        "how many children at least are counted differently: the provider can check them in its own records.",
        icon=":material/compare_arrows:",
    )
    _ui.table(
        flagged.select(
            "provider_code",
            pl.col("period").alias("Period"),
            pl.col("kpi_code").alias("KPI"),
            pl.col("locality_code").alias("Locality"),
            pl.col("imd_decile").alias("Decile"),
            pl.col("derived").alias("Derived"),
            pl.col("returned").alias("Returned"),
            pl.col("points_difference").round(1).alias("Difference (points)"),
            pl.col("children_behind").alias("Children behind"),
        ),
        key="dq_hv_reconciliation",
    )
    _ui.download_frame(flagged, "hv_reconciliation", key="dq_hv_reconciliation_csv")
