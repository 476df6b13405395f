"""Makes full-size transformer exports for timing only (never committed, never
read by the tests): a ViT-S/16 (width 384, 12 blocks, 6 heads) and
torchvision's Swin-T, random weights (seed 1), opset 17, batch 1.

    /usr/bin/python3 tools/transformers/bench_models.py OUTDIR
    tools/ortbench/compare.sh OUTDIR/vit_s16.onnx OUTDIR/swin_t.onnx

Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import os
import sys

import torch
from torchvision.models import swin_t
from torchvision.models.vision_transformer import VisionTransformer


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1)
    models = {
        "vit_s16": VisionTransformer(image_size=224, patch_size=16, num_layers=12, num_heads=6,
                                     hidden_dim=384, mlp_dim=1536),
        "swin_t": swin_t(),
    }
    x = torch.randn(1, 3, 224, 224)
    for name, m in models.items():
        m.eval()
        path = os.path.join(out, name + ".onnx")
        torch.onnx.export(m, x, path, opset_version=17, input_names=["input"], output_names=["logits"])
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/transformers-bench")
