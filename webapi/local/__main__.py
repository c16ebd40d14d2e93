"""`python -m webapi.local`: the whole product on this machine (see stack.py)."""

import sys

from webapi.local.stack import main

sys.exit(main())
