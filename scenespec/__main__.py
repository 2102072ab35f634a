"""`python -m scenespec` is the `scenespec` command."""

import sys

from scenespec.cli import main

sys.exit(main())
