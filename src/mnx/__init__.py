"""mnx: train the classic Keras MNIST networks, export them to ONNX (FP32/FP16/INT8) and
TensorRT, and benchmark every variant side by side.

The repository keeps one folder per concept at its top level (architectures/, toolkit/, bench/,
workflows/, cli/); `src/mnx/` maps them under the one import name `mnx` (symbolic links), so the
installed package claims no generic top-level names such as `toolkit` or `bench`.
"""

__version__ = "0.1.0"
