"""What the harness imports before a question arrives: its start is on every question's path."""

import os
import subprocess
import sys
import unittest

PYTHON_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Loaded only when a question has datasets, downloads a file or saves an output dataset.
LAZY = ("twined_harness.resources", "shutil", "tempfile", "uuid", "datetime")


class StartCostTestCase(unittest.TestCase):
    def test_the_harness_starts_without_the_dataset_machinery(self):
        # `-S`: no site packages, whose `.pth` files may import these modules themselves on some machines.
        loaded = subprocess.run(
            [
                sys.executable,
                "-S",
                "-c",
                "import sys, twined_harness.main; print(' '.join(sorted(m for m in %r if m in sys.modules)))" % (LAZY,),
            ],
            cwd=PYTHON_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        self.assertEqual(loaded, [])


if __name__ == "__main__":
    unittest.main()
