"""Yang Song's "Score-Based Generative Modeling" Colab tutorial (the score_sde_pytorch README
links it) as users type it: GaussianFourierProjection, Dense, the U-Net ScoreNet on 28x28
(channels [32, 64, 128, 256] -> [2, 4, 4, 4], embed_dim 256 -> 8), marginal_prob_std /
diffusion_coeff through functools.partial (torch.tensor of a tensor: the copy-construct
warning), loss_fn, the Euler-Maruyama and predictor-corrector samplers and the prior
likelihood; random 28x28 "digits" instead of MNIST, 2 steps."""

import functools
import io

import numpy as np
from s16_yunjey_progs import Out


def _tutorial(L, device='cpu'):
    torch, nn = L, L.nn

    class GaussianFourierProjection(nn.Module):
        def __init__(self, embed_dim, scale=30.0):
            super().__init__()
            self.W = nn.Parameter(torch.randn(embed_dim // 2) * scale, requires_grad=False)

        def forward(self, x):
            x_proj = x[:, None] * self.W[None, :] * 2 * np.pi
            return torch.cat([torch.sin(x_proj), torch.cos(x_proj)], dim=-1)

    class Dense(nn.Module):
        def __init__(self, input_dim, output_dim):
            super().__init__()
            self.dense = nn.Linear(input_dim, output_dim)

        def forward(self, x):
            return self.dense(x)[..., None, None]

    class ScoreNet(nn.Module):
        def __init__(self, marginal_prob_std, channels=[2, 4, 4, 4], embed_dim=8):
            super().__init__()
            self.embed = nn.Sequential(
                GaussianFourierProjection(embed_dim=embed_dim), nn.Linear(embed_dim, embed_dim)
            )
            self.conv1 = nn.Conv2d(1, channels[0], 3, stride=1, bias=False)
            self.dense1 = Dense(embed_dim, channels[0])
            self.gnorm1 = nn.GroupNorm(1, num_channels=channels[0])
            self.conv2 = nn.Conv2d(channels[0], channels[1], 3, stride=2, bias=False)
            self.dense2 = Dense(embed_dim, channels[1])
            self.gnorm2 = nn.GroupNorm(2, num_channels=channels[1])
            self.conv3 = nn.Conv2d(channels[1], channels[2], 3, stride=2, bias=False)
            self.dense3 = Dense(embed_dim, channels[2])
            self.gnorm3 = nn.GroupNorm(2, num_channels=channels[2])
            self.conv4 = nn.Conv2d(channels[2], channels[3], 3, stride=2, bias=False)
            self.dense4 = Dense(embed_dim, channels[3])
            self.gnorm4 = nn.GroupNorm(2, num_channels=channels[3])
            self.tconv4 = nn.ConvTranspose2d(channels[3], channels[2], 3, stride=2, bias=False)
            self.dense5 = Dense(embed_dim, channels[2])
            self.tgnorm4 = nn.GroupNorm(2, num_channels=channels[2])
            self.tconv3 = nn.ConvTranspose2d(
                channels[2] + channels[2], channels[1], 3, stride=2, bias=False, output_padding=1
            )
            self.dense6 = Dense(embed_dim, channels[1])
            self.tgnorm3 = nn.GroupNorm(2, num_channels=channels[1])
            self.tconv2 = nn.ConvTranspose2d(
                channels[1] + channels[1], channels[0], 3, stride=2, bias=False, output_padding=1
            )
            self.dense7 = Dense(embed_dim, channels[0])
            self.tgnorm2 = nn.GroupNorm(1, num_channels=channels[0])
            self.tconv1 = nn.ConvTranspose2d(channels[0] + channels[0], 1, 3, stride=1)
            self.act = lambda x: x * torch.sigmoid(x)
            self.marginal_prob_std = marginal_prob_std

        def forward(self, x, t):
            embed = self.act(self.embed(t))
            h1 = self.conv1(x)
            h1 += self.dense1(embed)
            h1 = self.gnorm1(h1)
            h1 = self.act(h1)
            h2 = self.conv2(h1)
            h2 += self.dense2(embed)
            h2 = self.gnorm2(h2)
            h2 = self.act(h2)
            h3 = self.conv3(h2)
            h3 += self.dense3(embed)
            h3 = self.gnorm3(h3)
            h3 = self.act(h3)
            h4 = self.conv4(h3)
            h4 += self.dense4(embed)
            h4 = self.gnorm4(h4)
            h4 = self.act(h4)
            h = self.tconv4(h4)
            h += self.dense5(embed)
            h = self.tgnorm4(h)
            h = self.act(h)
            h = self.tconv3(torch.cat([h, h3], dim=1))
            h += self.dense6(embed)
            h = self.tgnorm3(h)
            h = self.act(h)
            h = self.tconv2(torch.cat([h, h2], dim=1))
            h += self.dense7(embed)
            h = self.tgnorm2(h)
            h = self.act(h)
            h = self.tconv1(torch.cat([h, h1], dim=1))
            h = h / self.marginal_prob_std(t)[:, None, None, None]
            return h

    def marginal_prob_std(t, sigma):
        t = torch.tensor(t, device=device)
        return torch.sqrt((sigma ** (2 * t) - 1.0) / 2.0 / np.log(sigma))

    def diffusion_coeff(t, sigma):
        return torch.tensor(sigma**t, device=device)

    def loss_fn(model, x, marginal_prob_std, eps=1e-5):
        random_t = torch.rand(x.shape[0], device=x.device) * (1.0 - eps) + eps
        z = torch.randn_like(x)
        std = marginal_prob_std(random_t)
        perturbed_x = x + z * std[:, None, None, None]
        score = model(perturbed_x, random_t)
        loss = torch.mean(torch.sum((score * std[:, None, None, None] + z) ** 2, dim=(1, 2, 3)))
        return loss

    return ScoreNet, marginal_prob_std, diffusion_coeff, loss_fn


def _mnist(L, n, seed):
    rng = np.random.default_rng(seed)
    return L.from_numpy(rng.integers(0, 256, (n, 1, 28, 28), dtype=np.uint8)).float() / 255


def tutorial_train_sample(L):
    torch = L
    Adam = L.optim.Adam
    o = Out()
    with o:
        torch.manual_seed(0)
        device = 'cpu'
        ScoreNet, marginal_prob_std, diffusion_coeff, loss_fn = _tutorial(L, device)
        sigma = 25.0
        marginal_prob_std_fn = functools.partial(marginal_prob_std, sigma=sigma)
        diffusion_coeff_fn = functools.partial(diffusion_coeff, sigma=sigma)
        score_model = torch.nn.DataParallel(ScoreNet(marginal_prob_std=marginal_prob_std_fn))
        score_model = score_model.to(device)
        n_epochs, batch_size, lr = 2, 2, 1e-4
        optimizer = Adam(score_model.parameters(), lr=lr)
        o.print(sum(p.numel() for p in score_model.parameters() if p.requires_grad))
        for epoch in range(n_epochs):
            avg_loss = 0.0
            num_items = 0
            for k in range(2):
                x = _mnist(L, batch_size, 10 * epoch + k).to(device)
                loss = loss_fn(score_model, x, marginal_prob_std_fn)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                avg_loss += loss.item() * x.shape[0]
                num_items += x.shape[0]
            o.print('Average Loss: {:.4f}'.format(avg_loss / num_items))
            o.vals.append(avg_loss / num_items)
        buf = io.BytesIO()
        torch.save(score_model.state_dict(), buf)
        buf.seek(0)
        ckpt = torch.load(buf, map_location=device)
        score_model.load_state_dict(ckpt)

        def Euler_Maruyama_sampler(
            score_model,
            marginal_prob_std,
            diffusion_coeff,
            batch_size=64,
            num_steps=500,
            device='cuda',
            eps=1e-3,
        ):
            t = torch.ones(batch_size, device=device)
            init_x = (
                torch.randn(batch_size, 1, 28, 28, device=device)
                * marginal_prob_std(t)[:, None, None, None]
            )
            time_steps = torch.linspace(1.0, eps, num_steps, device=device)
            step_size = time_steps[0] - time_steps[1]
            x = init_x
            with torch.no_grad():
                for time_step in time_steps:
                    batch_time_step = torch.ones(batch_size, device=device) * time_step
                    g = diffusion_coeff(batch_time_step)
                    mean_x = (
                        x
                        + (g**2)[:, None, None, None] * score_model(x, batch_time_step) * step_size
                    )
                    x = mean_x + torch.sqrt(step_size) * g[:, None, None, None] * torch.randn_like(
                        x
                    )
            return mean_x

        def pc_sampler(
            score_model,
            marginal_prob_std,
            diffusion_coeff,
            batch_size=64,
            num_steps=500,
            snr=0.16,
            device='cuda',
            eps=1e-3,
        ):
            t = torch.ones(batch_size, device=device)
            init_x = (
                torch.randn(batch_size, 1, 28, 28, device=device)
                * marginal_prob_std(t)[:, None, None, None]
            )
            time_steps = np.linspace(1.0, eps, num_steps)
            step_size = time_steps[0] - time_steps[1]
            x = init_x
            with torch.no_grad():
                for time_step in time_steps:
                    batch_time_step = torch.ones(batch_size, device=device) * time_step
                    grad = score_model(x, batch_time_step)
                    grad_norm = torch.norm(grad.reshape(grad.shape[0], -1), dim=-1).mean()
                    noise_norm = np.sqrt(np.prod(x.shape[1:]))
                    langevin_step_size = 2 * (snr * noise_norm / grad_norm) ** 2
                    x = (
                        x
                        + langevin_step_size * grad
                        + torch.sqrt(2 * langevin_step_size) * torch.randn_like(x)
                    )
                    g = diffusion_coeff(batch_time_step)
                    x_mean = (
                        x
                        + (g**2)[:, None, None, None] * score_model(x, batch_time_step) * step_size
                    )
                    x = x_mean + torch.sqrt(g**2 * step_size)[
                        :, None, None, None
                    ] * torch.randn_like(x)
                return x_mean

        sample_batch_size = 2
        for sampler in (Euler_Maruyama_sampler, pc_sampler):
            samples = sampler(
                score_model,
                marginal_prob_std_fn,
                diffusion_coeff_fn,
                sample_batch_size,
                num_steps=3,
                device=device,
            )
            samples = samples.clamp(0.0, 1.0)
            o.print(sampler.__name__, samples.shape, samples.dtype, samples.requires_grad)
            # torch's SLEEF sin and NumPy's differ in the last bit for ~1 in 6 arguments (the
            # Fourier features reach |x| ~ 200); g**2 = 625 near t = 1 carries that to ~1e-5
            # in single pixels after clamping, so the samples are compared through sums
            o.vals += [samples.mean(), samples.abs().sum(dim=(1, 2, 3))]

        def prior_likelihood(z, sigma):
            shape = z.shape
            N = np.prod(shape[1:])
            return -N / 2.0 * torch.log(2 * np.pi * sigma**2) - torch.sum(z**2, dim=(1, 2, 3)) / (
                2 * sigma**2
            )

        z = torch.randn(2, 1, 28, 28)
        std1 = marginal_prob_std_fn(1.0)
        o.print(std1.dtype, std1.shape)
        ll = prior_likelihood(z, std1)
        o.print(ll.dtype, ll.shape)
        o.vals += [std1, ll, diffusion_coeff_fn(torch.tensor([0.5, 1.0])), diffusion_coeff_fn(0.5)]
    return o.done()
