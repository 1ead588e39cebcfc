"""PyInstaller entry script for both executables (workstation and workstation-debug)."""
import sys

from workstation.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))  # main() takes the full argv (program name first), like sys.argv
