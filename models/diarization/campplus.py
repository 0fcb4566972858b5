"""CAM++ speaker-embedding network (3D-Speaker's CAMPPlus, Apache-2.0 architecture).

Written to load the published ``campplus_cn_en_common.pt`` state dict strictly:
an FCM head (2-D residual convolutions over the 80 fbank bins) followed by a densely
connected TDNN whose layers use context-aware masking (CAM), statistics pooling and a
192-dim dense layer. Input: (batch, frames, 80) kaldi fbank, mean-normalised per
utterance; output: (batch, 192) embeddings (compare with cosine similarity).

torch is imported lazily: call ``build_campplus()`` / ``load_campplus()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

FEAT_DIM = 80
EMBEDDING_DIM = 192


def _define() -> dict[str, Any]:  # noqa: C901 - a module table, one class each
    import torch
    import torch.nn.functional as F
    from torch import nn

    def bn_relu(channels: int) -> nn.Sequential:
        seq = nn.Sequential()
        seq.add_module("batchnorm", nn.BatchNorm1d(channels))
        seq.add_module("relu", nn.ReLU(inplace=True))
        return seq

    class BasicResBlock(nn.Module):
        def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=(stride, 1), padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride=(stride, 1), bias=False),
                    nn.BatchNorm2d(planes),
                )

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return F.relu(out + self.shortcut(x))

    class FCM(nn.Module):
        """Front-end convolution module: 2-D residual blocks, frequency stride 8."""

        def __init__(self, m_channels: int = 32, feat_dim: int = FEAT_DIM) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, m_channels, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(m_channels)
            self.layer1 = nn.Sequential(
                BasicResBlock(m_channels, m_channels, 2), BasicResBlock(m_channels, m_channels, 1)
            )
            self.layer2 = nn.Sequential(
                BasicResBlock(m_channels, m_channels, 2), BasicResBlock(m_channels, m_channels, 1)
            )
            self.conv2 = nn.Conv2d(m_channels, m_channels, 3, stride=(2, 1), padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(m_channels)
            self.out_channels = m_channels * (feat_dim // 8)

        def forward(self, x):  # (B, F, T)
            out = F.relu(self.bn1(self.conv1(x.unsqueeze(1))))
            out = self.layer2(self.layer1(out))
            out = F.relu(self.bn2(self.conv2(out)))
            b, c, f, t = out.shape
            return out.reshape(b, c * f, t)

    class TDNNLayer(nn.Module):
        def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int) -> None:
            super().__init__()
            pad = (kernel - 1) // 2
            self.linear = nn.Conv1d(in_ch, out_ch, kernel, stride=stride, padding=pad, bias=False)
            self.nonlinear = bn_relu(out_ch)

        def forward(self, x):
            return self.nonlinear(self.linear(x))

    class CAMLayer(nn.Module):
        """Context-aware masking: local conv gated by global + 100-frame segment context."""

        def __init__(self, bn_ch: int, out_ch: int, kernel: int, dilation: int) -> None:
            super().__init__()
            pad = (kernel - 1) // 2 * dilation
            self.linear_local = nn.Conv1d(
                bn_ch, out_ch, kernel, padding=pad, dilation=dilation, bias=False
            )
            self.linear1 = nn.Conv1d(bn_ch, bn_ch // 2, 1)
            self.relu = nn.ReLU(inplace=True)
            self.linear2 = nn.Conv1d(bn_ch // 2, out_ch, 1)
            self.sigmoid = nn.Sigmoid()

        @staticmethod
        def seg_pooling(x, seg_len: int = 100):
            seg = F.avg_pool1d(x, kernel_size=seg_len, stride=seg_len, ceil_mode=True)
            shape = seg.shape
            seg = seg.unsqueeze(-1).expand(*shape, seg_len).reshape(*shape[:-1], -1)
            return seg[..., : x.shape[-1]]

        def forward(self, x):
            y = self.linear_local(x)
            context = x.mean(-1, keepdim=True) + self.seg_pooling(x)
            return y * self.sigmoid(self.linear2(self.relu(self.linear1(context))))

    class CAMDenseTDNNLayer(nn.Module):
        def __init__(self, in_ch: int, out_ch: int, bn_ch: int, kernel: int, dilation: int):
            super().__init__()
            self.nonlinear1 = bn_relu(in_ch)
            self.linear1 = nn.Conv1d(in_ch, bn_ch, 1, bias=False)
            self.nonlinear2 = bn_relu(bn_ch)
            self.cam_layer = CAMLayer(bn_ch, out_ch, kernel, dilation)

        def forward(self, x):
            return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))

    class CAMDenseTDNNBlock(nn.ModuleList):
        def __init__(self, layers: int, in_ch: int, growth: int, bn_ch: int, kernel: int, dil: int):
            super().__init__()
            for i in range(layers):
                layer = CAMDenseTDNNLayer(in_ch + i * growth, growth, bn_ch, kernel, dil)
                self.add_module(f"tdnnd{i + 1}", layer)

        def forward(self, x):
            for layer in self:
                x = torch.cat([x, layer(x)], dim=1)
            return x

    class TransitLayer(nn.Module):
        def __init__(self, in_ch: int, out_ch: int) -> None:
            super().__init__()
            self.nonlinear = bn_relu(in_ch)
            self.linear = nn.Conv1d(in_ch, out_ch, 1, bias=False)

        def forward(self, x):
            return self.linear(self.nonlinear(x))

    class StatsPool(nn.Module):
        def forward(self, x):
            return torch.cat([x.mean(dim=-1), x.std(dim=-1, unbiased=True)], dim=-1)

    class DenseLayer(nn.Module):
        """1x1 projection + non-affine batch norm (no ReLU: embeddings keep their sign)."""

        def __init__(self, in_ch: int, out_ch: int) -> None:
            super().__init__()
            self.linear = nn.Conv1d(in_ch, out_ch, 1, bias=False)
            self.nonlinear = nn.Sequential()
            self.nonlinear.add_module("batchnorm", nn.BatchNorm1d(out_ch, affine=False))

        def forward(self, x):
            return self.nonlinear(self.linear(x.unsqueeze(-1)).squeeze(-1))

    class CAMPPlus(nn.Module):
        def __init__(self, feat_dim: int = FEAT_DIM, embedding_size: int = EMBEDDING_DIM):
            super().__init__()
            self.head = FCM(feat_dim=feat_dim)
            channels = self.head.out_channels
            self.xvector = nn.Sequential()
            self.xvector.add_module("tdnn", TDNNLayer(channels, 128, 5, stride=2))
            channels = 128
            for i, (layers, kernel, dil) in enumerate([(12, 3, 1), (24, 3, 2), (16, 3, 2)]):
                block = CAMDenseTDNNBlock(layers, channels, 32, 128, kernel, dil)
                self.xvector.add_module(f"block{i + 1}", block)
                channels += layers * 32
                self.xvector.add_module(f"transit{i + 1}", TransitLayer(channels, channels // 2))
                channels //= 2
            self.xvector.add_module("out_nonlinear", bn_relu(channels))
            self.xvector.add_module("stats", StatsPool())
            self.xvector.add_module("dense", DenseLayer(channels * 2, embedding_size))

        def forward(self, feats):  # (B, T, F) -> (B, D)
            return self.xvector(self.head(feats.permute(0, 2, 1)))

    return {"CAMPPlus": CAMPPlus}


def build_campplus():
    """A randomly initialised CAM++ network (eval mode)."""
    return _define()["CAMPPlus"]().eval()


def load_campplus(path: Path):
    """CAM++ with the state dict at ``path`` loaded strictly (raises on any key mismatch)."""
    import torch

    model = build_campplus()
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def fbank(waveform, sample_rate: int = 16_000, block_frames: int = 6000):
    """80-dim kaldi log-mel fbank of a 1-D float tensor in [-1, 1], shape (frames, 80).

    25 ms window, 10 ms shift, edges snipped (frame i covers samples [160 i, 160 i + 400)),
    not mean-normalised (normalise per embedding). Computed in blocks of ``block_frames``
    frames so memory stays small on long recordings; every frame is computed on its own,
    so the blocks join exactly."""
    import torch
    import torchaudio.compliance.kaldi as kaldi

    shift, win = sample_rate // 100, sample_rate * 25 // 1000
    x = waveform.reshape(-1)
    total = 0 if x.numel() < win else 1 + (x.numel() - win) // shift
    blocks = []
    for first in range(0, total, block_frames):
        count = min(block_frames, total - first)
        piece = x[first * shift : first * shift + (count - 1) * shift + win]
        blocks.append(
            kaldi.fbank(piece[None], num_mel_bins=FEAT_DIM, sample_frequency=sample_rate, dither=0.0)
        )
    return torch.cat(blocks) if blocks else torch.zeros((0, FEAT_DIM))
