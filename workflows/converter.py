"""The one data converter used by the worker, the CLI, the tests and the Replayer.

A history can only be read back (or replayed) with the converter that wrote it.
"""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

DATA_CONVERTER: DataConverter = pydantic_data_converter
