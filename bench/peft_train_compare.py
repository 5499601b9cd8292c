#!/usr/bin/env python3
"""usage: bench/peft_train_compare.py [--model PATH] [--binary PATH] [--data FILE] [--batch 4] [--seq-len 256]
                                     [--rank 8] [--alpha 16] [--rslora] [--targets q_proj,k_proj,...]
                                     [--dtype float32|float64] [--seed 0] [--top 10] [--tolerance 0.01]
                                     [--keep DIR] [--float-products]

Checks one training step of `lorekeeper gradients` against Hugging Face PEFT + torch autograd. The GGUF
model's weights are dequantised into a transformers LlamaForCausalLM (peft_compare.huggingface_model);
PEFT adds a LoRA on --targets (default all seven projections) with random non-zero lora_A and lora_B
(fixed seed), saved in float32 with save_pretrained. lorekeeper computes the loss and every LoRA
gradient on the first --batch examples of --data (default the Q&A fixture: loss on the answers only)
and prints the token ids and loss mask it used; the reference runs the PEFT model in --dtype on those
same tokens, takes the mean cross-entropy over all target tokens of the batch and back-propagates.

Prints the loss of each, the relative error ||g_lorekeeper - g_peft|| / ||g_peft|| of the worst --top
tensors and the max / median over all of them, and the largest absolute gradient difference (human
table on stderr, JSON on stdout). Exits 1 if the max relative error exceeds --tolerance. Needs torch,
transformers, peft, numpy, gguf and safetensors (pip install torch transformers peft); not part of
scripts/install-deps.sh.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file

from peft_compare import ROOT, huggingface_model

ALL_TARGETS = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/lorekeeper"))
    p.add_argument("--data", default=os.path.join(ROOT, "Tests/Fixtures/training/quillfeather-qa.jsonl"))
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--seq-len", type=int, default=256)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=float, default=16)
    p.add_argument("--rslora", action="store_true")
    p.add_argument("--targets", default=ALL_TARGETS, help="comma-separated module names")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="of the PEFT reference")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=10, help="worst tensors to list")
    p.add_argument("--tolerance", type=float, default=1e-2, help="on the max relative gradient error")
    p.add_argument("--keep", help="write the adapter and gradients into this folder instead of a temporary one")
    p.add_argument("--float-products", action="store_true", help="lorekeeper multiplies the frozen weights in float32 only")
    args = p.parse_args()
    torch.set_num_threads(2)
    dtype = torch.float64 if args.dtype == "float64" else torch.float32

    # The adapter is made and saved in float32, as trainers save them; float64 holds those values exactly.
    config = LoraConfig(r=args.rank, lora_alpha=args.alpha, use_rslora=args.rslora, lora_dropout=0.0,
                        target_modules=args.targets.split(","), task_type="CAUSAL_LM")
    model = get_peft_model(huggingface_model(args.model).float(), config)
    torch.manual_seed(args.seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_A" in name:
                param.normal_(std=param.shape[1] ** -0.5)
            elif "lora_B" in name:
                param.normal_(std=0.02)
    work = args.keep or tempfile.mkdtemp(prefix="peft-train-compare-")
    adapter, grads = os.path.join(work, "peft"), os.path.join(work, "gradients")
    model.save_pretrained(adapter, safe_serialization=True)

    cmd = [args.binary, "gradients", "--model", args.model, "--adapter", adapter, "--data", args.data,
           "--batch", str(args.batch), "--seq-len", str(args.seq_len), "--out", grads] + (["--float-products"] if args.float_products else [])
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    ours_grads = load_file(os.path.join(grads, "adapter_model.safetensors"))

    # Mean over every target token of the batch; one example at a time (no padding), gradients accumulate.
    model = model.to(dtype).eval()
    masks = [torch.tensor(m, dtype=torch.bool) for m in ours["loss_mask"]]
    total = sum(int(m.sum()) for m in masks)
    loss = 0.0
    for ids, mask in zip(ours["tokens"], masks):
        if mask[0]:
            raise SystemExit("loss_mask[0] is 1: the first token has nothing to be predicted from")
        logits = model(torch.tensor([ids])).logits[0, :-1]
        nll = torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]), reduction="none")
        example = nll[mask[1:]].sum() / total
        example.backward()
        loss += example.item()

    rows = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        key = name.replace(".default", "")
        if key not in ours_grads:
            raise SystemExit(f"{key} missing from lorekeeper's gradients")
        want = param.grad.double()
        got = ours_grads.pop(key).double()
        if got.shape != want.shape:
            raise SystemExit(f"{key}: lorekeeper's gradient is {tuple(got.shape)}, PEFT's {tuple(want.shape)}")
        rows.append((float((got - want).norm() / want.norm()), float((got - want).abs().max()), float(want.norm()), key))
    if ours_grads:
        raise SystemExit(f"lorekeeper wrote gradients PEFT has no parameter for: {sorted(ours_grads)[:5]}")

    rel = np.array([r[0] for r in rows])
    max_abs = max(r[1] for r in rows)
    failed = not rel.max() <= args.tolerance
    err = sys.stderr
    print(f"{len(ours['tokens'])} examples, {sum(map(len, ours['tokens']))} tokens, {total} targets; "
          f"{len(rows)} LoRA tensors; reference in {args.dtype}; lorekeeper's frozen products in "
          f"{'16-bit integers' if ours.get('integer_products') else 'float32'}", file=err)
    print(f"loss: lorekeeper {ours['loss']:.8f}  PEFT {loss:.8f}  |difference| {abs(ours['loss'] - loss):.2e}", file=err)
    print(f"\n{'relative error':>14}  {'max |diff|':>10}  {'||g_peft||':>10}  tensor", file=err)
    for r, a, n, key in sorted(rows, reverse=True)[:args.top]:
        print(f"{r:14.2e}  {a:10.2e}  {n:10.2e}  {key}", file=err)
    print(f"\nrelative gradient error: max {rel.max():.2e}, median {np.median(rel):.2e}; "
          f"max |gradient difference| {max_abs:.2e}", file=err)
    print(f"max relative difference: {rel.max():.2e} ({'over' if failed else 'within'} tolerance {args.tolerance:g})", file=err)
    print(json.dumps({"loss_lorekeeper": ours["loss"], "loss_peft": loss, "loss_abs_diff": abs(ours["loss"] - loss),
                      "targets": total, "tensors": len(rows), "dtype": args.dtype,
                      "integer_products": bool(ours.get("integer_products")),
                      "max_rel_error": float(rel.max()), "median_rel_error": float(np.median(rel)),
                      "max_abs_diff": max_abs, "worst": sorted(rows, reverse=True)[0][3]}))
    if not args.keep:
        shutil.rmtree(work)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
