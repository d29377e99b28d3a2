"""``python -m tests.sandbox`` serves the sandbox, as ``python -m partner_api.testing`` does."""

import sys

from partner_api.testing.__main__ import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m tests.sandbox"))
