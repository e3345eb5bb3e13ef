"""Exporting a model directory to other runtimes: ONNX (`bertkit export onnx`).

from bertkit.export import export_onnx
report = export_onnx("path/to/model", "path/to/onnx-model", optimize=True)
"""

from bertkit.export.onnx import ExportReport, export_onnx

__all__ = ["ExportReport", "export_onnx"]
