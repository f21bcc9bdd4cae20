"""Learned models (GraphSAGE classifier, form assessor, style encoder): torch training, ONNX export, onnxruntime serving."""
