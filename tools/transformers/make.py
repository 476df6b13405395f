#!/usr/bin/python3
"""Small torchvision transformers (and a ConvNeXt) exported to ONNX, with
PyTorch's numbers, for inference/cam's tests (transformers_test.go).

Run with Debian's PyTorch (apt-get install python3-torch python3-torchvision
python3-onnx), from the repository's top:

    /usr/bin/python3 tools/transformers/make.py inference/cam/testdata/transformers

Each model has random weights (seed 7, unlike ../shared/reference's seed
1), 64x64 inputs and 10 classes, so that every file stays small. Per model
NAME and opset OP it writes NAME_opOP.onnx (opset 14: LayerNorm spelled
out as ReduceMean, Sub, Pow, Sqrt, Div, Mul, Add; opset 17: one
LayerNormalization node; torch 1.13 exports no later opset), and once per
model:

    input.npy        the one input, float32 [1,3,64,64] (seed 7)
    NAME_logits.npy  PyTorch's logits [1,10]
    NAME_feat.npy    the default layer's value (see LAYERS)
    NAME_grad.npy    d logits[0, grad_k] / d that value
    NAME_feat0.npy, NAME_grad0.npy
                     the same at an early layer (see EARLY)
    vit_rollout.npy  attention rollout of the ViT (the class token's row
                     over the 8x8 patches, heads averaged), from the
                     attention weights nn.MultiheadAttention returns
    meta.json        per model: grad_k, the opsets, the feature's shape and
                     layout, the ONNX scope of the default layer's module,
                     the early layer's shape and scope
"""
import json
import os
import sys

import numpy as np
import torch
from torchvision.models.convnext import CNBlockConfig, ConvNeXt
from torchvision.models.swin_transformer import SwinTransformer
from torchvision.models.vision_transformer import VisionTransformer

SEED = 7
OPSETS = [14, 17]
GRAD_K = 3


def randomise(model):
    """Give every parameter values of a few tenths, so that no layer is
    the identity or zero (torchvision's heads start at 0, ConvNeXt's layer
    scale at 1e-6, LayerNorms at 1 and 0)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(0.5 + 0.1 * torch.randn_like(p))
            elif p.dim() == 1 and "norm" in name or "ln" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * torch.randn_like(p))
            elif float(p.abs().max()) == 0:
                p.copy_(0.05 * torch.randn_like(p))


def vit():
    return VisionTransformer(image_size=64, patch_size=8, num_layers=2, num_heads=3,
                             hidden_dim=48, mlp_dim=96, num_classes=10)


def swin():
    return SwinTransformer(patch_size=[4, 4], embed_dim=20, depths=[2, 2, 2], num_heads=[2, 2, 4],
                           window_size=[4, 4], stochastic_depth_prob=0.0, num_classes=10)


def convnext():
    return ConvNeXt([CNBlockConfig(24, 48, 1), CNBlockConfig(48, 96, 1), CNBlockConfig(96, None, 1)],
                    num_classes=10)


# The default layer of each model: the module whose output the maps are
# computed on, its ONNX scope (torch's node names start with it), and the
# layout of that output.
LAYERS = {
    "vit": (lambda m: m.encoder.layers[-1].ln_1, "/encoder/layers/encoder_layer_1/ln_1/", "tokens [1,1+8*8,48]"),
    "swin": (lambda m: m.norm, "/norm/", "channels last [1,4,4,80]"),
    "convnext": (lambda m: m.features[-1], "/features/features.5/", "NCHW [1,96,4,4], the last stage's output"),
}

# An early layer of each, so that the gradient is checked through every
# block: the first block's first LayerNorm (ViT), the patch embedding's
# norm (Swin, channels last [1,16,16,20]), the first stage's output
# (ConvNeXt, [1,24,16,16]).
EARLY = {
    "vit": (lambda m: m.encoder.layers[0].ln_1, "/encoder/layers/encoder_layer_0/ln_1/"),
    "swin": (lambda m: m.features[0], "/features/features.0/"),
    "convnext": (lambda m: m.features[1], "/features/features.1/"),
}


def rollout(model, x):
    """Attention rollout of the class token over the patches, heads
    averaged, from the weights each block's attention returns."""
    tokens = model._process_input(x)
    n = tokens.shape[0]
    tokens = torch.cat([model.class_token.expand(n, -1, -1), tokens], dim=1)
    h = tokens + model.encoder.pos_embedding
    result = torch.eye(h.shape[1], dtype=torch.float64)
    for block in model.encoder.layers:
        y = block.ln_1(h)
        _, w = block.self_attention(y, y, y, need_weights=True, average_attn_weights=False)
        a = w[0].mean(0).double() + torch.eye(h.shape[1], dtype=torch.float64)
        a = a / a.sum(-1, keepdim=True)
        result = a @ result
        h = block(h)
    return result[0, 1:].float().numpy()


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    x = torch.randn(1, 3, 64, 64)
    np.save(os.path.join(out, "input.npy"), x.numpy())
    meta = {}
    for name, make in [("vit", vit), ("swin", swin), ("convnext", convnext)]:
        torch.manual_seed(SEED)
        model = make().eval()
        randomise(model)
        layer, scope, layout = LAYERS[name]
        early, early_scope = EARLY[name]
        saved = {}
        hooks = [layer(model).register_forward_hook(lambda mod, inp, outp: saved.update(feat=outp)),
                 early(model).register_forward_hook(lambda mod, inp, outp: saved.update(feat0=outp))]
        logits = model(x)
        for h in hooks:
            h.remove()
        feat, feat0 = saved["feat"], saved["feat0"]
        grad, grad0 = torch.autograd.grad(logits[0, GRAD_K], [feat, feat0])
        np.save(os.path.join(out, name + "_logits.npy"), logits.detach().numpy())
        for suffix, t in [("feat", feat), ("grad", grad), ("feat0", feat0), ("grad0", grad0)]:
            np.save(os.path.join(out, "%s_%s.npy" % (name, suffix)), t.detach().numpy())
        if name == "vit":
            with torch.no_grad():
                np.save(os.path.join(out, "vit_rollout.npy"), rollout(model, x))
        for op in OPSETS:
            torch.onnx.export(model, x, os.path.join(out, "%s_op%d.onnx" % (name, op)), opset_version=op,
                              input_names=["input"], output_names=["logits"], do_constant_folding=True)
        meta[name] = {"grad_k": GRAD_K, "opsets": OPSETS, "feat_shape": list(feat.shape), "layout": layout,
                      "scope": scope, "early_shape": list(feat0.shape), "early_scope": early_scope,
                      "logits_absmax": float(logits.abs().max())}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "inference/cam/testdata/transformers")
