"""Child-level health visiting records (a provider's CSDS extract): load, derive and reconcile the KPIs."""
