import json
import os
import unittest

from app import escape_count, linspace, mandelbrot_surface, run

SERVICE_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class TestLinspace(unittest.TestCase):
    def test_includes_both_ends(self):
        self.assertEqual(linspace(-1.5, 0.6, 8)[0], -1.5)
        self.assertEqual(linspace(-1.5, 0.6, 8)[-1], 0.6)

    def test_even_spacing(self):
        self.assertEqual(linspace(0, 1, 5), [0.0, 0.25, 0.5, 0.75, 1.0])

    def test_needs_two_points(self):
        with self.assertRaises(ValueError):
            linspace(0, 1, 1)


class TestEscapeCount(unittest.TestCase):
    def test_origin_never_escapes(self):
        self.assertEqual(escape_count(0, 0, 10), 11.0)
        self.assertEqual(escape_count(0, 0, 64), 65.0)

    def test_two_escapes_after_one_iteration(self):
        # z1 = 2, so |z1|^2 = 4 stops the loop with the counter at 2.
        self.assertEqual(escape_count(2, 0, 64), 2.0)

    def test_far_point_escapes_immediately(self):
        self.assertEqual(escape_count(3, 3, 64), 2.0)

    def test_minus_one_is_periodic_and_never_escapes(self):
        self.assertEqual(escape_count(-1, 0, 30), 31.0)

    def test_corner_of_default_view(self):
        # The value Octue's template puts in every pixel (its constant-c bug): here it is only the corner pixel.
        self.assertEqual(escape_count(-1.5, -1.26, 64), 3.0)

    def test_counts_are_floats(self):
        self.assertIsInstance(escape_count(0.25, 0.5, 5), float)


class TestSurface(unittest.TestCase):
    def setUp(self):
        self.configuration = {
            "width": 7,
            "height": 5,
            "n_iterations": 10,
            "color_scale": "PuBu",
            "x_range": [-2.0, 1.0],
            "y_range": [-1.0, 1.0],
        }
        self.output = mandelbrot_surface(self.configuration)

    def test_shapes(self):
        for key in ("x", "y", "z"):
            grid = self.output["data"][key]
            self.assertEqual(len(grid), 5)
            self.assertTrue(all(len(row) == 7 for row in grid))

    def test_grids(self):
        data = self.output["data"]
        self.assertEqual(data["x"][0][0], -2.0)
        self.assertEqual(data["x"][0][-1], 1.0)
        self.assertEqual(data["y"][0][0], -1.0)
        self.assertEqual(data["y"][-1][0], 1.0)
        self.assertEqual(data["x"][3], data["x"][0])
        self.assertEqual(set(data["y"][2]), {0.0})

    def test_each_pixel_uses_its_own_c(self):
        z = self.output["data"]["z"]
        # Pixel (row 2, column 4) is c = 0: it never escapes. Pixel (0, 0) is c = -2 - 1j: it escapes at once.
        self.assertEqual(z[2][4], 11.0)
        self.assertEqual(z[0][0], 2.0)
        self.assertGreater(len({value for row in z for value in row}), 2)
        self.assertTrue(all(1.0 <= value <= 11.0 for row in z for value in row))

    def test_plotly_fields(self):
        self.assertEqual(self.output["data"]["type"], "surface")
        self.assertEqual(self.output["data"]["colorscale"], "PuBu")
        self.assertEqual(
            self.output["layout"], {"title": "Mandelbrot set with 10 iterations", "width": 7, "height": 5}
        )

    def test_defaults_fill_missing_configuration(self):
        output = mandelbrot_surface({"width": 3, "height": 2})
        for actual, expected in zip(output["data"]["x"][0], [-1.5, -0.45, 0.6]):
            self.assertAlmostEqual(actual, expected)
        self.assertEqual(output["data"]["colorscale"], "YlGnBu")
        self.assertEqual(output["layout"]["title"], "Mandelbrot set with 64 iterations")

    def test_output_is_json(self):
        self.assertEqual(json.loads(json.dumps(self.output)), self.output)


class FakeAnalysis:
    def __init__(self, configuration_values):
        self.configuration_values = configuration_values
        self.output_values = {}


class TestRun(unittest.TestCase):
    def test_run_with_the_small_configuration_file(self):
        with open(os.path.join(SERVICE_DIRECTORY, "data", "configuration", "small.json")) as file:
            configuration = json.load(file)
        analysis = FakeAnalysis(configuration)
        with self.assertLogs("app", level="INFO"):
            run(analysis)
        self.assertEqual(analysis.output_values, mandelbrot_surface(configuration))
        self.assertEqual(len(analysis.output_values["data"]["z"]), 20)


if __name__ == "__main__":
    unittest.main()
