"""A manifest: named datasets given to or produced by an analysis."""

import json
import logging
import os

from ..downloads import registered_temporary_directory
from .dataset import Dataset
from .identity import is_cloud_path, validated_id

logger = logging.getLogger(__name__)


class Manifest:
    """Maps dataset keys to `Dataset` objects.

    Datasets may be given as `Dataset` objects, local paths (relative paths are resolved against `base_directory`,
    default the current directory) or serialised dataset objects.
    """

    def __init__(self, id=None, datasets=None, name=None, base_directory=None, **kwargs):
        if kwargs:
            raise TypeError("Manifest() got unexpected keyword arguments: %s" % ", ".join(sorted(kwargs)))
        self.id = validated_id(id)
        self.name = name
        self.datasets = {}
        if isinstance(datasets, (list, tuple)):
            raise TypeError(
                "A manifest's datasets must be an object mapping dataset names to datasets, not a list."
            )
        for key, dataset in (datasets or {}).items():
            self.datasets[key] = _as_dataset(dataset, base_directory)

    @classmethod
    def from_primitive(cls, data, base_directory=None):
        """Build a manifest from parsed manifest JSON (or JSON text)."""
        if isinstance(data, str):
            data = json.loads(data)
        if not isinstance(data, dict):
            raise TypeError("A manifest must be a JSON object, not %s." % type(data).__name__)
        return cls(base_directory=base_directory, **data)

    # Octue's name for the same constructor.
    deserialise = from_primitive

    def get_dataset(self, key):
        """Return the dataset stored under `key`."""
        try:
            return self.datasets[key]
        except KeyError:
            raise KeyError(
                "The manifest has no dataset %r; it has: %s."
                % (key, ", ".join(repr(name) for name in sorted(self.datasets)) or "none")
            ) from None

    def download(self, paths=None, download_all=True):
        """Download the manifest's datasets through the runner, as Octue's `Manifest.download`.

        `paths` maps dataset keys to the directories to download them into; datasets without one go into their own
        folder of one new temporary directory. With `download_all=False` and `paths` given, only the datasets named
        in `paths` are downloaded. Returns the mapping of dataset key to absolute directory (`paths`, updated).
        """
        if paths is None:
            download_all = True
            paths = {}
        datasets_directory = None
        for key, dataset in self.datasets.items():
            download_path = paths.get(key)
            if not download_all and not download_path:
                logger.info("%r dataset download skipped as its download path wasn't specified.", key)
                continue
            if not download_path:
                if datasets_directory is None:
                    datasets_directory = registered_temporary_directory()
                download_path = os.path.join(datasets_directory, key)
            paths[key] = dataset.download(local_directory=download_path)
        return paths

    @property
    def all_datasets_are_in_cloud(self):
        return all(is_cloud_path(dataset.path) for dataset in self.datasets.values())

    def to_primitive(self):
        """Return manifest JSON with every dataset written out as a dataset object."""
        return {
            "id": self.id,
            "name": self.name,
            "datasets": {key: dataset.to_primitive() for key, dataset in self.datasets.items()},
        }

    def serialise(self):
        return self.to_primitive()

    def __repr__(self):
        return "<Manifest(%r)>" % (self.id,)


def _as_dataset(dataset, base_directory):
    if isinstance(dataset, Dataset):
        return dataset
    base_directory = base_directory or os.getcwd()
    if isinstance(dataset, (str, os.PathLike)):
        path = os.fspath(dataset)
        return Dataset(path=path if is_cloud_path(path) else os.path.join(base_directory, path))
    if isinstance(dataset, dict):
        description = dict(dataset)
        path = description.get("path")
        if isinstance(path, str) and is_cloud_path(path):
            # As in Octue, only the location, the files and the metadata are used (the runner has read the metadata
            # from the cloud when it resolved the dataset); other keys are ignored.
            metadata = {
                key: description[key] for key in ("id", "name", "tags", "labels") if description.get(key) is not None
            }
            return Dataset(path=path, files=description.get("files"), **metadata)
        description["path"] = os.path.join(base_directory, path) if path else base_directory
        return Dataset(**description)
    raise TypeError(
        "Each dataset in a manifest must be a path or a dataset object, not %s." % type(dataset).__name__
    )
