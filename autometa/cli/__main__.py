import sys

from autometa.cli import main

sys.exit(main())
