"""Programs on karpathy/llama2.c's model (tests/s22_llm_progs.py builds its classes): the
RoPE / GQA parts, the flash and the manual attention paths, train.py's loop, generation,
the LoRA finetune and the checkpoint round trip, at toy sizes on random token ids."""

import io
import math
import struct
from contextlib import nullcontext
from functools import partial

import numpy as np
from s16_yunjey_progs import Out
from s22_llm_progs import LoraArgs, ModelArgs, _batches, _llama


def llama_parts(L):
    torch = L
    with Out() as o:
        m = _llama(L)
        torch.manual_seed(0)
        freqs_cos, freqs_sin = m["precompute_freqs_cis"](8, 16)
        o.print(freqs_cos.shape, freqs_sin.dtype, freqs_cos[3, :2])
        norm = m["RMSNorm"](8, eps=1e-5)
        x = torch.randn(2, 16, 4, 8)
        o.print(norm, norm(x).shape, norm(x.double()).dtype)
        xq, xk = m["apply_rotary_emb"](x, x[:, :, :2], freqs_cos, freqs_sin)
        o.print(xq.shape, xk.shape, xq.dtype, xq.is_contiguous())
        r = m["repeat_kv"](xk, 2)
        o.print(r.shape, torch.equal(r, torch.repeat_interleave(xk, dim=2, repeats=2)))
        o.tryit(lambda: freqs_cos.view([1, 16, 1, 3]))
        o.tryit(lambda: x.reshape(x.shape[:-1] + (-1, 3)))
        args = ModelArgs(n_kv_heads=2)
        att = m["Attention"](args)
        o.print(att.n_rep, att.head_dim, att.flash)
        fc, fs = m["precompute_freqs_cis"](args.dim // args.n_heads, args.max_seq_len)
        h = torch.randn(2, 16, 32)
        y_flash = att(h, fc, fs)
        m2 = _llama(L, flash=False)
        att2 = m2["Attention"](args)
        att2.load_state_dict(att.state_dict(), strict=False)
        o.print(sorted(att2.state_dict().keys()), att2.mask.shape, att2.mask[0, 0, :3, :3])
        y_man = att2(h, fc, fs)
        o.print(torch.allclose(y_flash, y_man, atol=1e-6), y_man.shape)
        ff = m["FeedForward"](args)
        o.print(ff, args.hidden_dim, ff(h).shape)
        o.vals += [freqs_cos, freqs_sin, norm(x), xq, xk, y_flash, y_man, ff(h)]
    return o.done()


def _model(L, m, seed=1337, **kw):
    L.manual_seed(seed)
    return m["Transformer"](ModelArgs(**kw))


def llama_model(L):
    torch = L
    with Out() as o:
        m = _llama(L)
        model = _model(L, m, n_kv_heads=2)
        o.print(model)
        o.print(model.tok_embeddings.weight is model.output.weight,
                sum(p.numel() for p in model.parameters()))
        o.print([k for k in model.state_dict()][:6], len(model.state_dict()))
        o.print([n for n, _ in model.named_buffers()])
        X, Y = next(_batches(L, 4, 16, 50, 0))
        logits = model(X, Y)
        o.print(logits.shape, f"{model.last_loss.item():.4f}")
        Y2 = Y.clone()
        Y2[:, :4] = -1
        model(X, Y2)
        o.print(f"{model.last_loss.item():.4f}")
        last = model(X)
        o.print(last.shape, model.last_loss)
        o.print(torch.allclose(last[:, 0], logits[:, -1], atol=1e-5))
        model.eval()
        with torch.no_grad():
            m2 = _llama(L, flash=False)
            man = m2["Transformer"](ModelArgs(n_kv_heads=2))
            man.load_state_dict(model.state_dict(), strict=False)
            o.print(torch.allclose(man(X, Y), logits, atol=1e-5))
        o.print(f"{model.estimate_mfu(4 * 2, 0.5):.6e}")
        o.vals += [logits, last]
    return o.done()


def llama_train(L):
    torch = L
    with Out() as o:
        m = _llama(L)
        learning_rate, warmup_iters, lr_decay_iters, min_lr = 5e-3, 2, 8, 0.0
        batch_size, max_seq_len, gradient_accumulation_steps, grad_clip = 4, 16, 2, 1.0
        tokens_per_iter = gradient_accumulation_steps * 1 * batch_size * max_seq_len
        o.print(f"tokens per iteration will be: {tokens_per_iter:,}")
        torch.manual_seed(1337)
        torch.backends.cuda.matmul.allow_tf32 = True  # allow tf32 on matmul
        torch.backends.cudnn.allow_tf32 = True  # allow tf32 on cudnn
        o.print(torch.get_float32_matmul_precision(), torch.backends.cuda.matmul.fp32_precision)
        torch.backends.cuda.matmul.allow_tf32 = False  # (the process-wide default back)
        torch.backends.cuda.matmul.fp32_precision = "none"
        device_type = "cpu"
        ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16,
                   "float16": torch.float16}["float32"]
        ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(
            device_type=device_type, dtype=ptdtype)
        iter_batches = partial(_batches, L, batch_size=batch_size, max_seq_len=max_seq_len,
                               vocab_size=50)
        model = m["Transformer"](ModelArgs(dropout=0.1))
        scaler = torch.amp.GradScaler("cpu", enabled=False)
        optimizer = model.configure_optimizers(1e-1, learning_rate, (0.9, 0.95), device_type, o)
        o.print(len(optimizer.param_groups), [g["weight_decay"] for g in optimizer.param_groups])

        def get_lr(it):
            if it < warmup_iters:
                return learning_rate * it / warmup_iters
            if it > lr_decay_iters:
                return min_lr
            decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
            assert 0 <= decay_ratio <= 1
            coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
            return min_lr + coeff * (learning_rate - min_lr)

        eval_iters = 2

        @torch.no_grad()
        def estimate_loss():
            out = {}
            model.eval()
            for split, seed in [("train", 5), ("val", 6)]:
                batch_iter = iter_batches(seed=seed)
                losses = torch.zeros(eval_iters)
                for k in range(eval_iters):
                    X, Y = next(batch_iter)
                    with ctx:
                        model(X, Y)
                        loss = model.last_loss
                    losses[k] = loss.item()
                out[split] = losses.mean()
            model.train()
            return out

        train_batch_iter = iter_batches(seed=1)
        X, Y = next(train_batch_iter)
        iter_num, best_val_loss = 0, 1e9
        while True:
            lr = get_lr(iter_num)
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            if iter_num % 4 == 0:
                losses = estimate_loss()
                o.print(f"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}")
                if losses["val"] < best_val_loss:
                    best_val_loss = losses["val"]
            for micro_step in range(gradient_accumulation_steps):
                with ctx:
                    model(X, Y)
                    loss = model.last_loss
                    loss = loss / gradient_accumulation_steps
                X, Y = next(train_batch_iter)
                scaler.scale(loss).backward()
            if grad_clip != 0.0:
                scaler.unscale_(optimizer)
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            lossf = loss.item() * gradient_accumulation_steps
            o.print(f"{iter_num} | loss {lossf:.4f} | lr {lr:e} | norm {norm.item():.4f}")
            iter_num += 1
            if iter_num > 9:
                break
        o.print(type(best_val_loss).__name__, best_val_loss.dtype, scaler.is_enabled(),
                scaler.get_scale())
        o.vals += [p for p in model.parameters()][:4]
    return o.done()


def llama_generate(L):
    torch = L
    with Out() as o:
        m = _llama(L)
        model = _model(L, m, n_kv_heads=1)
        model.eval()
        start_ids = [1, 7, 9]
        x = torch.tensor(start_ids, dtype=torch.long, device="cpu")[None, ...]
        torch.manual_seed(42)
        with torch.no_grad():
            for k in range(2):
                y = model.generate(x, 20, temperature=0.8, top_k=5)
                o.print(y[0].tolist())
            g = model.generate(x, 6, temperature=0.0)
            o.print(g.tolist(), g.dtype, g.requires_grad, g.is_inference())
        y = model.generate(x, 4, temperature=1.0, top_k=300)
        o.print(y.shape, y.is_inference())
        o.tryit(lambda: y.add_(1))
        o.vals += [g, y]
    return o.done()


def llama_lora_and_checkpoint(L):
    torch = L
    with Out() as o:
        m = _llama(L)
        model = _model(L, m)
        # a compiled model's checkpoint: keys carry the "_orig_mod." prefix
        buf = io.BytesIO()
        torch.save({"model": {"_orig_mod." + k: v for k, v in model.state_dict().items()},
                    "model_args": dict(dim=32, n_layers=2), "iter_num": 10,
                    "best_val_loss": torch.tensor(3.5)}, buf)
        buf.seek(0)
        checkpoint = torch.load(buf, map_location="cpu")
        state_dict = checkpoint["model"]
        unwanted_prefix = "_orig_mod."
        for k, v in list(state_dict.items()):
            if k.startswith(unwanted_prefix):
                state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
        lora_modules = {f'layers.{l_id}.attention.{w}': LoraArgs(2, 1)
                        for w in ['wq', 'wo'] for l_id in range(2)}
        ft = m["LoraTransformer"](ModelArgs(lora_modules=lora_modules))
        o.print(ft.load_state_dict(state_dict))
        o.print(checkpoint["iter_num"], checkpoint["best_val_loss"])
        ft.freeze()
        torch.manual_seed(3)
        ft.add_lora(lora_modules)
        o.print(ft.layers[0].attention)
        trainable = [n for n, p in ft.named_parameters() if p.requires_grad]
        o.print(trainable)
        o.print(ft.get_submodule("layers.1.attention.wo").weight)
        opt = torch.optim.AdamW([p for p in ft.parameters() if p.requires_grad], lr=1e-2)
        batches = _batches(L, 2, 16, 50, 3)
        for step in range(3):
            X, Y = next(batches)
            ft(X, Y)
            ft.last_loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            o.print(f"{step} | loss {ft.last_loss.item():.4f}")
        o.print(len(ft.state_dict()), sorted(ft.state_dict())[:5])
        o.tryit(lambda: ft.get_submodule("layers.5.attention"))
        o.tryit(lambda: model.load_state_dict(ft.state_dict()))
        out_file = io.BytesIO()
        for p in [model.tok_embeddings.weight, model.layers[0].attention_norm.weight]:
            d = p.detach().cpu().view(-1).to(torch.float32).numpy()
            b = struct.pack(f'{len(d)}f', *d)
            out_file.write(b)
        o.print(len(out_file.getvalue()))
        o.vals += [np.frombuffer(out_file.getvalue(), dtype=np.float32),
                   ft.layers[0].attention.wq.lora_A.weight, ft.output.weight]
    return o.done()
