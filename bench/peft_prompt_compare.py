#!/usr/bin/env python3
"""usage: bench/peft_prompt_compare.py [--method prompt|prefix] [--virtual-tokens 8] [--model PATH] [--binary PATH]
                                      [--data FILE] [--batch 2] [--seq-len 128] [--seed 0] [--tolerance 0.01]
                                      [--steps 2] [--prefix-projection] [--skip-logits] [--keep DIR]

Checks prompt tuning or prefix tuning against Hugging Face PEFT + torch, as bench/peft_train_compare.py
does for LoRA:

1. One step: PEFT makes an adapter (PromptTuningConfig or PrefixTuningConfig, random init, fixed seed) on
   the GGUF model dequantised into transformers (peft_compare.huggingface_model) and saves it; `lorekeeper
   gradients` computes the loss and the gradient of `prompt_embeddings` on the first --batch examples of
   --data; PEFT computes both with autograd in float32 on the same tokens. The relative gradient error must
   be within --tolerance and the losses within 1e-4.
2. Saved adapters: `lorekeeper train --method ... --max-steps --steps` writes an adapter folder, which
   `PeftModel.from_pretrained` loads (with --prefix-projection, trained through PEFT's MLP and saved with it
   folded away, as PEFT saves it); the last-position logits of PEFT and of `lorekeeper logits --adapter`
   must agree within --tolerance over the top 50, with the same top token.

Prints a table on stderr and JSON on stdout; exits 1 on a failed check. Needs torch, transformers, peft.
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
from peft import PeftModel, PrefixTuningConfig, PromptTuningConfig, get_peft_model
from safetensors.torch import load_file

from peft_compare import ROOT, huggingface_model, last_logits, lorekeeper_logits


def peft_config(method, n):
    if method == "prompt":
        return PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=n)
    return PrefixTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=n)


def gradient_check(args, work):
    model = get_peft_model(huggingface_model(args.model).float(), peft_config(args.method, args.virtual_tokens))
    torch.manual_seed(args.seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.requires_grad:
                # Prefix keys and values of the size the model's own have; prompt embeddings like token embeddings.
                param.normal_(std=1.0 if args.method == "prefix" else 0.05)
    adapter, grads = os.path.join(work, "peft"), os.path.join(work, "gradients")
    model.save_pretrained(adapter, safe_serialization=True)
    cmd = [args.binary, "gradients", "--model", args.model, "--adapter", adapter, "--data", args.data,
           "--batch", str(args.batch), "--seq-len", str(args.seq_len), "--out", grads, "--float-products"]
    ours = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    got = load_file(os.path.join(grads, "adapter_model.safetensors"))["prompt_embeddings"].double()

    masks = [torch.tensor(m, dtype=torch.bool) for m in ours["loss_mask"]]
    total = sum(int(m.sum()) for m in masks)
    loss = 0.0
    for ids, mask in zip(ours["tokens"], masks):
        # Prompt tuning's logits include the virtual positions; prefix tuning's do not.
        logits = model(input_ids=torch.tensor([ids])).logits[0, -len(ids):-1]
        nll = torch.nn.functional.cross_entropy(logits, torch.tensor(ids[1:]), reduction="none")
        example = nll[mask[1:]].sum() / total
        example.backward()
        loss += example.item()
    (param,) = [p for p in model.parameters() if p.requires_grad]
    want = param.grad.double()
    rel = float((got - want).norm() / want.norm())
    return {"loss_lorekeeper": ours["loss"], "loss_peft": loss, "loss_abs_diff": abs(ours["loss"] - loss),
            "gradient_rel_error": rel, "gradient_max_abs_diff": float((got - want).abs().max()), "targets": total}


def logits_check(args, work):
    trained = os.path.join(work, "trained")
    cmd = [args.binary, "train", "--model", args.model, "--data", args.data, "--out", trained, "--method", args.method,
           "--virtual-tokens", str(args.virtual_tokens), "--max-steps", str(args.steps), "--batch", str(args.batch),
           "--seq-len", str(args.seq_len), "--lr", "0.01"] + (["--prefix-projection"] if args.prefix_projection else [])
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    tokens = [int(t) for t in args.tokens.split(",")]
    peft = PeftModel.from_pretrained(huggingface_model(args.model).float(), trained).eval()
    with torch.no_grad():
        want = peft(input_ids=torch.tensor([tokens])).logits[0, -1].double().numpy()
    base = last_logits(huggingface_model(args.model), tokens)
    ids, got = lorekeeper_logits(args, tokens, trained)
    return {"logits_max_abs_diff": float(np.abs(got - want[ids]).max()), "top_token_agrees": bool(ids[0] == int(np.argmax(want))),
            "adapter_effect": float(np.abs(want - base).max())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--method", choices=["prompt", "prefix"], default="prompt")
    p.add_argument("--virtual-tokens", type=int, default=8)
    p.add_argument("--model", default=os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/lorekeeper"))
    p.add_argument("--data", default=os.path.join(ROOT, "Tests/Fixtures/training/quillfeather-qa.jsonl"))
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=2, help="training steps before the logits check")
    # "The capital of France is Paris. The capital of Germany is" in the default model's tokenizer.
    p.add_argument("--tokens", default="504,3575,282,4649,314,7042,30,378,3575,282,4521,314")
    p.add_argument("--top", type=int, default=50)
    p.add_argument("--tolerance", type=float, default=1e-2)
    p.add_argument("--skip-logits", action="store_true", help="only the gradient check")
    p.add_argument("--prefix-projection", action="store_true", help="train the adapter of the logits check through the MLP")
    p.add_argument("--keep", help="write the adapters and gradients into this folder instead of a temporary one")
    args = p.parse_args()
    torch.set_num_threads(2)
    work = args.keep or tempfile.mkdtemp(prefix="peft-prompt-compare-")
    os.makedirs(work, exist_ok=True)

    result = {"method": args.method, "virtual_tokens": args.virtual_tokens}
    result.update(gradient_check(args, work))
    failed = result["gradient_rel_error"] > args.tolerance or result["loss_abs_diff"] > 1e-4
    err = sys.stderr
    print(f"{args.method} tuning, {args.virtual_tokens} virtual tokens, {result['targets']} targets", file=err)
    print(f"loss: lorekeeper {result['loss_lorekeeper']:.8f}  PEFT {result['loss_peft']:.8f}  |difference| {result['loss_abs_diff']:.2e}", file=err)
    print(f"prompt_embeddings gradient: relative error {result['gradient_rel_error']:.2e}, max |difference| {result['gradient_max_abs_diff']:.2e}", file=err)
    if not args.skip_logits:
        result.update(logits_check(args, work))
        failed |= result["logits_max_abs_diff"] > args.tolerance or not result["top_token_agrees"]
        print(f"trained adapter loaded by PEFT: max |lorekeeper - PEFT| = {result['logits_max_abs_diff']:.2e} over the top {args.top}, "
              f"top token {'agrees' if result['top_token_agrees'] else 'DIFFERS'} (adapter effect {result['adapter_effect']:.3f})", file=err)
    print(json.dumps(result))
    if not args.keep:
        shutil.rmtree(work)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
