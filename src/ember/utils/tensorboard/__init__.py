"""``torch.utils.tensorboard``: SummaryWriter, writing TensorBoard event files.

RL scripts in CleanRL's shape log with ``SummaryWriter(f"runs/{run_name}")``,
``add_text("hyperparameters", ...)`` and ``add_scalar("charts/episodic_return", ...)``.
ember writes the same event files PyTorch's writer does (byte for byte, but for wall times
and file names), with no dependency: install ``tensorboard`` to view them
(``tensorboard --logdir runs``). Supported: add_scalar, add_scalars, add_text, add_histogram,
flush, close, get_logdir, use as a context manager. add_graph warns and writes nothing (no
TorchScript trace to draw from); other ``add_*`` methods raise NotImplementedError naming
the supported ones.
"""

from __future__ import annotations

import atexit
import itertools
import os
import socket
import time
import warnings
import weakref

import numpy as np

from . import _records as R

__all__ = ["SummaryWriter"]

_UID = itertools.count()  # the last part of every event file name, per process
_OPEN: "weakref.WeakSet[_FileWriter]" = weakref.WeakSet()


class _FileWriter:
    """One event file in ``log_dir``: the file-version event first, then records, flushed
    every ``max_queue`` records, every ``flush_secs`` seconds, on flush(), close() and exit."""

    def __init__(self, log_dir: str, max_queue: int, flush_secs: float, suffix: str) -> None:
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        name = "events.out.tfevents.%010d.%s.%s.%s" % (time.time(), socket.gethostname(),
                                                       os.getpid(), next(_UID))
        self.path = os.path.join(log_dir, name) + suffix
        self._file = open(self.path, "wb")  # noqa: SIM115 - kept open between calls
        self._max_queue, self._flush_secs = max_queue, flush_secs
        self._pending, self._last_flush = 0, time.time()
        self.write(R.event(time.time(), file_version="brain.Event:2",
                           writer="tensorboard.summary.writer.event_file_writer"))
        self.flush()
        _OPEN.add(self)

    def write(self, event: bytes) -> None:
        if self._file is None:
            raise RuntimeError("the SummaryWriter's event file was closed")
        self._file.write(R.record(event))
        self._pending += 1
        if self._pending >= self._max_queue or time.time() - self._last_flush >= \
                self._flush_secs:
            self.flush()

    def add_summary(self, summary: bytes, step, walltime) -> None:
        wall = time.time() if walltime is None else float(walltime)
        self.write(R.event(wall, 0 if step is None else int(step), summary=summary))

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            self._pending, self._last_flush = 0, time.time()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


@atexit.register
def _flush_all() -> None:  # nothing logged is lost when a script ends without close()
    for writer in list(_OPEN):
        writer.flush()


def _as_array(value) -> np.ndarray:
    if hasattr(value, "detach"):  # an ember (or torch) tensor
        value = value.detach()
        value = value.numpy() if hasattr(value, "numpy") else value
    return np.asarray(value)


def _scalar(value) -> float:
    arr = _as_array(value).squeeze()
    if arr.ndim != 0:
        # (PyTorch's message keeps its source line's indentation after "dimensions.")
        raise AssertionError(f"Tensor should contain one element (0 dimensions). "
                             f"{' ' * 12}Was given size: {arr.size} and {arr.ndim} dimensions.")
    return float(arr)


def _default_bins() -> list:
    """TensorFlow's histogram buckets: 0 and +-1e-12 * 1.1^k up to 1e20."""
    v, pos, neg = 1e-12, [], []
    while v < 1e20:
        pos.append(v)
        neg.append(-v)
        v *= 1.1
    return neg[::-1] + [0] + pos


class SummaryWriter:
    """Writes scalars, text and histograms to TensorBoard event files in ``log_dir``
    (default ``runs/<Mon DD_HH-MM-SS>_<host><comment>``)."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: float = 120, filename_suffix: str = "") -> None:
        if not log_dir:
            from datetime import datetime

            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = str(log_dir)
        self.purge_step, self.max_queue, self.flush_secs = purge_step, max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = _default_bins()

    def _get_file_writer(self) -> _FileWriter:
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = _FileWriter(self.log_dir, self.max_queue, self.flush_secs,
                                           self.filename_suffix)
            self.all_writers = {self.file_writer.log_dir: self.file_writer}
            if self.purge_step is not None:  # TensorBoard drops later steps of an old run
                # (a file-version event, then SessionLog(status=START): Event field 7)
                step = int(self.purge_step)
                self.file_writer.write(R.event(time.time(), step,
                                               file_version="brain.Event:2"))
                self.file_writer.write(R.event(time.time(), step)
                                       + R.message(7, R.varint(1, 1), always=True))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self) -> str:
        return self.log_dir

    # ---- what gets logged --------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None,
                   new_style: bool = False, double_precision: bool = False) -> None:
        """One value of the series ``tag`` at ``global_step``."""
        self._get_file_writer().add_summary(
            self._scalar_summary(tag, _scalar(scalar_value), new_style, double_precision),
            global_step, walltime)

    @staticmethod
    def _scalar_summary(tag, value, new_style=False, double_precision=False) -> bytes:
        if not new_style:
            return R.summary_value(tag, simple_value=value)
        tensor = (R.tensor_proto(R.DT_DOUBLE, doubles=[value]) if double_precision
                  else R.tensor_proto(R.DT_FLOAT, floats=[value]))
        return R.summary_value(tag, tensor=tensor, metadata=R.plugin_metadata("scalars"))

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None,
                    walltime=None) -> None:
        """Several series on one chart: each in its own run directory
        ``<log_dir>/<main_tag>_<tag>``, all under the tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().log_dir
        for tag, value in tag_scalar_dict.items():
            key = root + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(key)
            if writer is None:
                writer = self.all_writers[key] = _FileWriter(
                    key, self.max_queue, self.flush_secs, self.filename_suffix)
            writer.add_summary(self._scalar_summary(main_tag, _scalar(value)), global_step,
                               walltime)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Markdown text under ``<tag>/text_summary``."""
        tensor = R.tensor_proto(R.DT_STRING, [1], strings=[text_string.encode("utf_8")])
        self._get_file_writer().add_summary(
            R.summary_value(tag + "/text_summary", tensor=tensor,
                            metadata=R.plugin_metadata("text")), global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow",
                      walltime=None, max_bins=None) -> None:
        """The distribution of ``values`` (np.histogram's ``bins``; by default TensorFlow's
        exponential buckets), trimmed to the buckets that hold values."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        histo = _histogram(_as_array(values).astype(float), bins, max_bins)
        self._get_file_writer().add_summary(R.summary_value(tag, histo=histo), global_step,
                                            walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Skipped with a warning: PyTorch draws the graph from a TorchScript trace, which
        ember does not have. Training loops that log one (the Zero to Mastery course does, every
        epoch) go on; their scalars, histograms and text are written as usual."""
        warnings.warn("ember's SummaryWriter does not write model graphs (PyTorch traces the "
                      "model with TorchScript, which ember lacks): add_graph wrote nothing; "
                      "scalars, histograms and text are written", UserWarning, stacklevel=2)

    def __getattr__(self, name: str):
        if name.startswith("add_"):
            raise NotImplementedError(
                f"ember's SummaryWriter does not implement {name}; it writes add_scalar, "
                "add_scalars, add_text and add_histogram")
        raise AttributeError(f"'SummaryWriter' object has no attribute '{name}'")

    # ---- files ---------------------------------------------------------------------------
    def flush(self) -> None:
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self) -> None:
        if self.all_writers is None:
            return  # closing twice is fine
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self) -> "SummaryWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _histogram(values: np.ndarray, bins, max_bins) -> bytes:
    """np.histogram's counts, merged to at most ``max_bins`` buckets, cut to the buckets from
    one before the first non-empty one to the last (TensorBoard reads right edges only)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        step = n // max_bins
        if n % step:
            counts = np.pad(counts, [[0, step - n % step]], mode="constant")
        counts = counts.reshape(-1, step).sum(axis=-1)
        limits = np.concatenate([limits[:-1:step], limits[-1:]])
    filled = np.cumsum(counts > 0)
    start, end = np.searchsorted(filled, [0, filled[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return R.histogram_proto(float(values.min()), float(values.max()), float(len(values)),
                             float(values.sum()), float(values.dot(values)),
                             [float(v) for v in limits], [float(c) for c in counts])
