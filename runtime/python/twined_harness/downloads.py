"""Downloads of cloud files through the runner (`download` requests, PROTOCOL.md §4.2) and temporary folders for them.

The resources (`Datafile`, `Dataset`, `Manifest`) call `download_file`; `main` connects the channel before the app
runs. Nothing is downloaded until the app asks for a file's contents.
"""

import os
import threading

from .remote_exceptions import build_exception

_channel_lock = threading.Lock()
_channel = None

_temporary_directories_lock = threading.Lock()
# Kept alive until the interpreter exits (then removed), as Octue's `RegisteredTemporaryDirectory` registry does.
registered_temporary_directories = []


def connect(channel):
    """Send later download requests over `channel` (None disconnects)."""
    global _channel
    with _channel_lock:
        _channel = channel


def download_file(cloud_path, local_path=None):
    """Ask the runner to download `cloud_path` and return the absolute local path of the file.

    With `local_path` None the runner chooses the place (the same file for the same cloud path within a question);
    otherwise the file is downloaded to exactly that path. The request waits without a time limit, like monitor
    messages. An error response raises the exception class it names, with its message.
    """
    with _channel_lock:
        channel = _channel
    if channel is None:
        raise FileNotFoundError(
            "Cannot download %r: no runner is connected to download cloud files through." % (cloud_path,)
        )
    if local_path is not None:
        # The runner does not share the harness's working directory, so it is always given an absolute path.
        local_path = os.path.abspath(os.fspath(local_path))
    response = channel.request({"type": "download", "cloud_path": cloud_path, "local_path": local_path})
    error = (response or {}).get("error")
    if error:
        raise build_exception(error.get("type") or "FileNotFoundError", error.get("message", ""))
    downloaded = (response or {}).get("local_path")
    if not isinstance(downloaded, str) or not downloaded:
        raise FileNotFoundError("The runner answered the download of %r without a local path." % (cloud_path,))
    if not os.path.isfile(downloaded):
        raise FileNotFoundError(
            "The runner reported downloading %r to %r, but there is no file there." % (cloud_path, downloaded)
        )
    return os.path.abspath(downloaded)


def registered_temporary_directory():
    """Create a temporary directory that lasts until the harness exits and return its absolute path."""
    import tempfile  # only once the app downloads: most questions never do

    directory = tempfile.TemporaryDirectory(prefix="twined-downloads-")
    with _temporary_directories_lock:
        registered_temporary_directories.append(directory)
    return os.path.abspath(directory.name)
