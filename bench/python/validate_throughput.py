"""Baseline for bench/twine-validation.bench.ts: Python jsonschema validating the same schemas and data.

Reads {"cases": [{"name", "schema", "data"}], "seconds": s} on stdin and prints, per case, validations per second
both the way Octue's Twine does it (jsonschema.validate per call, which re-checks the schema each time) and with a
validator built once (the fastest jsonschema can do).
"""

import json
import sys
import time

import jsonschema


def throughput(function, seconds):
    count = 0
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    while True:
        for _ in range(20):
            function()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main():
    request = json.load(sys.stdin)
    seconds = request["seconds"]
    results = []
    for case in request["cases"]:
        schema, data = case["schema"], case["data"]
        validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        validator = validator_class(schema)
        validator.validate(data)
        results.append(
            {
                "name": case["name"],
                "octue_style_per_second": throughput(lambda: jsonschema.validate(data, schema, cls=validator_class), seconds),
                "prebuilt_validator_per_second": throughput(lambda: validator.validate(data), seconds),
            }
        )
    json.dump({"jsonschema": jsonschema.__version__ if hasattr(jsonschema, "__version__") else "?", "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
