"""Vega-Lite specs drawn to SVG in a helper process, so drawing runs beside the Python that reads the data.

vl-convert holds Python's global interpreter lock while it draws: a thread drawing charts stops every other Python
thread of the process. A report that reads its data and draws a dozen charts (the meeting pack) would wait for the
two one after the other. So the specs are sent, as JSON text, to one helper process that draws them while the
server process goes on reading data; :func:`draw_svg` returns a future of the SVG.

The helper is ``python -m kpi.core.chart_worker``: a fresh interpreter that imports this module and vl-convert only
(not the caller's script, as ``multiprocessing``'s spawn would), started on first use, kept for the life of the
process and stopped at exit. Requests and answers are framed on its standard input and output (a header line of
request number and byte length, then the bytes). It is the same vl-convert with the same fonts, so its SVG is the
one the server process would have drawn. If the helper cannot be started or dies, the future holds the error and
the caller draws in its own process (:func:`svg_now`): slower, the same drawing; the next request starts a new
helper. Nothing here reads or writes data: a spec holds the chart's own figures and nothing else.

Example:
>>> spec = {"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}}
>>> draw_svg(spec).result(timeout=60) == svg_now(spec)
True
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO

import vl_convert as vlc

_LOCK = threading.Lock()


def svg_now(spec: dict) -> str:
    """The spec drawn as SVG in this process."""
    return vlc.vegalite_to_svg(spec)


class HelperGone(OSError):
    """The drawing process stopped before it answered."""


class _Helper:
    """One drawing process, its pending requests and the thread reading its answers."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # where ``kpi`` is, installed or not
        path = os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kpi.core.chart_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
        self.alive = True
        self.pending: dict[int, Future] = {}
        self.numbers = itertools.count(1)
        self.write_lock = threading.Lock()
        threading.Thread(target=self._read, name="chart-worker-reader", daemon=True).start()

    def submit(self, text: str) -> Future:
        future: Future = Future()
        body = text.encode("utf-8")
        with self.write_lock:
            if not self.alive:
                raise HelperGone("the drawing process stopped")
            number = next(self.numbers)
            self.pending[number] = future
            self.process.stdin.write(f"{number} {len(body)}\n".encode() + body)
            self.process.stdin.flush()
        return future

    def _read(self) -> None:
        out = self.process.stdout
        try:
            while (header := out.readline()) != b"":
                number, status, size = header.split()
                body = _read_exactly(out, int(size)).decode("utf-8")
                future = self.pending.pop(int(number))
                if status == b"ok":
                    future.set_result(body)
                else:
                    future.set_exception(RuntimeError(f"the chart could not be drawn: {body}"))
        finally:
            with self.write_lock:
                self.alive = False
                for future in self.pending.values():
                    future.set_exception(HelperGone("the drawing process stopped"))
                self.pending.clear()
                out.close()
                try:
                    self.process.stdin.close()
                except OSError:  # its last bytes could not be written: the process is gone anyway
                    pass
                self.process.wait()

    def stop(self) -> None:
        """Close its input (it ends when it has answered what it read) and wait; kill it if it does not end."""
        try:
            with self.write_lock:
                self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


_HELPER: dict[str, _Helper] = {}


def _helper() -> _Helper:
    with _LOCK:
        helper = _HELPER.get("helper")
        if helper is None or not helper.alive:
            helper = _HELPER["helper"] = _Helper()
        return helper


def draw_svg(spec: dict) -> Future:
    """A future of the spec drawn as SVG by the helper (its exception when the helper could not draw it)."""
    try:
        return _helper().submit(json.dumps(spec))
    except (OSError, ValueError) as error:  # no process could be started, or it stopped: the caller draws
        shutdown()
        failed: Future = Future()
        failed.set_exception(error)
        return failed


def start() -> None:
    """Start the helper now (a server warms it up before the first report is asked for)."""
    _helper()


def shutdown() -> None:
    """Stop the helper (a new one starts on next use)."""
    with _LOCK:
        helper = _HELPER.pop("helper", None)
    if helper is not None:
        helper.stop()


atexit.register(shutdown)


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise HelperGone("the drawing process stopped mid-answer")
    return data


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """In the helper: draw each framed request from ``source`` and write its framed answer to ``sink``."""
    while (header := source.readline()) != b"":
        number, size = header.split()
        try:
            body, status = vlc.vegalite_to_svg(json.loads(_read_exactly(source, int(size)))), "ok"
        except Exception as error:  # the spec's own fault: reported to the caller, the helper goes on
            body, status = str(error), "error"
        answer = body.encode("utf-8")
        sink.write(f"{number.decode()} {status} {len(answer)}\n".encode() + answer)
        sink.flush()


if __name__ == "__main__":
    # warm vl-convert's JavaScript engine before the first request arrives
    vlc.vegalite_to_svg({"data": {"values": [{"x": 0}]}, "mark": "point", "encoding": {"x": {"field": "x"}}})
    serve(sys.stdin.buffer, sys.stdout.buffer)
