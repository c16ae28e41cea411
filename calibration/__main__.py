import sys

from .cli import main

if __name__ == "__main__":  # posterior runs start worker processes, which import this module again
    sys.exit(main())
