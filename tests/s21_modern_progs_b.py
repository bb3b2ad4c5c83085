"""Modern architectures (see tests/s21_modern_progs.py), this file: Blealtan/efficient-kan
src/efficient_kan/kan.py (KANLinear with b_splines, curve2coeff through torch.linalg.lstsq,
scaled_spline_weight, update_grid, regularization_loss; KAN), in its torch-only layout
(einops is not installed here), with examples/mnist.py's Adam loop on random 4x4 "images"
and tests/test_simple_math.py's LBFGS closure fitting (u + v) / (1 + u v)."""

import math
from s16_yunjey_progs import Out


def _kan_classes(L):
    torch = L

    class KANLinear(torch.nn.Module):
        def __init__(self, in_features, out_features, grid_size=5, spline_order=3,
                     scale_noise=0.1, scale_base=1.0, scale_spline=1.0,
                     enable_standalone_scale_spline=True, base_activation=torch.nn.SiLU,
                     grid_eps=0.02, grid_range=[-1, 1]):
            super(KANLinear, self).__init__()
            self.in_features = in_features
            self.out_features = out_features
            self.grid_size = grid_size
            self.spline_order = spline_order

            h = (grid_range[1] - grid_range[0]) / grid_size
            grid = (
                (torch.arange(-spline_order, grid_size + spline_order + 1) * h
                 + grid_range[0])
                .expand(in_features, -1)
                .contiguous()
            )
            self.register_buffer("grid", grid)

            self.base_weight = torch.nn.Parameter(torch.Tensor(out_features, in_features))
            self.spline_weight = torch.nn.Parameter(
                torch.Tensor(out_features, in_features, grid_size + spline_order))
            if enable_standalone_scale_spline:
                self.spline_scaler = torch.nn.Parameter(
                    torch.Tensor(out_features, in_features))

            self.scale_noise = scale_noise
            self.scale_base = scale_base
            self.scale_spline = scale_spline
            self.enable_standalone_scale_spline = enable_standalone_scale_spline
            self.base_activation = base_activation()
            self.grid_eps = grid_eps

            self.reset_parameters()

        def reset_parameters(self):
            torch.nn.init.kaiming_uniform_(self.base_weight, a=math.sqrt(5) * self.scale_base)
            with torch.no_grad():
                noise = (
                    (torch.rand(self.grid_size + 1, self.in_features, self.out_features)
                     - 1 / 2)
                    * self.scale_noise
                    / self.grid_size
                )
                self.spline_weight.data.copy_(
                    (self.scale_spline if not self.enable_standalone_scale_spline else 1.0)
                    * self.curve2coeff(
                        self.grid.T[self.spline_order: -self.spline_order],
                        noise,
                    )
                )
                if self.enable_standalone_scale_spline:
                    torch.nn.init.kaiming_uniform_(self.spline_scaler,
                                                   a=math.sqrt(5) * self.scale_spline)

        def b_splines(self, x: torch.Tensor):
            assert x.dim() == 2 and x.size(1) == self.in_features
            grid: torch.Tensor = self.grid  # (in_features, grid_size + 2 * spline_order + 1)
            x = x.unsqueeze(-1)
            bases = ((x >= grid[:, :-1]) & (x < grid[:, 1:])).to(x.dtype)
            for k in range(1, self.spline_order + 1):
                bases = (
                    (x - grid[:, : -(k + 1)])
                    / (grid[:, k:-1] - grid[:, : -(k + 1)])
                    * bases[:, :, :-1]
                ) + (
                    (grid[:, k + 1:] - x)
                    / (grid[:, k + 1:] - grid[:, 1:(-k)])
                    * bases[:, :, 1:]
                )
            assert bases.size() == (x.size(0), self.in_features,
                                    self.grid_size + self.spline_order)
            return bases.contiguous()

        def curve2coeff(self, x: torch.Tensor, y: torch.Tensor):
            assert x.dim() == 2 and x.size(1) == self.in_features
            assert y.size() == (x.size(0), self.in_features, self.out_features)
            A = self.b_splines(x).transpose(0, 1)  # (in_features, batch_size, grid+order)
            B = y.transpose(0, 1)  # (in_features, batch_size, out_features)
            solution = torch.linalg.lstsq(A, B).solution  # (in_features, grid+order, out)
            result = solution.permute(2, 0, 1)  # (out_features, in_features, grid+order)
            assert result.size() == (self.out_features, self.in_features,
                                     self.grid_size + self.spline_order)
            return result.contiguous()

        @property
        def scaled_spline_weight(self):
            return self.spline_weight * (
                self.spline_scaler.unsqueeze(-1)
                if self.enable_standalone_scale_spline
                else 1.0
            )

        def forward(self, x: torch.Tensor):
            assert x.size(-1) == self.in_features
            original_shape = x.shape
            x = x.view(-1, self.in_features)
            base_output = torch.nn.functional.linear(self.base_activation(x), self.base_weight)
            spline_output = torch.nn.functional.linear(
                self.b_splines(x).view(x.size(0), -1),
                self.scaled_spline_weight.view(self.out_features, -1),
            )
            output = base_output + spline_output
            output = output.view(*original_shape[:-1], self.out_features)
            return output

        @torch.no_grad()
        def update_grid(self, x: torch.Tensor, margin=0.01):
            assert x.dim() == 2 and x.size(1) == self.in_features
            batch = x.size(0)
            splines = self.b_splines(x)  # (batch, in, coeff)
            splines = splines.permute(1, 0, 2)  # (in, batch, coeff)
            orig_coeff = self.scaled_spline_weight  # (out, in, coeff)
            orig_coeff = orig_coeff.permute(1, 2, 0)  # (in, coeff, out)
            unreduced_spline_output = torch.bmm(splines, orig_coeff)  # (in, batch, out)
            unreduced_spline_output = unreduced_spline_output.permute(1, 0, 2)  # (batch, in, out)

            # sort each channel individually to collect data distribution
            x_sorted = torch.sort(x, dim=0)[0]
            grid_adaptive = x_sorted[
                torch.linspace(0, batch - 1, self.grid_size + 1, dtype=torch.int64,
                               device=x.device)
            ]
            uniform_step = (x_sorted[-1] - x_sorted[0] + 2 * margin) / self.grid_size
            grid_uniform = (
                torch.arange(self.grid_size + 1, dtype=torch.float32, device=x.device
                             ).unsqueeze(1)
                * uniform_step
                + x_sorted[0]
                - margin
            )
            grid = self.grid_eps * grid_uniform + (1 - self.grid_eps) * grid_adaptive
            grid = torch.concatenate(
                [
                    grid[:1] - uniform_step * torch.arange(self.spline_order, 0, -1,
                                                           device=x.device).unsqueeze(1),
                    grid,
                    grid[-1:] + uniform_step * torch.arange(1, self.spline_order + 1,
                                                            device=x.device).unsqueeze(1),
                ],
                dim=0,
            )
            self.grid.copy_(grid.T)
            self.spline_weight.data.copy_(self.curve2coeff(x, unreduced_spline_output))

        def regularization_loss(self, regularize_activation=1.0, regularize_entropy=1.0):
            l1_fake = self.spline_weight.abs().mean(-1)
            regularization_loss_activation = l1_fake.sum()
            p = l1_fake / regularization_loss_activation
            regularization_loss_entropy = -torch.sum(p * p.log())
            return (regularize_activation * regularization_loss_activation
                    + regularize_entropy * regularization_loss_entropy)

    class KAN(torch.nn.Module):
        def __init__(self, layers_hidden, grid_size=5, spline_order=3, scale_noise=0.1,
                     scale_base=1.0, scale_spline=1.0, base_activation=torch.nn.SiLU,
                     grid_eps=0.02, grid_range=[-1, 1]):
            super(KAN, self).__init__()
            self.grid_size = grid_size
            self.spline_order = spline_order
            self.layers = torch.nn.ModuleList()
            for in_features, out_features in zip(layers_hidden, layers_hidden[1:]):
                self.layers.append(
                    KANLinear(in_features, out_features, grid_size=grid_size,
                              spline_order=spline_order, scale_noise=scale_noise,
                              scale_base=scale_base, scale_spline=scale_spline,
                              base_activation=base_activation, grid_eps=grid_eps,
                              grid_range=grid_range))

        def forward(self, x: torch.Tensor, update_grid=False):
            for layer in self.layers:
                if update_grid:
                    layer.update_grid(x)
                x = layer(x)
            return x

        def regularization_loss(self, regularize_activation=1.0, regularize_entropy=1.0):
            return sum(layer.regularization_loss(regularize_activation, regularize_entropy)
                       for layer in self.layers)

    return KANLinear, KAN


def kan_layer(L):
    """KANLinear pieces: grid buffer, b_splines, curve2coeff (lstsq), update_grid, reg loss."""
    torch = L
    KANLinear, KAN = _kan_classes(L)
    torch.manual_seed(0)
    with Out() as o:
        layer = KANLinear(3, 2, grid_size=4)
        o.print(layer)
        o.print(layer.grid.shape, layer.grid.dtype, layer.grid[0])
        o.print([(n, tuple(p.shape)) for n, p in layer.named_parameters()])
        o.print(list(layer.state_dict().keys()))
        x = torch.rand(7, 3) * 2 - 1
        bases = layer.b_splines(x)
        o.print(bases.shape, bases.sum(-1)[0])
        y = layer(x)
        o.print(y.shape)
        reg = layer.regularization_loss()
        o.print(f"reg {reg.item():.4f}")
        layer.update_grid(torch.rand(64, 3) * 3 - 1.5)
        o.print(layer.grid[1])
        y2 = layer(x)
        o.print(y2.requires_grad, y2.grad_fn is not None)
        y3 = layer(torch.randn(2, 4, 3))
        o.print(y3.shape)
        sol = torch.linalg.lstsq(torch.randn(2, 6, 3), torch.randn(2, 6, 2))
        o.print(type(sol).__name__, sol.solution.shape, sol.residuals.shape, sol.rank.shape,
                sol.singular_values.shape)
    return o.lines, [layer.spline_weight, bases, y, reg, layer.grid, y2, y3, sol.solution]


def kan_mnist(L):
    """examples/mnist.py: KAN on flattened images, Adam, CrossEntropyLoss, val loop."""
    torch, nn, optim = L, L.nn, L.optim
    KANLinear, KAN = _kan_classes(L)
    torch.manual_seed(0)
    with Out() as o:
        images_all = torch.rand(48, 1, 4, 4) * 2 - 1
        labels_all = torch.randint(0, 10, (48,))
        ds = torch.utils.data.TensorDataset(images_all, labels_all)
        trainloader = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True)
        valloader = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=False)
        model = KAN([4 * 4, 8, 10])
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model.to(device)
        o.print(sum(p.numel() for p in model.parameters() if p.requires_grad))
        optimizer = optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
        scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
        criterion = nn.CrossEntropyLoss()
        for epoch in range(2):
            model.train()
            for i, (images, labels) in enumerate(trainloader):
                images = images.view(-1, 4 * 4).to(device)
                optimizer.zero_grad()
                output = model(images)
                loss = criterion(output, labels.to(device))
                loss.backward()
                optimizer.step()
                accuracy = (output.argmax(dim=1) == labels.to(device)).float().mean()
                o.print(f"loss={loss.item():.4f} accuracy={accuracy.item():.4f}")
            model.eval()
            val_loss = 0
            val_accuracy = 0
            with torch.no_grad():
                for images, labels in valloader:
                    images = images.view(-1, 4 * 4).to(device)
                    output = model(images)
                    val_loss += criterion(output, labels.to(device)).item()
                    val_accuracy += (
                        (output.argmax(dim=1) == labels.to(device)).float().mean().item())
            val_loss /= len(valloader)
            val_accuracy /= len(valloader)
            scheduler.step()
            o.print(f"Epoch {epoch + 1}, Val Loss: {val_loss:.4f}, "
                    f"Val Accuracy: {val_accuracy:.4f}")
    return o.lines, [model.layers[0].spline_weight, model.layers[1].base_weight,
                     torch.tensor(val_loss)]


def kan_simple_math(L):
    """tests/test_simple_math.py: KAN([2, 2, 1], Identity) with LBFGS and update_grid (two
    outer steps: lstsq's float32 rounding differs between ember's SVD and LAPACK's gelsy in
    the last bits, and LBFGS's jumps magnify that over later steps)."""
    torch, nn = L, L.nn
    KANLinear, KAN = _kan_classes(L)
    torch.manual_seed(0)
    with Out() as o:
        kan = KAN([2, 2, 1], base_activation=nn.Identity)
        optimizer = torch.optim.LBFGS(kan.parameters(), lr=1, max_iter=4)
        for i in range(2):
            loss, reg_loss = None, None

            def closure():
                optimizer.zero_grad()
                x = torch.rand(256, 2)
                y = kan(x, update_grid=(i % 2 == 0))
                assert y.shape == (256, 1)
                nonlocal loss, reg_loss
                u = x[:, 0]
                v = x[:, 1]
                loss = nn.functional.mse_loss(y.squeeze(-1), (u + v) / (1 + u * v))
                reg_loss = kan.regularization_loss(1, 0)
                (loss + 1e-5 * reg_loss).backward()
                return loss + reg_loss

            optimizer.step(closure)
            o.print(f"mse_loss={loss.item():.4f} reg_loss={reg_loss.item():.4f}")
        for layer in kan.layers:
            o.print(layer.spline_weight.shape)
    return o.lines, [kan.layers[0].spline_weight, kan.layers[1].spline_weight,
                     kan.layers[0].grid]
