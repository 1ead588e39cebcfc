"""`python -m workstation`: start the workstation."""
from __future__ import annotations

import sys


def main() -> int:
    from workstation.app import main as app_main

    return app_main(sys.argv)


if __name__ == "__main__":
    sys.exit(main())
