"""The three learned models (torch): the technique classifier (GraphSAGE with temporal convolutions beside it),
LSTM + attention form assessor, style encoder.

Every model takes the features' pose tensor [B, 64 frames, 33 landmarks, 4]; the form assessor also
takes the context [B, 2] = (duration s, body length m). Their sizes follow the spec's GET /models.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .features import CONTEXT_DIM, INPUT_DIM, N_CHANNELS, N_FRAMES
from .skeleton import mean_adjacency

ASPECTS = ("speed", "force", "timing", "balance", "coordination")
MAX_SCORE = 10.0
GRAPH_HIDDEN, GRAPH_LAYERS = 128, 3
# The graph layers run on 8 time steps (mean of 8 consecutive frames). Each 128 -> 128 SAGE layer costs
# 2 x 2 x 128 x 128 FLOP per node and step: 0.28 GFLOP for the two of them at 64 steps, ~3.5 ms at the
# ~80 GFLOP/s of one core, over the 5 ms budget shared by three models. On the CMU repetitions 8 steps
# classified as well as 16 (held-out accuracy 1.0 and 0.875 for seeds 0 and 1, both) in half the time.
GRAPH_TIME_POOL = 8
LSTM_UNITS, LSTM_LAYERS, ATTENTION_HEADS = 256, 2, 8
# The LSTM runs on 16 steps: the recurrence is sequential (~70 us per step for both layers on one
# core), so 64 steps would spend ~4.5 ms of the 5 ms budget alone. A strided convolution over 4 frames
# feeds it, so what happens inside each 4-frame window (the velocity) is not averaged away.
LSTM_TIME_POOL = 4
EMBEDDING_DIM = 64
COSINE_SCALE = 16.0  # logit scale of the normalised-softmax head (Wang et al. 2017, NormFace): cos in [-1, 1] -> +-16


def _time_pool(pose: torch.Tensor, k: int) -> torch.Tensor:
    """[B,T,...] -> [B,T/k,...]: mean of k consecutive frames."""
    b, t = pose.shape[0], pose.shape[1]
    return pose.reshape(b, t // k, k, *pose.shape[2:]).mean(dim=2)


class SAGELayer(nn.Module):
    """h_v' = ReLU(W_self h_v + W_neigh mean_{u in N(v)} h_u) (Hamilton et al. 2017, mean aggregator)."""

    def __init__(self, d_in: int, d_out: int, adjacency: torch.Tensor) -> None:
        super().__init__()
        self.self_linear = nn.Linear(d_in, d_out)
        self.neigh_linear = nn.Linear(d_in, d_out, bias=False)
        self.register_buffer("adjacency", adjacency, persistent=False)

    def forward(self, h: torch.Tensor) -> torch.Tensor:  # [B,T,33,C]
        # Aggregate with nodes as the last axis: one (B*T*C) x 33 x 33 GEMM in ONNX instead of B*T small ones.
        neigh = torch.matmul(h.transpose(2, 3), self.adjacency.T).transpose(2, 3)
        return F.relu(self.self_linear(h) + self.neigh_linear(neigh))


class GraphSAGE(nn.Module):
    """Technique classifier: 3 SAGE layers over the skeleton per time step, mean+max over time, linear head."""

    def __init__(self, n_classes: int, hidden: int = GRAPH_HIDDEN, layers: int = GRAPH_LAYERS) -> None:
        super().__init__()
        adj = torch.from_numpy(mean_adjacency())
        dims = [N_CHANNELS] + [hidden] * layers
        self.layers = nn.ModuleList(SAGELayer(a, b, adj) for a, b in zip(dims[:-1], dims[1:]))
        n_nodes = adj.shape[0]
        # The readout keeps the nodes apart (flattened), so the head knows which limb did what.
        self.head = nn.Linear(2 * n_nodes * hidden, n_classes)
        self.dropout = nn.Dropout(0.2)

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        """pose [B,64,33,4] -> logits [B, classes]."""
        h = _time_pool(pose, GRAPH_TIME_POOL)
        for layer in self.layers:
            h = layer(h)                                     # [B,8,33,H]
        pooled = torch.cat([h.mean(dim=1), h.amax(dim=1)], dim=-1)   # [B,33,2H]
        return self.head(self.dropout(pooled.flatten(1)))


class FormAssessor(nn.Module):
    """Aspect scores: 2-layer LSTM, 8-head self-attention (residual + LayerNorm), mean+max pool, MLP head."""

    def __init__(self, units: int = LSTM_UNITS, layers: int = LSTM_LAYERS, heads: int = ATTENTION_HEADS) -> None:
        super().__init__()
        self.frames = nn.Conv1d(INPUT_DIM, units // 2, LSTM_TIME_POOL, stride=LSTM_TIME_POOL)
        self.lstm = nn.LSTM(units // 2, units, num_layers=layers, batch_first=True)
        self.attention = nn.MultiheadAttention(units, heads, batch_first=True)
        self.norm = nn.LayerNorm(units)
        self.head = nn.Sequential(nn.Linear(2 * units + CONTEXT_DIM, 128), nn.ReLU(), nn.Linear(128, len(ASPECTS)))

    def forward(self, pose: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """pose [B,64,33,4], context [B,2] (s, m) -> scores [B,5] in 0..10."""
        x = F.relu(self.frames(pose.flatten(2).transpose(1, 2))).transpose(1, 2)   # [B,16,128]
        h, _ = self.lstm(x)
        a, _ = self.attention(h, h, h, need_weights=False)
        h = self.norm(h + a)
        # Speeds in m/s scale with body length / duration, which the normalised pose has lost.
        ctx = torch.log(context.clamp(min=1e-3))
        z = torch.cat([h.mean(dim=1), h.amax(dim=1), ctx], dim=-1)
        return MAX_SCORE * torch.sigmoid(self.head(z))


class TemporalStack(nn.Module):
    """1-D convolutions over time on every landmark's channels at once (kernel 5, the last two strided),
    then mean+max over time: [B,64,33,4] -> [B, 2 x width]. It reads the order of the poses, which the
    graph's mean+max over its 8 steps cannot."""

    def __init__(self, width: int = 128) -> None:
        super().__init__()
        # Batch normalisation standardises each channel across performances: without it the pose every
        # performance shares (a standing body) dominates the features and all embeddings start equal.
        self.conv = nn.Sequential(
            nn.Conv1d(INPUT_DIM, width, 5, padding=2), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Conv1d(width, width, 5, stride=2, padding=2), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Conv1d(width, width, 5, stride=2, padding=2), nn.BatchNorm1d(width), nn.ReLU())
        self.width = width

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        h = self.conv(pose.flatten(2).transpose(1, 2))      # [B,width,16]
        return torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)


class TemporalConvolution(nn.Module):
    """A temporal member of the technique classifier: TemporalStack and a linear head (logits)."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.stack = TemporalStack()
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(2 * self.stack.width, n_classes))

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        return self.head(self.stack(pose))


# Temporal members beside the graph: each starts from other random weights (an ensemble of one architecture,
# Lakshminarayanan et al. 2017), so their errors are partly independent and the pool's are fewer.
TEMPORAL_MEMBERS = 2


class TechniqueClassifier(nn.Module):
    """The technique classifier (GET /models' graphsage): the GraphSAGE above and TEMPORAL_MEMBERS
    TemporalConvolutions, each trained on its own loss (member_logits()), answering their normalised
    geometric mean: log-probabilities log_softmax(mean of the members' log_softmax). A class, the background's
    opposite included, then needs the members' assent: one member sure of a technique the others reject does
    not carry the answer.
    Why (4-fold cross-validation, the same held-out views; learning/open_set_experiments.md, 2026-12-07):
    GraphSAGE alone named 0.882 of the video-like technique views and accepted 0.811-0.821 at the 2 %-FPR
    threshold; one temporal member alone 0.935 and 0.902-0.917, but one of its four fold models took the
    Sports2D clip for a technique (0.95 over its 0.84 threshold); GraphSAGE and one temporal member 0.931 and
    0.902-0.906, the five shared videos at most 0.57 against a threshold of 0.63; with a second temporal
    member (kept) 0.939 and 0.913-0.923, the five videos at most 0.37 against 0.61. Trained as one model on
    the sum of their logits, GraphSAGE and one temporal member read 0.943 and 0.868-0.904, and every fold
    model took the pose2sim cam04 balancing drill for a front kick at 0.97-1.0."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.graph = GraphSAGE(n_classes)
        self.temporal = nn.ModuleList(TemporalConvolution(n_classes) for _ in range(TEMPORAL_MEMBERS))

    def member_logits(self, pose: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Each member's logits [B, classes], the graph's first."""
        return (self.graph(pose), *(member(pose) for member in self.temporal))

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        """pose [B,64,33,4] -> log-probabilities [B, classes] of the members' normalised geometric mean."""
        mean_log_p = torch.stack([F.log_softmax(m, dim=-1) for m in self.member_logits(pose)]).mean(dim=0)
        return F.log_softmax(mean_log_p, dim=-1)


class StyleEncoder(nn.Module):
    """Performance embedding: TemporalStack, linear, L2-normalised."""

    def __init__(self, dim: int = EMBEDDING_DIM, width: int = 128) -> None:
        super().__init__()
        self.stack = TemporalStack(width)
        self.out = nn.Sequential(nn.BatchNorm1d(2 * width), nn.Linear(2 * width, dim))

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        """pose [B,64,33,4] -> unit embedding [B,dim]."""
        e = self.out(self.stack(pose))
        return e / e.norm(dim=1, keepdim=True).clamp(min=1e-8)


class CosineHead(nn.Module):
    """Training-only head of the style encoder: scaled cosine between the embedding and one vector per class."""

    def __init__(self, dim: int, n_classes: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.1)

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        return COSINE_SCALE * embedding @ F.normalize(self.weight, dim=1).T


class StyleTrainer(nn.Module):
    """The encoder with its training head; only `encoder` is exported."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.encoder = StyleEncoder()
        self.head = CosineHead(EMBEDDING_DIM, n_classes)

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(pose))


class Probabilities(nn.Module):
    """Export wrapper: the classifier's logits as softmax probabilities."""

    def __init__(self, classifier: nn.Module) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, pose: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(pose), dim=-1)


def members(model: nn.Module) -> tuple[nn.Module, ...]:
    """The independently trained parts of a model: an ensemble's members, else the model itself."""
    return (model.graph, *model.temporal) if isinstance(model, TechniqueClassifier) else (model,)


def build(model_type: str, n_classes: int) -> nn.Module:
    """The trainable module of a model type (graphsage: logits; form_assessor: scores; style_encoder: logits)."""
    if model_type == "graphsage":
        return TechniqueClassifier(n_classes)
    if model_type == "form_assessor":
        return FormAssessor()
    if model_type == "style_encoder":
        return StyleTrainer(n_classes)
    raise ValueError(f"unknown model type {model_type!r}")


def inference_module(model_type: str, model: nn.Module) -> nn.Module:
    """What is exported: probabilities, scores or the unit embedding."""
    if model_type == "graphsage":
        return Probabilities(model)
    if model_type == "style_encoder":
        return model.encoder
    return model


POSE_SHAPE = (N_FRAMES, 33, N_CHANNELS)
