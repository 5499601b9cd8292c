#!/usr/bin/env python3
"""usage: Tests/Python/full_finetune_step.py MODEL_FOLDER BATCH_JSON OUT_FOLDER

The PyTorch reference of one full fine-tuning step: transformers' LlamaForCausalLM in float32 from a
Hugging Face folder, every parameter trainable, the mean cross-entropy over the batch's target tokens,
backward, then one torch.optim.AdamW step. BATCH_JSON: {"input_ids": [[...]], "loss_mask": [[...]],
"lr": ..., "weight_decay": ...}; a position's token is a target when its mask is true (the first
never is). Writes OUT_FOLDER/grads.safetensors and OUT_FOLDER/after.safetensors (Hugging Face names,
the tied head once, as model.embed_tokens.weight) and prints {"loss": ...}.
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import LlamaForCausalLM


def main():
    folder, batch_path, out = sys.argv[1:4]
    torch.set_num_threads(2)
    batch = json.load(open(batch_path))
    model = LlamaForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, attn_implementation="eager")
    model.train()
    total, count = 0.0, 0
    for tokens, mask in zip(batch["input_ids"], batch["loss_mask"]):
        ids = torch.tensor([tokens])
        logits = model(input_ids=ids).logits[0, :-1].float()
        targets = torch.tensor([t if m else -100 for t, m in zip(tokens[1:], mask[1:])])
        total = total + torch.nn.functional.cross_entropy(logits, targets, ignore_index=-100, reduction="sum")
        count += int((targets >= 0).sum())
    loss = total / count
    loss.backward()
    grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=batch["lr"], betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=batch["weight_decay"])
    optimizer.step()
    after = {n: p.detach().clone().contiguous() for n, p in model.named_parameters()}
    os.makedirs(out, exist_ok=True)
    save_file(grads, os.path.join(out, "grads.safetensors"))
    save_file(after, os.path.join(out, "after.safetensors"))
    print(json.dumps({"loss": loss.item()}))


if __name__ == "__main__":
    main()
