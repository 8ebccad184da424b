import datetime
import io
import json
import math
import os
import unittest

from met_mast import (
    BrokenSequenceException,
    circular_mean_degrees,
    clean,
    join_time_series,
    local_metadata,
    order_by_sequence,
    parse_metadata,
    parse_time_stamp,
    read_time_series,
    summarise,
    to_snake_case,
    write_csv,
)

SERVICE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASET_DIRECTORY = os.path.join(SERVICE_DIRECTORY, "data", "input", "raw_met_mast_data")
UTC = datetime.timezone.utc
DAY = datetime.date(2019, 12, 8)


class FakeDatafile:
    def __init__(self, name, tags=None, labels=()):
        self.name = name
        self.tags = tags or {}
        self.labels = set(labels)


class TestParseMetadata(unittest.TestCase):
    def test_date_and_floats(self):
        metadata = parse_metadata(["Logger summary\n", "DATE: 2019-12-08\n", "SYS_TEMP: 17.06\n", "Site : 108346\n"])
        self.assertEqual(metadata, {"date": DAY, "sys_temp": 17.06, "site": 108346.0})

    def test_only_the_first_colon_splits(self):
        with self.assertRaisesRegex(ValueError, "NOTE is not a number"):
            parse_metadata(["DATE: 2019-12-08", "NOTE: 12:30"])

    def test_missing_date(self):
        with self.assertRaises(ValueError) as context:
            parse_metadata(["SYS_TEMP: 17.06"])
        self.assertEqual(str(context.exception), "No DATE field in the metadata file (required)")

    def test_bad_date(self):
        with self.assertRaisesRegex(ValueError, "Line 1: DATE must be a date"):
            parse_metadata(["DATE: 8th December"])

    def test_shipped_metadata_file(self):
        with open(os.path.join(DATASET_DIRECTORY, "08DEC", "meta - 8 Dec.dat")) as stream:
            metadata = parse_metadata(stream)
        self.assertEqual(metadata["date"], DAY)
        self.assertEqual(metadata["sys_temp"], 17.06)
        self.assertTrue(all(isinstance(value, float) for key, value in metadata.items() if key != "date"))


class TestOrderBySequence(unittest.TestCase):
    def test_orders_by_sequence_tag(self):
        files = [FakeDatafile("b", {"sequence": 1}), FakeDatafile("c", {"sequence": 2}), FakeDatafile("a", {"sequence": 0})]
        self.assertEqual([file.name for file in order_by_sequence(files)], ["a", "b", "c"])

    def test_must_start_at_zero(self):
        with self.assertRaisesRegex(BrokenSequenceException, "Expected sequence number 0 but file 'b' has 1"):
            order_by_sequence([FakeDatafile("b", {"sequence": 1}), FakeDatafile("c", {"sequence": 2})])

    def test_gap(self):
        with self.assertRaisesRegex(BrokenSequenceException, "Expected sequence number 1 but file 'c' has 2"):
            order_by_sequence([FakeDatafile("a", {"sequence": 0}), FakeDatafile("c", {"sequence": 2})])

    def test_duplicate(self):
        with self.assertRaises(BrokenSequenceException):
            order_by_sequence([FakeDatafile("a", {"sequence": 0}), FakeDatafile("b", {"sequence": 0})])

    def test_missing_tag(self):
        with self.assertRaisesRegex(BrokenSequenceException, "file 'b' has no integer 'sequence' tag"):
            order_by_sequence([FakeDatafile("a", {"sequence": 0}), FakeDatafile("b", {})])

    def test_other_start_and_increment(self):
        files = [FakeDatafile("b", {"sequence": 12}), FakeDatafile("a", {"sequence": 2})]
        self.assertEqual([file.name for file in order_by_sequence(files, start=2, increment=10)], ["a", "b"])

    def test_empty(self):
        self.assertEqual(order_by_sequence([]), [])


class TestTimeStamps(unittest.TestCase):
    def test_minutes_seconds_and_tenths(self):
        self.assertEqual(parse_time_stamp("00:00.4", DAY), datetime.datetime(2019, 12, 8, 0, 0, 0, 400000, UTC))
        # Octue's template turns this one into 01:01:59 (it uses the minutes as the hour too).
        self.assertEqual(parse_time_stamp("01:59.4", DAY), datetime.datetime(2019, 12, 8, 0, 1, 59, 400000, UTC))
        self.assertEqual(parse_time_stamp("59:59.9", DAY), datetime.datetime(2019, 12, 8, 0, 59, 59, 900000, UTC))

    def test_without_fraction(self):
        self.assertEqual(parse_time_stamp("12:03", DAY), datetime.datetime(2019, 12, 8, 0, 12, 3, tzinfo=UTC))

    def test_is_utc(self):
        self.assertEqual(parse_time_stamp("00:00.0", DAY).utcoffset(), datetime.timedelta(0))

    def test_rejects_bad_input(self):
        for text in ("1:2:3", "abc", "60:00.0", "00:60.0", ""):
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse_time_stamp(text, DAY)


class TestSnakeCase(unittest.TestCase):
    def test_names(self):
        cases = {
            "TimeStamp": "time_stamp",
            "WindVane_2": "wind_vane_2",
            "Barometer_1": "barometer_1",
            "temp_1": "temp_1",
            "Anemo_2": "anemo_2",
            "Wind Speed": "wind_speed",
            "RHSensor": "rh_sensor",
        }
        for name, expected in cases.items():
            with self.subTest(name=name):
                self.assertEqual(to_snake_case(name), expected)


class TestReadAndJoin(unittest.TestCase):
    def test_read(self):
        header, rows = read_time_series(io.StringIO(" TimeStamp , A\n00:00.4,1\n\n00:01.4,2\n"))
        self.assertEqual(header, ["TimeStamp", "A"])
        self.assertEqual(rows, [["00:00.4", "1"], ["00:01.4", "2"]])

    def test_ragged_row(self):
        with self.assertRaisesRegex(ValueError, "Row 3 has 1 values"):
            read_time_series(io.StringIO("TimeStamp,A\n00:00.4,1\n00:01.4\n"))

    def test_empty_file(self):
        with self.assertRaises(ValueError):
            read_time_series(io.StringIO(""))

    def test_join_keeps_order(self):
        header, rows = join_time_series([(["T", "A"], [["1", "a"]]), (["T", "A"], [["2", "b"], ["3", "c"]])])
        self.assertEqual(header, ["T", "A"])
        self.assertEqual(rows, [["1", "a"], ["2", "b"], ["3", "c"]])

    def test_join_needs_matching_columns(self):
        with self.assertRaisesRegex(ValueError, "Time series 1 has columns"):
            join_time_series([(["T", "A"], []), (["T", "B"], [])])

    def test_join_needs_something(self):
        with self.assertRaises(ValueError):
            join_time_series([])


class TestClean(unittest.TestCase):
    def test_clean(self):
        header, rows = clean(
            ["TimeStamp", "Barometer_1", "WindVane_1"], [["00:03.4", "1011.2", "245.5"], ["00:06.4", "", "246"]], DAY
        )
        self.assertEqual(header, ["time_stamp", "barometer_1", "wind_vane_1"])
        self.assertEqual(rows[0], [datetime.datetime(2019, 12, 8, 0, 0, 3, 400000, UTC), 1011.2, 245.5])
        self.assertTrue(math.isnan(rows[1][1]))

    def test_needs_time_stamp_column(self):
        with self.assertRaisesRegex(ValueError, "no 'TimeStamp' column"):
            clean(["Time", "A"], [], DAY)

    def test_bad_number(self):
        with self.assertRaisesRegex(ValueError, "Row 1, column 'A': 'x' is not a number"):
            clean(["TimeStamp", "A"], [["00:00.0", "x"]], DAY)

    def test_clashing_names(self):
        with self.assertRaisesRegex(ValueError, "same snake_case name"):
            clean(["TimeStamp", "time_stamp"], [], DAY)

    def test_write_csv(self):
        stream = io.StringIO()
        write_csv(stream, ["time_stamp", "a"], [[datetime.datetime(2019, 12, 8, 0, 0, 3, 400000, UTC), math.nan]])
        self.assertEqual(stream.getvalue(), "time_stamp,a\n2019-12-08T00:00:03.400000+00:00,\n")


class TestSummarise(unittest.TestCase):
    def test_windows(self):
        rows = [
            [datetime.datetime(2019, 12, 8, 0, 0, 10, tzinfo=UTC), 1.0, 10.0],
            [datetime.datetime(2019, 12, 8, 0, 0, 50, tzinfo=UTC), 3.0, math.nan],
            [datetime.datetime(2019, 12, 8, 0, 2, 5, tzinfo=UTC), 5.0, math.nan],
        ]
        summary = summarise(["time_stamp", "a", "b"], rows, 60)
        self.assertEqual(
            summary,
            {
                "row_count": 3,
                "first_time_stamp": "2019-12-08T00:00:10+00:00",
                "last_time_stamp": "2019-12-08T00:02:05+00:00",
                "time_window": 60,
                "window_averages": [
                    {"start": "2019-12-08T00:00:00+00:00", "row_count": 2, "a": 2.0, "b": 10.0},
                    {"start": "2019-12-08T00:02:00+00:00", "row_count": 1, "a": 5.0},
                ],
            },
        )

    def test_wind_directions_use_a_circular_mean(self):
        rows = [
            [datetime.datetime(2019, 12, 8, 0, 0, 10, tzinfo=UTC), 350.0, 350.0],
            [datetime.datetime(2019, 12, 8, 0, 0, 20, tzinfo=UTC), 10.0, 10.0],
        ]
        average = summarise(["time_stamp", "wind_vane_1", "temp_1"], rows, 60)["window_averages"][0]
        self.assertEqual(average["wind_vane_1"], 0.0)
        self.assertEqual(average["temp_1"], 180.0)

    def test_circular_mean(self):
        self.assertAlmostEqual(circular_mean_degrees([90.0, 180.0]), 135.0)
        self.assertAlmostEqual(circular_mean_degrees([270.0, 300.0]), 285.0)

    def test_no_rows(self):
        summary = summarise(["time_stamp", "a"], [], 600)
        self.assertEqual(summary["row_count"], 0)
        self.assertIsNone(summary["first_time_stamp"])
        self.assertEqual(summary["window_averages"], [])


class TestLocalMetadata(unittest.TestCase):
    def test_shape(self):
        content = local_metadata("cleaned", ["met", "cleaned"], {"location": 1}, {"cleaned.csv": {"labels": ["timeseries"]}})
        self.assertEqual(content["dataset"]["name"], "cleaned")
        self.assertEqual(content["dataset"]["labels"], ["cleaned", "met"])
        self.assertEqual(content["dataset"]["tags"], {"location": 1})
        self.assertEqual(content["datafiles"]["cleaned.csv"]["labels"], ["timeseries"])
        self.assertEqual(content["datafiles"]["cleaned.csv"]["tags"], {})
        json.dumps(content)


class TestShippedDataset(unittest.TestCase):
    """The synthetic dataset in data/input goes through the same steps as in app.py."""

    def setUp(self):
        with open(os.path.join(DATASET_DIRECTORY, ".octue")) as stream:
            self.dataset_metadata = json.load(stream)["dataset"]
        with open(os.path.join(DATASET_DIRECTORY, "08DEC", ".octue")) as stream:
            self.files = [
                FakeDatafile(name, metadata["tags"], metadata["labels"])
                for name, metadata in json.load(stream)["datafiles"].items()
            ]

    def test_dataset_metadata(self):
        self.assertEqual(self.dataset_metadata["name"], "meteorological mast dataset")
        self.assertEqual(self.dataset_metadata["tags"], {"location": 108346})
        self.assertEqual(set(self.dataset_metadata["labels"]), {"met", "mast", "wind"})

    def test_file_metadata_matches_files(self):
        names = sorted(os.listdir(os.path.join(DATASET_DIRECTORY, "08DEC")))
        self.assertEqual(sorted(file.name for file in self.files), [name for name in names if name != ".octue"])
        self.assertEqual([file.name for file in self.files if "meta" in file.labels], ["meta - 8 Dec.dat"])

    def test_manifest_points_at_the_dataset(self):
        with open(os.path.join(SERVICE_DIRECTORY, "data", "input", "manifest.json")) as stream:
            manifest = json.load(stream)
        path = os.path.join(SERVICE_DIRECTORY, manifest["datasets"]["raw_met_mast_data"])
        self.assertTrue(os.path.samefile(path, DATASET_DIRECTORY))

    def test_pipeline(self):
        with open(os.path.join(DATASET_DIRECTORY, "08DEC", "meta - 8 Dec.dat")) as stream:
            metadata = parse_metadata(stream)
        time_series = order_by_sequence(file for file in self.files if "timeseries" in file.labels)
        self.assertEqual([file.tags["sequence"] for file in time_series], [0, 1])

        tables = []
        for datafile in time_series:
            with open(os.path.join(DATASET_DIRECTORY, "08DEC", datafile.name), newline="") as stream:
                tables.append(read_time_series(stream))
        self.assertEqual(tables[0][0][:3], ["TimeStamp", "Barometer_2", "Barometer_1"])

        header, rows = clean(*join_time_series(tables), date=metadata["date"])
        self.assertEqual(
            header,
            ["time_stamp", "barometer_2", "barometer_1", "temp_2", "temp_1", "wind_vane_2", "wind_vane_1", "anemo_2", "anemo_1"],
        )
        self.assertEqual(len(rows), sum(len(table[1]) for table in tables))
        time_stamps = [row[0] for row in rows]
        self.assertEqual(time_stamps, sorted(time_stamps), "joining in sequence order keeps time in order")
        self.assertEqual(time_stamps[0], datetime.datetime(2019, 12, 8, 0, 0, 0, 400000, UTC))
        self.assertEqual(time_stamps[-1].date(), DAY)

        with open(os.path.join(SERVICE_DIRECTORY, "data", "configuration", "configuration_values.json")) as stream:
            time_window = json.load(stream)["time_window"]
        summary = summarise(header, rows, time_window)
        self.assertEqual(summary["row_count"], len(rows))
        self.assertEqual(sum(window["row_count"] for window in summary["window_averages"]), len(rows))
        json.dumps(summary, allow_nan=False)


if __name__ == "__main__":
    unittest.main()
