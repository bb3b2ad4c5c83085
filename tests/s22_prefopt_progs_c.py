"""Reward models with the pairwise (Bradley-Terry) loss as users type them:
CarperAI/trlx examples/summarize_rlhf/reward_model/reward_model.py (GPTRewardModel.forward:
chosen / rejected halves of one batch, the first PAD index, the divergence index from
``nonzero()[0]`` used as a slice start, -log(sigmoid(c - r)).mean() over the truncated
rewards, the inference branch; DataCollatorReward; compute_metrics' accuracy) and
ethanyanjiali/minChatGPT src/loss.py (KPairwiseLoss over (B, C) ranked scores) with
src/gpt.py's GPTRewardModel (lm_head replaced by nn.Identity, value head averaged over
time) and RewardModelTrainer's step, plus the plain PairWiseLoss(margin) module. The
transformer is the tiny GPT of tests/s22_prefopt_progs.py. ``prog(L) -> (printed, values)``."""

import math

import numpy as np
from s16_yunjey_progs import Out
from s22_prefopt_progs import tiny_gpt

PAD_ID = 19


def _trlx_reward_model(L):
    torch, nn = L, L.nn

    class Trunk(nn.Module):
        """model.transformer: returns a tuple whose [0] is the hidden states."""

        def __init__(self):
            super().__init__()
            self.gpt = tiny_gpt(L, bias=False)
            self.gpt.lm_head = nn.Identity()

        def forward(self, input_ids, attention_mask=None):
            return (self.gpt(input_ids, attention_mask=attention_mask).logits,)

    class GPTRewardModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = Trunk()
            self.v_head = nn.Linear(16, 1, bias=False)
            self.PAD_ID = PAD_ID

        def forward(self, input_ids=None, attention_mask=None):
            loss = None
            transformer_outputs = self.transformer(input_ids, attention_mask=attention_mask)
            hidden_states = transformer_outputs[0]
            rewards = self.v_head(hidden_states).squeeze(-1)
            chosen_end_scores = []
            rejected_end_scores = []
            assert len(input_ids.shape) == 2
            bs = input_ids.shape[0] // 2
            chosen = input_ids[:bs]
            rejected = input_ids[bs:]
            chosen_rewards = rewards[:bs]
            rejected_rewards = rewards[bs:]
            loss = 0
            inference = False
            for i in range(bs):
                if torch.all(torch.eq(chosen[i], rejected[i])).item():
                    c_inds = (chosen[i] == self.PAD_ID).nonzero()
                    c_ind = c_inds[0].item() if len(c_inds) > 0 else chosen.shape[1]
                    chosen_end_scores.append(chosen_rewards[i, c_ind - 1])
                    inference = True
                    continue
                c_inds = (chosen[i] == self.PAD_ID).nonzero()
                c_ind = c_inds[0].item() if len(c_inds) > 0 else chosen.shape[1]
                r_inds = (rejected[i] == self.PAD_ID).nonzero()
                r_ind = r_inds[0].item() if len(r_inds) > 0 else rejected.shape[1]
                end_ind = max(c_ind, r_ind)
                divergence_ind = (chosen[i] != rejected[i]).nonzero()[0]
                assert divergence_ind > 0
                c_truncated_reward = chosen_rewards[i][divergence_ind:end_ind]
                r_truncated_reward = rejected_rewards[i][divergence_ind:end_ind]
                chosen_end_scores.append(c_truncated_reward[-1])
                rejected_end_scores.append(r_truncated_reward[-1])
                loss += -torch.log(torch.sigmoid(c_truncated_reward - r_truncated_reward)).mean()
            loss = loss / bs
            if not inference:
                chosen_end_scores = torch.stack(chosen_end_scores)
                rejected_end_scores = torch.stack(rejected_end_scores)
            if inference:
                chosen_end_scores = torch.stack(chosen_end_scores)
                return {"chosen_end_scores": chosen_end_scores}
            return {"loss": loss, "chosen_end_scores": chosen_end_scores,
                    "rejected_end_scores": rejected_end_scores}

    return GPTRewardModel()


def _pairs(rng, n, max_length=10):
    """(chosen, rejected) token lists sharing a prompt, each padded with PAD_ID to
    max_length like the tokenizer's padding="max_length"."""
    out = []
    for _ in range(n):
        prompt = list(rng.integers(1, 19, 3))
        c = prompt + list(rng.integers(1, 19, rng.integers(2, 6)))
        r = prompt + list(rng.integers(1, 19, rng.integers(1, 7)))
        out.append([x + [PAD_ID] * (max_length - len(x)) for x in (c, r)])
    return out


def trlx_reward_model(L):
    torch = L
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    model = _trlx_reward_model(L)
    pairs = _pairs(rng, 4)

    class DataCollatorReward:
        def __call__(self, data):
            batch = {}
            batch["input_ids"] = torch.cat([f[0] for f in data] + [f[2] for f in data])
            batch["attention_mask"] = torch.cat([f[1] for f in data] + [f[3] for f in data])
            batch["labels"] = torch.tensor([0] * len(data) + [1] * len(data))
            return batch

    def encode(ids):
        t = torch.tensor([ids])
        return t, (t != PAD_ID).long()

    data = [encode(c) + encode(r) for c, r in pairs]
    collate = DataCollatorReward()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95))
    with Out() as o:
        for step in range(3):
            for i in range(0, len(data), 2):
                batch = collate(data[i:i + 2])
                out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
                optimizer.zero_grad()
                out["loss"].backward()
                optimizer.step()
                o.print(step, i, f"{out['loss'].item():.4f}", out["chosen_end_scores"].shape,
                        out["loss"].grad_fn is not None)
        model.eval()
        with torch.no_grad():
            batch = collate(data)
            out = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            # compute_metrics on the predictions as NumPy arrays
            chosen_end_scores = out["chosen_end_scores"].numpy()
            rejected_end_scores = out["rejected_end_scores"].numpy()
            acc = sum(chosen_end_scores > rejected_end_scores) / len(rejected_end_scores)
            o.print("accuracy", acc, type(acc).__name__)
            o.vals += [out["loss"], out["chosen_end_scores"], out["rejected_end_scores"]]
            # the inference branch: the same sequence as chosen and rejected
            ids = batch["input_ids"][:2]
            inf = model(input_ids=torch.cat([ids, ids]))
            o.print(sorted(inf), inf["chosen_end_scores"].shape)
            o.vals.append(inf["chosen_end_scores"])
        o.vals += [p.detach() for p in model.parameters()]
    return o.lines, o.vals


def minchatgpt_reward_model(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class KPairwiseLoss(nn.Module):
        def forward(self, scores):
            B, C = scores.size()
            scores = scores[:, :, None]
            subtrahend = scores.tile((1, C))
            minuend = subtrahend.transpose(2, 1)
            log_odds = torch.tril(torch.log(torch.sigmoid(minuend - subtrahend)), -1)
            total_comparision = math.comb(C, 2)
            expectation = torch.sum(log_odds, dim=(1, 2)) / total_comparision
            loss = -(1 / total_comparision) * expectation.mean()
            return loss

    class PairWiseLoss(nn.Module):
        def forward(self, chosen_reward, reject_reward, margin=None):
            if margin is not None:
                loss = -F.logsigmoid(chosen_reward - reject_reward - margin)
            else:
                loss = -F.logsigmoid(chosen_reward - reject_reward)
            return loss.mean()

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = tiny_gpt(L, bias=False)
            self.lm_head = self.inner.lm_head

        def forward(self, x, attention_mask=None):
            self.inner.lm_head = self.lm_head
            return self.inner(x, attention_mask).logits

    class GPTRewardModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = GPT()
            self.backbone.lm_head = nn.Identity()
            self.value_head = nn.Linear(16, 1, bias=False)

        def forward(self, x, attention_mask=None):
            hidden = self.backbone(x, attention_mask)
            score = self.value_head(hidden).mean(dim=1)
            return score

    torch.manual_seed(1)
    rng = np.random.default_rng(5)
    model = GPTRewardModel()
    criterion = KPairwiseLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    pairs = _pairs(rng, 6)
    completions = torch.tensor(pairs)  # (B, 2, T)
    attention_masks = (completions != PAD_ID).long()
    with Out() as o:
        o.print(completions.shape, completions.dtype)
        model.train()
        for step in range(3):
            positive_scores = model(completions[:, 0, :], attention_masks[:, 0, :])
            negative_scores = model(completions[:, 1, :], attention_masks[:, 1, :])
            loss = criterion(torch.cat((positive_scores, negative_scores), dim=-1))
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            lossf = loss.item()
            o.print(f"batch loss {round(lossf, 3)}", grad_norm.item())
        model.eval()
        with torch.no_grad():
            positive_scores = model(completions[:, 0, :], attention_masks[:, 0, :])
            negative_scores = model(completions[:, 1, :], attention_masks[:, 1, :])
            tp = 0
            tp += torch.count_nonzero(positive_scores > negative_scores)
            acc = tp / positive_scores.shape[0]
            o.print("Acc:", acc, tp.dtype, acc.dtype)
            o.vals += [positive_scores, negative_scores]
        # KPairwiseLoss with 3 ranked completions, and the margin form of PairWiseLoss
        s = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
        k = criterion(s)
        k.backward()
        pw = PairWiseLoss()
        c, r = s[:, 0], s[:, 1]
        o.vals += [k, s.grad, pw(c, r), pw(c, r, margin=torch.tensor([0.5, 1.0, 0.0, 2.0])),
                   pw(c, r, 0.25)]
        o.vals += [p.detach() for p in model.parameters()]
    return o.lines, o.vals
