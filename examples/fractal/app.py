"""Draws the Mandelbrot set as a Plotly surface of escape counts. Standard library only."""

import logging

logger = logging.getLogger(__name__)


def linspace(start, stop, count):
    step = (stop - start) / (count - 1)
    return [start + step * index for index in range(count)]


def escape_count(c_real, c_imag, n_iterations):
    """Iterations of z <- z^2 + c (from z = 0) before |z| reaches 2, counting from 1, capped at n_iterations + 1."""
    z_real = z_imag = 0.0
    count = 1
    while count <= n_iterations and z_real * z_real + z_imag * z_imag < 4:
        z_real, z_imag = z_real * z_real - z_imag * z_imag + c_real, 2 * z_real * z_imag + c_imag
        count += 1
    return float(count)


def run(analysis):
    configuration = analysis.configuration_values or {}
    width = configuration.get("width", 600)
    height = configuration.get("height", 600)
    n_iterations = configuration.get("n_iterations", 64)
    x0, x1 = configuration.get("x_range", [-1.5, 0.6])
    y0, y1 = configuration.get("y_range", [-1.26, 1.26])

    logger.info("Drawing a %d x %d Mandelbrot set with %d iterations.", width, height, n_iterations)
    xs = linspace(x0, x1, width)
    ys = linspace(y0, y1, height)

    analysis.output_values = {
        "data": {
            "x": [list(xs) for _ in ys],
            "y": [[y] * width for y in ys],
            "z": [[escape_count(x, y, n_iterations) for x in xs] for y in ys],
            "colorscale": configuration.get("color_scale", "YlGnBu"),
            "type": "surface",
        },
        "layout": {"title": f"Mandelbrot set with {n_iterations} iterations", "width": width, "height": height},
    }
