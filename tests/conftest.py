"""Lets the test modules import their shared helpers (tests/_hostile.py) under pytest's
importlib import mode, which does not put the tests folder on sys.path; and makes Ctrl-C
deliverable to the tests that send it."""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(__file__))

# A run started in the background by a shell without job control (`./.ci/run &`, a CI
# runner's script) inherits SIGINT ignored, and every process it starts inherits that too:
# the Ctrl-C tests' SIGINT would then be dropped, and their fits run on forever. Python's
# own handler here makes the children start with the default disposition again (exec resets
# a caught signal, not an ignored one).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
