"""Read and update the `.octue` metadata file that sits in a directory next to the files it describes."""

import json
import logging
import os
import tempfile
import threading

METADATA_FILENAME = ".octue"

logger = logging.getLogger(__name__)

# Datafiles in one directory can be written from several threads; updates are read-modify-write.
_update_lock = threading.Lock()


def metadata_path(directory):
    return os.path.join(directory, METADATA_FILENAME)


def read_metadata_file(directory):
    """Return the parsed `.octue` object in `directory`, or `{}` if there is none or it is unreadable."""
    path = metadata_path(directory)
    try:
        with open(path, encoding="utf-8") as file:
            contents = json.load(file)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        logger.warning("Ignoring the unreadable metadata file %r: %s", path, error)
        return {}
    return contents if isinstance(contents, dict) else {}


def update_metadata_file(directory, dataset=None, datafiles=None):
    """Merge a `dataset` section and/or per-file `datafiles` entries into the `.octue` file in `directory`."""
    with _update_lock:
        os.makedirs(directory, exist_ok=True)
        contents = read_metadata_file(directory)
        if dataset is not None:
            contents["dataset"] = dataset
        if datafiles:
            existing = contents.get("datafiles")
            if not isinstance(existing, dict):
                existing = {}
            existing.update(datafiles)
            contents["datafiles"] = existing
        # Write to a temporary file first so a crash never leaves half a metadata file behind.
        handle, temporary_path = tempfile.mkstemp(dir=directory, prefix=".octue.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(contents, file, indent=4, sort_keys=True)
            os.replace(temporary_path, metadata_path(directory))
        except BaseException:
            if os.path.exists(temporary_path):
                os.remove(temporary_path)
            raise
