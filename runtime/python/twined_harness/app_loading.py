"""Find and import the app, the way Octue loads an app folder."""

import importlib.util
import os
import sys

COMPAT_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "compat")

# A warm start's zygote imports the app once; the questions forked from it reuse that import (see zygote.py).
_preloaded = None


def preload_app(app_source_path):
    """Import the app now and have `load_app` return it for this folder, in this process and every fork of it."""
    global _preloaded
    app = load_app(app_source_path)
    _preloaded = (os.path.abspath(app_source_path), app)
    return app


def load_app(app_source_path):
    """Import `<app_source_path>/app.py` as module `app` and return a callable taking the analysis.

    The folder goes to the front of `sys.path` so the app's own modules import. An `App` class wins over a `run`
    function, as in Octue.
    """
    directory = os.path.abspath(app_source_path)
    if _preloaded is not None and _preloaded[0] == directory:
        return _preloaded[1]
    app_file = os.path.join(directory, "app.py")
    if not os.path.isfile(app_file):
        raise ModuleNotFoundError(
            "No app.py was found in the app folder %r; the folder must contain an app.py defining an App class or a "
            "run(analysis) function." % directory,
            name="app",
            path=app_file,
        )

    if directory not in sys.path:
        sys.path.insert(0, directory)
    add_octue_compatibility_shim()

    # A module called `app` imported earlier (or another app's) must not be reused.
    sys.modules.pop("app", None)
    spec = importlib.util.spec_from_file_location("app", app_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)

    app_class = getattr(module, "App", None)
    if isinstance(app_class, type):
        return lambda analysis: app_class(analysis).run()
    run = getattr(module, "run", None)
    if callable(run):
        return run
    raise AttributeError(
        "The app %r defines neither an App class (used as App(analysis).run()) nor a run(analysis) function." % app_file
    )


def add_octue_compatibility_shim():
    """Make `import octue` resolve to the bundled shim unless a real `octue` package is installed."""
    if COMPAT_DIRECTORY in sys.path:
        return True
    if importlib.util.find_spec("octue") is not None:
        return False
    # Appended, not prepended, so nothing the app ships is shadowed.
    sys.path.append(COMPAT_DIRECTORY)
    return True
