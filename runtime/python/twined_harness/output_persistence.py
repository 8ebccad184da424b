"""Prepare the app's outputs before it runs and save the output datasets into the output directory afterwards.

The dataset classes are imported where a manifest is handled: a question without datasets (most) does not pay for
importing them (and `shutil`, `tempfile`, `uuid`…) before its app starts.
"""

import os


def prepare_outputs(twine, output_directory):
    """Return `(output_values, output_manifest)` as the app first sees them.

    `output_values` is `{}` when the twine has an `output_values_schema`, else None. The output manifest has one empty
    dataset per dataset of the `output_manifest` strand, at `<output_directory>/<dataset name>` (created so the app
    can write straight into it), or is None when the twine has no such strand.
    """
    output_values = {} if "output_values_schema" in twine else None
    strand = twine.get("output_manifest")
    if not isinstance(strand, dict):
        return output_values, None
    from .resources import Dataset, Manifest

    datasets = {}
    for name in strand.get("datasets") or {}:
        path = _dataset_directory(output_directory, name)
        datasets[name] = Dataset(path=path, name=name, ignore_stored_metadata=True)
        os.makedirs(path, exist_ok=True)
    return output_values, Manifest(datasets=datasets)


def persist_output_manifest(manifest, output_directory):
    """Move every output dataset under `<output_directory>/<dataset key>` and write its `.octue` metadata.

    Files outside that folder (e.g. written to a temporary directory) are copied in, keeping their path relative to
    their dataset's folder, so the runner can hand over a self-contained output directory. A cloud datafile (e.g. an
    input file the app put into an output dataset) is saved like a local file: its local copy is copied in (or, if it
    was never downloaded, it is downloaded there), and the dataset then holds a local datafile with its metadata.
    Returns the manifest.
    """
    if manifest is None:
        return None
    import shutil

    from .downloads import download_file
    from .resources import Manifest
    from .resources.identity import is_cloud_path

    if isinstance(manifest, dict):
        manifest = Manifest.from_primitive(manifest)
    if not isinstance(manifest, Manifest):
        raise TypeError(
            "analysis.output_manifest must be a Manifest, a manifest dictionary or None, not %s."
            % type(manifest).__name__
        )

    for key, dataset in manifest.datasets.items():
        if is_cloud_path(dataset.path):
            continue
        _include_files_written_into(dataset)
        target = _dataset_directory(output_directory, key)
        os.makedirs(target, exist_ok=True)
        destinations = {}
        for datafile in dataset.files:
            # `_local_path`, not `local_path`: reading the property would download a cloud object first.
            local_path = datafile._local_path
            if local_path is None and not datafile._is_cloud_object:
                continue
            if local_path is None:
                destination = os.path.join(target, datafile.name)
            else:
                destination = _destination_for(local_path, dataset.path, target, datafile.name)
            if destination in destinations and destinations[destination] is not datafile:
                raise ValueError(
                    "Two files of the output dataset %r would both be saved as %r; give them different names."
                    % (key, destination)
                )
            destinations[destination] = datafile
            if local_path is None:
                download_file(datafile.cloud_path, destination)
            elif destination != local_path:
                if not os.path.isfile(local_path):
                    raise FileNotFoundError(
                        "The file %r of the output dataset %r does not exist; write it before the app finishes "
                        "(or before calling analysis.finalise())." % (local_path, key)
                    )
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                shutil.copy2(local_path, destination)
                if not datafile._is_cloud_object:
                    datafile.local_path = destination
            if datafile._is_cloud_object:
                dataset.files.replace(datafile, _saved_copy_of(datafile, destination))
        dataset.path = target
        dataset.update_local_metadata()
    return manifest


def _include_files_written_into(dataset):
    """Register files the app wrote straight into a dataset's folder without adding them to the dataset.

    Octue only keeps registered files; an app that writes `results.csv` into the prepared output folder surely means it
    to be part of the output, so it is added (with no tags or labels).
    """
    if not os.path.isdir(dataset.path):
        return
    from .resources.dataset import _discover_files

    registered = {os.path.abspath(file._local_path) for file in dataset.files if file._local_path is not None}
    for path in _discover_files(dataset.path, recursive=True):
        if os.path.abspath(path) not in registered:
            dataset.add(path)


def _saved_copy_of(datafile, path):
    """A local datafile at `path` with the metadata of the cloud datafile it was saved from.

    The cloud datafile itself is left as it is, so the app's input datasets still serialise to their cloud paths.
    """
    from .resources import Datafile

    return Datafile(
        path,
        id=datafile.id,
        timestamp=datafile.timestamp,
        tags=dict(datafile.tags),
        labels=set(datafile.labels),
        ignore_stored_metadata=True,
    )


def _destination_for(file_path, dataset_path, target, name=None):
    file_path = os.path.abspath(file_path)
    if _is_within(file_path, target):
        return file_path
    if _is_within(file_path, dataset_path):
        return os.path.join(target, os.path.relpath(file_path, dataset_path))
    return os.path.join(target, name or os.path.basename(file_path))


def _dataset_directory(output_directory, name):
    path = os.path.abspath(os.path.join(output_directory, name))
    if name in ("", ".", "..") or os.path.dirname(path) != os.path.abspath(output_directory):
        raise ValueError("The output dataset name %r cannot be used as a folder name." % (name,))
    return path


def _is_within(path, directory):
    path = os.path.abspath(path)
    directory = os.path.abspath(directory)
    return os.path.commonpath([path, directory]) == directory
