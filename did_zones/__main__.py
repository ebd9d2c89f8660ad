"""``python -m did_zones`` runs the command line."""

from .cli import main

raise SystemExit(main())
