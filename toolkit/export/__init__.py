"""Converters that produce artifacts: onnx_from_keras, fp16/int8 from ONNX, engines from ONNX."""
