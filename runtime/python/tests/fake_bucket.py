"""A fake runner end for `download` requests: a local folder stands in for the bucket, and every request is recorded."""

import hashlib
import json
import os
import shutil
import threading
import time

from twined_harness.channel import Channel


class FakeBucket:
    """Answers `download` requests (PROTOCOL.md §4.2) by copying from `<root>/<bucket or host>/<object path>`.

    With no `local_path` the file goes to `<cache>/<hash of the cloud path>/<name>`, once per cloud path; with one,
    to exactly that path, skipped when a file with the same bytes is already there. `errors` maps cloud paths to the
    `error` object to answer with instead.
    """

    def __init__(self, directory, delay=0.0):
        self.root = os.path.join(directory, "bucket")
        self.cache = os.path.join(directory, "runner-downloads")
        self.delay = delay
        self.errors = {}
        self.requests = []
        self.transfers = []
        self.max_outstanding = 0
        self._outstanding = 0
        self._chosen = {}
        self._lock = threading.Lock()

    def object_path(self, cloud_path):
        location = cloud_path.split("?")[0]
        for prefix in ("gs://", "https://", "http://"):
            if location.startswith(prefix):
                location = location[len(prefix):]
        return os.path.join(self.root, *location.split("/"))

    def put(self, cloud_path, content):
        path = self.object_path(cloud_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(content)
        return cloud_path

    def answer(self, request):
        """Return the response (without `id`) to one request; `None` for requests that are not downloads."""
        if request.get("type") != "download":
            return None
        with self._lock:
            self.requests.append(request)
            self._outstanding += 1
            self.max_outstanding = max(self.max_outstanding, self._outstanding)
        try:
            if self.delay:
                time.sleep(self.delay)
            return self._download(request["cloud_path"], request["local_path"])
        finally:
            with self._lock:
                self._outstanding -= 1

    def _download(self, cloud_path, local_path):
        if cloud_path in self.errors:
            return {"type": "download_response", "local_path": None, "error": self.errors[cloud_path]}
        source = self.object_path(cloud_path)
        if not os.path.isfile(source):
            return {
                "type": "download_response",
                "local_path": None,
                "error": {"type": "FileNotFoundError", "message": "No object at %s." % cloud_path},
            }
        with self._lock:
            if local_path is None:
                if cloud_path in self._chosen:
                    return {"type": "download_response", "local_path": self._chosen[cloud_path], "error": None}
                digest = hashlib.sha256(cloud_path.encode("utf-8")).hexdigest()[:16]
                local_path = os.path.join(self.cache, digest, os.path.basename(source))
                self._chosen[cloud_path] = local_path
            elif os.path.isfile(local_path) and _same_bytes(local_path, source):
                return {"type": "download_response", "local_path": local_path, "error": None}
            self.transfers.append((cloud_path, local_path))
        os.makedirs(os.path.dirname(local_path), exist_ok=True)
        shutil.copyfile(source, local_path)
        return {"type": "download_response", "local_path": local_path, "error": None}

    def download_requests(self):
        with self._lock:
            return list(self.requests)


class FakeRunner:
    """The runner's end of an in-process `Channel`: each request is answered on its own thread by `FakeBucket`."""

    def __init__(self, bucket):
        self.bucket = bucket
        self._events_read, events_write = os.pipe()
        control_read, self._control_write = os.pipe()
        self._harness_fds = (events_write, control_read)
        self.channel = Channel(events_write, control_read)
        self.channel.start_reading_responses(on_close=lambda: None)
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._serve, name="fake-runner", daemon=True)
        self._reader.start()

    def _serve(self):
        with os.fdopen(os.dup(self._events_read), "rb") as events:
            for line in events:
                message = json.loads(line)
                threading.Thread(target=self._answer, args=(message,), daemon=True).start()

    def _answer(self, message):
        response = self.bucket.answer(message)
        if response is not None:
            with self._write_lock:
                os.write(self._control_write, json.dumps(dict(response, id=message["id"])).encode("utf-8") + b"\n")

    def close(self):
        os.close(self._control_write)
        # Let the harness's reader see the end of the control pipe before its descriptor goes.
        self.channel._closed.wait(5)
        for fd in self._harness_fds:
            os.close(fd)
        self._reader.join(5)
        os.close(self._events_read)
