"""werner-duvaud/muzero-general, continued (see tests/s19_muzero_progs.py): trainer.py's
Trainer (SGD / Adam from the config, the checkpoint's optimizer state, update_lr,
update_weights with scalar_to_support targets, the 0.5 hook on the hidden state, the
gradient-scale hooks on the losses, PER weights and priorities), on a fixed replay batch,
and muzero.py's checkpoint save / load."""

import copy
import io

import numpy
from s16_yunjey_progs import Out
from s19_muzero_progs import _models
from s19_muzero_progs_b import Config, _batch


def _trainer(torch, models):
    class Trainer:
        def __init__(self, initial_checkpoint, config):
            self.config = config
            # Fix random generator seed
            numpy.random.seed(self.config.seed)
            torch.manual_seed(self.config.seed)
            # Initialize the network
            self.model = models.MuZeroNetwork(self.config)
            self.model.set_weights(copy.deepcopy(initial_checkpoint["weights"]))
            self.model.to(torch.device("cpu"))
            self.model.train()
            self.training_step = initial_checkpoint["training_step"]
            if self.config.optimizer == "SGD":
                self.optimizer = torch.optim.SGD(
                    self.model.parameters(), lr=self.config.lr_init,
                    momentum=self.config.momentum, weight_decay=self.config.weight_decay)
            elif self.config.optimizer == "Adam":
                self.optimizer = torch.optim.Adam(
                    self.model.parameters(), lr=self.config.lr_init,
                    weight_decay=self.config.weight_decay)
            else:
                raise NotImplementedError(
                    f"{self.config.optimizer} is not implemented. You can change the "
                    "optimizer manually in trainer.py.")
            if initial_checkpoint["optimizer_state"] is not None:
                self.optimizer.load_state_dict(
                    copy.deepcopy(initial_checkpoint["optimizer_state"]))

        def update_weights(self, batch):
            (observation_batch, action_batch, target_value, target_reward, target_policy,
             weight_batch, gradient_scale_batch) = batch
            # Keep values as scalars for calculating the priorities for the PER
            target_value_scalar = numpy.array(target_value, dtype="float32")
            priorities = numpy.zeros_like(target_value_scalar)
            device = next(self.model.parameters()).device
            if self.config.PER:
                weight_batch = torch.tensor(weight_batch.copy()).float().to(device)
            observation_batch = (torch.tensor(numpy.array(observation_batch)).float()
                                 .to(device))
            action_batch = torch.tensor(action_batch).long().to(device).unsqueeze(-1)
            target_value = torch.tensor(target_value).float().to(device)
            target_reward = torch.tensor(target_reward).float().to(device)
            target_policy = torch.tensor(target_policy).float().to(device)
            gradient_scale_batch = torch.tensor(gradient_scale_batch).float().to(device)
            target_value = models.scalar_to_support(target_value, self.config.support_size)
            target_reward = models.scalar_to_support(target_reward, self.config.support_size)
            ## Generate predictions
            value, reward, policy_logits, hidden_state = self.model.initial_inference(
                observation_batch)
            predictions = [(value, reward, policy_logits)]
            for i in range(1, action_batch.shape[1]):
                value, reward, policy_logits, hidden_state = self.model.recurrent_inference(
                    hidden_state, action_batch[:, i])
                # Scale the gradient at the start of the dynamics function
                hidden_state.register_hook(lambda grad: grad * 0.5)
                predictions.append((value, reward, policy_logits))
            ## Compute losses
            value_loss, reward_loss, policy_loss = (0, 0, 0)
            value, reward, policy_logits = predictions[0]
            # Ignore reward loss for the first batch step
            current_value_loss, _, current_policy_loss = self.loss_function(
                value.squeeze(-1), reward.squeeze(-1), policy_logits, target_value[:, 0],
                target_reward[:, 0], target_policy[:, 0])
            value_loss += current_value_loss
            policy_loss += current_policy_loss
            # Compute priorities for the prioritized replay (See paper appendix Training)
            pred_value_scalar = (models.support_to_scalar(value, self.config.support_size)
                                 .detach().cpu().numpy().squeeze())
            priorities[:, 0] = (numpy.abs(pred_value_scalar - target_value_scalar[:, 0])
                                ** self.config.PER_alpha)
            for i in range(1, len(predictions)):
                value, reward, policy_logits = predictions[i]
                (current_value_loss, current_reward_loss,
                 current_policy_loss) = self.loss_function(
                    value.squeeze(-1), reward.squeeze(-1), policy_logits, target_value[:, i],
                    target_reward[:, i], target_policy[:, i])
                # Scale gradient by the number of unroll steps
                current_value_loss.register_hook(lambda grad: grad / gradient_scale_batch[:, i])
                current_reward_loss.register_hook(lambda grad: grad / gradient_scale_batch[:, i])
                current_policy_loss.register_hook(lambda grad: grad / gradient_scale_batch[:, i])
                value_loss += current_value_loss
                reward_loss += current_reward_loss
                policy_loss += current_policy_loss
                pred_value_scalar = (models.support_to_scalar(value, self.config.support_size)
                                     .detach().cpu().numpy().squeeze())
                priorities[:, i] = (numpy.abs(pred_value_scalar - target_value_scalar[:, i])
                                    ** self.config.PER_alpha)
            # Scale the value loss, paper recommends by 0.25 (See paper appendix Reanalyze)
            loss = value_loss * self.config.value_loss_weight + reward_loss + policy_loss
            if self.config.PER:
                # Correct PER bias by using importance-sampling (IS) weights
                loss *= weight_batch
            # Mean over batch dimension (pseudocode do a sum)
            loss = loss.mean()
            # Optimize
            self.optimizer.zero_grad()
            loss.backward()
            if getattr(self.config, "clip", None):
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
            self.optimizer.step()
            self.training_step += 1
            return (priorities, loss.item(), value_loss.mean().item(),
                    reward_loss.mean().item(), policy_loss.mean().item())

        def update_lr(self):
            lr = self.config.lr_init * self.config.lr_decay_rate ** (
                self.training_step / self.config.lr_decay_steps)
            for param_group in self.optimizer.param_groups:
                param_group["lr"] = lr

        @staticmethod
        def loss_function(value, reward, policy_logits, target_value, target_reward,
                          target_policy):
            # Cross-entropy seems to have a better convergence than MSE
            value_loss = (-target_value * torch.nn.LogSoftmax(dim=1)(value)).sum(1)
            reward_loss = (-target_reward * torch.nn.LogSoftmax(dim=1)(reward)).sum(1)
            policy_loss = (-target_policy * torch.nn.LogSoftmax(dim=1)(policy_logits)).sum(1)
            return value_loss, reward_loss, policy_loss

    return Trainer


def _train(L, o, config, steps, seed=0):
    models = _models(L)
    torch = L
    torch.manual_seed(seed)
    model = models.MuZeroNetwork(config)
    checkpoint = {"weights": model.get_weights(), "optimizer_state": None,
                  "training_step": 0, "lr": 0, "total_loss": 0}
    trainer = _trainer(L, models)(checkpoint, config)
    for step in range(steps):
        batch = _batch(config, config.batch_size, 10 + step)
        trainer.update_lr()
        priorities, total, v, r, p = trainer.update_weights(batch)
        o.print("step {} lr {:.5f} total {:.4f} value {:.4f} reward {:.4f} policy {:.4f}"
                .format(trainer.training_step, trainer.optimizer.param_groups[0]["lr"],
                        total, v, r, p))
        # (priorities to 3 decimals: support_to_scalar's inverse scaling, sqrt(1 + 0.004 x)
        # - 1 over 0.002 then squared, turns the last bits of the network's outputs, which
        # OpenBLAS and MKL round their own ways, into ~2e-5 relative)
        o.print(numpy.array2string(priorities, precision=3, floatmode="fixed"))
    checkpoint["weights"] = copy.deepcopy(trainer.model.get_weights())
    checkpoint["optimizer_state"] = copy.deepcopy(models.dict_to_cpu(
        trainer.optimizer.state_dict()))
    checkpoint["training_step"] = trainer.training_step
    o.vals += list(trainer.model.parameters())
    return models, checkpoint


def train_fc_adam_per(L):
    """Adam with weight decay, PER weights, lr decay, on the fully connected network; then
    a trainer resumed from the checkpoint (weights and Adam state) for one more step."""
    with Out() as o:
        config = Config()
        models, checkpoint = _train(L, o, config, 3)
        state = checkpoint["optimizer_state"]["state"]
        o.print(sorted(state[0].keys()), state[0]["step"])
        trainer = _trainer(L, models)(checkpoint, config)
        trainer.update_lr()
        out = trainer.update_weights(_batch(config, config.batch_size, 20))
        o.print("resumed {:.4f}".format(out[1]))
        o.print(numpy.array2string(out[0], precision=3, floatmode="fixed"))
        o.vals += list(trainer.model.parameters())
    return o.done()


def train_fc_sgd(L):
    """SGD with momentum, no PER, gradient clipping; an unknown optimizer's error."""
    with Out() as o:
        _train(L, o, Config(optimizer="SGD", PER=False, clip=0.5, lr_init=0.05), 3, seed=1)
        o.tryit(lambda: _train(L, o, Config(optimizer="RMSprop"), 1))
    return o.done()


def train_resnet(L):
    """The residual network trained with SGD and PER (BatchNorm in train mode, the long
    actions broadcast over the hidden planes)."""
    with Out() as o:
        config = Config(network="resnet", observation_shape=(3, 4, 4), stacked_observations=1,
                        action_space=list(range(3)), optimizer="SGD", lr_init=0.05,
                        num_unroll_steps=2, batch_size=3)
        _train(L, o, config, 2, seed=2)
    return o.done()


def checkpoint_save_load(L):
    """muzero.py's save of the checkpoint dict and load_model's torch.load of it."""
    torch = L
    with Out() as o:
        config = Config(num_unroll_steps=2)
        models, checkpoint = _train(L, o, config, 1, seed=3)
        buf = io.BytesIO()
        torch.save(checkpoint, buf)
        buf.seek(0)
        loaded = torch.load(buf)
        o.print(sorted(loaded.keys()), loaded["training_step"])
        model = models.MuZeroNetwork(config)
        model.set_weights(loaded["weights"])
        o.vals += list(model.parameters())
    return o.done()
