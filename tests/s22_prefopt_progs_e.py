"""PPO for a language model as users type it: ethanyanjiali/minChatGPT src/trainers.py's
PPOTrainer (make_experience under @torch.no_grad(), kl_penalized_reward with the k3 KL
estimator (exp(ratio) - 1) - ratio, the actor step then the critic step through a
GradScaler under torch.autocast, both disabled for float32 on CPU), src/loss.py's
PolicyLoss (clipped ratio) and ValueLoss (mse_loss with reduction="none", whose backward
needs a one-element batch), and src/gpt.py's generate (top-k, torch.multinomial),
GPTActor.forward_actor and GPTCritic.forward_critic, on the tiny GPT of
tests/s22_prefopt_progs.py. ``prog(L) -> (printed, values)``."""

from s16_yunjey_progs import Out
from s22_prefopt_progs import BLOCK, tiny_gpt


def _models(L):
    torch, nn, F = L, L.nn, L.nn.functional

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = tiny_gpt(L)

        def forward(self, x, attention_mask=None):
            return self.inner(x, attention_mask).logits

        @torch.no_grad()
        def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
            for _ in range(max_new_tokens):
                idx_cond = idx if idx.size(1) <= BLOCK else idx[:, -BLOCK:]
                logits = self(idx_cond)
                logits = logits[:, -1, :] / temperature
                if top_k is not None:
                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float('Inf')
                probs = F.softmax(logits, dim=-1)
                next_token = torch.multinomial(probs, num_samples=1)
                idx = torch.cat((idx, next_token), dim=1)
            return idx

    class GPTActor(GPT):
        def forward_actor(self, x, attention_mask=None, num_actions=1):
            logits = self.forward(x, attention_mask)
            log_prob_all_vocab = F.log_softmax(logits[:, :-1, :], dim=2)
            index = x[:, 1:].unsqueeze(-1)
            log_prob_output = log_prob_all_vocab.gather(dim=2, index=index)
            return log_prob_output[:, -num_actions:, 0]

    class GPTCritic(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = tiny_gpt(L)
            self.backbone.lm_head = nn.Identity()
            self.value_head = nn.Linear(16, 1, bias=False)

        def forward_critic(self, x, attention_mask=None, num_actions=0):
            hidden = self.backbone(x, attention_mask).logits
            values = self.value_head(hidden).mean(dim=1)
            return values

    class GPTRewardModel(GPTCritic):
        def forward(self, x, attention_mask=None):
            return self.forward_critic(x, attention_mask)

    return GPTActor, GPTCritic, GPTRewardModel


def minchatgpt_ppo(L):
    torch, nn, F = L, L.nn, L.nn.functional
    GPTActor, GPTCritic, GPTRewardModel = _models(L)

    class PolicyLoss(nn.Module):
        def __init__(self, eps=0.2, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.eps = eps

        def forward(self, new_actor_log_probs, old_actor_log_probs, advantage):
            ratio = (new_actor_log_probs - old_actor_log_probs).exp()
            surrogate_objectives = torch.min(
                ratio * advantage, ratio.clamp(1 - self.eps, 1 + self.eps) * advantage)
            loss = -surrogate_objectives
            return loss.mean()

    class ValueLoss(nn.Module):
        def forward(self, value, reward):
            return F.mse_loss(value, reward, reduction="none")

    kl_beta, max_new_tokens, dtype, device = 0.02, 4, torch.float32, "cpu"
    torch.manual_seed(0)
    actor, sft_model = GPTActor(), GPTActor()
    sft_model.load_state_dict(actor.state_dict())
    critic, reward_model = GPTCritic(), GPTRewardModel()
    actor_criterion, critic_criterion = PolicyLoss(), ValueLoss()
    # a small actor lr like the repository's configs: Adam turns the first step's noise-sized
    # gradients (a few q-projection entries, ~1e-8) into lr-sized steps
    actor_optimizer = torch.optim.Adam(actor.parameters(), lr=1e-4, betas=(0.9, 0.9))
    critic_optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.9, 0.9))

    def kl_penalized_reward(reward, log_prob_rl, log_prob_sft, action_mask=None):
        ratio = log_prob_rl - log_prob_sft
        estimated_kl = (torch.exp(ratio) - 1) - ratio
        if action_mask:
            estimated_kl = estimated_kl * action_mask
            estimated_kl.sum(dim=1) / action_mask.sum(dim=1)
        estimated_kl = estimated_kl.mean(dim=1, keepdim=True)
        return reward - kl_beta * estimated_kl, estimated_kl

    @torch.no_grad()
    def make_experience(idx, input_masks):
        reward_model.eval()
        sft_model.eval()
        actor.eval()
        critic.eval()
        completion = actor.generate(idx, max_new_tokens, temperature=1.0, top_k=5)
        attention_mask = torch.ones_like(completion)
        num_actions = max_new_tokens
        actor_log_probs = actor.forward_actor(completion, attention_mask, num_actions)
        sft_log_probs = sft_model.forward_actor(completion, attention_mask, num_actions)
        value = critic.forward_critic(completion, attention_mask)
        reward = reward_model(completion, attention_mask).view(-1, 1)
        kl_penalized_reward_, estimated_kl = kl_penalized_reward(reward, actor_log_probs,
                                                                 sft_log_probs)
        advantage = kl_penalized_reward_ - value
        return (completion, actor_log_probs, attention_mask, kl_penalized_reward_, advantage,
                num_actions, estimated_kl)

    prompts = [torch.tensor([[3, 5, 7, 9]]), torch.tensor([[2, 4, 6, 8]]),
               torch.tensor([[1, 3, 2, 4]])]
    with Out() as o:
        scaler = torch.cuda.amp.GradScaler(enabled=dtype != torch.float32)
        for step, prompt in enumerate(prompts):
            input_masks = torch.ones_like(prompt)
            with torch.autocast(device_type=device, dtype=dtype, enabled=dtype != torch.float32):
                completion, actor_log_probs, attention_mask, reward, advantage, num_actions, kl = \
                    make_experience(prompt, input_masks)
                actor.train()
                curr_actor_log_probs = actor.forward_actor(completion, attention_mask,
                                                           num_actions)
                actor_loss = actor_criterion(curr_actor_log_probs, actor_log_probs, advantage)
                scaler.scale(actor_loss).backward()
                scaler.step(actor_optimizer)
                actor_optimizer.zero_grad(set_to_none=True)
                actor_lossf = actor_loss.item()
                critic.train()
                curr_value = critic.forward_critic(completion, attention_mask, num_actions)
                critic_loss = critic_criterion(curr_value, reward)
                scaler.scale(critic_loss).backward()
                scaler.step(critic_optimizer)
                critic_optimizer.zero_grad(set_to_none=True)
                critic_lossf = critic_loss.item()
                scaler.update()
            o.print(completion.tolist(), completion.dtype, critic_loss.shape)
            o.print(f"actor loss {round(actor_lossf, 3)}, critic loss {round(critic_lossf, 3)}",
                    f"KL {kl.mean().item():.4f} adv {advantage.mean().item():.4f}",
                    f"reward {reward.mean().item():.4f} value {curr_value.mean().item():.4f}")
            o.vals += [actor_log_probs, reward, advantage, kl, curr_value.detach()]
        # ValueLoss on a batch of two: backward of a (2, 1) loss needs a gradient
        v = critic.forward_critic(torch.cat([completion, completion]))
        o.tryit(lambda: critic_criterion(v, torch.zeros(2, 1)).backward())
        o.print(scaler.is_enabled(), scaler.get_scale())
        o.vals += [p.detach() for p in actor.parameters()]
        o.vals += [p.detach() for p in critic.parameters()]
    return o.lines, o.vals
