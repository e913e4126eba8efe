"""``python -m pf_forecast ...`` runs the ``pf-forecast`` command line."""

import sys

from pf_forecast.cli import main

sys.exit(main())
