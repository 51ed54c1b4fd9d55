"""Lets the test modules import their shared helpers (tests/_hostile.py) under pytest's
importlib import mode, which does not put the tests folder on sys.path."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
