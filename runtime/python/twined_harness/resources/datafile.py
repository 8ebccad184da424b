"""A single file plus its metadata (id, timestamp, tags, labels)."""

import json
import os
import threading

from .. import __version__
from ..downloads import download_file, registered_temporary_directory
from ..exceptions import CloudLocationNotSpecified
from .identity import is_cloud_path, parse_timestamp, timestamp_to_posix, validated_id
from .metadata_file import read_metadata_file, update_metadata_file
from .tags_and_labels import LabelSet, Taggable, TagDict

# Keys a serialised datafile may carry that are accepted and ignored (they describe cloud state we don't manage).
_IGNORED_PRIMITIVE_KEYS = ("immutable_hash_value", "_cloud_metadata", "sdk_version")

# Every keyword `Datafile()` accepts. `Datafile.deserialise` and `Dataset` drop other keys of a serialised datafile,
# as receivers of the runner's messages ignore unknown keys.
PRIMITIVE_KEYS = (
    "path",
    "id",
    "timestamp",
    "tags",
    "labels",
    "mode",
    "ignore_stored_metadata",
    "local_path",
    "cloud_path",
    "name",
    "size",
    "crc32c",
) + _IGNORED_PRIMITIVE_KEYS

_WRITE_MODE_CHARACTERS = set("wax+")
_CREATING_MODE_CHARACTERS = set("wax")


class Datafile(Taggable):
    """A local file, or a cloud object downloaded on first use, with Octue-compatible metadata.

    Metadata stored in the directory's `.octue` file wins over constructor arguments unless `ignore_stored_metadata`
    is set, as in Octue, so re-opening a dataset gives back the tags and labels written earlier.

    A datafile built from a cloud path (`gs://…` or a signed `http(s)` URL) is a cloud object: its metadata comes from
    the arguments (the runner reads it from the cloud), and its contents are downloaded through the runner the first
    time `local_path`, `download()` or `open()` needs them. `path` and `to_primitive()` keep the cloud path.
    """

    def __init__(
        self,
        path=None,
        id=None,
        timestamp=None,
        tags=None,
        labels=None,
        mode="r",
        ignore_stored_metadata=False,
        local_path=None,
        cloud_path=None,
        name=None,
        size=None,
        crc32c=None,
        **kwargs
    ):
        for key in kwargs:
            if key not in _IGNORED_PRIMITIVE_KEYS:
                raise TypeError("Datafile() got an unexpected keyword argument %r" % (key,))

        path = path if path is not None else (local_path if local_path is not None else cloud_path)
        if path is None:
            raise TypeError("Datafile() needs a path.")
        path = os.fspath(path)

        self._download_lock = threading.Lock()
        # Where the first download of a cloud object goes (Octue's `local_path` argument); None lets the runner choose.
        self._requested_local_path = None

        if is_cloud_path(path):
            self._is_cloud_object = True
            self._local_path = None
            self.cloud_path = path
            if local_path is not None and os.fspath(local_path) != path:
                self._requested_local_path = os.path.abspath(os.fspath(local_path))
        else:
            self._is_cloud_object = False
            self._local_path = os.path.abspath(path)
            self.cloud_path = cloud_path if is_cloud_path(cloud_path) else None

        # As in Octue, a given name wins for cloud objects; a local file is always named after its path.
        self._name = name if isinstance(name, str) and name else None
        self._cloud_metadata = {}
        given_cloud_metadata = kwargs.get("_cloud_metadata")
        if isinstance(given_cloud_metadata, dict):
            for key in ("size", "crc32c"):
                if given_cloud_metadata.get(key) is not None:
                    self._cloud_metadata[key] = given_cloud_metadata[key]
        if size is not None:
            self._cloud_metadata["size"] = size
        if crc32c is not None:
            self._cloud_metadata["crc32c"] = crc32c

        self.id = validated_id(id)
        self.timestamp = parse_timestamp(timestamp)
        self._tags = TagDict(tags)
        self._labels = LabelSet(labels)
        self._mode = mode
        self._open_context = None

        if self._local_path is not None and not ignore_stored_metadata:
            self._use_stored_metadata()

    @classmethod
    def deserialise(cls, serialised_datafile, from_string=False):
        """Build a datafile from a serialised datafile object (or its JSON text), ignoring keys it does not know."""
        if from_string:
            serialised_datafile = json.loads(serialised_datafile)
        return cls(**{key: value for key, value in serialised_datafile.items() if key in PRIMITIVE_KEYS})

    def __getstate__(self):
        # Locks cannot be copied or pickled; a copy gets its own.
        state = self.__dict__.copy()
        state.pop("_download_lock", None)
        state["_open_context"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._download_lock = threading.Lock()

    # Identity and location.

    @property
    def name(self):
        if self._is_cloud_object:
            return self._name or _last_part(self.cloud_path)
        return os.path.basename(self._local_path)

    @property
    def local_path(self):
        """The local file's path; for a cloud object, downloading it through the runner first (once)."""
        if self._local_path is not None or self.cloud_path is None:
            return self._local_path
        return self.download(self._requested_local_path)

    @local_path.setter
    def local_path(self, path):
        if path is None:
            # As in Octue: a cloud object forgets its local copy (the next use downloads again); a local file cannot.
            if not self.exists_in_cloud:
                raise CloudLocationNotSpecified(
                    "The local path cannot be reset because this datafile only exists locally."
                )
            self._local_path = None
            return
        if self._is_cloud_object:
            # As in Octue, a cloud object's contents are downloaded to the new local path.
            self.download(local_path=path)
            return
        self._local_path = os.path.abspath(os.fspath(path))

    @property
    def path(self):
        """The cloud path of a cloud object, else the local path."""
        return self.cloud_path if self._is_cloud_object else self._local_path

    @property
    def extension(self):
        return os.path.splitext(self.name)[1].lstrip(".")

    @property
    def exists_locally(self):
        return self._local_path is not None and os.path.isfile(self._local_path)

    @property
    def exists_in_cloud(self):
        return self.cloud_path is not None

    @property
    def size_bytes(self):
        """The size in bytes: the cloud object's size when known (as Octue), else the local file's, else None."""
        size = self._cloud_metadata.get("size") if self.exists_in_cloud else None
        if size is None and self._local_path is not None:
            try:
                size = os.path.getsize(self._local_path)
            except OSError:
                size = None
        return size

    @property
    def cloud_hash_value(self):
        """The cloud object's base64 CRC32C, or None when it is not known."""
        return self._cloud_metadata.get("crc32c")

    def download(self, local_path=None):
        """Download the cloud object through the runner and return the absolute local path, as Octue's `download`.

        With no `local_path` the runner chooses where (the same file for the same cloud path); once downloaded, asking
        again returns the same path without a new request. With a `local_path`, the file is downloaded there (the
        runner skips the transfer when a file there already has the object's CRC32C). Thread-safe: concurrent calls
        make one request. Raises `CloudLocationNotSpecified` for a datafile that is not in the cloud.
        """
        if not self.exists_in_cloud:
            raise CloudLocationNotSpecified("Cannot download a file that doesn't exist in the cloud.")
        requested = None if local_path is None else os.path.abspath(os.fspath(local_path))
        with self._download_lock:
            if (requested is None and self._local_path is not None) or (
                requested is not None and requested == self._local_path
            ):
                return self._local_path
            self._local_path = download_file(self.cloud_path, requested)
            return self._local_path

    def __fspath__(self):
        path = self.local_path
        if path is None:
            raise FileNotFoundError("The datafile %r has no local copy." % (self.path,))
        return path

    # Metadata.

    def metadata(self):
        """Return the metadata stored for this file in its directory's `.octue` file."""
        return {
            "id": self.id,
            "timestamp": timestamp_to_posix(self.timestamp),
            "tags": dict(self.tags),
            "labels": self.labels.serialise(),
            "sdk_version": __version__,
        }

    def update_local_metadata(self):
        """Write this file's metadata to the `.octue` file of its directory so it survives re-reading."""
        if self._local_path is None:
            raise FileNotFoundError("The datafile %r has no local copy to store metadata next to." % (self.path,))
        update_metadata_file(os.path.dirname(self._local_path), datafiles={self.name: self.metadata()})

    def _use_stored_metadata(self):
        stored = read_metadata_file(os.path.dirname(self._local_path)).get("datafiles", {})
        entry = stored.get(self.name) if isinstance(stored, dict) else None
        if not isinstance(entry, dict):
            return
        if entry.get("id") is not None:
            self.id = validated_id(entry["id"])
        if "timestamp" in entry:
            self.timestamp = parse_timestamp(entry["timestamp"])
        if entry.get("tags") is not None:
            self._tags = TagDict(entry["tags"])
        if entry.get("labels") is not None:
            self._labels = LabelSet(entry["labels"])

    # File access.

    def open(self, mode="r", **kwargs):
        """Return a context manager opening the local file; writing modes create parent folders and store metadata."""
        return _DatafileOpener(self, mode, kwargs)

    def __enter__(self):
        # Supports Octue's `with Datafile(path, mode="w") as (datafile, file):` form.
        self._open_context = self.open(self._mode)
        return self, self._open_context.__enter__()

    def __exit__(self, *exc_info):
        context, self._open_context = self._open_context, None
        return context.__exit__(*exc_info)

    # Serialisation.

    def to_primitive(self):
        """Return the datafile as a manifest-schema datafile object; a cloud object keeps its cloud path."""
        primitive = {
            "id": self.id,
            "name": self.name,
            "path": self.path,
            "timestamp": timestamp_to_posix(self.timestamp),
            "tags": dict(self.tags),
            "labels": self.labels.serialise(),
        }
        if self._is_cloud_object:
            for key in ("size", "crc32c"):
                if self._cloud_metadata.get(key) is not None:
                    primitive[key] = self._cloud_metadata[key]
        return primitive

    # Local copies.

    def _adopt_local_copy(self, path):
        """Record `path` as the local copy (used by datasets and output persistence after copying; never downloads)."""
        self._local_path = os.path.abspath(os.fspath(path))

    def _local_copy_for_opening(self, creating):
        """Return the local copy to open, downloading a cloud object first.

        As in Octue, a cloud object that does not exist yet can still be opened in a creating mode (`w`, `a`, `x`):
        its new contents go to a fresh local file. Nothing is uploaded.
        """
        try:
            return self.local_path
        except FileNotFoundError:
            if not (creating and self._is_cloud_object):
                raise
        with self._download_lock:
            if self._local_path is None:
                self._local_path = self._requested_local_path or os.path.join(
                    registered_temporary_directory(), self.name
                )
            return self._local_path

    def __repr__(self):
        return "<Datafile(%r)>" % (self.name,)


class _DatafileOpener:
    def __init__(self, datafile, mode, kwargs):
        self._datafile = datafile
        self._mode = mode
        self._kwargs = kwargs
        self._file = None

    def __enter__(self):
        writing = bool(_WRITE_MODE_CHARACTERS & set(self._mode))
        path = self._datafile._local_copy_for_opening(creating=bool(_CREATING_MODE_CHARACTERS & set(self._mode)))
        if path is None:
            raise FileNotFoundError("The datafile %r has no local copy to open." % (self._datafile.path,))
        if writing:
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self._file = open(path, self._mode, **self._kwargs)
        return self._file

    def __exit__(self, *exc_info):
        self._file.close()
        # A cloud object's local copy is a download: its metadata stays with the cloud object, and nothing is uploaded.
        if _WRITE_MODE_CHARACTERS & set(self._mode) and not self._datafile._is_cloud_object:
            self._datafile.update_local_metadata()
        return False


def _last_part(cloud_path):
    """The last segment of a cloud path, without a URL's query string."""
    return cloud_path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
