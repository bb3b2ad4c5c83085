"""davidtvs/pytorch-lr-finder, torch_lr_finder/lr_finder.py as users copy it: LRFinder with
its StateCacher (state_dict deepcopy in memory, or torch.save / torch.load with a
map_location callable on disk), LinearLR / ExponentialLR subclasses of _LRScheduler,
range_test with accumulation_steps, a validation loader, loss smoothing and the divergence
stop, the steepest-gradient suggestion of plot() (without the figure) and reset(); with
checks from the repo's tests/ (scheduler already attached, bad arguments). tqdm and
matplotlib left out; data are small seeded tensors."""

import copy
import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out


def _lr_finder_module(L):
    """The library's classes of torch_lr_finder/lr_finder.py, built on library L."""
    torch = L
    _LRScheduler = L.optim.lr_scheduler._LRScheduler
    DataLoader = L.utils.data.DataLoader

    class DataLoaderIter(object):
        def __init__(self, data_loader):
            self.data_loader = data_loader
            self._iterator = iter(data_loader)

        @property
        def dataset(self):
            return self.data_loader.dataset

        def inputs_labels_from_batch(self, batch_data):
            if not isinstance(batch_data, list) and not isinstance(batch_data, tuple):
                raise ValueError(
                    "Your batch type is not supported: {}. Please inherit from "
                    "`TrainDataLoaderIter` or `ValDataLoaderIter` and override the "
                    "`inputs_labels_from_batch` method.".format(type(batch_data)))
            inputs, labels, *_ = batch_data
            return inputs, labels

        def __iter__(self):
            return self

        def __next__(self):
            batch = next(self._iterator)
            return self.inputs_labels_from_batch(batch)

    class TrainDataLoaderIter(DataLoaderIter):
        def __init__(self, data_loader, auto_reset=True):
            super().__init__(data_loader)
            self.auto_reset = auto_reset

        def __next__(self):
            try:
                batch = next(self._iterator)
                inputs, labels = self.inputs_labels_from_batch(batch)
            except StopIteration:
                if not self.auto_reset:
                    raise
                self._iterator = iter(self.data_loader)
                batch = next(self._iterator)
                inputs, labels = self.inputs_labels_from_batch(batch)
            return inputs, labels

    class ValDataLoaderIter(DataLoaderIter):
        def __init__(self, data_loader):
            super().__init__(data_loader)
            self.run_limit = len(self.data_loader)
            self.run_counter = 0

        def __iter__(self):
            if self.run_counter >= self.run_limit:
                self._iterator = iter(self.data_loader)
                self.run_counter = 0
            return self

        def __next__(self):
            self.run_counter += 1
            return super(ValDataLoaderIter, self).__next__()

    class LinearLR(_LRScheduler):
        def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
            self.end_lr = end_lr
            if num_iter <= 1:
                raise ValueError("`num_iter` must be larger than 1")
            self.num_iter = num_iter
            super(LinearLR, self).__init__(optimizer, last_epoch)

        def get_lr(self):
            r = self.last_epoch / (self.num_iter - 1)
            return [base_lr + r * (self.end_lr - base_lr) for base_lr in self.base_lrs]

    class ExponentialLR(_LRScheduler):
        def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
            self.end_lr = end_lr
            if num_iter <= 1:
                raise ValueError("`num_iter` must be larger than 1")
            self.num_iter = num_iter
            super(ExponentialLR, self).__init__(optimizer, last_epoch)

        def get_lr(self):
            r = self.last_epoch / (self.num_iter - 1)
            return [base_lr * (self.end_lr / base_lr) ** r for base_lr in self.base_lrs]

    class StateCacher(object):
        def __init__(self, in_memory, cache_dir=None):
            self.in_memory = in_memory
            self.cache_dir = cache_dir
            if self.cache_dir is None:
                self.cache_dir = tempfile.gettempdir()
            else:
                if not os.path.isdir(self.cache_dir):
                    raise ValueError("Given `cache_dir` is not a valid directory.")
            self.cached = {}

        def store(self, key, state_dict):
            if self.in_memory:
                self.cached.update({key: copy.deepcopy(state_dict)})
            else:
                fn = os.path.join(self.cache_dir, "state_{}_{}.pt".format(key, id(self)))
                self.cached.update({key: fn})
                torch.save(state_dict, fn)

        def retrieve(self, key):
            if key not in self.cached:
                raise KeyError("Target {} was not cached.".format(key))
            if self.in_memory:
                return self.cached.get(key)
            fn = self.cached.get(key)
            if not os.path.exists(fn):
                raise RuntimeError(
                    "Failed to load state in {}. File doesn't exist anymore.".format(fn))
            return torch.load(fn, map_location=lambda storage, location: storage)

        def __del__(self):
            if self.in_memory:
                return
            for k in self.cached:
                if os.path.exists(self.cached[k]):
                    os.remove(self.cached[k])

    class LRFinder(object):
        def __init__(self, model, optimizer, criterion, device=None, memory_cache=True,
                     cache_dir=None, amp_backend=None, amp_config=None, grad_scaler=None,
                     printer=print):
            self.optimizer = optimizer
            self._check_for_scheduler()
            self.model = model
            self.criterion = criterion
            self.history = {"lr": [], "loss": []}
            self.best_loss = None
            self.memory_cache = memory_cache
            self.cache_dir = cache_dir
            self.print = printer
            if amp_backend and (amp_backend not in ["torch"]):
                raise ValueError(f"Unknown amp backend: {amp_backend}")
            if amp_backend == "torch":
                if grad_scaler is None:
                    raise ValueError("`grad_scaler` is required when using `torch.amp`")
            self.amp_backend = amp_backend
            self.amp_config = amp_config
            self.grad_scaler = grad_scaler
            self.model_device = next(self.model.parameters()).device
            self.state_cacher = StateCacher(memory_cache, cache_dir=cache_dir)
            self.state_cacher.store("model", self.model.state_dict())
            self.state_cacher.store("optimizer", self.optimizer.state_dict())
            self.device = device if device else self.model_device

        def reset(self):
            self.model.load_state_dict(self.state_cacher.retrieve("model"))
            self.optimizer.load_state_dict(self.state_cacher.retrieve("optimizer"))
            self.model.to(self.model_device)

        def range_test(self, train_loader, val_loader=None, start_lr=None, end_lr=10,
                       num_iter=100, step_mode="exp", smooth_f=0.05, diverge_th=5,
                       accumulation_steps=1, non_blocking_transfer=True):
            self.history = {"lr": [], "loss": []}
            self.best_loss = None
            self.model.to(self.device)
            self._check_for_scheduler()
            if start_lr:
                self._set_learning_rate(start_lr)
            if step_mode.lower() == "exp":
                lr_schedule = ExponentialLR(self.optimizer, end_lr, num_iter)
            elif step_mode.lower() == "linear":
                lr_schedule = LinearLR(self.optimizer, end_lr, num_iter)
            else:
                raise ValueError("expected one of (exp, linear), got {}".format(step_mode))
            if smooth_f < 0 or smooth_f >= 1:
                raise ValueError("smooth_f is outside the range [0, 1[")
            if isinstance(train_loader, DataLoader):
                train_iter = TrainDataLoaderIter(train_loader)
            elif isinstance(train_loader, TrainDataLoaderIter):
                train_iter = train_loader
            else:
                raise ValueError("`train_loader` has unsupported type: {}.".format(
                    type(train_loader).__name__))
            if val_loader:
                if isinstance(val_loader, DataLoader):
                    val_iter = ValDataLoaderIter(val_loader)
                else:
                    val_iter = val_loader
            for iteration in range(num_iter):
                loss = self._train_batch(train_iter, accumulation_steps,
                                         non_blocking_transfer=non_blocking_transfer)
                if val_loader:
                    loss = self._validate(val_iter, non_blocking_transfer=non_blocking_transfer)
                self.history["lr"].append(lr_schedule.get_lr()[0])
                lr_schedule.step()
                if iteration == 0:
                    self.best_loss = loss
                else:
                    if smooth_f > 0:
                        loss = smooth_f * loss + (1 - smooth_f) * self.history["loss"][-1]
                    if loss < self.best_loss:
                        self.best_loss = loss
                self.history["loss"].append(loss)
                if loss > diverge_th * self.best_loss:
                    self.print("Stopping early, the loss has diverged")
                    break
            self.print("Learning rate search finished. See the graph with {finder_name}.plot()")

        def _set_learning_rate(self, new_lrs):
            if not isinstance(new_lrs, list):
                new_lrs = [new_lrs] * len(self.optimizer.param_groups)
            if len(new_lrs) != len(self.optimizer.param_groups):
                raise ValueError("Length of `new_lrs` is not equal to the number of parameter "
                                 "groups in the given optimizer")
            for param_group, new_lr in zip(self.optimizer.param_groups, new_lrs):
                param_group["lr"] = new_lr

        def _check_for_scheduler(self):
            for param_group in self.optimizer.param_groups:
                if "initial_lr" in param_group:
                    raise RuntimeError("Optimizer already has a scheduler attached to it")

        def _train_batch(self, train_iter, accumulation_steps, non_blocking_transfer=True):
            self.model.train()
            total_loss = None
            self.optimizer.zero_grad()
            for i in range(accumulation_steps):
                inputs, labels = next(train_iter)
                inputs, labels = self._move_to_device(inputs, labels,
                                                      non_blocking=non_blocking_transfer)
                if self.amp_backend == "torch":
                    with torch.amp.autocast(**self.amp_config):
                        outputs = self.model(inputs)
                        loss = self.criterion(outputs, labels)
                else:
                    outputs = self.model(inputs)
                    loss = self.criterion(outputs, labels)
                loss /= accumulation_steps
                if self.amp_backend == "torch":
                    self.grad_scaler.scale(loss).backward()
                else:
                    loss.backward()
                if total_loss is None:
                    total_loss = loss
                else:
                    total_loss += loss
            if self.amp_backend == "torch":
                self.grad_scaler.step(self.optimizer)
                self.grad_scaler.update()
            else:
                self.optimizer.step()
            return total_loss.item()

        def _move_to_device(self, inputs, labels, non_blocking=True):
            def move(obj, device, non_blocking=True):
                if hasattr(obj, "to"):
                    return obj.to(device, non_blocking=non_blocking)
                elif isinstance(obj, tuple):
                    return tuple(move(o, device, non_blocking) for o in obj)
                elif isinstance(obj, list):
                    return [move(o, device, non_blocking) for o in obj]
                elif isinstance(obj, dict):
                    return {k: move(o, device, non_blocking) for k, o in obj.items()}
                return obj
            inputs = move(inputs, self.device, non_blocking=non_blocking)
            labels = move(labels, self.device, non_blocking=non_blocking)
            return inputs, labels

        def _validate(self, val_iter, non_blocking_transfer=True):
            running_loss = 0
            self.model.eval()
            with torch.no_grad():
                for inputs, labels in val_iter:
                    inputs, labels = self._move_to_device(inputs, labels,
                                                          non_blocking=non_blocking_transfer)
                    outputs = self.model(inputs)
                    loss = self.criterion(outputs, labels)
                    running_loss += loss.item() * len(labels)
            return running_loss / len(val_iter.dataset)

        def suggestion(self, skip_start=10, skip_end=5):
            """plot()'s steepest-gradient suggestion, without the figure."""
            lrs, losses = self.history["lr"], self.history["loss"]
            if skip_end == 0:
                lrs, losses = lrs[skip_start:], losses[skip_start:]
            else:
                lrs, losses = lrs[skip_start:-skip_end], losses[skip_start:-skip_end]
            self.print("LR suggestion: steepest gradient")
            min_grad_idx = None
            try:
                min_grad_idx = (np.gradient(np.array(losses))).argmin()
            except ValueError:
                self.print("Failed to compute the gradients, there might not be enough points.")
            if min_grad_idx is not None:
                self.print("Suggested LR: {:.2E}".format(lrs[min_grad_idx]))
                return lrs[min_grad_idx]
            return None

    return dict(LRFinder=LRFinder, LinearLR=LinearLR, ExponentialLR=ExponentialLR,
                TrainDataLoaderIter=TrainDataLoaderIter, ValDataLoaderIter=ValDataLoaderIter)


def _task(L, n=48, seed=0):
    """A small classification set: 8 features, 3 classes (TensorDataset)."""
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.standard_normal((n, 8)).astype(np.float32))
    y = L.from_numpy(rng.integers(0, 3, n))
    return L.utils.data.TensorDataset(x, y)


def lr_finder(L):
    """README usage: exp range test (fastai way), linear with val_loader (Leslie Smith's),
    gradient accumulation, disk cache and reset(); then the repo tests' error cases."""
    torch, nn, optim = L, L.nn, L.optim
    m = _lr_finder_module(L)
    LRFinder = m["LRFinder"]
    torch.manual_seed(0)
    with Out() as o:
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
        criterion = nn.CrossEntropyLoss()
        optimizer = optim.Adam(model.parameters(), lr=1e-7, weight_decay=1e-2)
        trainloader = torch.utils.data.DataLoader(_task(L), batch_size=8, shuffle=True)
        val_loader = torch.utils.data.DataLoader(_task(L, 16, 1), batch_size=8)
        w0 = model[0].weight.detach().clone()

        lr_finder = LRFinder(model, optimizer, criterion, device="cpu", printer=o.print)
        lr_finder.range_test(trainloader, end_lr=100, num_iter=30)
        o.print(["%.4e" % v for v in lr_finder.history["lr"]])
        o.print(["%.4f" % v for v in lr_finder.history["loss"]])
        o.print("best %.4f" % lr_finder.best_loss)
        lr_finder.suggestion()
        lr_finder.reset()
        o.print(torch.equal(model[0].weight, w0), optimizer.param_groups[0]["lr"],
                len(optimizer.state))

        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        cache = tempfile.mkdtemp()
        lr_finder = LRFinder(model, optimizer, criterion, device="cpu", memory_cache=False,
                             cache_dir=cache, printer=o.print)
        lr_finder.range_test(trainloader, val_loader=val_loader, end_lr=1, num_iter=8,
                             step_mode="linear")
        o.print(["%.4e" % v for v in lr_finder.history["lr"]])
        o.print(["%.4f" % v for v in lr_finder.history["loss"]])
        lr_finder.suggestion(skip_start=1, skip_end=1)
        lr_finder.suggestion(skip_start=7, skip_end=0)
        o.vals += [p.detach().clone() for p in model.parameters()]
        lr_finder.reset()
        o.print(torch.equal(model[0].weight, w0), optimizer.param_groups[0]["lr"],
                sorted(optimizer.state_dict()["param_groups"][0]))
        del lr_finder
        o.print(sorted(os.listdir(cache)))

        acc_finder = LRFinder(model, optimizer, criterion, device="cpu", printer=o.print)
        small = torch.utils.data.DataLoader(_task(L), batch_size=4, shuffle=True)
        acc_finder.range_test(small, end_lr=10, num_iter=6, accumulation_steps=3,
                              smooth_f=0, diverge_th=2)
        o.print(["%.4f" % v for v in acc_finder.history["loss"]])
        acc_finder.reset()
        o.vals += [p.detach() for p in model.parameters()]

        # tests/test_lr_finder.py: a scheduler already attached, wrong arguments.
        sched = optim.lr_scheduler.StepLR(optimizer, 2)
        o.tryit(lambda: LRFinder(model, optimizer, criterion))
        del optimizer.param_groups[0]["initial_lr"]
        f = LRFinder(model, optimizer, criterion, printer=o.print)
        o.tryit(lambda: f.range_test(trainloader, num_iter=5, step_mode="cos"))
        o.tryit(lambda: f.range_test(trainloader, num_iter=1))
        o.tryit(lambda: f.range_test(trainloader, num_iter=3, smooth_f=1))
        o.tryit(lambda: f.range_test([1, 2], num_iter=3))
        o.tryit(lambda: f._set_learning_rate([0.1, 0.2]))
        o.print(type(sched).__mro__[1].__name__, sched.get_last_lr())
    return o.done()

