"""A named group of datafiles: a local directory, or a cloud dataset whose files are downloaded on demand."""

import concurrent.futures
import logging
import os
import posixpath
import shutil

from ..downloads import registered_temporary_directory
from ..exceptions import CloudLocationNotSpecified, InvalidInputException, UnexpectedNumberOfResultsException
from .datafile import PRIMITIVE_KEYS as DATAFILE_PRIMITIVE_KEYS
from .datafile import Datafile
from .filter_containers import FilterSet
from .identity import is_cloud_path, validated_id
from .metadata_file import METADATA_FILENAME, read_metadata_file, update_metadata_file
from .tags_and_labels import LabelSet, Taggable, TagDict

_IGNORED_PRIMITIVE_KEYS = ("include_octue_metadata_files",)

# Octue keeps a signed dataset's documents in this folder of the dataset; a signed dataset's path points into it.
SIGNED_METADATA_DIRECTORY = ".signed_metadata_files"

# At most this many downloads of one `Dataset.download()` are outstanding at once.
MAX_PARALLEL_DOWNLOADS = 8

logger = logging.getLogger(__name__)


class Dataset(Taggable):
    """A set of datafiles with its own id, name, tags and labels.

    Built from a local directory, its files are discovered (recursively by default) and the `.octue` metadata files
    are read; dataset metadata stored there wins over constructor arguments unless `ignore_stored_metadata` is set.

    A cloud dataset (a `gs://` or signed URL path) is not listed: its files are the ones given (the runner resolves
    cloud datasets into their files before the app starts). They are downloaded only when the app reads them, or all
    at once with `download()`.
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

    @property
    def exists_in_cloud(self):
        """True when the dataset's path is a `gs://` path or a URL, as in Octue."""
        return is_cloud_path(self.path)

    @property
    def all_files_are_in_cloud(self):
        """True when every file of the dataset is a cloud object (or has a cloud path)."""
        return all(file.exists_in_cloud for file in self.files)

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
            # A cloud object's download elsewhere (e.g. the runner's download folder) is not part of this folder.
            if file._local_path is not None and (not file._is_cloud_object or _is_within(file._local_path, self.path)):
                file.update_local_metadata()

    # Files.

    def add(self, datafile, path_in_dataset=None):
        """Add a datafile (or a path) to the dataset and return it.

        For a local dataset, an existing local file outside the dataset folder is copied in (to `path_in_dataset`, or
        the folder's root under the file's name), as in Octue; the copy keeps the file's metadata. A cloud object is
        downloaded there (as Octue does), or its existing local copy is copied there. Adding to a cloud dataset
        uploads nothing.
        """
        if not isinstance(datafile, Datafile):
            datafile = Datafile(datafile)
        if not is_cloud_path(self.path):
            destination = os.path.join(self.path, path_in_dataset or datafile.name)
            if datafile._is_cloud_object and datafile._local_path is None:
                datafile.download(local_path=destination)
                datafile.update_local_metadata()
            elif datafile.exists_locally and not _is_within(datafile._local_path, self.path):
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                shutil.copy2(datafile._local_path, destination)
                if datafile._is_cloud_object:
                    datafile._adopt_local_copy(destination)
                else:
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

    def download(self, local_directory=None):
        """Download every cloud file of the dataset through the runner and return the absolute local directory.

        As Octue: each file goes to `<local_directory>/<its path relative to the dataset>` (a new temporary directory
        when none is given), and the datafiles then point at those copies. Up to 8 downloads run at once. Raises
        `CloudLocationNotSpecified` for a dataset that is not in the cloud.
        """
        if not self.exists_in_cloud:
            raise CloudLocationNotSpecified(
                "You can only download files from a cloud dataset. This dataset's path is %r." % (self.path,)
            )
        if local_directory:
            local_directory = os.path.abspath(os.fspath(local_directory))
        else:
            local_directory = registered_temporary_directory()
        os.makedirs(local_directory, exist_ok=True)
        downloads = []
        for file in self.files:
            if file.exists_in_cloud:
                relative_path = self._datafile_path_relative_to_self(file, path_type="cloud_path")
                downloads.append((file, os.path.join(local_directory, *relative_path.split("/"))))
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=MAX_PARALLEL_DOWNLOADS, thread_name_prefix="twined-download"
        ) as executor:
            futures = [executor.submit(file.download, local_path=path) for file, path in downloads]
            try:
                for future in futures:
                    logger.debug("Downloaded datafile to %r.", future.result())
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        logger.info("Downloaded %r to %r.", self, local_directory)
        return local_directory

    def _datafile_path_relative_to_self(self, datafile, path_type):
        """Return the datafile's path relative to the dataset, as Octue computes it (`path_type` names the attribute).

        A signed dataset's path points into its `.signed_metadata_files` folder, so the folder above it is used, and
        URLs lose their query strings. A file that is not below the dataset's location is placed under its name.
        """
        if _is_url(self.path):
            dataset_path = self.path.split("?")[0].split(SIGNED_METADATA_DIRECTORY)[0]
        else:
            dataset_path = self.path
        datafile_path = getattr(datafile, path_type)
        if datafile_path is None:
            return datafile.name
        if _is_url(datafile_path):
            datafile_path = datafile_path.split("?")[0]
        if is_cloud_path(datafile_path):
            # Rooted at "/" so that no working directory is involved.
            relative = posixpath.relpath("/" + _strip_protocol(datafile_path), "/" + _strip_protocol(dataset_path))
        else:
            relative = os.path.relpath(datafile_path, dataset_path).replace(os.sep, "/")
        if relative in (".", "") or relative == ".." or relative.startswith("../"):
            return datafile.name
        return relative

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
        local_path = datafile._local_path
        if local_path is not None and not is_cloud_path(self.path) and _is_within(local_path, self.path):
            return os.path.relpath(local_path, self.path)
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
        # Unknown keys (e.g. ones a newer runner adds) are ignored.
        primitive = {key: value for key, value in file.items() if key in DATAFILE_PRIMITIVE_KEYS}
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


def _is_url(path):
    return isinstance(path, str) and path.startswith("http")


def _strip_protocol(path):
    for prefix in ("gs://", "https://", "http://"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def _is_within(path, directory):
    path = os.path.abspath(path)
    directory = os.path.abspath(directory)
    return os.path.commonpath([path, directory]) == directory
