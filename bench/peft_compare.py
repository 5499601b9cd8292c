#!/usr/bin/env python3
"""usage: bench/peft_compare.py [--model PATH] [--binary PATH] [--tokens 1,2,3] [--rank 8] [--alpha 16]
                               [--rslora] [--seed 0] [--top 50] [--tolerance 0.01] [--keep DIR]

Checks `lorekeeper logits --adapter` against Hugging Face PEFT itself. The GGUF model's weights are
dequantised with gguf-py (via reference_llama.py) into a float64 transformers LlamaForCausalLM; PEFT
adds a LoRA adapter on q/k/v/o with random non-zero lora_B (fixed seed) and saves it with
save_pretrained. Then, on the last position's logits (the --top K largest of lorekeeper's):

  1. lorekeeper on the PEFT folder            vs  PEFT's forward pass
  2. lorekeeper on its own GGUF export         vs  PEFT's forward pass
  3. PEFT loading lorekeeper's PEFT re-export  vs  PEFT's forward pass (our adapter_config.json and
     tensors are what PeftModel.from_pretrained expects)

and prints the largest absolute difference of each (and of the base model, for scale). Exits 1 if any
exceeds --tolerance or the top token differs. Needs torch, transformers, peft, numpy and gguf
(pip install torch transformers peft); not part of scripts/install-deps.sh.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

from reference_llama import Llama

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def huggingface_model(path):
    """The GGUF model as a float64 transformers model; q/k rows back in Hugging Face order."""
    g = Llama(path)
    head_dim = g.head_dim
    vocab, _ = g.weight("token_embd.weight").shape
    config = LlamaConfig(
        vocab_size=vocab, hidden_size=g.n_embd, intermediate_size=g.weight("blk.0.ffn_up.weight").shape[0],
        num_hidden_layers=g.n_layer, num_attention_heads=g.n_head, num_key_value_heads=g.n_head_kv,
        head_dim=head_dim, rms_norm_eps=float(g.eps), rope_theta=float(g.rope_base),
        max_position_embeddings=g.meta("llama.context_length"), tie_word_embeddings=g.output_name == "token_embd.weight")

    def unpermute(w, heads):
        # GGUF row h*hd + 2i + j holds Hugging Face row h*hd + (hd/2)*j + i.
        rows, cols = w.shape
        return w.reshape(heads, head_dim // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)

    state = {"model.embed_tokens.weight": g.weight("token_embd.weight"), "model.norm.weight": g.weight("output_norm.weight"),
             "lm_head.weight": g.weight(g.output_name)}
    for l in range(g.n_layer):
        hf, b = f"model.layers.{l}.", f"blk.{l}."
        state[hf + "input_layernorm.weight"] = g.weight(b + "attn_norm.weight")
        state[hf + "post_attention_layernorm.weight"] = g.weight(b + "ffn_norm.weight")
        state[hf + "self_attn.q_proj.weight"] = unpermute(g.weight(b + "attn_q.weight"), g.n_head)
        state[hf + "self_attn.k_proj.weight"] = unpermute(g.weight(b + "attn_k.weight"), g.n_head_kv)
        for hf_name, gguf_name in [("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_output"),
                                   ("mlp.gate_proj", "ffn_gate"), ("mlp.up_proj", "ffn_up"), ("mlp.down_proj", "ffn_down")]:
            state[hf + hf_name + ".weight"] = g.weight(b + gguf_name + ".weight")
    model = LlamaForCausalLM(config).to(torch.float64).eval()
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)) for k, v in state.items()}, strict=True)
    return model


def last_logits(model, tokens):
    with torch.no_grad():
        return model(torch.tensor([tokens])).logits[0, -1].double().numpy()


def lorekeeper_logits(args, tokens, adapter=None):
    cmd = [args.binary, "logits", "--model", args.model, "--tokens", ",".join(map(str, tokens)), "--top", str(args.top)]
    if adapter:
        cmd += ["--adapter", adapter]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out["ids"], np.array(out["logits"], dtype=np.float64)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=os.path.join(ROOT, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/lorekeeper"))
    # "The capital of France is Paris. The capital of Germany is" in the default model's tokenizer.
    p.add_argument("--tokens", default="504,3575,282,4649,314,7042,30,378,3575,282,4521,314")
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=float, default=16)
    p.add_argument("--rslora", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--top", type=int, default=50)
    p.add_argument("--tolerance", type=float, default=1e-2)
    p.add_argument("--keep", help="write the adapters into this folder instead of a temporary one")
    args = p.parse_args()
    tokens = [int(t) for t in args.tokens.split(",")]

    model = huggingface_model(args.model)
    base_logits = last_logits(model, tokens)
    # The adapter is made and saved in float32, as trainers save them; the reference runs it in float64.
    config = LoraConfig(r=args.rank, lora_alpha=args.alpha, use_rslora=args.rslora, lora_dropout=0.0,
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj"], task_type="CAUSAL_LM")
    peft_model = get_peft_model(model.float(), config)
    torch.manual_seed(args.seed)
    for name, param in peft_model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.02)
    work = args.keep or tempfile.mkdtemp(prefix="peft-compare-")
    folder, gguf_file, back = os.path.join(work, "peft"), os.path.join(work, "lora.gguf"), os.path.join(work, "peft-back")
    peft_model.save_pretrained(folder)
    want = last_logits(peft_model.double().eval(), tokens)
    for src, fmt, dst in [(folder, "gguf", gguf_file), (gguf_file, "peft", back)]:
        subprocess.run([args.binary, "adapter", "export", "--model", args.model, "--in", src, "--format", fmt, "--out", dst],
                       check=True, stdout=subprocess.DEVNULL)

    # PEFT loading our re-export, on a fresh copy of the base model.
    reloaded = PeftModel.from_pretrained(huggingface_model(args.model).float(), back).double().eval()
    reloaded_logits = last_logits(reloaded, tokens)

    failed = False
    base_ids, base_got = lorekeeper_logits(args, tokens)
    print(f"base model:            max |lorekeeper - transformers| = {np.abs(base_got - base_logits[base_ids]).max():.2e}")
    print(f"adapter effect:        max |PEFT - base| = {np.abs(want - base_logits).max():.3f}")
    for label, adapter in [("PEFT folder", folder), ("GGUF export", gguf_file)]:
        ids, got = lorekeeper_logits(args, tokens, adapter)
        diff = np.abs(got - want[ids]).max()
        same_top = ids[0] == int(np.argmax(want))
        failed |= diff > args.tolerance or not same_top
        print(f"{label + ':':22} max |lorekeeper - PEFT| = {diff:.2e} over the top {len(ids)}, top token {'agrees' if same_top else 'DIFFERS'}")
    diff = np.abs(reloaded_logits - want).max()
    failed |= diff > 1e-9
    print(f"PEFT re-export:        max |PEFT(our folder) - PEFT| = {diff:.2e} over the whole vocabulary")
    if not args.keep:
        subprocess.run(["rm", "-rf", work])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
