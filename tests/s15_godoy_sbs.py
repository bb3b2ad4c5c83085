"""Session 15: Godoy's StepByStep class (Deep Learning with PyTorch Step-by-Step, vol. I-III)
as the book builds it up: train/val step closures, losses lists, set_seed with the cudnn
flags, LR schedulers per batch or epoch, gradient clipping by value, by norm and with hooks,
checkpoints, predict, count_parameters, forward hooks, capture_gradients/capture_parameters,
correct/loader_apply and the LR range test. ``make_sbs(L)`` builds it on a library; also
``printout`` runs a printing program on torch and on ember."""

import contextlib
import io
import re
import traceback

import numpy as np
import torch

import ember


def printout(prog):
    """[torch's printout, ember's] of prog(L); an exception ends it with its type and first
    line (both libraries must fail alike)."""
    outs = []
    for L in (torch, ember):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            try:
                prog(L)
            except Exception as e:  # noqa: BLE001 - compared across libraries
                print("EXC", type(e).__name__, str(e).splitlines()[0] if str(e) else "")
                if L is ember:
                    print(traceback.format_exc().splitlines()[-3:])
        outs.append(re.sub(r" at 0x[0-9a-f]+", "", buf.getvalue()))
    return outs


def same_printout(prog):
    want, got = printout(prog)
    assert got == want, "\n".join(_diff(want, got))


def _diff(want, got):
    import difflib

    return list(difflib.unified_diff(want.splitlines(), got.splitlines(), "torch", "ember",
                                     lineterm="", n=1))[:40]


def make_sbs(torch):  # noqa: C901 - the book's class, whole
    import random

    class StepByStep(object):
        def __init__(self, model, loss_fn, optimizer):
            self.model = model; self.loss_fn = loss_fn; self.optimizer = optimizer
            self.device = 'cuda' if torch.cuda.is_available() else 'cpu'
            self.model.to(self.device)
            self.train_loader = None; self.val_loader = None; self.writer = None
            self.scheduler = None; self.is_batch_lr_scheduler = False; self.clipping = None
            self.losses = []; self.val_losses = []; self.learning_rates = []
            self.total_epochs = 0
            self.visualization = {}; self.handles = {}; self._gradients = {}; self._parameters = {}
            self.train_step_fn = self._make_train_step_fn()
            self.val_step_fn = self._make_val_step_fn()
        def to(self, device):
            try:
                self.device = device; self.model.to(self.device)
            except RuntimeError:
                self.device = 'cuda' if torch.cuda.is_available() else 'cpu'
                print(f"Couldn't send it to {device}, sending it to {self.device} instead.")
                self.model.to(self.device)
        def set_loaders(self, train_loader, val_loader=None):
            self.train_loader = train_loader; self.val_loader = val_loader
        def set_lr_scheduler(self, scheduler):
            if scheduler.optimizer == self.optimizer:
                self.scheduler = scheduler
                if (isinstance(scheduler, torch.optim.lr_scheduler.CyclicLR) or
                    isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) or
                    isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts)):
                    self.is_batch_lr_scheduler = True
                else:
                    self.is_batch_lr_scheduler = False
        def set_clip_grad_value(self, clip_value):
            self.clipping = lambda: torch.nn.utils.clip_grad_value_(self.model.parameters(),
                                                                    clip_value=clip_value)
        def set_clip_grad_norm(self, max_norm, norm_type=2):
            self.clipping = lambda: torch.nn.utils.clip_grad_norm_(self.model.parameters(),
                                                                   max_norm, norm_type)
        def set_clip_backprop(self, clip_value):
            if self.clipping is None:
                self.clipping = []
            for p in self.model.parameters():
                if p.requires_grad:
                    func = lambda grad: torch.clamp(grad, -clip_value, clip_value)
                    handle = p.register_hook(func)
                    self.clipping.append(handle)
        def remove_clip(self):
            if isinstance(self.clipping, list):
                for handle in self.clipping:
                    handle.remove()
            self.clipping = None
        def _make_train_step_fn(self):
            def perform_train_step_fn(x, y):
                self.model.train()
                yhat = self.model(x)
                loss = self.loss_fn(yhat, y)
                loss.backward()
                if callable(self.clipping):
                    self.clipping()
                self.optimizer.step()
                self.optimizer.zero_grad()
                return loss.item()
            return perform_train_step_fn
        def _make_val_step_fn(self):
            def perform_val_step_fn(x, y):
                self.model.eval()
                yhat = self.model(x)
                loss = self.loss_fn(yhat, y)
                return loss.item()
            return perform_val_step_fn
        def _mini_batch(self, validation=False):
            if validation:
                data_loader = self.val_loader; step_fn = self.val_step_fn
            else:
                data_loader = self.train_loader; step_fn = self.train_step_fn
            if data_loader is None:
                return None
            n_batches = len(data_loader)
            mini_batch_losses = []
            for i, (x_batch, y_batch) in enumerate(data_loader):
                x_batch = x_batch.to(self.device); y_batch = y_batch.to(self.device)
                mini_batch_loss = step_fn(x_batch, y_batch)
                mini_batch_losses.append(mini_batch_loss)
                if not validation:
                    self._mini_batch_schedulers(i / n_batches)
            loss = np.mean(mini_batch_losses)
            return loss
        def _mini_batch_schedulers(self, frac_epoch):
            if self.scheduler:
                if self.is_batch_lr_scheduler:
                    if isinstance(self.scheduler,
                                  torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
                        self.scheduler.step(self.total_epochs + frac_epoch)
                    else:
                        self.scheduler.step()
                    current_lr = list(map(lambda d: d['lr'],
                                          self.scheduler.optimizer.state_dict()['param_groups']))
                    self.learning_rates.append(current_lr)
        def _epoch_schedulers(self, val_loss):
            if self.scheduler:
                if not self.is_batch_lr_scheduler:
                    if isinstance(self.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                        self.scheduler.step(val_loss)
                    else:
                        self.scheduler.step()
                    current_lr = list(map(lambda d: d['lr'],
                                          self.scheduler.optimizer.state_dict()['param_groups']))
                    self.learning_rates.append(current_lr)
        def set_seed(self, seed=42):
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
            torch.manual_seed(seed)
            np.random.seed(seed)
            random.seed(seed)
            try:
                self.train_loader.sampler.generator.manual_seed(seed)
            except AttributeError:
                pass
        def train(self, n_epochs, seed=42):
            self.set_seed(seed)
            for epoch in range(n_epochs):
                self.total_epochs += 1
                loss = self._mini_batch(validation=False)
                self.losses.append(loss)
                with torch.no_grad():
                    val_loss = self._mini_batch(validation=True)
                    self.val_losses.append(val_loss)
                self._epoch_schedulers(val_loss)
            if isinstance(self.clipping, list):
                self.remove_clip()
        def save_checkpoint(self, filename):
            checkpoint = {'epoch': self.total_epochs,
                          'model_state_dict': self.model.state_dict(),
                          'optimizer_state_dict': self.optimizer.state_dict(),
                          'loss': self.losses, 'val_loss': self.val_losses}
            torch.save(checkpoint, filename)
        def load_checkpoint(self, filename):
            checkpoint = torch.load(filename, weights_only=False)
            self.model.load_state_dict(checkpoint['model_state_dict'])
            self.optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
            self.total_epochs = checkpoint['epoch']
            self.losses = checkpoint['loss']; self.val_losses = checkpoint['val_loss']
            self.model.train()
        def predict(self, x):
            self.model.eval()
            x_tensor = torch.as_tensor(x).float()
            y_hat_tensor = self.model(x_tensor.to(self.device))
            self.model.train()
            return y_hat_tensor.detach().cpu().numpy()
        def count_parameters(self):
            return sum(p.numel() for p in self.model.parameters() if p.requires_grad)
        def visualize_filters(self, layer_name):
            layer = self.model
            for name in layer_name.split('.'):
                layer = getattr(layer, name)
            if isinstance(layer, torch.nn.Conv2d):
                return layer.weight.data.cpu().numpy()
        def attach_hooks(self, layers_to_hook, hook_fn=None):
            self.visualization = {}
            modules = list(self.model.named_modules())
            layer_names = {layer: name for name, layer in modules[1:]}
            if hook_fn is None:
                def hook_fn(layer, inputs, outputs):
                    name = layer_names[layer]
                    values = outputs.detach().cpu().numpy()
                    if self.visualization[name] is None:
                        self.visualization[name] = values
                    else:
                        self.visualization[name] = np.concatenate([self.visualization[name],
                                                                   values])
            for name, layer in modules:
                if name in layers_to_hook:
                    self.visualization[name] = None
                    self.handles[name] = layer.register_forward_hook(hook_fn)
        def remove_hooks(self):
            for handle in self.handles.values():
                handle.remove()
            self.handles = {}
        def capture_gradients(self, layers_to_hook):
            if not isinstance(layers_to_hook, list):
                layers_to_hook = [layers_to_hook]
            modules = list(self.model.named_modules())
            self._gradients = {}
            def make_log_fn(name, parm_id):
                def log_fn(grad):
                    self._gradients[name][parm_id].append(grad.tolist())
                    return None
                return log_fn
            for name, layer in self.model.named_modules():
                if name in layers_to_hook:
                    self._gradients.update({name: {}})
                    for parm_id, p in layer.named_parameters():
                        self._gradients[name].update({parm_id: []})
                        log_fn = make_log_fn(name, parm_id)
                        self.handles[f'{name}.{parm_id}.grad'] = p.register_hook(log_fn)
        def capture_parameters(self, layers_to_hook):
            if not isinstance(layers_to_hook, list):
                layers_to_hook = [layers_to_hook]
            modules = list(self.model.named_modules())
            layer_names = {layer: name for name, layer in modules}
            self._parameters = {}
            for name, layer in modules:
                if name in layers_to_hook:
                    self._parameters.update({name: {}})
                    for parm_id, p in layer.named_parameters():
                        self._parameters[name].update({parm_id: []})
            def fw_hook_fn(layer, inputs, outputs):
                name = layer_names[layer]
                for parm_id, parameter in layer.named_parameters():
                    self._parameters[name][parm_id].append(parameter.tolist())
            self.attach_hooks(layers_to_hook, fw_hook_fn)
        def correct(self, x, y, threshold=.5):
            self.model.eval()
            yhat = self.model(x.to(self.device))
            y = y.to(self.device)
            self.model.train()
            n_samples, n_dims = yhat.shape
            if n_dims > 1:
                _, predicted = torch.max(yhat, 1)
            else:
                n_dims += 1
                if isinstance(self.model, torch.nn.Sequential) and \
                   isinstance(self.model[-1], torch.nn.Sigmoid):
                    predicted = (yhat > threshold).long()
                else:
                    predicted = (torch.sigmoid(yhat) > threshold).long()
            result = []
            for c in range(n_dims):
                n_class = (y == c).sum().item()
                n_correct = (predicted[y == c] == c).sum().item()
                result.append((n_correct, n_class))
            return torch.tensor(result)
        @staticmethod
        def loader_apply(loader, func, reduce='sum'):
            results = [func(x, y) for i, (x, y) in enumerate(loader)]
            results = torch.stack(results, axis=0)
            if reduce == 'sum':
                results = results.sum(axis=0)
            elif reduce == 'mean':
                results = results.float().mean(axis=0)
            return results
        @staticmethod
        def statistics_per_channel(images, labels):
            n_samples, n_channels, n_height, n_weight = images.size()
            flatten_per_channel = images.reshape(n_samples, n_channels, -1)
            means = flatten_per_channel.mean(axis=2)
            stds = flatten_per_channel.std(axis=2)
            sum_means = means.sum(axis=0)
            sum_stds = stds.sum(axis=0)
            n_samples = torch.tensor([n_samples] * n_channels).float()
            return torch.stack([n_samples, sum_means, sum_stds], axis=0)
        def lr_range_test(self, data_loader, end_lr, num_iter=100, step_mode='exp', alpha=0.05):
            from copy import deepcopy
            previous_states = {'model': deepcopy(self.model.state_dict()),
                               'optimizer': deepcopy(self.optimizer.state_dict())}
            start_lr = self.optimizer.state_dict()['param_groups'][0]['lr']
            lr_fn = make_lr_fn(start_lr, end_lr, num_iter)
            scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda=lr_fn)
            tracking = {'loss': [], 'lr': []}
            iteration = 0
            while iteration < num_iter:
                for x_batch, y_batch in data_loader:
                    x_batch = x_batch.to(self.device); y_batch = y_batch.to(self.device)
                    yhat = self.model(x_batch)
                    loss = self.loss_fn(yhat, y_batch)
                    loss.backward()
                    tracking['lr'].append(scheduler.get_last_lr()[0])
                    if iteration == 0:
                        tracking['loss'].append(loss.item())
                    else:
                        prev_loss = tracking['loss'][-1]
                        smoothed_loss = alpha * loss.item() + (1-alpha) * prev_loss
                        tracking['loss'].append(smoothed_loss)
                    iteration += 1
                    if iteration == num_iter:
                        break
                    self.optimizer.step()
                    scheduler.step()
                    self.optimizer.zero_grad()
            self.optimizer.load_state_dict(previous_states['optimizer'])
            self.model.load_state_dict(previous_states['model'])
            return tracking

    def make_lr_fn(start_lr, end_lr, num_iter, step_mode='exp'):
        if step_mode == 'linear':
            factor = (end_lr / start_lr - 1) / num_iter
            def lr_fn(iteration):
                return 1 + iteration * factor
        else:
            factor = (np.log(end_lr) - np.log(start_lr)) / num_iter
            def lr_fn(iteration):
                return np.exp(factor)**iteration
        return lr_fn
    StepByStep.make_lr_fn = staticmethod(make_lr_fn)
    return StepByStep
