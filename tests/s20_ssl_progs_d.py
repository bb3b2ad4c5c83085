"""Self-supervised learning and training tricks as popular code writes them, scaled down,
as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_ssl.py. This file:
lucidrains/byol-pytorch (byol_pytorch.py: NetWrapper's forward hook, EMA target network,
normalized MSE loss) and timm's data/mixup.py (one_hot by scatter_, Mixup's batch mixup and
cutmix, SoftTargetCrossEntropy)."""

import copy
from functools import wraps

import numpy as np
from s16_yunjey_progs import Out
from s20_ssl_progs_c import _net


def byol(L):
    """lucidrains/byol-pytorch: singleton decorator, NetWrapper with a forward hook on
    children()[-2] (flatten(output)), MLP with BatchNorm1d, deepcopy target encoder with
    requires_grad False, loss_fn (normalize, 2 - 2 * (x * y).sum(dim=-1)), EMA
    update_moving_average via .data assignment, detach_() inside no_grad."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(3)

        def default(val, def_val):
            return def_val if val is None else val

        def flatten(t):
            return t.reshape(t.shape[0], -1)

        def singleton(cache_key):
            def inner_fn(fn):
                @wraps(fn)
                def wrapper(self, *args, **kwargs):
                    instance = getattr(self, cache_key)
                    if instance is not None:
                        return instance
                    instance = fn(self, *args, **kwargs)
                    setattr(self, cache_key, instance)
                    return instance
                return wrapper
            return inner_fn

        def set_requires_grad(model, val):
            for p in model.parameters():
                p.requires_grad = val

        def loss_fn(x, y):
            x = F.normalize(x, dim=-1, p=2)
            y = F.normalize(y, dim=-1, p=2)
            return 2 - 2 * (x * y).sum(dim=-1)

        class EMA():
            def __init__(self, beta):
                super().__init__()
                self.beta = beta

            def update_average(self, old, new):
                if old is None:
                    return new
                return old * self.beta + (1 - self.beta) * new

        def update_moving_average(ema_updater, ma_model, current_model):
            for current_params, ma_params in zip(current_model.parameters(),
                                                 ma_model.parameters()):
                old_weight, up_weight = ma_params.data, current_params.data
                ma_params.data = ema_updater.update_average(old_weight, up_weight)

        def MLP(dim, projection_size, hidden_size=16):
            return nn.Sequential(nn.Linear(dim, hidden_size), nn.BatchNorm1d(hidden_size),
                                 nn.ReLU(inplace=True), nn.Linear(hidden_size, projection_size))

        class NetWrapper(nn.Module):
            def __init__(self, net, projection_size, projection_hidden_size, layer=-2):
                super().__init__()
                self.net = net
                self.layer = layer
                self.projector = None
                self.projection_size = projection_size
                self.projection_hidden_size = projection_hidden_size
                self.hidden = {}
                self.hook_registered = False

            def _find_layer(self):
                if type(self.layer) == str:
                    modules = dict([*self.net.named_modules()])
                    return modules.get(self.layer, None)
                elif type(self.layer) == int:
                    children = [*self.net.children()]
                    return children[self.layer]
                return None

            def _hook(self, _, input, output):
                device = input[0].device
                self.hidden[device] = flatten(output)

            def _register_hook(self):
                layer = self._find_layer()
                assert layer is not None, f'hidden layer ({self.layer}) not found'
                layer.register_forward_hook(self._hook)
                self.hook_registered = True

            @singleton('projector')
            def _get_projector(self, hidden):
                _, dim = hidden.shape
                projector = MLP(dim, self.projection_size, self.projection_hidden_size)
                return projector.to(hidden)

            def get_representation(self, x):
                if not self.hook_registered:
                    self._register_hook()
                self.hidden.clear()
                _ = self.net(x)
                hidden = self.hidden[x.device]
                self.hidden.clear()
                return hidden

            def forward(self, x, return_projection=True):
                representation = self.get_representation(x)
                if not return_projection:
                    return representation
                projector = self._get_projector(representation)
                projection = projector(representation)
                return projection, representation

        class BYOL(nn.Module):
            def __init__(self, net, image_size, hidden_layer=-2, projection_size=8,
                         projection_hidden_size=16, moving_average_decay=0.99):
                super().__init__()
                self.net = net
                self.augment1 = default(None, lambda x: x + 0.05 * L.randn_like(x))
                self.augment2 = default(None, self.augment1)
                self.online_encoder = NetWrapper(net, projection_size, projection_hidden_size,
                                                 layer=hidden_layer)
                self.target_encoder = None
                self.target_ema_updater = EMA(moving_average_decay)
                self.online_predictor = MLP(projection_size, projection_size,
                                            projection_hidden_size)
                device = next(net.parameters()).device
                self.to(device)
                self.forward(L.randn(2, 3, image_size, image_size, device=device))

            @singleton('target_encoder')
            def _get_target_encoder(self):
                target_encoder = copy.deepcopy(self.online_encoder)
                set_requires_grad(target_encoder, False)
                return target_encoder

            def update_moving_average(self):
                assert self.target_encoder is not None, 'target encoder has not been created yet'
                update_moving_average(self.target_ema_updater, self.target_encoder,
                                      self.online_encoder)

            def forward(self, x, return_embedding=False):
                if return_embedding:
                    return self.online_encoder(x)
                image_one, image_two = self.augment1(x), self.augment2(x)
                online_proj_one, _ = self.online_encoder(image_one)
                online_proj_two, _ = self.online_encoder(image_two)
                online_pred_one = self.online_predictor(online_proj_one)
                online_pred_two = self.online_predictor(online_proj_two)
                with L.no_grad():
                    target_encoder = self._get_target_encoder()
                    target_proj_one, _ = target_encoder(image_one)
                    target_proj_two, _ = target_encoder(image_two)
                    target_proj_one.detach_()
                    target_proj_two.detach_()
                loss_one = loss_fn(online_pred_one, target_proj_two.detach())
                loss_two = loss_fn(online_pred_two, target_proj_one.detach())
                loss = loss_one + loss_two
                return loss.mean()

        resnet = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                               nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 5))
        learner = BYOL(resnet, image_size=6, hidden_layer=-2)
        o.print(learner.online_encoder.projector)
        o.print(len(list(learner.parameters())), learner.target_encoder is not None)
        # the README's Adam(lr=3e-4) divides gradients that are zero analytically (biases
        # that feed a BatchNorm) by their own root mean square: it turns the last-bit BLAS
        # noise in them into full-size steps, so the comparison takes SGD instead
        opt = L.optim.SGD(learner.parameters(), lr=0.01, momentum=0.9)
        rng = np.random.default_rng(3)
        for i in range(3):
            images = L.from_numpy(rng.random((8, 3, 6, 6), dtype=np.float32))
            loss = learner(images)
            opt.zero_grad()
            loss.backward()
            opt.step()
            learner.update_moving_average()
            o.print(f"step {i} loss {loss.item():.4f}")
            o.vals += [loss]
        learner.eval()
        with L.no_grad():
            projection, embedding = learner(images, return_embedding=True)
        o.print(tuple(projection.shape), tuple(embedding.shape))
        o.vals += [projection, embedding] + list(learner.target_encoder.parameters())
        o.vals += list(learner.online_encoder.parameters())
        o.print(all(not p.requires_grad for p in learner.target_encoder.parameters()))
    return o.done()


def timm_mixup(L):
    """timm/data/mixup.py: one_hot via torch.full(...).scatter_(1, x, on_value),
    mixup_target (label-smoothed, flipped batch), rand_bbox with a margin and
    np.random.randint, cutmix_bbox_and_lam with correct_lam, Mixup._mix_batch (x.flip(0)
    .mul_(1. - lam), x.mul_(lam).add_(x_flipped), box pasting), SoftTargetCrossEntropy."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(13); np.random.seed(13)

        def one_hot(x, num_classes, on_value=1., off_value=0.):
            x = x.long().view(-1, 1)
            return L.full((x.size()[0], num_classes), off_value, device=x.device).scatter_(
                1, x, on_value)

        def mixup_target(target, num_classes, lam=1., smoothing=0.0):
            off_value = smoothing / num_classes
            on_value = 1. - smoothing + off_value
            y1 = one_hot(target, num_classes, on_value=on_value, off_value=off_value)
            y2 = one_hot(target.flip(0), num_classes, on_value=on_value, off_value=off_value)
            return y1 * lam + y2 * (1. - lam)

        def rand_bbox(img_shape, lam, margin=0., count=None):
            ratio = np.sqrt(1 - lam)
            img_h, img_w = img_shape[-2:]
            cut_h, cut_w = int(img_h * ratio), int(img_w * ratio)
            margin_y, margin_x = int(margin * cut_h), int(margin * cut_w)
            cy = np.random.randint(0 + margin_y, img_h - margin_y, size=count)
            cx = np.random.randint(0 + margin_x, img_w - margin_x, size=count)
            yl = np.clip(cy - cut_h // 2, 0, img_h)
            yh = np.clip(cy + cut_h // 2, 0, img_h)
            xl = np.clip(cx - cut_w // 2, 0, img_w)
            xh = np.clip(cx + cut_w // 2, 0, img_w)
            return yl, yh, xl, xh

        def cutmix_bbox_and_lam(img_shape, lam, correct_lam=True, count=None):
            yl, yu, xl, xu = rand_bbox(img_shape, lam, count=count)
            if correct_lam:
                bbox_area = (yu - yl) * (xu - xl)
                lam = 1. - bbox_area / float(img_shape[-2] * img_shape[-1])
            return (yl, yu, xl, xu), lam

        class Mixup:
            def __init__(self, mixup_alpha=1., cutmix_alpha=0., prob=1.0, switch_prob=0.5,
                         label_smoothing=0.1, num_classes=1000):
                self.mixup_alpha, self.cutmix_alpha = mixup_alpha, cutmix_alpha
                self.mix_prob, self.switch_prob = prob, switch_prob
                self.label_smoothing, self.num_classes = label_smoothing, num_classes
                self.correct_lam = True

            def _params_per_batch(self):
                lam = 1.
                use_cutmix = False
                if np.random.rand() < self.mix_prob:
                    if self.mixup_alpha > 0. and self.cutmix_alpha > 0.:
                        use_cutmix = np.random.rand() < self.switch_prob
                        lam_mix = np.random.beta(self.cutmix_alpha, self.cutmix_alpha) \
                            if use_cutmix else np.random.beta(self.mixup_alpha, self.mixup_alpha)
                    elif self.mixup_alpha > 0.:
                        lam_mix = np.random.beta(self.mixup_alpha, self.mixup_alpha)
                    else:
                        use_cutmix = True
                        lam_mix = np.random.beta(self.cutmix_alpha, self.cutmix_alpha)
                    lam = float(lam_mix)
                return lam, use_cutmix

            def _mix_batch(self, x):
                lam, use_cutmix = self._params_per_batch()
                if lam == 1.:
                    return 1.
                if use_cutmix:
                    (yl, yh, xl, xh), lam = cutmix_bbox_and_lam(x.shape, lam,
                                                                correct_lam=self.correct_lam)
                    x[:, :, yl:yh, xl:xh] = x.flip(0)[:, :, yl:yh, xl:xh]
                else:
                    x_flipped = x.flip(0).mul_(1. - lam)
                    x.mul_(lam).add_(x_flipped)
                return lam, use_cutmix

            def __call__(self, x, target):
                assert len(x) % 2 == 0, 'Batch size should be even when using this'
                lam, use_cutmix = self._mix_batch(x)
                target = mixup_target(target, self.num_classes, lam, self.label_smoothing)
                return x, target, use_cutmix

        class SoftTargetCrossEntropy(nn.Module):
            def forward(self, x, target):
                loss = L.sum(-target * F.log_softmax(x, dim=-1), dim=-1)
                return loss.mean()

        o.print(one_hot(L.tensor([1, 0, 3]), 4, on_value=0.925, off_value=0.025))
        o.tryit(lambda: L.full((3, 4), 0.025).scatter_(1, L.tensor([[1], [0], [3]]),
                                                         L.tensor(0.925)))
        model = _net(L, classes=6)
        mixup_fn = Mixup(mixup_alpha=0.8, cutmix_alpha=1.0, prob=1.0, switch_prob=0.5,
                         label_smoothing=0.1, num_classes=6)
        criterion = SoftTargetCrossEntropy()
        # (SGD: Adam's steps on the conv bias, whose gradient is zero analytically before the
        # BatchNorm, would be last-bit noise scaled to full size)
        optimizer = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.05)
        rng = np.random.default_rng(13)
        for step in range(4):
            samples = L.from_numpy(rng.random((4, 3, 6, 6), dtype=np.float32))
            targets = L.from_numpy(rng.integers(0, 6, 4))
            samples, targets, use_cutmix = mixup_fn(samples, targets)
            outputs = model(samples)
            loss = criterion(outputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print(f"step {step} cutmix={use_cutmix} loss {loss.item():.4f}",
                    tuple(targets.shape), targets.dtype)
            o.vals += [loss, samples, targets]
        o.vals += list(model.parameters())
    return o.done()
