"""The registry of datasets a file can be loaded into: ``hcp load`` name -> its :class:`DatasetSpec`.

Each spec lives beside its dataset's checks (:mod:`kpi.returns.load`, :mod:`kpi.ncmp.load`, :mod:`kpi.outcomes.load`,
:mod:`kpi.core.councils`) and runs through the one lifecycle :func:`kpi.ingest.pipeline.run_load`. The names are
known without importing the loaders (the command line starts quickly); a spec is imported when it is asked for.
"""

from __future__ import annotations

import importlib

from kpi.ingest.pipeline import DatasetSpec

#: ``hcp load`` dataset -> (module, attribute) of its spec, in the order ``hcp load --help`` lists them.
DATASETS: dict[str, tuple[str, str]] = {
    "mandated-contacts": ("kpi.returns.load", "RETURN_SPEC"),
    "localities": ("kpi.core.councils", "LOCALITIES_SPEC"),
    "fingertips": ("kpi.outcomes.load", "FINGERTIPS_SPEC"),
    "outcome-measures": ("kpi.outcomes.load", "MEASURES_SPEC"),
    "ncmp": ("kpi.ncmp.load", "CHILDREN_SPEC"),
    "ncmp-eligible": ("kpi.ncmp.load", "ELIGIBLE_SPEC"),
    "peers": ("kpi.outcomes.peers", "PEERS_SPEC"),
    "hv-records": ("kpi.hvrecords.load", "RECORDS_SPEC"),
}


def dataset_spec(name: str) -> DatasetSpec:
    """The spec of the dataset ``hcp load`` calls ``name``.

    Raises:
        ValueError: there is no such dataset; the message lists those there are.
    """
    if name not in DATASETS:
        raise ValueError(f"there is no dataset '{name}': load one of {', '.join(DATASETS)}")
    module, attribute = DATASETS[name]
    spec = getattr(importlib.import_module(module), attribute)
    if spec.name != name:  # pragma: no cover - a registry mistake, caught by the tests
        raise ValueError(f"the registry's '{name}' points at the spec of '{spec.name}'")
    return spec
