"""A single file plus its metadata (id, timestamp, tags, labels)."""

import os

from .. import __version__
from .identity import is_cloud_path, parse_timestamp, timestamp_to_posix, validated_id
from .metadata_file import read_metadata_file, update_metadata_file
from .tags_and_labels import LabelSet, Taggable, TagDict

# Keys a serialised datafile may carry that are accepted and ignored (they describe cloud state we don't manage).
_IGNORED_PRIMITIVE_KEYS = ("name", "cloud_path", "immutable_hash_value", "_cloud_metadata", "sdk_version")

_WRITE_MODE_CHARACTERS = set("wax+")


class Datafile(Taggable):
    """A local (or, read-only by reference, cloud) file with Octue-compatible metadata.

    Metadata stored in the directory's `.octue` file wins over constructor arguments unless `ignore_stored_metadata`
    is set, as in Octue, so re-opening a dataset gives back the tags and labels written earlier.
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
        **kwargs
    ):
        for key in kwargs:
            if key not in _IGNORED_PRIMITIVE_KEYS:
                raise TypeError("Datafile() got an unexpected keyword argument %r" % (key,))

        path = path if path is not None else (local_path if local_path is not None else cloud_path)
        if path is None:
            raise TypeError("Datafile() needs a path.")
        path = os.fspath(path)

        if is_cloud_path(path):
            self._local_path = None
            self.cloud_path = path
        else:
            self._local_path = os.path.abspath(path)
            self.cloud_path = cloud_path if is_cloud_path(cloud_path) else None

        self.id = validated_id(id)
        self.timestamp = parse_timestamp(timestamp)
        self._tags = TagDict(tags)
        self._labels = LabelSet(labels)
        self._mode = mode
        self._open_context = None

        if self._local_path is not None and not ignore_stored_metadata:
            self._use_stored_metadata()

    # Identity and location.

    @property
    def name(self):
        return os.path.basename(self._local_path or self.cloud_path.split("?")[0].rstrip("/"))

    @property
    def local_path(self):
        return self._local_path

    @local_path.setter
    def local_path(self, path):
        self._local_path = os.path.abspath(os.fspath(path))

    @property
    def path(self):
        return self._local_path or self.cloud_path

    @property
    def extension(self):
        return os.path.splitext(self.name)[1].lstrip(".")

    @property
    def exists_locally(self):
        return self._local_path is not None and os.path.isfile(self._local_path)

    @property
    def exists_in_cloud(self):
        return self.cloud_path is not None

    def __fspath__(self):
        if self._local_path is None:
            raise FileNotFoundError("The datafile %r has no local copy." % (self.cloud_path,))
        return self._local_path

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
        """Return the datafile as a manifest-schema datafile object."""
        return {
            "id": self.id,
            "name": self.name,
            "path": self.path,
            "timestamp": timestamp_to_posix(self.timestamp),
            "tags": dict(self.tags),
            "labels": self.labels.serialise(),
        }

    def __repr__(self):
        return "<Datafile(%r)>" % (self.name,)


class _DatafileOpener:
    def __init__(self, datafile, mode, kwargs):
        self._datafile = datafile
        self._mode = mode
        self._kwargs = kwargs
        self._file = None

    def __enter__(self):
        path = self._datafile.local_path
        if path is None:
            raise FileNotFoundError(
                "The datafile %r is only in the cloud; this runtime can open local files only." % (self._datafile.path,)
            )
        if _WRITE_MODE_CHARACTERS & set(self._mode):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        self._file = open(path, self._mode, **self._kwargs)
        return self._file

    def __exit__(self, *exc_info):
        self._file.close()
        if _WRITE_MODE_CHARACTERS & set(self._mode):
            self._datafile.update_local_metadata()
        return False
