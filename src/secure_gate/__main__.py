"""Allow ``python -m secure_gate``."""

from secure_gate.cli import main

raise SystemExit(main())
