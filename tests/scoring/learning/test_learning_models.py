"""The three models: output shapes and ranges, and onnxruntime agreeing with torch after export."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from services.kit.errors import ModelError
from services.scoring.learning import models
from services.scoring.learning.export import export_onnx, read_manifest, verify
from services.scoring.learning.features import featurize_sample, stack


@pytest.fixture(scope="module")
def batch(synthetic):
    pose, context = stack([featurize_sample(s) for s in synthetic[:5]])
    return torch.from_numpy(pose), torch.from_numpy(context)


def fresh(model_type: str, n_classes: int = 4) -> torch.nn.Module:
    torch.manual_seed(0)
    return models.build(model_type, n_classes).eval()


def test_graphsage_gives_one_probability_per_class(batch):
    m = fresh("graphsage", 4)
    probs = models.inference_module("graphsage", m)(batch[0])
    assert probs.shape == (5, 4)
    assert torch.allclose(probs.sum(dim=1), torch.ones(5)) and bool((probs >= 0).all())
    assert len(m.graph.layers) == 3 and m.graph.layers[1].self_linear.out_features == 128


def test_the_classifier_answers_its_members_normalised_geometric_mean(batch):
    m = fresh("graphsage", 4)
    answers = [torch.softmax(logits, dim=1) for logits in m.member_logits(batch[0])]
    assert len(answers) == 1 + models.TEMPORAL_MEMBERS
    for i, a in enumerate(answers):   # separate models, not one counted twice (the temporal ones too)
        assert all(not torch.allclose(a, b, atol=1e-3) for b in answers[i + 1:])
    probs = models.inference_module("graphsage", m)(batch[0])
    pooled = torch.stack(answers).prod(dim=0) ** (1 / len(answers))
    assert torch.allclose(probs, pooled / pooled.sum(dim=1, keepdim=True), atol=1e-6)
    # one member sure of a class the others all but rule out: far less than the arithmetic mean would give
    sure, against = torch.tensor([[0.97, 0.01, 0.01, 0.01]]), torch.tensor([[0.001, 0.333, 0.333, 0.333]])
    m.member_logits = lambda pose: (sure.log(), *[against.log()] * models.TEMPORAL_MEMBERS)
    arithmetic = (sure + models.TEMPORAL_MEMBERS * against)[0, 0] / (1 + models.TEMPORAL_MEMBERS)
    assert float(m(batch[0][:1]).exp()[0, 0]) < 0.5 * float(arithmetic)


def test_each_member_learns_from_its_own_loss(batch):
    """training_loss reaches every member's weights, and a member's gradient does not depend on the others."""
    from services.scoring.learning.evaluation import training_loss
    m = fresh("graphsage", 4).train()
    target = torch.tensor([0, 1, 2, 3, 0])
    torch.manual_seed(1)   # the same dropout masks in both passes (the graph member draws first)
    training_loss("graphsage", m, batch[0], batch[1], target).backward()
    graph_grad = m.graph.head.weight.grad.clone()
    assert graph_grad.abs().sum() > 0 and all(t.head[1].weight.grad.abs().sum() > 0 for t in m.temporal)
    m.zero_grad()
    torch.manual_seed(1)
    torch.nn.functional.cross_entropy(m.graph(batch[0]), target).backward()
    assert torch.allclose(m.graph.head.weight.grad, graph_grad, atol=1e-6)


def test_form_assessor_gives_five_scores_within_0_10(batch):
    m = fresh("form_assessor")
    scores = m(*batch)
    assert scores.shape == (5, 5) and bool(((scores >= 0) & (scores <= 10)).all())
    assert m.lstm.hidden_size == 256 and m.lstm.num_layers == 2 and m.attention.num_heads == 8
    # the context matters: the same pose performed in half the time is a different performance
    faster = batch[1].clone()
    faster[:, 0] /= 2
    assert not torch.allclose(m(batch[0], faster), scores)


def test_style_embeddings_are_unit_vectors(batch):
    m = fresh("style_encoder", 3)
    e = models.inference_module("style_encoder", m)(batch[0])
    assert e.shape == (5, models.EMBEDDING_DIM)
    assert torch.allclose(e.norm(dim=1), torch.ones(5), atol=1e-5)


@pytest.mark.parametrize("model_type", ["graphsage", "form_assessor", "style_encoder"])
def test_onnxruntime_agrees_with_torch_on_real_features(model_type, batch):
    m = fresh(model_type, 3)
    data = export_onnx(model_type, m, {"name": model_type, "classes": ["a", "b", "c"]})
    assert read_manifest(data) == {"name": model_type, "classes": ["a", "b", "c"]}
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    feeds = {"pose": batch[0].numpy()} | ({"context": batch[1].numpy()} if model_type == "form_assessor" else {})
    got = session.run(None, feeds)[0]
    with torch.no_grad():
        want = models.inference_module(model_type, m)(*([batch[0], batch[1]] if model_type == "form_assessor"
                                                        else [batch[0]])).numpy()
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) < 1e-4


def test_verification_catches_an_export_that_differs_from_torch():
    a, b = fresh("graphsage", 3), models.build("graphsage", 3).eval()   # b: other random weights
    data = export_onnx("graphsage", a, {})
    with pytest.raises(ModelError, match="disagrees with torch"):
        verify("graphsage", models.inference_module("graphsage", b), data)
