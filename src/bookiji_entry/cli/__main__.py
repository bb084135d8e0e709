"""`python -m bookiji_entry.cli`, the same as `bkctl`."""

import sys

from bookiji_entry.cli import main

sys.exit(main())
