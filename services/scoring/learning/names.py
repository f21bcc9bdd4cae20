"""The learned models' names, importable without torch (the service process never loads torch)."""

MODEL_TYPES = ("graphsage", "form_assessor", "style_encoder")
CLASSIFIERS = ("graphsage", "style_encoder")   # trained on technique labels: need two techniques or more
