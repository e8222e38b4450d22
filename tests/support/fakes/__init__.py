"""CPU test doubles of GPU libraries (TensorRT, cuda-python)."""
