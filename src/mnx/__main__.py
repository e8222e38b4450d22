import sys

from mnx.cli import main

sys.exit(main())
