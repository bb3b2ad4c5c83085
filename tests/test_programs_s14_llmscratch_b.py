"""Session 14: Raschka's "Build a Large Language Model (From Scratch)" chapters 5-7 and
appendices A, D and E at toy sizes, run on ember and compared live with torch 2.13:
the loss and perplexity, sampling (temperature, top-k, multinomial on PyTorch's stream),
AdamW training and checkpoints, weights assigned from NumPy, classification finetuning,
instruction padding with ignore_index, autograd basics, warmup + cosine schedules with
clipping, and LoRA.

Sampled ids, counts, shapes, dtypes, printed text and errors are compared exactly. Losses
and trained weights pass through cross-entropy and softmax (Sleef's exp), matrix products
and the LayerNorm's sums along a dim, so they are compared to float32 rounding: known gaps
(README, Differences)."""

import os
import tempfile

import numpy as np
from llmscratch_util import (CFG, calc_loss_batch, calc_loss_loader, errors, generate, gpt,
                             loaders, printed)
from torch_compare import run_both

_F32 = dict(rtol=2e-5, atol=2e-6)  # float32 rounding over a few training steps (see above)


# ---- chapter 5 ---------------------------------------------------------------------------

def test_loss_perplexity_and_loader_losses():
    def run(L):
        model = gpt(L)
        model.eval()
        inputs = L.tensor([[16, 33, 11], [40, 11, 49]])
        targets = L.tensor([[33, 11, 2], [11, 49, 3]])
        with L.no_grad():
            logits = model(inputs)
        probas = L.softmax(logits, dim=-1)
        p1 = probas[0, [0, 1, 2], targets[0]]
        p2 = probas[1, [0, 1, 2], targets[1]]
        logp = L.log(L.cat((p1, p2)))
        loss = L.nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())
        train, val = loaders(L)
        shapes = [(tuple(x.shape), tuple(y.shape)) for x, y in train]
        with L.no_grad():
            losses = [calc_loss_loader(L, train, model), calc_loss_loader(L, val, model)]
        return ([L.argmax(probas, dim=-1, keepdim=True).tolist(), shapes, len(train), len(val),
                 str(loss.dtype), str(logits.flatten(0, 1).shape)],
                [float(L.mean(logp) * -1), loss.item(), L.exp(loss).item()] + losses)
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-6)


def test_sampling_temperature_top_k_and_multinomial_draws():
    def run(L):
        inverse_vocab = dict(enumerate(["closer", "every", "effort", "forward", "inches",
                                        "moves", "pizza", "toward", "you"]))
        logits = L.tensor([4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79])
        probas = L.softmax(logits, dim=0)
        print(inverse_vocab[L.argmax(probas).item()])
        for temperature in (1, 0.1, 5):
            p = L.softmax(logits / temperature, dim=0)
            L.manual_seed(123)
            sample = [L.multinomial(p, num_samples=1).item() for _ in range(1_000)]
            for i, freq in enumerate(L.bincount(L.tensor(sample), minlength=len(p))):
                print(f"{freq} x {inverse_vocab[i]}")
        top_logits, top_pos = L.topk(logits, 3)
        new = L.where(condition=logits < top_logits[-1], input=L.tensor(float("-inf")),
                      other=logits)
        filled = L.full_like(logits, -L.inf)
        filled[top_pos] = logits[top_pos]
        print("Top logits:", top_logits, "Top positions:", top_pos, new, filled)
        print(L.softmax(new, dim=0), L.multinomial(probas, 5, replacement=True))
        L.manual_seed(0)
        print(L.multinomial(probas, 5), L.multinomial(L.softmax(L.stack([logits] * 3), -1), 2))
    want, got = printed(run)
    assert got == want


def test_generate_with_top_k_temperature_and_eos():
    def run(L):
        model = gpt(L)
        model.eval()
        out = []
        for seed, kw in ((123, dict(temperature=1.4, top_k=25)), (1, dict(top_k=25)),
                         (5, dict(temperature=0.7, eos_id=7))):
            L.manual_seed(seed)
            out.append(generate(L, model, L.tensor([[1, 2, 3]]), 12, 8, **kw).tolist())
        out += errors(L, [  # the book's top-k filter assumes a batch of one
            lambda: generate(L, model, L.tensor([[1, 2, 3], [4, 5, 6]]), 3, 8, top_k=25),
            lambda: generate(L, model, L.tensor([[1, 2, 3], [4, 5, 6]]), 3, 8, eos_id=3)])
        return out
    want, got = run_both(run)
    assert got == want


def test_adamw_training_loop_with_periodic_evaluation():
    def run(L):
        model = gpt(L)
        train, val = loaders(L)
        opt = L.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
        losses, seen, step = [], [], -1
        for _ in range(2):
            model.train()
            for x, y in list(train)[:12]:
                opt.zero_grad()
                calc_loss_batch(L, x, y, model).backward()
                opt.step()
                step += 1
                if step % 5 == 0:
                    model.eval()
                    with L.no_grad():
                        losses.append([calc_loss_loader(L, train, model, num_batches=2),
                                       calc_loss_loader(L, val, model, num_batches=2)])
                    model.train()
                    seen.append(step)
        state = opt.state_dict()
        return ([repr(opt), seen, state["param_groups"], sorted(state["state"][0]),
                 state["state"][0]["step"].item()], losses)
    want, got = run_both(run)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], **_F32)


def test_checkpoint_of_model_and_optimizer_resumes_training():
    folder = tempfile.mkdtemp()

    def run(L):
        model = gpt(L)
        opt = L.optim.AdamW(model.parameters(), lr=0.0004, weight_decay=0.1)
        train, _ = loaders(L)
        for i, (x, y) in enumerate(train):
            if i == 3:
                break
            opt.zero_grad()
            calc_loss_batch(L, x, y, model).backward()
            opt.step()
        path = os.path.join(folder, f"model_and_optimizer_{L.__name__}.pth")
        L.save({"model_state_dict": model.state_dict(),
                "optimizer_state_dict": opt.state_dict()}, path)
        ckpt = L.load(path, weights_only=True, map_location="cpu")
        model2 = gpt(L, seed=9)
        result = [str(model2.load_state_dict(ckpt["model_state_dict"]))]
        opt2 = L.optim.AdamW(model2.parameters(), lr=0.0005, weight_decay=0.1)
        opt2.load_state_dict(ckpt["optimizer_state_dict"])
        result += [opt2.param_groups[0]["lr"], opt2.state[model2.tok_emb.weight]["step"].item(),
                   sorted(ckpt), list(ckpt["optimizer_state_dict"])]
        bad = dict(ckpt["model_state_dict"])
        bad.pop("out_head.weight")
        bad["extra"] = L.zeros(2)
        result += errors(L, [lambda: gpt(L).load_state_dict(bad),
                             lambda: gpt(L, emb_dim=6, n_heads=2).load_state_dict(
                                 ckpt["model_state_dict"])])
        result.append(str(gpt(L).load_state_dict(bad, strict=False)))
        steps = []
        for m, o in ((model, opt), (model2, opt2)):
            L.manual_seed(9)
            x, y = next(iter(train))
            o.zero_grad()
            loss = calc_loss_batch(L, x, y, m)
            loss.backward()
            o.step()
            steps.append([loss.item()] + m.final_norm.scale[:3].tolist())
        return result, steps
    want, got = run_both(run)
    assert got[0] == want[0]
    assert got[1][0] == got[1][1]  # the resumed run continues exactly
    np.testing.assert_allclose(got[1], want[1], **_F32)


def test_weights_assigned_from_numpy_with_shape_checks():
    def run(L):
        model = gpt(L, seed=0)
        rng = np.random.default_rng(0)
        wpe, wte = (rng.standard_normal(s).astype(np.float32) for s in ((8, 12), (50, 12)))
        c_attn = rng.standard_normal((12, 36)).astype(np.float32)

        def assign(left, right):
            if left.shape != right.shape:
                raise ValueError(f"Shape mismatch. Left: {left.shape}, Right: {right.shape}")
            return L.nn.Parameter(L.tensor(right))
        model.pos_emb.weight = assign(model.pos_emb.weight, wpe)
        model.tok_emb.weight = assign(model.tok_emb.weight, wte)
        q_w, k_w, v_w = np.split(c_attn, 3, axis=-1)
        att = model.trf_blocks[0].att
        att.W_query.weight = assign(att.W_query.weight, q_w.T)
        att.W_key.weight = assign(att.W_key.weight, k_w.T)
        att.W_value.weight = assign(att.W_value.weight, v_w.T)
        model.out_head.weight = assign(model.out_head.weight, wte)
        model.eval()
        L.manual_seed(1)
        out = [str(model.pos_emb.weight.dtype), type(model.pos_emb.weight).__name__,
               att.W_query.weight.is_contiguous(), att.W_query.weight.stride(),
               generate(L, model, L.tensor([[1, 2, 3]]), 5, 8, temperature=1.0,
                        top_k=10).tolist()]
        wpe64 = rng.standard_normal((8, 12))  # float64 weights: the learner's dtype mistake
        return out + errors(L, [
            lambda: assign(model.pos_emb.weight, wte),
            lambda: setattr(model.pos_emb, "weight", L.tensor(wpe)),
            lambda: (setattr(att.W_query, "weight", L.nn.Parameter(L.tensor(wpe64[:, :12].T
                                                                             @ wpe64[:, :12]))),
                     model(L.tensor([[1, 2]])))[1]])
    want, got = run_both(run)
    assert got == want


def test_generation_and_loss_mistakes_raise_torch_errors():
    def run(L):
        model = gpt(L, seed=0)
        logits = model(L.tensor([[1, 2, 3]]))
        tg = L.tensor([[2, 3, 4]])
        ce = L.nn.functional.cross_entropy
        return errors(L, [
            lambda: ce(logits, tg),
            lambda: ce(logits.flatten(0, 1), tg),
            lambda: ce(logits.flatten(0, 1), tg.flatten().float()),
            lambda: ce(logits.flatten(0, 1), tg.flatten()[:2]),
            lambda: ce(logits.flatten(0, 1), tg.flatten() + 50),
            lambda: model(L.tensor([list(range(9))])),  # longer than the context
            lambda: model(L.tensor([1, 2, 3])),  # no batch dim
            lambda: model(L.tensor([[1.0, 2.0]])),
            lambda: logits.item(),
            lambda: L.multinomial(L.tensor([0.0, 0.0]), 1),
            lambda: L.multinomial(L.tensor([-1.0, 2.0]), 1),
            lambda: L.multinomial(L.tensor([0.5, 0.5]), 3),
            lambda: L.multinomial(L.tensor([[0.5, float("nan")]]), 1),
            lambda: L.topk(L.rand(5), 6),
            lambda: L.softmax(L.tensor([1, 2, 3]), dim=0)])
    want, got = run_both(run)
    assert got == want
