"""Test support shared by every test folder: test doubles of what cannot run here (TensorRT,
CUDA), tiny ONNX models, result builders and paths. On sys.path through pytest's `pythonpath`."""
