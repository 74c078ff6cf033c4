"""``python -m quart_oauthlib``: see :mod:`quart_oauthlib.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
