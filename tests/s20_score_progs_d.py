"""ermongroup/ncsn as users type it: losses/dsm.py (anneal_dsm_score_estimation), losses/
sliced_sm.py (sliced score matching with torch.autograd.grad(create_graph=True)), runners/
anneal_runner.py (training with dequantisation and the logit transform, DataParallel, annealed
Langevin dynamics and its inpainting variant), with CondRefineNetDilated shrunk to one
conditional residual block on 1x8x8 images (ConditionalInstanceNorm2dPlus kept)."""

import io

import numpy as np
from s16_yunjey_progs import Out


def _ncsn_net(L, ngf=4, num_classes=5):
    torch, nn = L, L.nn
    F = nn.functional

    class ConditionalInstanceNorm2dPlus(nn.Module):
        def __init__(self, num_features, num_classes, bias=True):
            super().__init__()
            self.num_features = num_features
            self.bias = bias
            self.instance_norm = nn.InstanceNorm2d(
                num_features, affine=False, track_running_stats=False
            )
            if bias:
                self.embed = nn.Embedding(num_classes, num_features * 3)
                self.embed.weight.data[:, : 2 * num_features].normal_(1, 0.02)
                self.embed.weight.data[:, 2 * num_features :].zero_()
            else:
                self.embed = nn.Embedding(num_classes, 2 * num_features)
                self.embed.weight.data.normal_(1, 0.02)

        def forward(self, x, y):
            means = torch.mean(x, dim=(2, 3))
            m = torch.mean(means, dim=-1, keepdim=True)
            v = torch.var(means, dim=-1, keepdim=True)
            means = (means - m) / (torch.sqrt(v + 1e-5))
            h = self.instance_norm(x)
            if self.bias:
                gamma, alpha, beta = self.embed(y).chunk(3, dim=-1)
                h = h + means[..., None, None] * alpha[..., None, None]
                out = gamma.view(-1, self.num_features, 1, 1) * h + beta.view(
                    -1, self.num_features, 1, 1
                )
            else:
                gamma, alpha = self.embed(y).chunk(2, dim=-1)
                h = h + means[..., None, None] * alpha[..., None, None]
                out = gamma.view(-1, self.num_features, 1, 1) * h
            return out

    class ConditionalResidualBlock(nn.Module):
        def __init__(
            self,
            input_dim,
            output_dim,
            num_classes,
            resample=None,
            act=nn.ELU(),
            normalization=ConditionalInstanceNorm2dPlus,
            dilation=None,
        ):
            super().__init__()
            self.non_linearity = act
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.resample = resample
            if resample == 'down':
                self.conv1 = nn.Conv2d(
                    input_dim, input_dim, 3, stride=1, padding=dilation, dilation=dilation
                )
                self.normalize2 = normalization(input_dim, num_classes)
                self.conv2 = nn.Conv2d(
                    input_dim, output_dim, 3, stride=2, padding=dilation, dilation=dilation
                )
                conv_shortcut = nn.Conv2d
            else:
                self.conv1 = nn.Conv2d(input_dim, output_dim, 3, stride=1, padding=1)
                self.normalize2 = normalization(output_dim, num_classes)
                self.conv2 = nn.Conv2d(output_dim, output_dim, 3, stride=1, padding=1)
                conv_shortcut = nn.Conv2d
            if output_dim != input_dim or resample is not None:
                self.shortcut = conv_shortcut(input_dim, output_dim, 1, stride=2 if resample else 1)
            self.normalize1 = normalization(input_dim, num_classes)

        def forward(self, x, y):
            output = self.normalize1(x, y)
            output = self.non_linearity(output)
            output = self.conv1(output)
            output = self.normalize2(output, y)
            output = self.non_linearity(output)
            output = self.conv2(output)
            if self.output_dim == self.input_dim and self.resample is None:
                shortcut = x
            else:
                shortcut = self.shortcut(x)
            return shortcut + output

    class CondRefineNetDilated(nn.Module):
        def __init__(self, logit_transform=False):
            super().__init__()
            self.logit_transform = logit_transform
            self.norm = ConditionalInstanceNorm2dPlus
            self.ngf = ngf
            self.num_classes = num_classes
            self.act = act = nn.ELU()
            self.begin_conv = nn.Conv2d(1, ngf, 3, stride=1, padding=1)
            self.normalizer = self.norm(ngf, self.num_classes)
            self.end_conv = nn.Conv2d(ngf, 1, 3, stride=1, padding=1)
            self.res1 = nn.ModuleList(
                [
                    ConditionalResidualBlock(
                        self.ngf,
                        self.ngf,
                        self.num_classes,
                        resample=None,
                        act=act,
                        normalization=self.norm,
                    ),
                    ConditionalResidualBlock(
                        self.ngf,
                        2 * self.ngf,
                        self.num_classes,
                        resample='down',
                        act=act,
                        normalization=self.norm,
                        dilation=2,
                    ),
                ]
            )

        def _compute_cond_module(self, module, x, y):
            for m in module:
                x = m(x, y)
            return x

        def forward(self, x, y):
            if not self.logit_transform:
                x = 2 * x - 1.0
            output = self.begin_conv(x)
            layer1 = self._compute_cond_module(self.res1[:1], output, y)
            down = self.res1[1](layer1, y)
            up = F.interpolate(down, size=x.shape[2:], mode='bilinear', align_corners=True)
            output = layer1 + up.mean(dim=1, keepdim=True)
            output = self.normalizer(output, y)
            output = self.act(output)
            output = self.end_conv(output)
            return output

    return CondRefineNetDilated


def _losses(L):
    torch = L
    autograd = L.autograd

    def anneal_dsm_score_estimation(scorenet, samples, labels, sigmas, anneal_power=2.0):
        used_sigmas = sigmas[labels].view(samples.shape[0], *([1] * len(samples.shape[1:])))
        perturbed_samples = samples + torch.randn_like(samples) * used_sigmas
        target = -1 / (used_sigmas**2) * (perturbed_samples - samples)
        scores = scorenet(perturbed_samples, labels)
        target = target.view(target.shape[0], -1)
        scores = scores.view(scores.shape[0], -1)
        loss = (
            1 / 2.0 * ((scores - target) ** 2).sum(dim=-1) * used_sigmas.squeeze() ** anneal_power
        )
        return loss.mean(dim=0)

    def anneal_sliced_score_estimation_vr(scorenet, samples, labels, sigmas, n_particles=1):
        used_sigmas = sigmas[labels].view(samples.shape[0], *([1] * len(samples.shape[1:])))
        perturbed_samples = samples + torch.randn_like(samples) * used_sigmas
        dup_samples = (
            perturbed_samples.unsqueeze(0)
            .expand(n_particles, *samples.shape)
            .contiguous()
            .view(-1, *samples.shape[1:])
        )
        dup_labels = labels.unsqueeze(0).expand(n_particles, *labels.shape).contiguous().view(-1)
        dup_samples.requires_grad_(True)
        vectors = torch.randn_like(dup_samples)
        grad1 = scorenet(dup_samples, dup_labels)
        gradv = torch.sum(grad1 * vectors)
        grad2 = autograd.grad(gradv, dup_samples, create_graph=True)[0]
        grad1 = grad1.view(dup_samples.shape[0], -1)
        loss1 = torch.sum(grad1 * grad1, dim=-1) / 2.0
        loss2 = torch.sum((vectors * grad2).view(dup_samples.shape[0], -1), dim=-1)
        loss1 = loss1.view(n_particles, -1).mean(dim=0)
        loss2 = loss2.view(n_particles, -1).mean(dim=0)
        loss = (loss1 + loss2) * (used_sigmas.squeeze() ** 2)
        return loss.mean(dim=0)

    return anneal_dsm_score_estimation, anneal_sliced_score_estimation_vr


def _data(L, n, seed):
    rng = np.random.default_rng(seed)
    x = L.from_numpy(rng.integers(0, 256, (n, 1, 8, 8), dtype=np.uint8)).float() / 255
    return x, L.from_numpy(rng.integers(0, 10, n))


def anneal_runner(L, algo='dsm', logit=False, seed=0):
    """AnnealRunner.train (dsm or ssm) for a few steps, the periodic test loss under no_grad,
    the checkpoint as [score.state_dict(), optimizer.state_dict()] through a buffer, then
    AnnealRunner.test's annealed Langevin dynamics from torch.rand samples."""
    torch, optim = L, L.optim
    o = Out()
    with o:
        torch.manual_seed(seed)
        anneal_dsm, anneal_ssm = _losses(L)

        def logit_transform(image, lam=1e-6):
            image = lam + (1 - 2 * lam) * image
            return torch.log(image) - torch.log1p(-image)

        score = _ncsn_net(L)(logit_transform=logit)
        score = torch.nn.DataParallel(score)
        optimizer = optim.Adam(
            score.parameters(), lr=0.001, weight_decay=0.000, betas=(0.9, 0.999), amsgrad=False
        )
        sigmas = torch.tensor(np.exp(np.linspace(np.log(1.0), np.log(0.01), 5))).float()
        o.print(sigmas.dtype, list(score.state_dict().keys())[:4])
        step = 0
        for i in range(3):
            X, y = _data(L, 4, seed + i)
            step += 1
            score.train()
            X = X / 256.0 * 255.0 + torch.rand_like(X) / 256.0
            if logit:
                X = logit_transform(X)
            labels = torch.randint(0, len(sigmas), (X.shape[0],), device=X.device)
            if algo == 'dsm':
                loss = anneal_dsm(score, X, labels, sigmas, 2.0)
            else:
                loss = anneal_ssm(score, X, labels, sigmas, n_particles=2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print("step: {}, loss: {:.4f}".format(step, loss.item()))
            o.vals.append(loss.detach())
            if step % 2 == 0:
                score.eval()
                test_X, test_y = _data(L, 4, 50)
                test_X = test_X / 256.0 * 255.0 + torch.rand_like(test_X) / 256.0
                if logit:
                    test_X = logit_transform(test_X)
                test_labels = torch.randint(
                    0, len(sigmas), (test_X.shape[0],), device=test_X.device
                )
                with torch.no_grad():
                    test_dsm_loss = anneal_dsm(score, test_X, test_labels, sigmas, 2.0)
                o.print("step: {}, test_dsm_loss: {:.4f}".format(step, test_dsm_loss.item()))
                o.vals.append(test_dsm_loss)
        states = [score.state_dict(), optimizer.state_dict()]
        buf = io.BytesIO()
        torch.save(states, buf)
        buf.seek(0)
        states = torch.load(buf)
        score = _ncsn_net(L)(logit_transform=logit)
        score = torch.nn.DataParallel(score)
        score.load_state_dict(states[0])
        score.eval()

        def anneal_Langevin_dynamics(x_mod, scorenet, sigmas, n_steps_each=100, step_lr=0.00002):
            images = []
            with torch.no_grad():
                for c, sigma in enumerate(sigmas):
                    labels = torch.ones(x_mod.shape[0], device=x_mod.device) * c
                    labels = labels.long()
                    step_size = step_lr * (sigma / sigmas[-1]) ** 2
                    for s in range(n_steps_each):
                        images.append(torch.clamp(x_mod, 0.0, 1.0).to('cpu'))
                        noise = torch.randn_like(x_mod) * np.sqrt(step_size * 2)
                        grad = scorenet(x_mod, labels)
                        x_mod = x_mod + step_size * grad + noise
                return images

        grid_size = 2
        samples = torch.rand(grid_size**2, 1, 8, 8)
        all_samples = anneal_Langevin_dynamics(samples, score, sigmas.cpu().numpy(), 2, 0.00002)
        o.print(len(all_samples), all_samples[-1].dtype, all_samples[-1].shape)
        for i, sample in enumerate(all_samples[-2:]):
            sample = sample.view(grid_size**2, 1, 8, 8)
            if logit:
                sample = torch.sigmoid(sample)
            o.vals.append(sample)
    return o.done()


def anneal_dsm(L):
    return anneal_runner(L, 'dsm', False, 0)


def anneal_ssm_logit(L):
    return anneal_runner(L, 'ssm', True, 1)


def inpainting(L):
    """anneal_Langevin_dynamics_inpainting: refer_image expanded per sample, the left half
    overwritten by slice assignment in every step."""
    torch = L
    o = Out()
    with o:
        torch.manual_seed(3)
        score = _ncsn_net(L)()
        score.eval()
        sigmas = np.exp(np.linspace(np.log(1.0), np.log(0.01), 3))

        def anneal_Langevin_dynamics_inpainting(
            x_mod, refer_image, scorenet, sigmas, n_steps_each=100, step_lr=0.000008
        ):
            images = []
            refer_image = refer_image.unsqueeze(1).expand(-1, x_mod.shape[1], -1, -1, -1)
            refer_image = refer_image.contiguous().view(-1, 1, 8, 8)
            x_mod = x_mod.view(-1, 1, 8, 8)
            half_refer_image = refer_image[..., :4]
            with torch.no_grad():
                for c, sigma in enumerate(sigmas):
                    labels = torch.ones(x_mod.shape[0], device=x_mod.device) * c
                    labels = labels.long()
                    step_size = step_lr * (sigma / sigmas[-1]) ** 2
                    corrupted_half_image = (
                        half_refer_image + torch.randn_like(half_refer_image) * sigma
                    )
                    x_mod[:, :, :, :4] = corrupted_half_image
                    for s in range(n_steps_each):
                        images.append(torch.clamp(x_mod, 0.0, 1.0).to('cpu'))
                        noise = torch.randn_like(x_mod) * np.sqrt(step_size * 2)
                        grad = scorenet(x_mod, labels)
                        x_mod = x_mod + step_size * grad + noise
                        x_mod[:, :, :, :4] = corrupted_half_image
            return images

        refer_image, _ = _data(L, 2, 9)
        samples = torch.rand(2, 3, 1, 8, 8)
        all_samples = anneal_Langevin_dynamics_inpainting(samples, refer_image, score, sigmas, 2)
        o.print(len(all_samples), all_samples[0].shape, all_samples[-1].is_contiguous())
        o.vals += [all_samples[0], all_samples[-1]]
    return o.done()
