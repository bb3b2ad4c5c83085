"""direct-preference-optimization programs (definitions in tests/s22_prefopt_progs.py): the
collated batch and concatenated_inputs, preference_loss's four forms with their gradients,
and a few BasicTrainer steps for DPO, conservative DPO, IPO and SFT.
``prog(L) -> (printed, values)``."""

import copy

import numpy as np
from s16_yunjey_progs import Out
from s22_prefopt_progs import BasicTrainer, CharTokenizer, _batches, dpo_lib, tiny_gpt


def dpo_data(L):
    torch = L
    D = dpo_lib(L)
    tok = CharTokenizer()
    tok.pad_token_id = tok.eos_token_id
    with Out() as o:
        batch = _batches(L, D, tok)[0]
        for k, v in batch.items():
            if isinstance(v, torch.Tensor):
                o.print(k, v.dtype, tuple(v.shape), v.tolist())
            else:
                o.print(k, v)
        cat = D["concatenated_inputs"](batch)
        for k, v in cat.items():
            o.print(k, v.dtype, tuple(v.shape))
            o.vals.append(v)
        # utils.pad_to_length on both dims and with a float tensor; all_gather with 1 process
        x = torch.arange(6).view(2, 3)
        o.vals += [D["pad_to_length"](x, 5, pad_value=-100),
                   D["pad_to_length"](x, 4, pad_value=7, dim=0),
                   D["pad_to_length"](x, 2, pad_value=0),
                   D["pad_to_length"](torch.ones(2, 2), 3, pad_value=0.5)]
        o.print(D["all_gather_if_needed"](x, 0, 1) is x)
        sl = D["slice"](batch, 1, 2, 'cpu')
        o.print(sorted(sl), sl["prompt"], sl["chosen_input_ids"].shape)
    return o.lines, o.vals


def dpo_losses(L):
    torch = L
    D = dpo_lib(L)
    rng = np.random.default_rng(0)
    with Out() as o:
        logps = [torch.from_numpy(-rng.uniform(2, 20, 4).astype(np.float32)) for _ in range(4)]
        pc, pr = logps[0].requires_grad_(), logps[1].requires_grad_()
        for kw in [dict(beta=0.1), dict(beta=0.5, label_smoothing=0.2), dict(beta=0.1, ipo=True),
                   dict(beta=0.25, reference_free=True)]:
            losses, cr, rr = D["preference_loss"](pc, pr, logps[2], logps[3], **kw)
            losses.mean().backward()
            o.print(kw, [f"{v:.4f}" for v in losses.tolist()], cr.requires_grad,
                    losses.grad_fn is not None)
            o.vals += [losses, cr, rr, pc.grad.clone(), pr.grad.clone(),
                       (cr > rr).float()]
            pc.grad = None
            pr.grad = None
        # _get_batch_logps on hand-made logits and labels with -100 (sum and average)
        logits = torch.from_numpy(rng.standard_normal((2, 5, 6)).astype(np.float32))
        labels = torch.tensor([[-100, -100, 3, 1, 5], [-100, 2, 0, -100, -100]])
        o.vals += [D["_get_batch_logps"](logits, labels),
                   D["_get_batch_logps"](logits, labels, average_log_prob=True), labels]
        try:
            D["_get_batch_logps"](logits, labels[:, :4])
        except AssertionError:
            o.print("assert logits.shape[:-1] == labels.shape failed")
    return o.lines, o.vals


def _train(L, loss, optimizer="RMSprop", lr=1e-3, accum=1):
    torch = L
    D = dpo_lib(L)
    tok = CharTokenizer()
    tok.pad_token_id = tok.eos_token_id
    torch.manual_seed(0)
    policy = tiny_gpt(L)
    D["disable_dropout"](policy)
    reference_model = copy.deepcopy(policy)
    config = dict(optimizer=optimizer, lr=lr, warmup_steps=2, gradient_accumulation_steps=accum,
                  max_grad_norm=10.0, batch_size=2, loss=loss)
    trainer = BasicTrainer(L, D, policy, config, reference_model)
    batches = _batches(L, D, tok, batch_size=2) * 2
    with Out() as o:
        o.print(sum(p.numel() for p in policy.parameters()),
                [m.p for m in policy.modules() if isinstance(m, torch.nn.Dropout)])
        trainer.train(batches, o)
        policy.eval()
        with torch.no_grad():
            _, metrics = trainer.get_batch_metrics(batches[0], loss, train=False)
        o.print({k: [round(x, 2) for x in v] for k, v in metrics.items()})
        o.vals += [p.detach() for p in policy.parameters()]
    return o.lines, o.vals


def dpo_train(L):
    return _train(L, dict(name="dpo", beta=0.1, reference_free=False, label_smoothing=0.0))


def cdpo_train_accum(L):
    return _train(L, dict(name="dpo", beta=0.5, reference_free=False, label_smoothing=0.1),
                  optimizer="Adam", lr=5e-3, accum=2)


def ipo_train(L):
    return _train(L, dict(name="ipo", beta=0.1), optimizer="AdamW", lr=1e-3)


def sft_train(L):
    return _train(L, dict(name="sft"), optimizer="SGD", lr=0.1)
