"""Allow ``python -m phoner``."""

from phoner.cli import main

main()
