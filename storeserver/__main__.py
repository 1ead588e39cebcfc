import sys

from storeserver.cli import main

sys.exit(main())
