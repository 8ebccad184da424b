"""Datafile, Dataset, Manifest, filtering, metadata files and tag/label rules."""

import datetime
import json
import os
import shutil
import tempfile
import unittest

from twined_harness.exceptions import (
    BrokenSequenceException,
    InvalidInputException,
    InvalidLabelException,
    InvalidTagException,
    UnexpectedNumberOfResultsException,
)
from twined_harness.output_persistence import persist_output_manifest, prepare_outputs
from twined_harness.resources import Datafile, Dataset, LabelSet, Manifest, TagDict


class TemporaryDirectoryTestCase(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="twined-resources-test-")
        self.addCleanup(shutil.rmtree, self.directory, ignore_errors=True)

    def write(self, relative_path, text="data"):
        path = os.path.join(self.directory, relative_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(text)
        return path

    def write_json(self, relative_path, value):
        return self.write(relative_path, json.dumps(value))


def met_mast_dataset(test_case):
    """Lay out a dataset like Octue's template-using-manifests input and return its folder."""
    root = os.path.join(test_case.directory, "raw_met_mast_data")
    test_case.write_json(
        "raw_met_mast_data/.octue",
        {
            "dataset": {
                "id": "7ead7669-8162-4f64-8cd5-4abe92509e19",
                "name": "meteorological mast dataset",
                "tags": {"location": 108346},
                "labels": ["met", "mast", "wind"],
                "files": ["08DEC/High Res Meteorological Mast Data - 8 Dec_1.csv"],
            }
        },
    )
    test_case.write("raw_met_mast_data/08DEC/High Res Meteorological Mast Data - 8 Dec_1.csv", "first")
    test_case.write("raw_met_mast_data/08DEC/High Res Meteorological Mast Data - 8 Dec_2.csv", "second")
    test_case.write("raw_met_mast_data/08DEC/meta - 8 Dec.dat", "DATE: 2019-12-08")
    test_case.write_json(
        "raw_met_mast_data/08DEC/.octue",
        {
            "datafiles": {
                "High Res Meteorological Mast Data - 8 Dec_1.csv": {
                    "id": "11111111-1111-4111-8111-111111111111",
                    "timestamp": None,
                    "tags": {"sequence": 0},
                    "labels": ["timeseries"],
                },
                "High Res Meteorological Mast Data - 8 Dec_2.csv": {
                    "tags": {"sequence": 1},
                    "labels": {"_type": "set", "items": ["timeseries"]},
                    "timestamp": {"_type": "datetime", "value": "2019-12-08T00:00:00+00:00"},
                },
                "meta - 8 Dec.dat": {"tags": {"sequence": 0}, "labels": ["meta"]},
            }
        },
    )
    return root


class TestTagsAndLabels(unittest.TestCase):
    def test_valid_tag_names(self):
        tags = TagDict({"sequence": 0, "a1_b2": "x", "9lives": True})
        self.assertEqual(tags["a1_b2"], "x")

    def test_invalid_tag_names(self):
        for name in ("_leading", "trailing_", "Upper", "has-hyphen", "has space", ""):
            with self.subTest(name=name), self.assertRaises(InvalidTagException):
                TagDict({name: 1})
        tags = TagDict()
        with self.assertRaises(InvalidTagException):
            tags["Bad"] = 1
        with self.assertRaises(InvalidTagException):
            tags.update(Bad=1)

    def test_valid_labels(self):
        self.assertEqual(LabelSet(["hello-world", " blah-35 "]), {"hello-world", "blah-35"})
        self.assertEqual(LabelSet("met mast  wind"), {"met", "mast", "wind"})
        self.assertEqual(LabelSet('["met", "mast"]'), {"met", "mast"})
        self.assertEqual(LabelSet(None), set())

    def test_invalid_labels(self):
        for label in ("a_b", "-bah", "HELLO-WORLD", "a/", ":a", "trailing-"):
            with self.subTest(label=label), self.assertRaises(InvalidLabelException):
                LabelSet([label])
        with self.assertRaises(InvalidLabelException):
            LabelSet().add("Nope")

    def test_datafile_and_dataset_validate_on_assignment(self):
        datafile = Datafile(path="/nonexistent/file.txt")
        with self.assertRaises(InvalidLabelException):
            datafile.labels = ["Bad_Label"]
        with self.assertRaises(InvalidTagException):
            datafile.tags = {"Bad": 1}
        dataset = Dataset(path="/nonexistent/folder")
        dataset.labels = ["met", "mast"]
        self.assertIsInstance(dataset.labels, LabelSet)


class TestDatafile(TemporaryDirectoryTestCase):
    def test_basic_attributes(self):
        path = self.write("folder/file.csv")
        datafile = Datafile(path=path, tags={"sequence": 2}, labels=["a"], timestamp=0)
        self.assertEqual(datafile.name, "file.csv")
        self.assertEqual(datafile.path, path)
        self.assertEqual(datafile.local_path, path)
        self.assertEqual(datafile.extension, "csv")
        self.assertEqual(datafile.timestamp, datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc))
        self.assertEqual(os.fspath(datafile), path)

    def test_ids_are_validated(self):
        with self.assertRaises(InvalidInputException):
            Datafile(path="/x/y", id="not-a-uuid")
        self.assertEqual(len(Datafile(path="/x/y").id), 36)

    def test_open_for_writing_creates_folders_and_stores_metadata(self):
        path = os.path.join(self.directory, "new", "out.txt")
        datafile = Datafile(path=path, labels=["timeseries"], tags={"sequence": 3})
        with datafile.open("w") as file:
            file.write("hello")
        with open(os.path.join(self.directory, "new", ".octue")) as file:
            stored = json.load(file)["datafiles"]["out.txt"]
        self.assertEqual(stored["labels"], ["timeseries"])
        self.assertEqual(stored["tags"], {"sequence": 3})
        self.assertEqual(stored["id"], datafile.id)

        reread = Datafile(path=path)
        self.assertEqual(reread.labels, {"timeseries"})
        self.assertEqual(reread.tags, {"sequence": 3})
        self.assertEqual(reread.id, datafile.id)
        with reread.open() as file:
            self.assertEqual(file.read(), "hello")

    def test_context_manager_form(self):
        path = os.path.join(self.directory, "made.txt")
        with Datafile(path=path, mode="w", labels=["x"]) as (datafile, file):
            file.write("content")
        self.assertEqual(datafile.name, "made.txt")
        self.assertEqual(Datafile(path=path).labels, {"x"})

    def test_stored_metadata_wins_unless_ignored(self):
        path = self.write("f.txt")
        self.write_json(".octue", {"datafiles": {"f.txt": {"labels": ["stored"], "tags": {"a": 1}}}})
        self.assertEqual(Datafile(path=path, labels=["given"]).labels, {"stored"})
        self.assertEqual(Datafile(path=path, labels=["given"], ignore_stored_metadata=True).labels, {"given"})

    def test_cloud_datafile_without_a_runner_cannot_be_read(self):
        # Downloads go through the runner (see test_downloads.py); with none connected, reading fails clearly.
        datafile = Datafile(path="gs://bucket/folder/file.csv")
        self.assertEqual(datafile.name, "file.csv")
        self.assertTrue(datafile.exists_in_cloud)
        self.assertFalse(datafile.exists_locally)
        with self.assertRaises(FileNotFoundError) as context:
            datafile.local_path
        self.assertIn("no runner is connected", str(context.exception))
        with self.assertRaises(FileNotFoundError):
            with datafile.open():
                pass


class TestDataset(TemporaryDirectoryTestCase):
    def test_from_directory_reads_metadata_files(self):
        dataset = Dataset(path=met_mast_dataset(self))
        self.assertEqual(dataset.name, "meteorological mast dataset")
        self.assertEqual(dataset.id, "7ead7669-8162-4f64-8cd5-4abe92509e19")
        self.assertEqual(dataset.tags, {"location": 108346})
        self.assertEqual(dataset.labels, {"met", "mast", "wind"})
        self.assertEqual(len(dataset.files), 3)
        self.assertNotIn(".octue", [file.name for file in dataset.files])
        first = dataset.files.one(name__endswith="8 Dec_1.csv")
        self.assertEqual(first.id, "11111111-1111-4111-8111-111111111111")
        second = dataset.files.one(name__endswith="8 Dec_2.csv")
        self.assertEqual(second.labels, {"timeseries"})
        self.assertEqual(second.timestamp.year, 2019)

    def test_template_using_manifests_calls(self):
        dataset = Dataset(path=met_mast_dataset(self))
        metadata_file = dataset.get_file_by_label("meta")
        self.assertEqual(metadata_file.name, "meta - 8 Dec.dat")
        timeseries = dataset.files.filter(labels__contains="timeseries").order_by(
            "tags__sequence", check_start_value=0, check_constant_increment=1
        )
        self.assertEqual([file.tags["sequence"] for file in timeseries], [0, 1])
        self.assertIsInstance(timeseries, list)

    def test_non_recursive_discovery_and_default_name(self):
        self.write("top/a.txt")
        self.write("top/sub/b.txt")
        self.assertEqual(len(Dataset(path=os.path.join(self.directory, "top"))), 2)
        dataset = Dataset(path=os.path.join(self.directory, "top"), recursive=False)
        self.assertEqual([file.name for file in dataset.files], ["a.txt"])
        self.assertEqual(dataset.name, "top")

    def test_get_file_by_label_needs_exactly_one(self):
        dataset = Dataset(path=met_mast_dataset(self))
        with self.assertRaises(UnexpectedNumberOfResultsException) as context:
            dataset.get_file_by_label("timeseries")
        self.assertIn("found 2", str(context.exception))
        with self.assertRaises(UnexpectedNumberOfResultsException):
            dataset.get_file_by_label("absent")

    def test_add_copies_outside_files_in(self):
        outside = self.write("elsewhere/result.txt", "r")
        Datafile(path=outside, labels=["result"]).update_local_metadata()
        dataset = Dataset(path=os.path.join(self.directory, "dataset"))
        added = dataset.add(Datafile(path=outside))
        self.assertEqual(added.local_path, os.path.join(self.directory, "dataset", "result.txt"))
        self.assertTrue(os.path.isfile(added.local_path))
        self.assertEqual(Dataset(path=os.path.join(self.directory, "dataset")).files.one().labels, {"result"})

    def test_unknown_keyword_is_an_error(self):
        with self.assertRaises(TypeError):
            Dataset(path=self.directory, colour="blue")

    def test_to_primitive(self):
        self.write("d/b.txt")
        self.write("d/a.txt")
        dataset = Dataset(path=os.path.join(self.directory, "d"), name="named", labels=["z", "a"], tags={"k": 1})
        primitive = dataset.to_primitive()
        self.assertEqual(list(primitive), ["id", "name", "tags", "labels", "path", "files"])
        self.assertEqual(primitive["labels"], ["a", "z"])
        self.assertEqual(
            primitive["files"], [os.path.join(self.directory, "d", "a.txt"), os.path.join(self.directory, "d", "b.txt")]
        )


class TestFilters(TemporaryDirectoryTestCase):
    def setUp(self):
        super().setUp()
        specs = [
            ("Alpha.CSV", {"sequence": 0, "kind": "raw"}, ["timeseries"]),
            ("beta.csv", {"sequence": 1, "kind": "raw"}, ["timeseries", "extra"]),
            ("gamma.dat", {"sequence": 2, "kind": "meta"}, ["meta"]),
            ("delta.txt", {}, []),
        ]
        self.dataset = Dataset(
            path=self.directory,
            files=[Datafile(path=self.write(name), tags=tags, labels=labels) for name, tags, labels in specs],
        )
        self.files = self.dataset.files

    def names(self, files):
        return sorted(file.name for file in files)

    def test_filters(self):
        self.assertEqual(self.names(self.files.filter(labels__contains="timeseries")), ["Alpha.CSV", "beta.csv"])
        self.assertEqual(self.names(self.files.filter(tags__kind__equals="meta")), ["gamma.dat"])
        self.assertEqual(self.names(self.files.filter(tags__sequence__gt=0)), ["beta.csv", "gamma.dat"])
        self.assertEqual(self.names(self.files.filter(tags__sequence__lt=1)), ["Alpha.CSV"])
        self.assertEqual(self.names(self.files.filter(name__icontains="ALPHA")), ["Alpha.CSV"])
        self.assertEqual(self.names(self.files.filter(name__endswith=".csv")), ["beta.csv"])
        self.assertEqual(self.names(self.files.filter(name__equals="delta.txt")), ["delta.txt"])
        self.assertEqual(
            self.names(self.files.filter(labels__contains="timeseries", tags__sequence__gt=0)), ["beta.csv"]
        )
        self.assertEqual(len(self.files.filter(tags__missing__equals=1)), 0)

    def test_invalid_filter_names(self):
        for key in ("labels", "labels__has", "name__"):
            with self.subTest(key=key), self.assertRaises(ValueError):
                self.files.filter(**{key: "x"})

    def test_one(self):
        self.assertEqual(self.files.one(name__equals="beta.csv").name, "beta.csv")
        with self.assertRaises(UnexpectedNumberOfResultsException):
            self.files.one(labels__contains="timeseries")
        with self.assertRaises(UnexpectedNumberOfResultsException):
            self.files.one()

    def test_iteration_and_length(self):
        self.assertEqual(len(self.files), 4)
        self.assertEqual(len(list(self.files)), 4)
        self.assertEqual(len(self.dataset), 4)

    def test_order_by(self):
        ordered = self.files.filter(tags__sequence__gte=0).order_by("tags__sequence")
        self.assertEqual([file.name for file in ordered], ["Alpha.CSV", "beta.csv", "gamma.dat"])
        self.assertEqual([file.name for file in self.files.order_by("name")][0], "Alpha.CSV")
        self.assertEqual(
            [file.name for file in ordered.order_by("tags__sequence", reverse=True)],
            ["gamma.dat", "beta.csv", "Alpha.CSV"],
        )

    def test_order_by_checks_the_sequence(self):
        with_sequence = self.files.filter(tags__sequence__gte=0)
        with_sequence.order_by("tags__sequence", check_start_value=0, check_constant_increment=1)
        with self.assertRaises(BrokenSequenceException) as context:
            with_sequence.order_by("tags__sequence", check_start_value=1)
        self.assertIn("starts at 0", str(context.exception))
        with self.assertRaises(BrokenSequenceException) as context:
            with_sequence.order_by("tags__sequence", check_constant_increment=2)
        self.assertIn("does not go up by 2", str(context.exception))

    def test_order_by_a_missing_attribute(self):
        with self.assertRaises(InvalidInputException):
            self.files.order_by("tags__sequence")


class TestManifest(TemporaryDirectoryTestCase):
    def test_from_primitive_with_paths_and_objects(self):
        met_mast_dataset(self)
        self.write("other/x.txt")
        manifest = Manifest.from_primitive(
            {
                "id": "8ead7669-8162-4f64-8cd5-4abe92509e17",
                "datasets": {
                    "raw_met_mast_data": "raw_met_mast_data",
                    "described": {
                        "id": "9ead7669-8162-4f64-8cd5-4abe92509e17",
                        "name": "described",
                        "tags": {"a": 1},
                        "labels": ["b"],
                        "path": "other",
                        "files": ["x.txt"],
                    },
                    "cloud": {"path": "gs://bucket/data", "files": ["gs://bucket/data/f.csv"], "name": "named", "x": 1},
                },
            },
            base_directory=self.directory,
        )
        self.assertEqual(manifest.id, "8ead7669-8162-4f64-8cd5-4abe92509e17")
        self.assertEqual(len(manifest.get_dataset("raw_met_mast_data").files), 3)
        described = manifest.get_dataset("described")
        self.assertEqual(described.tags, {"a": 1})
        self.assertEqual(described.files.one().local_path, os.path.join(self.directory, "other", "x.txt"))
        # The runner resolves cloud datasets with their stored metadata, so the given name is used; unknown keys aren't.
        self.assertEqual(manifest.get_dataset("cloud").name, "named")
        self.assertEqual(manifest.get_dataset("cloud").files.one().name, "f.csv")

    def test_errors(self):
        with self.assertRaises(InvalidInputException) as context:
            Manifest.from_primitive({"id": "nope", "datasets": {}})
        self.assertEqual(str(context.exception), "Value of id 'nope' is not a valid uuid string or instance of class UUID")
        with self.assertRaises(TypeError):
            Manifest.from_primitive({"id": "8ead7669-8162-4f64-8cd5-4abe92509e17", "datasets": {}, "extra": 1})
        with self.assertRaises(KeyError) as context:
            Manifest(datasets={}).get_dataset("missing")
        self.assertIn("'missing'", str(context.exception))

    def test_to_primitive_round_trip(self):
        met_mast_dataset(self)
        manifest = Manifest(datasets={"raw": os.path.join(self.directory, "raw_met_mast_data")}, name="m")
        primitive = json.loads(json.dumps(manifest.to_primitive()))
        again = Manifest.from_primitive(primitive)
        self.assertEqual(again.id, manifest.id)
        self.assertEqual(again.name, "m")
        self.assertEqual(again.get_dataset("raw").to_primitive(), manifest.get_dataset("raw").to_primitive())


class TestOutputs(TemporaryDirectoryTestCase):
    def test_prepare_outputs(self):
        output_directory = os.path.join(self.directory, "out")
        self.assertEqual(prepare_outputs({}, output_directory), (None, None))
        values, manifest = prepare_outputs(
            {"output_values_schema": {}, "output_manifest": {"datasets": {"first": {}, "second": {}}}},
            output_directory,
        )
        self.assertEqual(values, {})
        self.assertEqual(sorted(manifest.datasets), ["first", "second"])
        self.assertEqual(manifest.get_dataset("first").path, os.path.join(output_directory, "first"))
        self.assertTrue(os.path.isdir(os.path.join(output_directory, "first")))
        self.assertEqual(len(manifest.get_dataset("first").files), 0)

    def test_persist_copies_outside_files_and_writes_metadata(self):
        output_directory = os.path.join(self.directory, "out")
        _, manifest = prepare_outputs({"output_manifest": {"datasets": {"results": {}}}}, output_directory)
        dataset = manifest.get_dataset("results")
        dataset.add(Datafile(path=self.write("elsewhere/late.txt", "late"), labels=["late"]))
        dataset.files.add(Datafile(path=os.path.join(self.directory, "elsewhere", "written_later.txt"), tags={"n": 1}))
        self.write("elsewhere/written_later.txt", "later")
        dataset.labels = ["z", "a"]

        persisted = persist_output_manifest(manifest, output_directory).to_primitive()
        results = persisted["datasets"]["results"]
        target = os.path.join(output_directory, "results")
        self.assertEqual(results["path"], target)
        self.assertEqual(results["labels"], ["a", "z"])
        self.assertEqual(results["files"], [os.path.join(target, "late.txt"), os.path.join(target, "written_later.txt")])

        reread = Dataset(path=target)
        self.assertEqual(reread.id, results["id"])
        self.assertEqual(reread.labels, {"a", "z"})
        self.assertEqual(reread.files.one(name__equals="written_later.txt").tags, {"n": 1})

    def test_persist_accepts_a_manifest_dictionary_and_none(self):
        self.assertIsNone(persist_output_manifest(None, self.directory))
        self.write("made/file.txt")
        manifest = persist_output_manifest(
            {"id": "8ead7669-8162-4f64-8cd5-4abe92509e17", "datasets": {"made": os.path.join(self.directory, "made")}},
            os.path.join(self.directory, "out"),
        )
        self.assertEqual(manifest.get_dataset("made").files.one().local_path, os.path.join(self.directory, "out", "made", "file.txt"))

    def test_missing_output_file_is_a_clear_error(self):
        _, manifest = prepare_outputs({"output_manifest": {"datasets": {"r": {}}}}, self.directory)
        manifest.get_dataset("r").files.add(Datafile(path="/nonexistent/never-written.txt"))
        with self.assertRaises(FileNotFoundError) as context:
            persist_output_manifest(manifest, self.directory)
        self.assertIn("never-written.txt", str(context.exception))


if __name__ == "__main__":
    unittest.main()
