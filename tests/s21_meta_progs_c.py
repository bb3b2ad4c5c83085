"""tristandeleu/pytorch-maml (the version with its own maml/modules) as users type it:
MetaModule (meta_named_parameters through nn.Module._named_members), MetaConv2d / MetaLinear /
MetaBatchNorm2d subclassing the torch layers with a ``forward(input, params=None)`` through
F.conv2d / F.linear / F.batch_norm, MetaSequential with get_subdict, update_parameters
(torch.autograd.grad with create_graph: second-order MAML), and ModelAgnosticMetaLearning
with per-parameter learnable step sizes added to the optimizer by add_param_group. torchmeta's
Omniglot batches are seeded NumPy stand-ins (batch 2, 3-way 1-shot train, 2-shot test, 1x8x8
images, hidden size 4). Each program is ``prog(torch) -> (printed lines, values)``."""

import re
from collections import OrderedDict

import numpy as np
from s16_yunjey_progs import Out


def get_subdict(dictionary, key=None):
    if dictionary is None:
        return None
    if (key is None) or (key == ''):
        return dictionary
    key_re = re.compile(r'^{0}\.(.+)'.format(re.escape(key)))
    return OrderedDict((key_re.sub(r'\1', k), value) for (k, value)
                       in dictionary.items() if key_re.match(k) is not None)


def _maml_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional
    from_bn = L.nn.modules.batchnorm._BatchNorm

    class MetaModule(nn.Module):
        def meta_named_parameters(self, prefix='', recurse=True):
            gen = self._named_members(
                lambda module: module._parameters.items()
                if isinstance(module, MetaModule) else [],
                prefix=prefix, recurse=recurse)
            for elem in gen:
                yield elem

        def meta_parameters(self, recurse=True):
            for name, param in self.meta_named_parameters(recurse=recurse):
                yield param

    class MetaConv2d(nn.Conv2d, MetaModule):
        def forward(self, input, params=None):
            if params is None:
                params = OrderedDict(self.named_parameters())
            bias = params.get('bias', None)
            return F.conv2d(input, params['weight'], bias,
                            self.stride, self.padding, self.dilation, self.groups)

    class MetaLinear(nn.Linear, MetaModule):
        def forward(self, input, params=None):
            if params is None:
                params = OrderedDict(self.named_parameters())
            bias = params.get('bias', None)
            return F.linear(input, params['weight'], bias)

    class MetaBatchNorm2d(from_bn, MetaModule):
        def _check_input_dim(self, input):
            if input.dim() != 4:
                raise ValueError('expected 4D input (got {}D input)'.format(input.dim()))

        def forward(self, input, params=None):
            self._check_input_dim(input)
            if params is None:
                params = OrderedDict(self.named_parameters())
            exponential_average_factor = 0.0
            if self.training and self.track_running_stats:
                if self.num_batches_tracked is not None:
                    self.num_batches_tracked += 1
                    if self.momentum is None:  # use cumulative moving average
                        exponential_average_factor = 1.0 / float(self.num_batches_tracked)
                    else:  # use exponential moving average
                        exponential_average_factor = self.momentum
            weight = params.get('weight', None)
            bias = params.get('bias', None)
            return F.batch_norm(
                input, self.running_mean, self.running_var, weight, bias,
                self.training or not self.track_running_stats,
                exponential_average_factor, self.eps)

    class MetaSequential(nn.Sequential, MetaModule):
        def forward(self, input, params=None):
            for name, module in self._modules.items():
                if isinstance(module, MetaModule):
                    input = module(input, params=get_subdict(params, name))
                elif isinstance(module, nn.Module):
                    input = module(input)
                else:
                    raise TypeError('The module must be either a torch module '
                                    '(inheriting from `nn.Module`), or a `MetaModule`. '
                                    'Got type: `{0}`'.format(type(module)))
            return input

    def conv_block(in_channels, out_channels, **kwargs):
        return MetaSequential(OrderedDict([
            ('conv', MetaConv2d(in_channels, out_channels, **kwargs)),
            ('norm', MetaBatchNorm2d(out_channels, momentum=1., track_running_stats=False)),
            ('relu', nn.LeakyReLU())
        ]))

    class MetaVGGNetwork(MetaModule):
        def __init__(self, in_channels, out_features, hidden_size=64):
            super(MetaVGGNetwork, self).__init__()
            self.in_channels = in_channels
            self.out_features = out_features
            self.hidden_size = hidden_size
            self.features = MetaSequential(OrderedDict([
                ('conv1', conv_block(in_channels, hidden_size, kernel_size=3,
                                     stride=1, padding=1, bias=True)),
                ('pool1', nn.MaxPool2d(2)),
                ('conv2', conv_block(hidden_size, hidden_size, kernel_size=3,
                                     stride=1, padding=1, bias=True)),
                ('pool2', nn.MaxPool2d(2)),
                ('conv3', conv_block(hidden_size, hidden_size, kernel_size=3,
                                     stride=1, padding=1, bias=True)),
                ('pool3', nn.MaxPool2d(2)),
            ]))
            self.classifier = MetaLinear(hidden_size, out_features, bias=True)

        def forward(self, inputs, params=None):
            features = self.features(inputs, params=get_subdict(params, 'features'))
            features = features.view((features.size(0), -1))
            logits = self.classifier(features, params=get_subdict(params, 'classifier'))
            return logits

    def update_parameters(model, loss, params=None, step_size=0.5, first_order=False):
        if not isinstance(model, MetaModule):
            raise ValueError()
        grads = torch.autograd.grad(loss, model.meta_parameters(),
                                    create_graph=not first_order)
        if params is None:
            params = OrderedDict(model.meta_named_parameters())
        out = OrderedDict()
        if not isinstance(step_size, dict):
            step_size = OrderedDict((name, step_size)
                                    for (name, _) in model.meta_named_parameters())
        for (name, param), grad in zip(params.items(), grads):
            out[name] = param - step_size[name] * grad
        return out

    return MetaModule, MetaVGGNetwork, update_parameters


def maml_metalearner(L, first_order=False, per_param_step_size=True, batched=False):
    """maml/metalearner.py + train.py: second-order MAML with learnable step sizes. The
    per-task inner loss is the later version's; ``batched``: the earlier get_outer_loss (one
    inner forward for all tasks, a grad per task), whose first-order form frees the graph
    after the first task: PyTorch's RuntimeError, caught and printed."""
    torch, F = L, L.nn.functional
    MetaModule, MetaVGGNetwork, update_parameters = _maml_modules(L)

    class ModelAgnosticMetaLearning(object):
        def __init__(self, model, optimizer, step_size=0.1, first_order=False,
                     learn_step_size=True, per_param_step_size=True,
                     scheduler=None, loss_function=F.cross_entropy, num_workers=4):
            self.model = model
            self.optimizer = optimizer
            self.step_size = step_size
            self.first_order = first_order
            self.num_workers = num_workers
            self.scheduler = scheduler
            self.loss_function = loss_function
            if per_param_step_size:
                self.step_size = OrderedDict((name, torch.tensor(
                    step_size, dtype=param.dtype, device=param.device,
                    requires_grad=learn_step_size)) for (name, param)
                    in model.meta_named_parameters())
            else:
                self.step_size = torch.tensor(step_size, dtype=torch.float32,
                                              device=None, requires_grad=learn_step_size)
            if learn_step_size:
                self.optimizer.add_param_group({'params': self.step_size.values()
                                                if per_param_step_size else [self.step_size]})

        def get_inner_loss(self, inputs, targets):
            logits = self.model(inputs.view(-1, *inputs.shape[2:]))
            inner_loss = self.loss_function(logits, targets.view(-1), reduction='none')
            inner_loss = torch.mean(inner_loss.view_as(targets), dim=1)
            return inner_loss

        def get_outer_loss(self, batch):
            if batch['test'] is None:
                raise RuntimeError('The batch does not contain any test dataset.')
            if batched:
                return self.get_outer_loss_batched(batch)
            outer_loss = torch.tensor(0.)
            for task_id, (train_inputs, train_targets, test_inputs, test_targets) in \
                    enumerate(zip(*batch['train'], *batch['test'])):
                train_logits = self.model(train_inputs)
                inner_loss = self.loss_function(train_logits, train_targets)
                params = update_parameters(self.model, inner_loss,
                                           step_size=self.step_size,
                                           first_order=self.first_order)
                test_logits = self.model(test_inputs, params=params)
                outer_loss += self.loss_function(test_logits, test_targets)
            outer_loss.div_(test_targets.size(0))
            return outer_loss

        def get_outer_loss_batched(self, batch):
            inner_loss = self.get_inner_loss(*batch['train'])
            outer_loss = torch.tensor(0.)
            for task_id, (test_inputs, test_targets) in enumerate(zip(*batch['test'])):
                params = update_parameters(self.model, inner_loss[task_id],
                                           step_size=self.step_size,
                                           first_order=self.first_order)
                test_logits = self.model(test_inputs, params=params)
                outer_loss += self.loss_function(test_logits, test_targets)
            outer_loss.div_(test_targets.size(0))
            return outer_loss

        def train_iter(self, dataloader, max_batches=500):
            num_batches = 0
            while num_batches < max_batches:
                for batch in dataloader:
                    if num_batches >= max_batches:
                        break
                    self.model.train()
                    self.optimizer.zero_grad()
                    outer_loss = self.get_outer_loss(batch)
                    yield outer_loss
                    outer_loss.backward()
                    self.optimizer.step()
                    num_batches += 1

    def batches(seed, n=3):
        rng = np.random.RandomState(seed)
        out = []
        for _ in range(n):
            b = {}
            for split, k in (('train', 1), ('test', 2)):
                x = rng.rand(2, 3 * k, 1, 8, 8).astype(np.float32)
                y = np.stack([rng.permutation(np.repeat(np.arange(3), k)) for _ in range(2)])
                b[split] = (torch.from_numpy(x), torch.from_numpy(y))
            out.append(b)
        return out

    o = Out()
    with o:
        torch.manual_seed(1)
        model = MetaVGGNetwork(1, 3, hidden_size=4)
        o.print(model)
        o.print([n for n, _ in model.meta_named_parameters()])
        o.print(len(list(model.meta_parameters())), len(list(model.parameters())))
        meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        metalearner = ModelAgnosticMetaLearning(model, meta_optimizer, step_size=0.4,
                                                first_order=first_order,
                                                per_param_step_size=per_param_step_size)
        o.print(len(meta_optimizer.param_groups), [len(g['params'])
                                                   for g in meta_optimizer.param_groups])
        try:
            for i, loss in enumerate(metalearner.train_iter(batches(0), max_batches=3)):
                o.print('batch {} outer loss {:.4f}'.format(i, loss.item()))
                o.vals.append(loss.detach())
        except RuntimeError as e:
            o.print(type(e).__name__, str(e).splitlines()[0])
        steps = (metalearner.step_size.values() if per_param_step_size
                 else [metalearner.step_size])
        o.vals += [s.detach() for s in steps]
        o.vals += [p.detach() for n, p in model.named_parameters() if 'weight' in n]
        o.print([s.grad is None for s in steps][:3], model.features.conv1.norm)
    return o.done()


def maml_first_order(L):
    return maml_metalearner(L, first_order=True, per_param_step_size=False)


def maml_batched(L):
    return maml_metalearner(L, batched=True)


def maml_batched_first_order(L):
    return maml_metalearner(L, first_order=True, batched=True)
