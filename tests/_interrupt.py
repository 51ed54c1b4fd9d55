"""Ctrl-C of a fit in a child process, shared by the interrupt tests (test_trainer.py,
test_sparse_stepwise.py): the child prints "ready" before it fits and one JSON line when the
KeyboardInterrupt reaches it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time


def interrupt_fit(tmp_path, script_text: str, kind: str, after: float = 1.0) -> tuple[dict, float]:
    """Runs ``script_text`` with argument ``kind``, sends SIGINT ``after`` seconds past its
    "ready", and returns (its JSON line, when the signal was sent by time.perf_counter)."""
    script = tmp_path / "fit.py"
    script.write_text(script_text)
    with subprocess.Popen([sys.executable, str(script), kind], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(after)
            sent = time.perf_counter()
            proc.send_signal(signal.SIGINT)
            out = json.loads(proc.stdout.readline())
        finally:
            proc.kill()
    return out, sent
