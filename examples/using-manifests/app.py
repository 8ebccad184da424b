"""Clean a met mast's raw time series: read a dataset from the input manifest, write a cleaned dataset into the
output manifest, and summarise the result in the output values.

The steps are plain functions in met_mast.py (tested in tests/); this file connects them to the analysis.
"""

import json
import logging
import os
import tempfile

from met_mast import (
    clean,
    join_time_series,
    local_metadata,
    order_by_sequence,
    parse_metadata,
    read_time_series,
    summarise,
    write_csv,
)
from octue.resources import Dataset

logger = logging.getLogger(__name__)

INPUT_DATASET = "raw_met_mast_data"
OUTPUT_DATASET = "cleaned_met_mast_data"
OUTPUT_FILE = "cleaned.csv"


def run(analysis):
    time_window = (analysis.configuration_values or {}).get("time_window", 600)

    # 1. The input dataset, found by the key the twine gives it.
    dataset = analysis.input_manifest.get_dataset(INPUT_DATASET)
    logger.info("Cleaning dataset %r (labels %s, tags %s).", dataset.name, sorted(dataset.labels), dict(dataset.tags))

    # 2. The metadata file is the one labelled "meta"; it says which day the readings were taken.
    metadata_file = dataset.get_file_by_label("meta")
    with metadata_file.open("r") as stream:
        metadata = parse_metadata(stream)
    logger.info("Readings taken on %s according to %r.", metadata["date"].isoformat(), metadata_file.name)

    # 3. The time series are the files labelled "timeseries", in the order of their "sequence" tags (0, 1, 2, ...).
    time_series_files = order_by_sequence(dataset.files.filter(labels__contains="timeseries"))
    tables = []
    for datafile in time_series_files:
        with datafile.open("r") as stream:
            tables.append(read_time_series(stream))
        logger.info("Read %d rows from %r.", len(tables[-1][1]), datafile.name)

    # 4. Join and clean: real UTC timestamps, snake_case column names, numbers as numbers.
    header, rows = clean(*join_time_series(tables), date=metadata["date"])

    # 5. Write the cleaned file into a new folder, with a .octue file that records the labels and tags, and put
    #    that folder in the output manifest under the name the twine declares.
    directory = tempfile.mkdtemp(prefix=f"{OUTPUT_DATASET}-")
    with open(os.path.join(directory, OUTPUT_FILE), "w", newline="") as stream:
        write_csv(stream, header, rows)

    labels = ["met", "mast", "cleaned"]
    tags = {"location": dataset.tags["location"]} if "location" in dataset.tags else {}
    metadata_file_content = local_metadata(OUTPUT_DATASET, labels, tags, {OUTPUT_FILE: {"labels": ["timeseries"]}})
    with open(os.path.join(directory, ".octue"), "w") as stream:
        json.dump(metadata_file_content, stream, indent=2)

    analysis.output_manifest.datasets[OUTPUT_DATASET] = Dataset(
        path=directory, name=OUTPUT_DATASET, labels=labels, tags=tags
    )

    # 6. A summary as output values, averaged over the configured time window.
    analysis.output_values = summarise(header, rows, time_window)
    logger.info(
        "Wrote %d cleaned rows to %s (%d windows of %d s).",
        len(rows),
        OUTPUT_FILE,
        len(analysis.output_values["window_averages"]),
        time_window,
    )
