"""``Compare``: many Measurements as one text table per label, laid out like PyTorch's.

Rows are (num_threads, env, sub_label or stmt), grouped under a "N threads: ----" line per
thread count; columns are descriptions; cells are medians in the unit that suits the
fastest result of the table.
"""

from __future__ import annotations

import collections
import enum
import math

from . import common

__all__ = ["Colorize", "Compare"]

BEST = "\033[92m"
GOOD = "\033[34m"
BAD = "\033[2m\033[91m"
VERY_BAD = "\033[31m"
BOLD = "\033[1m"
TERMINATE = "\033[0m"


class Colorize(enum.Enum):
    NONE = "none"
    COLUMNWISE = "columnwise"
    ROWWISE = "rowwise"


def _leading_digits(x: float) -> int:
    return int(math.ceil(common._log10_f32(x)))


class _Column:
    """One description's cells: a shared number format for all of them."""

    def __init__(self, grouped, scale: float, trim: bool, highlight: bool) -> None:
        self.grouped = grouped  # one tuple of Measurement-or-None per thread group
        flat = [m for g in grouped for m in g]
        self.trim = trim
        self.highlight = highlight and any(m.has_warnings for m in flat if m)
        digits = [(_leading_digits(m.median / scale), m) for m in flat if m]
        unit_digits = max(d for d, _ in digits)
        decimals = min(max(m.significant_figures - d, 0) for d, m in digits) if trim else 1
        width = unit_digits + decimals + (1 if decimals else 0)
        self.template = f"{{:>{width}.{decimals}f}}{{:>{7 if self.highlight else 0}}}"

    def num_to_str(self, value, sigfigs: int, spread) -> str:
        if value is None:  # an empty cell is as wide as a filled one
            return " " * len(self.num_to_str(1, sigfigs, None))
        if self.trim:
            value = common.trim_sigfig(value, sigfigs)
        flag = f" (! {spread * 100:.0f}%)" if self.highlight and spread is not None else ""
        return self.template.format(value, flag)


def _color(segment: str, value: float, best: float) -> str:
    if value <= best * 1.01 or value <= best + 100e-9:
        return BEST + BOLD + segment + TERMINATE * 2
    if value <= best * 1.1:
        return GOOD + BOLD + segment + TERMINATE * 2
    if value >= best * 5:
        return VERY_BAD + BOLD + segment + TERMINATE * 2
    if value >= best * 2:
        return BAD + segment + TERMINATE * 2
    return segment


class _Row:
    def __init__(self, results, group: int, show_env: bool, env_len: int, scale: float,
                 colorize: Colorize, num_threads) -> None:
        self.results, self.group = results, group
        self.show_env, self.env_len, self.scale = show_env, env_len, scale
        self.colorize = colorize
        self.num_threads = num_threads  # set on the first row of a thread group only
        self.columns: tuple = ()

    def cells(self) -> list:
        first = next(r for r in self.results if r is not None)
        env = f"({first.env})" if self.show_env else ""
        out = ["  " + env.ljust(self.env_len + 4) + first.as_row_name]
        for m, col in zip(self.results, self.columns):
            if m is None:
                out.append(col.num_to_str(None, 1, None))
            else:
                spread = m.iqr / m.median if m.has_warnings else None
                out.append(col.num_to_str(m.median / self.scale, m.significant_figures, spread))
        return out

    def separator(self, width: int) -> list:
        if self.num_threads is None:
            return []
        return [f"{self.num_threads} threads: ".ljust(width, "-")]

    def finalize(self, cells: list, widths: list) -> list:
        best = [-1] * len(cells)
        if self.colorize == Colorize.ROWWISE:
            best = [min(r.median for r in self.results if r is not None)] * len(cells)
        elif self.colorize == Colorize.COLUMNWISE:
            best = []
            for col in self.columns:
                meds = [r.median for r in col.grouped[self.group] if r is not None]
                best.append(min(meds) if meds else None)
        out = [cells[0].ljust(widths[0])]
        for text, width, m, b in zip(cells[1:], widths[1:], self.results, best):
            text = text.center(width)
            if self.colorize != Colorize.NONE and m is not None and b is not None:
                text = _color(text, m.median, b)
            out.append(text)
        return out


class _Table:
    def __init__(self, results: list, colorize: Colorize, trim: bool, highlight: bool):
        if len({r.label for r in results}) != 1:
            raise AssertionError("All results must share the same label")
        self.results, self.label, self.highlight = results, results[0].label, highlight
        self.unit, scale = common.select_unit(min(r.median for r in results))
        row_keys = common.ordered_unique((r.num_threads, r.env, r.as_row_name) for r in results)
        row_keys.sort(key=lambda k: k[:2])  # by threads and env; stmt order kept
        self.col_keys = common.ordered_unique(r.description for r in results)
        grid = [[None] * len(self.col_keys) for _ in row_keys]
        row_at = {k: i for i, k in enumerate(row_keys)}
        col_at = {k: j for j, k in enumerate(self.col_keys)}
        for r in results:
            grid[row_at[(r.num_threads, r.env, r.as_row_name)]][col_at[r.description]] = r

        envs = {r.env for r in results}
        render_env = len(envs) > 1
        env_len = max(len(e) for e in envs) if render_env else 0
        self.rows, groups = [], []
        prior_threads, prior_env = -1, ""
        for (threads, env, _), row in zip(row_keys, grid):
            new_group = threads != prior_threads
            if new_group:
                prior_threads, prior_env = threads, ""
                groups.append([])
            self.rows.append(_Row(row, len(groups) - 1, render_env and env != prior_env,
                                  env_len, scale, colorize, threads if new_group else None))
            groups[-1].append(row)
            prior_env = env
        columns = tuple(_Column([tuple(row[j] for row in g) for g in groups], scale, trim,
                                highlight) for j in range(len(self.col_keys)))
        for row in self.rows:
            row.columns = columns

    def render(self) -> str:
        string_rows = [[""] + self.col_keys] + [row.cells() for row in self.rows]
        n_cols = max(len(r) for r in string_rows)
        for r in string_rows:
            r.extend([""] * (n_cols - len(r)))
        widths = [max(len(s) for s in col) for col in zip(*string_rows)]
        lines = ["  |  ".join(s.center(w) for s, w in zip(string_rows[0], widths))]
        width = len(lines[0])
        for cells, row in zip(string_rows[1:], self.rows):
            lines.extend(row.separator(width))
            lines.append("  |  ".join(row.finalize(cells, widths)))
        warned = self.highlight and any(r.has_warnings for r in self.results)
        note = ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n"
                if warned else "")
        title = (" " + (self.label or "") + " ").center(width - 2, "-")
        return (f"[{title}]\n" + "\n".join(lines) + "\n\n"
                f"Times are in {common.unit_to_english(self.unit)}s ({self.unit}).\n" + note)


class Compare:
    """A formatted table of many Measurements: one table per ``label``, a row per
    ``sub_label`` (or stmt) and thread count, a column per ``description``. Replicates of
    one task are merged first. ``print()`` it or ``str()`` it."""

    def __init__(self, results: list) -> None:
        self._results: list = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = Colorize.NONE
        self._highlight_warnings = False

    def __str__(self) -> str:
        return "\n".join(self._render())

    def extend_results(self, results) -> None:
        """Add more Measurements to the table."""
        for r in results:
            if not isinstance(r, common.Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        """Show each column only to the precision its measurements support."""
        self._trim_significant_figures = True

    def colorize(self, rowwise: bool = False) -> None:
        """Color cells against the best of their column (or row, with ``rowwise=True``)."""
        self._colorize = Colorize.ROWWISE if rowwise else Colorize.COLUMNWISE

    def highlight_warnings(self) -> None:
        """Mark high-variance cells with ``(! XX%)``."""
        self._highlight_warnings = True

    def print(self) -> None:
        print(str(self))

    def _render(self) -> list:
        by_label: dict = collections.defaultdict(list)
        for r in common.Measurement.merge(self._results):
            by_label[r.label].append(r)
        return [_Table(g, self._colorize, self._trim_significant_figures,
                       self._highlight_warnings).render() for g in by_label.values()]
