"""Draw the Mandelbrot set as a Plotly surface of escape counts.

The service takes no inputs: everything it needs is in its configuration values (see twine.json and
data/configuration/configuration_values.json). It answers with output values shaped like a Plotly surface figure.
Only the Python standard library is used.
"""

import logging

logger = logging.getLogger(__name__)

DEFAULTS = {
    "width": 200,
    "height": 200,
    "n_iterations": 64,
    "color_scale": "YlGnBu",
    "x_range": [-1.5, 0.6],
    "y_range": [-1.26, 1.26],
}


def linspace(start, stop, count):
    """`count` evenly spaced numbers from `start` to `stop`, both included (`count` must be at least 2)."""
    if count < 2:
        raise ValueError(f"linspace needs at least 2 points, not {count}.")
    step = (stop - start) / (count - 1)
    values = [start + step * index for index in range(count)]
    values[-1] = stop  # Avoid rounding drift on the last point.
    return values


def escape_count(c_real, c_imag, n_iterations):
    """Iterate z <- z^2 + c from z = 0 and return the counter when |z| reaches 2.

    The counter starts at 1 and goes up by one per iteration, so a point that never escapes gets n_iterations + 1.
    The result is a float, like the escape counts Octue's template produces.
    """
    z_real = z_imag = 0.0
    count = 1
    while count <= n_iterations and z_real * z_real + z_imag * z_imag < 4:
        z_real, z_imag = z_real * z_real - z_imag * z_imag + c_real, 2 * z_real * z_imag + c_imag
        count += 1
    return float(count)


def mandelbrot_surface(configuration=None):
    """Build the output values: a Plotly-style surface (`data`) and its `layout`, from the configuration values.

    Missing configuration keys take the twine's defaults. `x` and `y` are height x width grids of the pixel
    coordinates; `z[i][j]` is the escape count of the point c = x[i][j] + y[i][j] * 1j.
    """
    settings = {**DEFAULTS, **(configuration or {})}
    width, height, n_iterations = settings["width"], settings["height"], settings["n_iterations"]
    x0, x1 = settings["x_range"]
    y0, y1 = settings["y_range"]

    xs = [float(x) for x in linspace(x0, x1, width)]
    ys = [float(y) for y in linspace(y0, y1, height)]

    return {
        "data": {
            "x": [list(xs) for _ in ys],
            "y": [[y] * width for y in ys],
            "z": [[escape_count(x, y, n_iterations) for x in xs] for y in ys],
            "colorscale": settings["color_scale"],
            "type": "surface",
        },
        "layout": {"title": f"Mandelbrot set with {n_iterations} iterations", "width": width, "height": height},
    }


def run(analysis):
    configuration = analysis.configuration_values or {}
    settings = {**DEFAULTS, **configuration}
    logger.info(
        "Drawing a %d x %d Mandelbrot set with %d iterations.",
        settings["width"],
        settings["height"],
        settings["n_iterations"],
    )
    analysis.output_values = mandelbrot_surface(configuration)
    logger.info("Finished drawing the Mandelbrot set.")
