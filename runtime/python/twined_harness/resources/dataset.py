"""A named group of datafiles, usually one local directory."""

import os
import shutil

from ..exceptions import InvalidInputException, UnexpectedNumberOfResultsException
from .datafile import Datafile
from .filter_containers import FilterSet
from .identity import is_cloud_path, validated_id
from .metadata_file import METADATA_FILENAME, read_metadata_file, update_metadata_file
from .tags_and_labels import LabelSet, Taggable, TagDict

_IGNORED_PRIMITIVE_KEYS = ("include_octue_metadata_files",)


class Dataset(Taggable):
    """A set of datafiles with its own id, name, tags and labels.

    Built from a local directory, its files are discovered (recursively by default) and the `.octue` metadata files
    are read; dataset metadata stored there wins over constructor arguments unless `ignore_stored_metadata` is set.
    """

    def __init__(
        self,
        path=None,
        files=None,
        recursive=True,
        ignore_stored_metadata=False,
        id=None,
        name=None,
        tags=None,
        labels=None,
        **kwargs
    ):
        for key in kwargs:
            if key not in _IGNORED_PRIMITIVE_KEYS:
                raise TypeError("Dataset() got an unexpected keyword argument %r" % (key,))

        path = os.fspath(path) if path is not None else os.getcwd()
        self.path = path if is_cloud_path(path) else os.path.abspath(path)
        self.id = validated_id(id)
        self.name = name if name is not None else _default_name(self.path)
        self._tags = TagDict(tags)
        self._labels = LabelSet(labels)
        self.files = FilterSet()

        if files is not None:
            for file in files:
                self.files.add(_as_datafile(file, self.path, ignore_stored_metadata))
        elif self.exists_locally:
            for file_path in _discover_files(self.path, recursive):
                self.files.add(Datafile(file_path, ignore_stored_metadata=ignore_stored_metadata))

        if not is_cloud_path(self.path) and not ignore_stored_metadata:
            self._use_stored_metadata()

    # Metadata.

    @property
    def exists_locally(self):
        return not is_cloud_path(self.path) and os.path.isdir(self.path)

    def _use_stored_metadata(self):
        stored = read_metadata_file(self.path).get("dataset")
        if not isinstance(stored, dict):
            return
        if stored.get("id") is not None:
            self.id = validated_id(stored["id"])
        if stored.get("name") is not None:
            self.name = stored["name"]
        if stored.get("tags") is not None:
            self._tags = TagDict(stored["tags"])
        if stored.get("labels") is not None:
            self._labels = LabelSet(stored["labels"])

    def metadata(self):
        """Return the dataset section stored in the `.octue` file, with file paths relative to the dataset."""
        return {
            "id": self.id,
            "name": self.name,
            "tags": dict(self.tags),
            "labels": self.labels.serialise(),
            "files": sorted(self._relative_path(file) for file in self.files),
        }

    def update_local_metadata(self):
        """Write the dataset's and each of its local files' metadata to the `.octue` files on disk."""
        if is_cloud_path(self.path):
            raise InvalidInputException("The dataset %r is in the cloud; only local metadata can be written." % self.path)
        update_metadata_file(self.path, dataset=self.metadata())
        for file in self.files:
            if file.local_path is not None:
                file.update_local_metadata()

    # Files.

    def add(self, datafile, path_in_dataset=None):
        """Add a datafile (or a path) to the dataset and return it.

        For a local dataset, an existing local file outside the dataset folder is copied in (to `path_in_dataset`, or
        the folder's root under the file's name), as in Octue; the copy keeps the file's metadata.
        """
        if not isinstance(datafile, Datafile):
            datafile = Datafile(datafile)
        if not is_cloud_path(self.path) and datafile.exists_locally and not _is_within(datafile.local_path, self.path):
            destination = os.path.join(self.path, path_in_dataset or datafile.name)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            shutil.copy2(datafile.local_path, destination)
            datafile.local_path = destination
            datafile.update_local_metadata()
        self.files.add(datafile)
        return datafile

    def get_file_by_label(self, label):
        """Return the one file carrying `label`; raise if none or several do."""
        matches = self.files.filter(labels__contains=label)
        if len(matches) != 1:
            names = sorted(file.name for file in matches)
            raise UnexpectedNumberOfResultsException(
                "Expected exactly one file labelled %r in the dataset %r but found %d%s."
                % (label, self.name, len(matches), (": " + ", ".join(names)) if names else "")
            )
        return matches.one()

    def __iter__(self):
        return iter(self.files)

    def __len__(self):
        return len(self.files)

    def __contains__(self, datafile):
        return datafile in self.files

    # Serialisation.

    def to_primitive(self):
        """Return the dataset as a manifest-schema dataset object with absolute, sorted file paths."""
        return {
            "id": self.id,
            "name": self.name,
            "tags": dict(self.tags),
            "labels": self.labels.serialise(),
            "path": self.path,
            "files": sorted(file.path for file in self.files),
        }

    def _relative_path(self, datafile):
        if datafile.local_path is not None and _is_within(datafile.local_path, self.path):
            return os.path.relpath(datafile.local_path, self.path)
        return datafile.path

    def __repr__(self):
        return "<Dataset(%r)>" % (self.name,)


def _default_name(path):
    return os.path.basename(path.split("?")[0].rstrip("/"))


def _discover_files(directory, recursive):
    found = []
    for root, directories, filenames in os.walk(directory):
        directories.sort()
        found.extend(os.path.join(root, name) for name in sorted(filenames) if name != METADATA_FILENAME)
        if not recursive:
            break
    return found


def _as_datafile(file, dataset_path, ignore_stored_metadata):
    if isinstance(file, Datafile):
        return file
    if isinstance(file, dict):
        primitive = dict(file)
        primitive.setdefault("ignore_stored_metadata", ignore_stored_metadata)
        path = primitive.pop("path", None) or primitive.pop("local_path", None)
        return Datafile(_resolve(path, dataset_path), **primitive)
    return Datafile(_resolve(os.fspath(file), dataset_path), ignore_stored_metadata=ignore_stored_metadata)


def _resolve(path, dataset_path):
    # Relative file paths in a dataset description are relative to the dataset folder.
    if path is None or is_cloud_path(path) or os.path.isabs(path) or is_cloud_path(dataset_path):
        return path
    within_dataset = os.path.join(dataset_path, path)
    if not os.path.exists(within_dataset) and os.path.exists(path):
        return os.path.abspath(path)
    return within_dataset


def _is_within(path, directory):
    path = os.path.abspath(path)
    directory = os.path.abspath(directory)
    return os.path.commonpath([path, directory]) == directory
