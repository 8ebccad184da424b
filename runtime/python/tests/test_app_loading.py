"""Loading `app.py` the way Octue does, and the `octue` compatibility shim."""

import os
import shutil
import sys
import tempfile
import unittest

from tests.harness_process import write_app
from twined_harness.app_loading import COMPAT_DIRECTORY, add_octue_compatibility_shim, load_app


class AppLoadingTestCase(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="twined-app-test-")
        self.addCleanup(shutil.rmtree, self.directory, ignore_errors=True)
        saved_path = list(sys.path)
        saved_modules = set(sys.modules)

        def restore():
            sys.path[:] = saved_path
            for name in set(sys.modules) - saved_modules:
                if name in ("app", "helpers", "octue") or name.startswith("octue."):
                    del sys.modules[name]

        self.addCleanup(restore)

    def load(self, source, extra_files=None):
        return load_app(write_app(self.directory, source, extra_files))


class Recorder:
    output_values = None


class TestLoadApp(AppLoadingTestCase):
    def test_run_function(self):
        app = self.load(
            """
            def run(analysis):
                analysis.output_values = "from run"
            """
        )
        analysis = Recorder()
        app(analysis)
        self.assertEqual(analysis.output_values, "from run")

    def test_app_class_is_preferred_over_run(self):
        app = self.load(
            """
            class App:
                def __init__(self, analysis):
                    self.analysis = analysis

                def run(self):
                    self.analysis.output_values = "from App"

            def run(analysis):
                analysis.output_values = "from run"
            """
        )
        analysis = Recorder()
        app(analysis)
        self.assertEqual(analysis.output_values, "from App")

    def test_local_modules_import(self):
        app = self.load(
            """
            from helpers import double

            def run(analysis):
                analysis.output_values = double(21)
            """,
            extra_files={"helpers.py": "def double(x):\n    return 2 * x\n"},
        )
        analysis = Recorder()
        app(analysis)
        self.assertEqual(analysis.output_values, 42)
        self.assertEqual(sys.path[0], self.directory)

    def test_module_is_named_app(self):
        app = self.load(
            """
            def run(analysis):
                analysis.output_values = __name__
            """
        )
        analysis = Recorder()
        app(analysis)
        self.assertEqual(analysis.output_values, "app")

    def test_missing_app_file(self):
        with self.assertRaises(ModuleNotFoundError) as context:
            load_app(os.path.join(self.directory, "nowhere"))
        self.assertIn(os.path.join(self.directory, "nowhere"), str(context.exception))

    def test_missing_entry_point(self):
        with self.assertRaises(AttributeError) as context:
            self.load("VALUE = 1\n")
        self.assertIn(os.path.join(self.directory, "app.py"), str(context.exception))
        self.assertIn("run(analysis)", str(context.exception))


class TestCompatibilityShim(AppLoadingTestCase):
    def test_octue_imports_resolve_to_the_harness_classes(self):
        self.assertTrue(add_octue_compatibility_shim())
        self.assertIn(COMPAT_DIRECTORY, sys.path)
        from octue.exceptions import BrokenSequenceException, CloudLocationNotSpecified
        from octue.resources import Datafile, Dataset, Manifest
        from octue.resources.datafile import Datafile as DatafileFromSubmodule
        from twined_harness import exceptions, resources

        self.assertIs(Datafile, resources.Datafile)
        self.assertIs(DatafileFromSubmodule, resources.Datafile)
        self.assertIs(Dataset, resources.Dataset)
        self.assertIs(Manifest, resources.Manifest)
        self.assertIs(BrokenSequenceException, exceptions.BrokenSequenceException)
        self.assertIs(CloudLocationNotSpecified, exceptions.CloudLocationNotSpecified)

    def test_a_real_octue_package_is_left_alone(self):
        fake = os.path.join(self.directory, "site")
        os.makedirs(os.path.join(fake, "octue"))
        with open(os.path.join(fake, "octue", "__init__.py"), "w") as file:
            file.write("REAL = True\n")
        sys.path.insert(0, fake)
        self.assertFalse(add_octue_compatibility_shim())
        self.assertNotIn(COMPAT_DIRECTORY, sys.path)


if __name__ == "__main__":
    unittest.main()
