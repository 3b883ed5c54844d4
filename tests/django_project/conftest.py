"""Run the sample Django project in this pytest process (no pytest-django)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sampleproject.settings")

import django  # noqa: E402

django.setup()
