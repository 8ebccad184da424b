"""Cloud datafiles downloaded lazily through the runner (`download` requests), in process and end to end."""

import copy
import json
import os
import shutil
import tempfile
import threading
import unittest

from tests.fake_bucket import FakeBucket, FakeRunner
from tests.harness_process import HarnessProcess
from twined_harness import downloads
from twined_harness.exceptions import CloudLocationNotSpecified
from twined_harness.output_persistence import persist_output_manifest, prepare_outputs
from twined_harness.resources import Datafile, Dataset, Manifest

DATASET_PATH = "gs://bucket/datasets/raw"


def resolved_datafile(path, index=0, **overrides):
    """A datafile as the runner sends it in a resolved manifest."""
    primitive = {
        "id": "00000000-0000-4000-8000-%012d" % index,
        "name": path.split("?")[0].rsplit("/", 1)[-1],
        "path": path,
        "timestamp": 1718000000.0 + index,
        "tags": {"index": index, "height": 80},
        "labels": ["wind"] if index % 2 == 0 else ["solar"],
        "size": 10,
        "crc32c": "mnG7TA==",
        "some_future_key": {"ignored": True},
    }
    primitive.update(overrides)
    return primitive


def resolved_dataset(files, path=DATASET_PATH, **overrides):
    dataset = {
        "id": "7ead7669-8162-4f64-8cd5-4abe92509e19",
        "name": "raw",
        "tags": {"site": "a1"},
        "labels": ["met"],
        "path": path,
        "files": files,
    }
    dataset.update(overrides)
    return dataset


def resolved_manifest(datasets):
    return {"id": "8ead7669-8162-4f64-8cd5-4abe92509e17", "name": None, "datasets": datasets}


class DownloadTestCase(unittest.TestCase):
    delay = 0.0

    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="twined-downloads-test-")
        self.addCleanup(shutil.rmtree, self.directory, ignore_errors=True)
        self.bucket = FakeBucket(self.directory, delay=self.delay)
        self.runner = FakeRunner(self.bucket)
        self.addCleanup(self.runner.close)
        downloads.connect(self.runner.channel)
        self.addCleanup(downloads.connect, None)

    def cloud_files(self, count, folder="sub"):
        """Put `count` objects in the bucket under the dataset and return their resolved datafiles."""
        files = []
        for index in range(count):
            path = "%s/%s/f%04d.csv" % (DATASET_PATH, folder, index)
            self.bucket.put(path, "content %d" % index)
            files.append(resolved_datafile(path, index))
        return files

    def read(self, path):
        with open(path) as file:
            return file.read()


class TestCloudDatafiles(DownloadTestCase):
    def test_reading_one_file_of_a_1000_file_dataset_downloads_only_that_file(self):
        manifest = Manifest.from_primitive(resolved_manifest({"raw": resolved_dataset(self.cloud_files(1000))}))
        dataset = manifest.get_dataset("raw")
        self.assertEqual(len(dataset.files), 1000)
        self.assertEqual(self.bucket.download_requests(), [])

        datafile = dataset.files.one(tags__index__equals=500)
        with datafile.open() as file:
            self.assertEqual(file.read(), "content 500")

        requests = self.bucket.download_requests()
        self.assertEqual(len(requests), 1)
        self.assertEqual(set(requests[0]), {"type", "id", "cloud_path", "local_path"})
        self.assertEqual(requests[0]["cloud_path"], DATASET_PATH + "/sub/f0500.csv")
        self.assertIsNone(requests[0]["local_path"])
        self.assertIsInstance(requests[0]["id"], int)

    def test_attributes_come_from_the_primitive_without_downloading(self):
        url = "https://storage.example/bucket/ds/sub/b.csv?X-Goog-Signature=abc%2Fdef"
        dataset = Dataset(
            path=DATASET_PATH,
            files=[
                resolved_datafile(DATASET_PATH + "/sub/a.csv", 3, name="renamed.csv"),
                resolved_datafile(url, 4, name=None, size=None, crc32c=None),
            ],
        )
        named = dataset.files.one(tags__index__equals=3)
        self.assertEqual(named.name, "renamed.csv")
        self.assertEqual(named.extension, "csv")
        self.assertEqual(named.cloud_path, DATASET_PATH + "/sub/a.csv")
        self.assertEqual(named.path, DATASET_PATH + "/sub/a.csv")
        self.assertEqual(named.id, "00000000-0000-4000-8000-000000000003")
        self.assertEqual(named.timestamp.timestamp(), 1718000003.0)
        self.assertEqual(named.tags, {"index": 3, "height": 80})
        self.assertEqual(named.labels, {"solar"})
        self.assertTrue(named.exists_in_cloud)
        self.assertFalse(named.exists_locally)
        self.assertEqual(named.size_bytes, 10)
        self.assertEqual(named.cloud_hash_value, "mnG7TA==")

        from_url = dataset.files.one(tags__index__equals=4)
        self.assertEqual(from_url.name, "b.csv")
        self.assertIsNone(from_url.cloud_hash_value)
        self.assertIsNone(from_url.size_bytes)
        self.assertEqual(self.bucket.download_requests(), [])

    def test_local_path_read_twice_and_from_two_threads_makes_one_request(self):
        self.bucket.delay = 0.2
        path = self.bucket.put(DATASET_PATH + "/a.csv", "a")
        datafile = Datafile.deserialise(resolved_datafile(path))
        barrier = threading.Barrier(2)
        seen = []

        def read():
            barrier.wait()
            seen.append(datafile.local_path)

        threads = [threading.Thread(target=read) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        seen.append(datafile.local_path)
        self.assertEqual(len(self.bucket.download_requests()), 1)
        self.assertEqual(len(set(seen)), 1)
        self.assertTrue(datafile.exists_locally)
        self.assertEqual(self.read(seen[0]), "a")
        self.assertEqual(os.fspath(datafile), seen[0])

    def test_two_datafiles_of_the_same_object_get_the_same_runner_chosen_file(self):
        path = self.bucket.put(DATASET_PATH + "/a.csv", "a")
        first, second = Datafile(path), Datafile(path)
        self.assertEqual(first.local_path, second.local_path)
        self.assertEqual(len(self.bucket.download_requests()), 2)
        self.assertEqual(len(self.bucket.transfers), 1)

    def test_download_to_a_given_path_sends_that_path(self):
        path = self.bucket.put(DATASET_PATH + "/a.csv", "a")
        datafile = Datafile.deserialise(resolved_datafile(path))
        target = os.path.join(self.directory, "mine", "deeper", "copy.csv")
        self.assertEqual(datafile.download(target), target)
        self.assertEqual(datafile.download(local_path=target), target)
        self.assertEqual(datafile.local_path, target)
        self.assertEqual(self.read(target), "a")
        self.assertEqual(
            [(request["cloud_path"], request["local_path"]) for request in self.bucket.download_requests()],
            [(path, target)],
        )

        elsewhere = Datafile(path, local_path=os.path.join(self.directory, "requested.csv"))
        self.assertEqual(self.bucket.download_requests()[1:], [])
        self.assertEqual(elsewhere.local_path, os.path.join(self.directory, "requested.csv"))
        self.assertEqual(self.bucket.download_requests()[-1]["local_path"], elsewhere.local_path)

    def test_error_responses_raise_the_named_exception_with_the_message(self):
        self.bucket.errors[DATASET_PATH + "/denied.csv"] = {"type": "PermissionError", "message": "no access"}
        self.bucket.errors[DATASET_PATH + "/odd.csv"] = {"type": "StorageAccessDenied", "message": "bucket says no"}
        with self.assertRaises(FileNotFoundError) as context:
            Datafile(DATASET_PATH + "/missing.csv").local_path
        self.assertEqual(str(context.exception), "No object at %s/missing.csv." % DATASET_PATH)
        with self.assertRaises(PermissionError) as context:
            with Datafile(DATASET_PATH + "/denied.csv").open("rb"):
                pass
        self.assertEqual(str(context.exception), "no access")
        with self.assertRaises(Exception) as context:
            Datafile(DATASET_PATH + "/odd.csv").download()
        self.assertEqual(type(context.exception).__name__, "StorageAccessDenied")
        self.assertEqual(str(context.exception), "bucket says no")

        # A failed download leaves the datafile without a local copy; the next read asks again.
        self.bucket.put(DATASET_PATH + "/missing.csv", "late")
        datafile = Datafile(DATASET_PATH + "/missing.csv")
        with self.assertRaises(FileNotFoundError):
            Datafile(DATASET_PATH + "/gone.csv").local_path
        self.assertEqual(self.read(datafile.local_path), "late")

    def test_local_resources_cannot_be_downloaded(self):
        with self.assertRaises(CloudLocationNotSpecified):
            Datafile(os.path.join(self.directory, "local.txt")).download()
        with self.assertRaises(CloudLocationNotSpecified):
            Dataset(path=self.directory).download()
        self.assertEqual(self.bucket.download_requests(), [])

    def test_open_in_read_modes_and_the_context_manager_form(self):
        path = self.bucket.put(DATASET_PATH + "/a.csv", "text")
        datafile = Datafile.deserialise(resolved_datafile(path))
        with datafile.open("r") as file:
            self.assertEqual(file.read(), "text")
        with datafile.open("rb") as file:
            self.assertEqual(file.read(), b"text")
        with Datafile.deserialise(resolved_datafile(path)) as (opened, file):
            self.assertEqual(file.read(), "text")
        self.assertEqual(opened.name, "a.csv")
        self.assertEqual(len(self.bucket.download_requests()), 2)

    def test_writing_a_cloud_datafile_writes_its_local_copy_only(self):
        path = self.bucket.put(DATASET_PATH + "/a.csv", "first\n")
        datafile = Datafile.deserialise(resolved_datafile(path))
        with datafile.open("a") as file:
            file.write("second\n")
        self.assertEqual(self.read(datafile.local_path), "first\nsecond\n")
        self.assertEqual(self.read(self.bucket.object_path(path)), "first\n")
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(datafile.local_path), ".octue")))

        new = Datafile(DATASET_PATH + "/new.csv")
        with new.open("w") as file:
            file.write("made here")
        self.assertEqual(new.name, "new.csv")
        self.assertEqual(os.path.basename(new.local_path), "new.csv")
        self.assertEqual(self.read(new.local_path), "made here")
        with self.assertRaises(FileNotFoundError):
            with Datafile(DATASET_PATH + "/absent.csv").open("r+"):
                pass

    def test_filters_work_without_downloading(self):
        dataset = Dataset(path=DATASET_PATH, files=self.cloud_files(10), name="raw")
        self.assertEqual(len(dataset.files.filter(labels__contains="wind")), 5)
        self.assertEqual(len(dataset.files.filter(tags__index__gte=8, labels__contains="wind")), 1)
        self.assertEqual(dataset.files.one(name__equals="f0003.csv").tags["index"], 3)
        self.assertEqual(len(dataset.files.filter(exists_locally__equals=False)), 10)
        ordered = dataset.files.filter(labels__contains="solar").order_by(
            "tags__index", check_start_value=1, check_constant_increment=2
        )
        self.assertEqual([file.tags["index"] for file in ordered], [1, 3, 5, 7, 9])
        dataset.files.one(tags__index__equals=0).labels.add("only")
        self.assertEqual(dataset.get_file_by_label("only").name, "f0000.csv")
        self.assertEqual(self.bucket.download_requests(), [])

    def test_copies_of_a_datafile_work(self):
        path = self.bucket.put(DATASET_PATH + "/a.csv", "a")
        datafile = Datafile.deserialise(resolved_datafile(path))
        copied = copy.deepcopy(datafile)
        self.assertEqual(self.read(copied.local_path), "a")
        self.assertFalse(datafile.exists_locally)


class TestCloudDatasets(DownloadTestCase):
    delay = 0.05

    def test_dataset_download_fetches_every_file_in_parallel_into_relative_paths(self):
        files = self.cloud_files(12, folder="day1") + self.cloud_files(12, folder="day2/deep")
        dataset = Manifest.from_primitive(resolved_manifest({"raw": resolved_dataset(files)})).get_dataset("raw")
        self.assertTrue(dataset.exists_in_cloud)
        self.assertTrue(dataset.all_files_are_in_cloud)
        target = os.path.join(self.directory, "local copy")

        self.assertEqual(dataset.download(target), target)

        requests = self.bucket.download_requests()
        self.assertEqual(len(requests), 24)
        expected = {}
        for folder in ("day1", "day2/deep"):
            for index in range(12):
                expected["%s/%s/f%04d.csv" % (DATASET_PATH, folder, index)] = os.path.join(
                    target, *folder.split("/"), "f%04d.csv" % index
                )
        self.assertEqual({request["cloud_path"]: request["local_path"] for request in requests}, expected)
        self.assertGreater(self.bucket.max_outstanding, 1)
        self.assertLessEqual(self.bucket.max_outstanding, 8)
        self.assertEqual(self.read(os.path.join(target, "day2", "deep", "f0011.csv")), "content 11")

        # The datafiles now point at those copies, so reading them asks for nothing more.
        file = dataset.files.one(name__equals="f0003.csv", cloud_path__contains="day1")
        self.assertEqual(file.local_path, os.path.join(target, "day1", "f0003.csv"))
        self.assertEqual(len(self.bucket.download_requests()), 24)
        self.assertEqual(file.to_primitive()["path"], DATASET_PATH + "/day1/f0003.csv")

    def test_dataset_download_without_a_directory_uses_a_new_temporary_one(self):
        dataset = Dataset(path=DATASET_PATH, files=self.cloud_files(2))
        directory = dataset.download()
        self.assertTrue(os.path.isabs(directory))
        self.assertNotEqual(directory, dataset.download())
        self.assertEqual(self.read(os.path.join(directory, "sub", "f0001.csv")), "content 1")
        self.assertIn(directory, [os.path.abspath(d.name) for d in downloads.registered_temporary_directories])

    def test_signed_url_dataset_download(self):
        dataset_url = "https://storage.example/bucket/ds/.signed_metadata_files/odd-slug?X-Goog-Signature=1"
        inside = self.bucket.put("https://storage.example/bucket/ds/sub/a.csv?X-Goog-Signature=2", "a")
        outside = self.bucket.put("https://other.example/objects/123?sig=3", "b")
        dataset = Dataset(
            path=dataset_url,
            files=[resolved_datafile(inside, size=None, crc32c=None), resolved_datafile(outside, 1, name="b.csv")],
        )
        self.assertTrue(dataset.exists_in_cloud)
        target = dataset.download(os.path.join(self.directory, "signed"))
        self.assertEqual(self.read(os.path.join(target, "sub", "a.csv")), "a")
        self.assertEqual(self.read(os.path.join(target, "b.csv")), "b")

    def test_unresolved_cloud_dataset_has_no_files_and_downloads_nothing(self):
        manifest = Manifest.from_primitive(resolved_manifest({"raw": "gs://bucket/unresolved"}))
        dataset = manifest.get_dataset("raw")
        self.assertEqual(len(dataset.files), 0)
        self.assertEqual(dataset.name, "unresolved")
        self.assertTrue(os.path.isdir(dataset.download()))
        self.assertEqual(self.bucket.download_requests(), [])

    def test_manifest_download(self):
        first = self.cloud_files(3)
        second = []
        for index in range(2):
            path = self.bucket.put("gs://other/two/f%d.txt" % index, "two %d" % index)
            second.append(resolved_datafile(path, index))
        manifest = Manifest.from_primitive(
            resolved_manifest(
                {
                    "first": resolved_dataset(first),
                    "second": resolved_dataset(second, path="gs://other/two", id=None, name="two"),
                }
            )
        )

        paths = manifest.download()
        self.assertEqual(sorted(paths), ["first", "second"])
        self.assertEqual(os.path.basename(paths["first"]), "first")
        self.assertEqual(os.path.dirname(paths["first"]), os.path.dirname(paths["second"]))
        self.assertEqual(self.read(os.path.join(paths["first"], "sub", "f0002.csv")), "content 2")
        self.assertEqual(self.read(os.path.join(paths["second"], "f1.txt")), "two 1")
        self.assertEqual(len(self.bucket.download_requests()), 5)

        chosen = os.path.join(self.directory, "only-second")
        self.assertEqual(manifest.download(paths={"second": chosen}, download_all=False), {"second": chosen})
        self.assertEqual(self.read(os.path.join(chosen, "f0.txt")), "two 0")
        self.assertEqual(len(self.bucket.download_requests()), 7)

    def test_serialising_a_resolved_manifest_keeps_the_cloud_paths(self):
        primitive = resolved_manifest({"raw": resolved_dataset(self.cloud_files(3))})
        manifest = Manifest.from_primitive(primitive)
        dataset = manifest.get_dataset("raw")
        for file in dataset.files:
            file.local_path
        self.assertEqual(dataset.name, "raw")
        self.assertEqual(dataset.tags, {"site": "a1"})
        self.assertEqual(dataset.labels, {"met"})

        serialised = json.loads(json.dumps(manifest.to_primitive()))
        self.assertEqual(
            serialised["datasets"]["raw"],
            {
                "id": "7ead7669-8162-4f64-8cd5-4abe92509e19",
                "name": "raw",
                "tags": {"site": "a1"},
                "labels": ["met"],
                "path": DATASET_PATH,
                "files": ["%s/sub/f%04d.csv" % (DATASET_PATH, index) for index in range(3)],
            },
        )
        datafile = dataset.files.one(tags__index__equals=1).to_primitive()
        self.assertEqual(datafile["path"], DATASET_PATH + "/sub/f0001.csv")
        self.assertEqual(datafile["crc32c"], "mnG7TA==")
        again = Datafile.deserialise(json.dumps(datafile), from_string=True)
        self.assertEqual((again.id, again.name, again.size_bytes), (datafile["id"], "f0001.csv", 10))

    def test_downloaded_cloud_files_in_an_output_dataset_are_persisted(self):
        input_dataset = Dataset(path=DATASET_PATH, files=self.cloud_files(4))
        output_directory = os.path.join(self.directory, "outputs")
        _, manifest = prepare_outputs(
            {"output_manifest": {"datasets": {"results": {}, "remote": {}}}}, output_directory
        )
        results = manifest.get_dataset("results")

        read = input_dataset.files.one(tags__index__equals=0)
        read.local_path
        results.add(read)
        undownloaded = input_dataset.files.one(tags__index__equals=1)
        added_undownloaded = results.add(undownloaded, path_in_dataset="nested/one.csv")
        results.files.add(input_dataset.files.one(tags__index__equals=2))
        downloaded_elsewhere = input_dataset.files.one(tags__index__equals=3)
        downloaded_elsewhere.download(os.path.join(self.directory, "scratch", "renamed.bin"))
        results.files.add(downloaded_elsewhere)
        manifest.datasets["remote"] = Dataset(path="gs://bucket/elsewhere", files=[DATASET_PATH + "/sub/f0000.csv"])

        persisted = persist_output_manifest(manifest, output_directory).to_primitive()
        target = os.path.join(output_directory, "results")
        self.assertEqual(
            persisted["datasets"]["results"]["files"],
            [
                os.path.join(target, "f0000.csv"),
                os.path.join(target, "f0002.csv"),
                os.path.join(target, "f0003.csv"),
                os.path.join(target, "nested", "one.csv"),
            ],
        )
        self.assertEqual(self.read(os.path.join(target, "f0002.csv")), "content 2")
        self.assertEqual(self.read(os.path.join(target, "nested", "one.csv")), "content 1")
        self.assertEqual(self.read(os.path.join(target, "f0003.csv")), "content 3")
        self.assertEqual(persisted["datasets"]["remote"]["path"], "gs://bucket/elsewhere")
        self.assertEqual(persisted["datasets"]["remote"]["files"], [DATASET_PATH + "/sub/f0000.csv"])

        reread = Dataset(path=target)
        self.assertEqual(reread.files.one(name__equals="f0002.csv").labels, {"wind"})
        self.assertEqual(reread.files.one(name__equals="one.csv").tags, {"index": 1, "height": 80})
        self.assertEqual(reread.files.one(name__equals="f0003.csv").id, "00000000-0000-4000-8000-000000000003")
        # The input dataset still describes the cloud objects.
        self.assertEqual(
            input_dataset.to_primitive()["files"], ["%s/sub/f%04d.csv" % (DATASET_PATH, index) for index in range(4)]
        )
        self.assertTrue(added_undownloaded.exists_in_cloud)


RESOLVED_APP_TWINE = {"output_values_schema": {}, "output_manifest": {"datasets": {"picked": {}}}}


class TestDownloadsThroughTheHarness(unittest.TestCase):
    """End to end: `python3 -m twined_harness` with the test answering `download` requests from a folder."""

    def setUp(self):
        self.harness = HarnessProcess()
        self.addCleanup(self.harness.close)
        self.bucket = FakeBucket(self.harness.workspace)
        self.child_requests = []

    def answer(self, request):
        if request["type"] == "ask_child":
            self.child_requests.append(request)
            return {
                "type": "child_response",
                "question_uuid": "c1",
                "answer": {"output_values": "ok", "output_manifest": None},
                "error": None,
            }
        return self.bucket.answer(request)

    def run_app(self, source, **start):
        self.harness.send(self.harness.start_message(source, **start))
        messages = self.harness.read_until_final(on_request=self.answer)
        exit_code, _, stderr = self.harness.finish()
        self.assertEqual(exit_code, 0, stderr)
        return messages

    def test_an_app_reading_one_file_of_1000_makes_one_download_and_children_get_cloud_paths(self):
        files = []
        for index in range(1000):
            path = "%s/sub/f%04d.csv" % (DATASET_PATH, index)
            self.bucket.put(path, "content %d" % index)
            files.append(resolved_datafile(path, index))
        messages = self.run_app(
            """
            from octue.resources import Datafile

            def run(analysis):
                dataset = analysis.input_manifest.get_dataset("raw")
                datafile = dataset.files.one(name__equals="f0042.csv")
                assert isinstance(datafile, Datafile)
                with datafile.open() as file:
                    content = file.read()
                analysis.output_values = {
                    "content": content,
                    "again": open(datafile.local_path).read(),
                    "count": len(dataset.files),
                    "tags": dataset.tags,
                }
                analysis.children["child"].ask(input_manifest=analysis.input_manifest)
                analysis.output_manifest.get_dataset("picked").add(datafile)
            """,
            twine=RESOLVED_APP_TWINE,
            input_manifest=resolved_manifest({"raw": resolved_dataset(files)}),
            children=[{"key": "child", "id": "ns/child:1.0.0", "backend": {"name": "GCPPubSubBackend"}}],
        )
        result = messages[-1]
        self.assertEqual(result["type"], "result", result)
        self.assertEqual(
            result["output_values"],
            {"content": "content 42", "again": "content 42", "count": 1000, "tags": {"site": "a1"}},
        )
        download_requests = [message for message in messages if message["type"] == "download"]
        self.assertEqual(len(download_requests), 1)
        self.assertEqual(download_requests[0]["cloud_path"], DATASET_PATH + "/sub/f0042.csv")
        self.assertIsNone(download_requests[0]["local_path"])

        sent = self.child_requests[0]["input_manifest"]["datasets"]["raw"]
        self.assertEqual(sent["path"], DATASET_PATH)
        self.assertEqual(len(sent["files"]), 1000)
        self.assertTrue(all(path.startswith(DATASET_PATH + "/sub/") for path in sent["files"]))

        picked = result["output_manifest"]["datasets"]["picked"]
        saved = os.path.join(self.harness.workspace, "outputs", "picked", "f0042.csv")
        self.assertEqual(picked["files"], [saved])
        with open(saved) as file:
            self.assertEqual(file.read(), "content 42")

    def test_download_errors_reach_the_app_as_the_named_exception(self):
        self.bucket.errors[DATASET_PATH + "/secret.csv"] = {"type": "StorageAccessDenied", "message": "denied"}
        messages = self.run_app(
            """
            def run(analysis):
                files = analysis.input_manifest.get_dataset("raw").files
                try:
                    files.one(name__equals="missing.csv").local_path
                except FileNotFoundError as error:
                    analysis.output_values = str(error)
                files.one(name__equals="secret.csv").download()
            """,
            input_manifest=resolved_manifest(
                {
                    "raw": resolved_dataset(
                        [
                            resolved_datafile(DATASET_PATH + "/missing.csv"),
                            resolved_datafile(DATASET_PATH + "/secret.csv"),
                        ]
                    )
                }
            ),
        )
        final = messages[-1]
        self.assertEqual(final["type"], "exception")
        self.assertEqual(final["exception_type"], "StorageAccessDenied")
        self.assertEqual(final["exception_message"], "denied")
        self.assertIn("in run", final["exception_traceback"][0])

    def test_closing_the_control_pipe_ends_a_waiting_download(self):
        self.harness.send(
            self.harness.start_message(
                """
                def run(analysis):
                    analysis.input_manifest.get_dataset("raw").files.one().local_path
                """,
                input_manifest=resolved_manifest(
                    {"raw": resolved_dataset([resolved_datafile(DATASET_PATH + "/a.csv")])}
                ),
            )
        )
        request = self.harness.read_message()
        self.assertEqual(request["type"], "download")
        self.harness.close_control()
        exit_code, _, _ = self.harness.finish(timeout=10)
        self.assertEqual(exit_code, 4)


if __name__ == "__main__":
    unittest.main()
