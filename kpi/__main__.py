"""`python -m kpi` runs the `hcp` command line."""

from kpi.cli import main

raise SystemExit(main())
