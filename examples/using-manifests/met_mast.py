"""Reading, checking and cleaning met mast data: plain functions with no Twined or Octue dependency, so they can be
tested on their own. `app.py` wires them to the analysis."""

import csv
import datetime
import math
import re
import statistics
import uuid

try:  # Raise Octue's own exception class when it is available, so callers can catch either.
    from octue.exceptions import BrokenSequenceException
except ImportError:  # pragma: no cover - depends on the environment

    class BrokenSequenceException(Exception):
        """The files' sequence tags do not start where they should or do not go up in equal steps."""


TIME_STAMP_COLUMN = "time_stamp"


def parse_metadata(lines):
    """Parse the lines of a met mast metadata file (`KEY: value`) into a dictionary.

    Keys are lower-cased. `date` becomes a `datetime.date` (ISO format, e.g. 2019-12-08) and every other value a
    float. Lines without a colon (titles, blank lines) are ignored. A file without a DATE line raises `ValueError`,
    because the time series' timestamps only make sense on a known day.
    """
    metadata = {}
    for line_number, line in enumerate(lines, start=1):
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key == "date":
            try:
                metadata[key] = datetime.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"Line {line_number}: DATE must be a date like 2019-12-08, not {value!r}.") from None
        else:
            try:
                metadata[key] = float(value)
            except ValueError:
                raise ValueError(f"Line {line_number}: the value of {key.upper()} is not a number: {value!r}.") from None

    if "date" not in metadata:
        raise ValueError("No DATE field in the metadata file (required)")
    return metadata


def order_by_sequence(datafiles, start=0, increment=1):
    """Return the datafiles sorted by their `sequence` tag, checking that the tags run start, start + increment, ...

    Works on anything with a `tags` mapping (Octue datafiles included). The same check as Octue's
    `files.order_by("tags__sequence", check_start_value=0, check_constant_increment=1)`, with messages that name the
    offending file.
    """
    datafiles = list(datafiles)
    for datafile in datafiles:
        if not isinstance(datafile.tags.get("sequence"), int):
            raise BrokenSequenceException(f"{_describe(datafile)} has no integer 'sequence' tag.")

    ordered = sorted(datafiles, key=lambda datafile: datafile.tags["sequence"])
    for position, datafile in enumerate(ordered):
        expected = start + position * increment
        if datafile.tags["sequence"] != expected:
            raise BrokenSequenceException(
                f"Expected sequence number {expected} but {_describe(datafile)} has {datafile.tags['sequence']} "
                f"(the sequence must start at {start} and go up by {increment})."
            )
    return ordered


def _describe(datafile):
    name = getattr(datafile, "name", None)
    return f"file {name!r}" if name else "a file"


def read_time_series(stream):
    """Read one CSV time series into `(header, rows)`; column names are stripped of surrounding whitespace."""
    reader = csv.reader(stream)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ValueError("The time series file is empty (no header row).") from None
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    for row_number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(f"Row {row_number} has {len(row)} values but the header has {len(header)} columns.")
    return header, rows


def join_time_series(tables):
    """Concatenate `(header, rows)` tables in order. They must all have the same columns in the same order."""
    if not tables:
        raise ValueError("There are no time series to join.")
    header = tables[0][0]
    rows = []
    for index, (other_header, other_rows) in enumerate(tables):
        if other_header != header:
            raise ValueError(f"Time series {index} has columns {other_header}, but the first one has {header}.")
        rows.extend(other_rows)
    return header, rows


def to_snake_case(name):
    """`TimeStamp` -> `time_stamp`, `WindVane_2` -> `wind_vane_2`, `temp_1` stays as it is."""
    name = re.sub(r"[\s\-]+", "_", name.strip())
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"_+", "_", name).lower()


def parse_time_stamp(text, date):
    """Turn a logger timestamp `MM:SS.d` (minutes and seconds into the hour, then fractions of a second) into an
    aware UTC datetime on `date`. For example `01:59.4` on 2019-12-08 is 2019-12-08 00:01:59.400000+00:00."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?\s*", text)
    if match is None:
        raise ValueError(f"Timestamp {text!r} is not of the form MM:SS.d")
    minute, second, fraction = int(match[1]), int(match[2]), match[3] or ""
    if minute > 59 or second > 59:
        raise ValueError(f"Timestamp {text!r} has minutes or seconds above 59.")
    microsecond = int(fraction.ljust(6, "0")) if fraction else 0
    return datetime.datetime(date.year, date.month, date.day, 0, minute, second, microsecond, datetime.timezone.utc)


def clean(header, rows, date, time_stamp_column="TimeStamp"):
    """Clean a joined time series.

    - Column names become snake_case (the order is kept).
    - The time stamp column becomes aware UTC datetimes on `date`.
    - Every other value becomes a float; an empty cell becomes NaN.

    Returns `(header, rows)` with new lists; the input is not changed.
    """
    if time_stamp_column not in header:
        raise ValueError(f"The time series has no {time_stamp_column!r} column (its columns are {header}).")
    time_stamp_index = header.index(time_stamp_column)
    cleaned_header = [to_snake_case(name) for name in header]
    if len(set(cleaned_header)) != len(cleaned_header):
        raise ValueError(f"Some columns have the same snake_case name: {cleaned_header}.")

    cleaned_rows = []
    for row_number, row in enumerate(rows, start=1):
        cleaned = []
        for index, value in enumerate(row):
            if index == time_stamp_index:
                cleaned.append(parse_time_stamp(value, date))
            elif value.strip() == "":
                cleaned.append(math.nan)
            else:
                try:
                    cleaned.append(float(value))
                except ValueError:
                    raise ValueError(
                        f"Row {row_number}, column {header[index]!r}: {value!r} is not a number."
                    ) from None
        cleaned_rows.append(cleaned)
    return cleaned_header, cleaned_rows


def write_csv(stream, header, rows):
    """Write a cleaned table as CSV, with timestamps in ISO 8601 and empty cells for NaN."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_format_cell(value) for value in row])


def _format_cell(value):
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return ""
    return value


def circular_mean_degrees(angles):
    """The mean direction of compass angles in degrees, in [0, 360): the mean of 350 and 10 is 0, not 180."""
    sine = statistics.fmean(math.sin(math.radians(angle)) for angle in angles)
    cosine = statistics.fmean(math.cos(math.radians(angle)) for angle in angles)
    return round(math.degrees(math.atan2(sine, cosine)), 9) % 360  # Rounding first keeps -1e-15 from becoming 360.


def summarise(header, rows, time_window, direction_columns=("wind_vane",)):
    """Output values for a cleaned table: its size, time span and the mean of each column per `time_window` seconds.

    Windows are aligned to midnight UTC of each reading's day, and only windows that hold readings are listed. NaN
    readings are left out of the means; a column with no readings in a window is left out of that window. Columns
    whose names start with one of `direction_columns` hold compass directions and get a circular mean.
    """
    time_stamp_index = header.index(TIME_STAMP_COLUMN)
    time_stamps = [row[time_stamp_index] for row in rows]
    windows = {}
    for row in rows:
        time_stamp = row[time_stamp_index]
        midnight = time_stamp.replace(hour=0, minute=0, second=0, microsecond=0)
        offset = (time_stamp - midnight).total_seconds()
        start = midnight + datetime.timedelta(seconds=offset // time_window * time_window)
        windows.setdefault(start, []).append(row)

    window_averages = []
    for start in sorted(windows):
        window_rows = windows[start]
        average = {"start": start.isoformat(), "row_count": len(window_rows)}
        for index, name in enumerate(header):
            if index == time_stamp_index:
                continue
            values = [row[index] for row in window_rows if not math.isnan(row[index])]
            if values:
                mean = circular_mean_degrees if name.startswith(tuple(direction_columns)) else statistics.fmean
                average[name] = round(mean(values), 6)
        window_averages.append(average)

    return {
        "row_count": len(rows),
        "first_time_stamp": min(time_stamps).isoformat() if rows else None,
        "last_time_stamp": max(time_stamps).isoformat() if rows else None,
        "time_window": time_window,
        "window_averages": window_averages,
    }


def local_metadata(dataset_name, dataset_labels, dataset_tags, datafiles):
    """The content of a `.octue` local metadata file describing a dataset folder and the files in it.

    `datafiles` maps file name -> {"labels": [...], "tags": {...}}. Writing this next to the files means the labels
    and tags survive however the dataset is later read back (from its path, or after an upload).
    """
    return {
        "dataset": {
            "id": str(uuid.uuid4()),
            "name": dataset_name,
            "tags": dict(dataset_tags),
            "labels": sorted(dataset_labels),
        },
        "datafiles": {
            name: {
                "id": str(uuid.uuid4()),
                "timestamp": None,
                "tags": dict(metadata.get("tags", {})),
                "labels": sorted(metadata.get("labels", [])),
            }
            for name, metadata in datafiles.items()
        },
    }
