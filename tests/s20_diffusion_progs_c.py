"""dome272/Diffusion-Models-pytorch, continued: ddpm_conditional.py and the EMA class of
modules.py (lerp-style updates), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_diffusion.py."""

import copy

import numpy as np
from s16_yunjey_progs import Out
from s20_diffusion_progs import _images, _modules

def ddpm_conditional(L):
    """ddpm_conditional.py: UNet_conditional with nn.Embedding labels, the EMA copy
    (deepcopy().eval().requires_grad_(False)), AdamW + OneCycleLR, one_epoch() with
    ``torch.autocast("cuda") and (torch.inference_mode() if not train else
    torch.enable_grad())``, and classifier-free guidance via torch.lerp in sample()."""
    torch, nn, optim = L, L.nn, L.optim
    EMA, _, _, _, _, _, UNet_conditional = _modules(L)

    class Diffusion:
        def __init__(self, noise_steps=1000, beta_start=1e-4, beta_end=0.02, img_size=256,
                     num_classes=10, c_in=3, c_out=3, device="cuda", **kwargs):
            self.noise_steps = noise_steps
            self.beta_start = beta_start
            self.beta_end = beta_end

            self.beta = self.prepare_noise_schedule().to(device)
            self.alpha = 1. - self.beta
            self.alpha_hat = torch.cumprod(self.alpha, dim=0)

            self.img_size = img_size
            self.model = UNet_conditional(c_in, c_out, num_classes=num_classes, **kwargs).to(device)
            self.ema_model = copy.deepcopy(self.model).eval().requires_grad_(False)
            self.device = device
            self.c_in = c_in
            self.num_classes = num_classes

        def prepare_noise_schedule(self):
            return torch.linspace(self.beta_start, self.beta_end, self.noise_steps)

        def sample_timesteps(self, n):
            return torch.randint(low=1, high=self.noise_steps, size=(n,))

        def noise_images(self, x, t):
            "Add noise to images at instant t"
            sqrt_alpha_hat = torch.sqrt(self.alpha_hat[t])[:, None, None, None]
            sqrt_one_minus_alpha_hat = torch.sqrt(1 - self.alpha_hat[t])[:, None, None, None]
            Ɛ = torch.randn_like(x)
            return sqrt_alpha_hat * x + sqrt_one_minus_alpha_hat * Ɛ, Ɛ

        @torch.inference_mode()
        def sample(self, use_ema, labels, cfg_scale=3):
            model = self.ema_model if use_ema else self.model
            n = len(labels)
            model.eval()
            with torch.inference_mode():
                x = torch.randn((n, self.c_in, self.img_size, self.img_size)).to(self.device)
                for i in reversed(range(1, self.noise_steps)):
                    t = (torch.ones(n) * i).long().to(self.device)
                    predicted_noise = model(x, t, labels)
                    if cfg_scale > 0:
                        uncond_predicted_noise = model(x, t, None)
                        predicted_noise = torch.lerp(uncond_predicted_noise, predicted_noise, cfg_scale)
                    alpha = self.alpha[t][:, None, None, None]
                    alpha_hat = self.alpha_hat[t][:, None, None, None]
                    beta = self.beta[t][:, None, None, None]
                    if i > 1:
                        noise = torch.randn_like(x)
                    else:
                        noise = torch.zeros_like(x)
                    x = 1 / torch.sqrt(alpha) * (x - ((1 - alpha) / (torch.sqrt(1 - alpha_hat))) * predicted_noise) + torch.sqrt(beta) * noise
            x = (x.clamp(-1, 1) + 1) / 2
            x = (x * 255).type(torch.uint8)
            return x

        def train_step(self, loss):
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.ema.step_ema(self.ema_model, self.model, step_start_ema=1)
            self.scheduler.step()

        def one_epoch(self, o, train=True):
            avg_loss = 0.
            if train: self.model.train()
            else: self.model.eval()
            pbar = self.train_dataloader if train else self.val_dataloader
            for i, (images, labels) in enumerate(pbar):
                with torch.autocast("cuda") and (torch.inference_mode() if not train else torch.enable_grad()):
                    images = images.to(self.device)
                    labels = labels.to(self.device)
                    t = self.sample_timesteps(images.shape[0]).to(self.device)
                    x_t, noise = self.noise_images(images, t)
                    if np.random.random() < 0.1:
                        labels = None
                    predicted_noise = self.model(x_t, t, labels)
                    loss = self.mse(noise, predicted_noise)
                    avg_loss += loss
                if train:
                    self.train_step(loss)
                o.print(f"MSE={loss.item():.4f} lr={self.scheduler.get_last_lr()[0]:.6e}",
                        loss.requires_grad, loss.is_inference())
            return avg_loss.mean().item()

        def fit(self, o, args):
            self.train_dataloader = _images(L, 4, 1)
            self.val_dataloader = _images(L, 2, 2)
            self.optimizer = optim.AdamW(self.model.parameters(), lr=args["lr"], eps=1e-5)
            self.scheduler = optim.lr_scheduler.OneCycleLR(
                self.optimizer, max_lr=args["lr"], steps_per_epoch=len(self.train_dataloader),
                epochs=args["epochs"])
            self.mse = nn.MSELoss()
            self.ema = EMA(0.995)
            for epoch in range(args["epochs"]):
                _ = self.one_epoch(o, train=True)
                avg_loss = self.one_epoch(o, train=False)
                o.print(f"val_mse={avg_loss:.4f}")
                o.vals.append(avg_loss)

    with Out() as o:
        torch.manual_seed(0); np.random.seed(3)
        diffuser = Diffusion(6, img_size=8, num_classes=10, device="cpu")
        o.print(diffuser.model.label_emb, diffuser.ema_model.training,
                diffuser.ema_model.outc.weight.requires_grad)
        diffuser.fit(o, {"lr": 3e-4, "epochs": 1})
        labels = torch.arange(3).long().to("cpu")
        sampled_images = diffuser.sample(use_ema=False, labels=labels)
        ema_sampled_images = diffuser.sample(use_ema=True, labels=labels)
        o.print(sampled_images.shape, sampled_images.dtype, sampled_images.is_inference())
        o.print(ema_sampled_images.permute(0, 2, 3, 1).cpu().numpy().shape)
        o.vals += [diffuser.ema_model.outc.weight, diffuser.model.label_emb.weight,
                   diffuser.ema_model.label_emb.weight, sampled_images.float(),
                   ema_sampled_images.float()]
        sd = diffuser.ema_model.state_dict()
        o.print(len(sd), list(sd)[:3], sd["outc.weight"].requires_grad)
    return o.done()


def ema_lerp(L):
    """The EMA class of modules.py on small models, next to the lerp-style updates learners
    write for it (``ma.data.lerp_(cur.data, 1 - beta)``, torch._foreach_lerp_ is not public),
    and torch.lerp's broadcasting and weight forms as sample() uses them."""
    torch, nn = L, L.nn
    EMA = _modules(L)[0]
    with Out() as o:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.GELU(), nn.Linear(8, 2))
        ema_model = copy.deepcopy(model).eval().requires_grad_(False)
        ema = EMA(0.9)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        for step in range(4):
            loss = model(torch.randn(5, 4)).pow(2).mean()
            opt.zero_grad(); loss.backward(); opt.step()
            ema.step_ema(ema_model, model, step_start_ema=2)
            o.print(step, ema.step, f"{loss.item():.4f}")
        o.vals += [p for p in ema_model.parameters()] + [ema_model[1].running_mean]
        o.print([p.requires_grad for p in ema_model.parameters()], ema_model[0].weight.is_leaf)
        for cur, ma in zip(model.parameters(), ema_model.parameters()):
            ma.data.lerp_(cur.data, 1 - 0.9)
        o.vals += [p.clone() for p in ema_model.parameters()]
        with torch.no_grad():
            for cur, ma in zip(model.state_dict().values(), ema_model.state_dict().values()):
                if ma.dtype.is_floating_point:
                    ma.copy_(torch.lerp(ma, cur, 0.5))
                else:
                    ma.copy_(cur)
        o.print(ema_model[1].num_batches_tracked)
        o.vals += [ema_model[1].running_var, ema_model[3].bias]
        a, b = torch.randn(2, 3), torch.randn(3)
        o.vals += [torch.lerp(a, b, 3), torch.lerp(a, b, torch.tensor(0.25)),
                   torch.lerp(a, b, torch.rand(2, 1)), a.lerp(b, -1.5)]
        o.tryit(lambda: torch.lerp(a, b.double(), 0.5))
        o.tryit(lambda: torch.lerp(a, b, torch.rand(2, 1).double()))
        o.tryit(lambda: torch.lerp(a, torch.randn(4), 0.5))
        o.tryit(lambda: torch.lerp(a.long(), b.long(), 2))
        o.tryit(lambda: a.lerp_(b, torch.rand(5, 2, 3)))
        x = torch.randn(3, requires_grad=True)
        y = torch.randn(3, requires_grad=True)
        w = torch.rand(3, requires_grad=True)
        torch.lerp(x, y, w).pow(2).sum().backward()
        o.vals += [x.grad, y.grad, w.grad]
    return o.done()
