"""``python -m pygdx`` runs the command line, exactly like ``pygdx``."""

import sys

from .cli import main

sys.exit(main())
