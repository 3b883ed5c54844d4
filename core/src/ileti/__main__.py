import sys

from ileti.cli import main

sys.exit(main())
