"""Adversarial-robustness code as learners and researchers type it, scaled down to tiny
convnets on 1x8x8 inputs (uint8 pixels / 255, labels 0..9): the PyTorch FGSM tutorial
(pytorch/tutorials beginner_source/fgsm_tutorial.py), Madry-style L-inf PGD with a random
start, L2 PGD with per-sample normalisation and projection, yaodongyu/TRADES (trades.py) and
YisenWang/MART (mart.py), as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_adversarial.py."""

from s16_yunjey_progs import Out, _images


def small_net(L, dropout=False):
    """The tutorials' LeNet shrunk to 1x8x8: conv 3x3 -> relu -> maxpool -> linear."""
    nn, F = L.nn, L.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super(Net, self).__init__()
            self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
            self.conv2 = nn.Conv2d(4, 6, kernel_size=3)
            self.drop = nn.Dropout(0.25) if dropout else nn.Identity()
            self.fc1 = nn.Linear(6 * 2 * 2, 16)
            self.fc2 = nn.Linear(16, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(F.max_pool2d(self.conv2(x), 2))
            x = self.drop(x)
            x = x.view(-1, 6 * 2 * 2)
            x = F.relu(self.fc1(x))
            return self.fc2(x)

    return Net()


def fgsm_tutorial(L):
    """fgsm_tutorial.py: fgsm_attack with data_grad.sign() and torch.clamp, test() with
    data.requires_grad = True, output.max(1, keepdim=True)[1], F.nll_loss on log_softmax,
    model.zero_grad(), data.grad.data, the accuracy line and adv_ex kept as numpy."""
    F = L.nn.functional
    with Out() as o:
        L.manual_seed(1)
        model = small_net(L, dropout=True)
        model.eval()
        o.print(model)

        def fgsm_attack(image, epsilon, data_grad):
            sign_data_grad = data_grad.sign()
            perturbed_image = image + epsilon * sign_data_grad
            perturbed_image = L.clamp(perturbed_image, 0, 1)
            return perturbed_image

        def denorm(batch, mean=[0.1307], std=[0.3081]):
            if isinstance(mean, list):
                mean = L.tensor(mean)
            if isinstance(std, list):
                std = L.tensor(std)
            return batch * std.view(1, -1, 1, 1) + mean.view(1, -1, 1, 1)

        x_all, y_all = _images(L, 12, 1, 8, 8, 3)
        x_all = (x_all - 0.1307) / 0.3081
        test_loader = [(x_all[i:i + 1], y_all[i:i + 1]) for i in range(12)]

        def test(model, test_loader, epsilon):
            correct = 0
            adv_examples = []
            for data, target in test_loader:
                data.requires_grad = True
                output = F.log_softmax(model(data), dim=1)
                init_pred = output.max(1, keepdim=True)[1]
                if init_pred.item() != target.item():
                    continue
                loss = F.nll_loss(output, target)
                model.zero_grad()
                loss.backward()
                data_grad = data.grad.data
                data_denorm = denorm(data)
                perturbed_data = fgsm_attack(data_denorm, epsilon, data_grad)
                perturbed_data_normalized = (perturbed_data - 0.1307) / 0.3081
                output = F.log_softmax(model(perturbed_data_normalized), dim=1)
                final_pred = output.max(1, keepdim=True)[1]
                if final_pred.item() == target.item():
                    correct += 1
                    if epsilon == 0 and len(adv_examples) < 5:
                        adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                        adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
                else:
                    if len(adv_examples) < 5:
                        adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
                        adv_examples.append((init_pred.item(), final_pred.item(), adv_ex))
            final_acc = correct / float(len(test_loader))
            o.print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / {len(test_loader)} = "
                    f"{final_acc}")
            return final_acc, adv_examples

        # make the model predict something: a few training steps first
        model.train()
        opt = L.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(15):
            opt.zero_grad()
            loss = F.cross_entropy(model(x_all), y_all)
            loss.backward()
            opt.step()
        model.eval()
        accuracies, examples = [], []
        for eps in [0, .05, .1, .3]:
            acc, ex = test(model, test_loader, eps)
            accuracies.append(acc)
            examples.append(ex)
        o.print(accuracies)
        for ex in examples:
            for orig, adv, img in ex:
                o.print(f"{orig} -> {adv}", img.shape, img.dtype)
                o.vals.append(img)
        o.print(x_all.grad, test_loader[0][0].requires_grad, test_loader[0][0].is_leaf)
        o.print([d.grad is None for d, _ in test_loader])
    return o.done()


def pgd_linf(L):
    """Madry-style PGD: delta uniform_(-eps, eps) start, loss.backward() on delta, sign of
    its grad, delta.data clamped to [-eps, eps] and to the image box, delta.grad.zero_();
    model.eval() while attacking, robust accuracy."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(2)
        model = small_net(L)
        X, y = _images(L, 10, 1, 8, 8, 4)
        opt = L.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(10):
            opt.zero_grad()
            nn.CrossEntropyLoss()(model(X), y).backward()
            opt.step()

        def pgd_linf(model, X, y, epsilon=0.1, alpha=0.02, num_iter=10, randomize=False):
            if randomize:
                delta = L.rand_like(X, requires_grad=True)
                delta.data = delta.data * 2 * epsilon - epsilon
            else:
                delta = L.zeros_like(X, requires_grad=True)
            for t in range(num_iter):
                loss = nn.CrossEntropyLoss()(model(X + delta), y)
                loss.backward()
                delta.data = (delta + alpha * delta.grad.detach().sign()).clamp(-epsilon,
                                                                                epsilon)
                delta.data = L.clamp(X + delta.data, 0, 1) - X
                delta.grad.zero_()
            return delta.detach()

        model.eval()
        for rand in (False, True):
            delta = pgd_linf(model, X, y, randomize=rand)
            yp = model(X + delta)
            err = (yp.max(dim=1)[1] != y).sum().item() / X.shape[0]
            loss = nn.CrossEntropyLoss()(yp, y)
            o.print(f"randomize={rand} err={err:.3f} loss={loss.item():.4f}",
                    delta.abs().max().item() <= 0.1 + 1e-6)
            o.vals += [delta, yp]
        # the "delta = torch.zeros_like(X, requires_grad=True); delta.uniform_" shape
        delta = L.zeros_like(X).uniform_(-0.1, 0.1)
        delta.requires_grad = True
        out = F.cross_entropy(model(X + delta), y, reduction='none')
        o.print(out.shape, out.dtype, out.grad_fn is not None)
        out.mean().backward()
        o.vals += [delta.grad, out]
        o.print(delta.grad.abs().sum() > 0, model.training)
    return o.done()


def pgd_l2(L):
    """L2 PGD: the gradient divided by its per-sample norm (view(n, -1).norm(p=2, dim=1)),
    the step projected back with delta.renorm(p=2, dim=0, maxnorm=eps) and, as the other
    recipe does, delta *= eps / norms.clamp(min=eps); torch.norm with dim tuple."""
    nn = L.nn
    with Out() as o:
        L.manual_seed(3)
        model = small_net(L)
        model.eval()
        X, y = _images(L, 6, 1, 8, 8, 5)
        eps, alpha = 0.5, 0.2

        def norms(Z):
            return Z.view(Z.shape[0], -1).norm(dim=1)[:, None, None, None]

        delta = L.zeros_like(X, requires_grad=True)
        for t in range(5):
            loss = nn.CrossEntropyLoss()(model(X + delta), y)
            loss.backward()
            delta.data += alpha * delta.grad.detach() / norms(delta.grad.detach())
            delta.data = L.min(L.max(delta.detach(), -X), 1 - X)  # clip X+delta to [0,1]
            delta.data *= eps / norms(delta.detach()).clamp(min=eps)
            delta.grad.zero_()
            o.print(t, f"{loss.item():.4f}",
                    [f"{v:.4f}" for v in norms(delta.detach()).flatten().tolist()])
        o.vals += [delta.detach()]

        # torchattacks-style PGDL2 with renorm and random start
        images = X.clone().detach()
        adv_images = images.clone().detach()
        d = L.empty_like(adv_images).normal_()
        d_flat = d.view(adv_images.size(0), -1)
        n = d_flat.norm(p=2, dim=1).view(adv_images.size(0), 1, 1, 1)
        r = L.zeros_like(n).uniform_(0, 1)
        d *= r / n * eps
        adv_images = L.clamp(adv_images + d, min=0, max=1).detach()
        for _ in range(4):
            adv_images.requires_grad = True
            cost = nn.CrossEntropyLoss()(model(adv_images), y)
            grad = L.autograd.grad(cost, adv_images, retain_graph=False,
                                   create_graph=False)[0]
            grad_norms = L.norm(grad.view(grad.shape[0], -1), p=2, dim=1) + 1e-10
            grad = grad / grad_norms.view(grad.shape[0], 1, 1, 1)
            adv_images = adv_images.detach() + alpha * grad
            delta = adv_images - images
            delta_norms = L.norm(delta.view(grad.shape[0], -1), p=2, dim=1)
            factor = eps / delta_norms
            factor = L.min(factor, L.ones_like(delta_norms))
            delta = delta * factor.view(-1, 1, 1, 1)
            adv_images = L.clamp(images + delta, min=0, max=1).detach()
        o.print(f"{cost.item():.4f}", adv_images.requires_grad, adv_images.is_leaf)
        o.vals += [adv_images]
        rn = (adv_images - images).renorm(p=2, dim=0, maxnorm=0.3)
        o.vals += [rn, L.norm(rn, p=2, dim=(1, 2, 3)), rn.flatten(1).norm(p=float('inf'), dim=1)]
        o.tryit(lambda: L.norm(rn, dim=(1, 2, 3)))
        o.tryit(lambda: L.norm(rn, p='fro', dim=(2, 3)).shape)
        o.print(L.norm(rn, p=2, dim=(1, 2, 3)).shape, rn.norm(2).dim())
    return o.done()


def trades(L):
    """trades.py: nn.KLDivLoss(size_average=False) (its deprecation warning), x_adv = x +
    0.001 * randn, the inner loop with x_adv.requires_grad_(), torch.enable_grad(),
    autograd.grad, torch.min(torch.max(...)) projection, then loss_natural + beta *
    loss_robust / batch_size; the L2 branch with SGD on delta and renorm_."""
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        L.manual_seed(4)
        model = small_net(L)
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        X, Y = _images(L, 16, 1, 8, 8, 6)

        def trades_loss(model, x_natural, y, optimizer, step_size=0.003, epsilon=0.031,
                        perturb_steps=10, beta=1.0, distance='l_inf'):
            criterion_kl = nn.KLDivLoss(size_average=False)
            model.eval()
            batch_size = len(x_natural)
            x_adv = x_natural.detach() + 0.001 * L.randn(x_natural.shape).detach()
            if distance == 'l_inf':
                for _ in range(perturb_steps):
                    x_adv.requires_grad_()
                    with L.enable_grad():
                        loss_kl = criterion_kl(F.log_softmax(model(x_adv), dim=1),
                                               F.softmax(model(x_natural), dim=1))
                    grad = L.autograd.grad(loss_kl, [x_adv])[0]
                    x_adv = x_adv.detach() + step_size * L.sign(grad.detach())
                    x_adv = L.min(L.max(x_adv, x_natural - epsilon), x_natural + epsilon)
                    x_adv = L.clamp(x_adv, 0.0, 1.0)
            elif distance == 'l_2':
                # trades.py starts at 0.001 * randn: there the KL's gradient is ~1e-6, below
                # float32's rounding of softmax(adv) - softmax(nat) (both libraries are 1e-9
                # off the float64 answer), and its normalised direction is noise; 0.05 here
                delta = 0.05 * L.randn(x_natural.shape).detach()
                delta = L.autograd.Variable(delta.data, requires_grad=True)
                optimizer_delta = optim.SGD([delta], lr=epsilon / perturb_steps * 2)
                for _ in range(perturb_steps):
                    adv = x_natural + delta
                    optimizer_delta.zero_grad()
                    with L.enable_grad():
                        loss = (-1) * criterion_kl(F.log_softmax(model(adv), dim=1),
                                                   F.softmax(model(x_natural), dim=1))
                    loss.backward()
                    grad_norms = delta.grad.view(batch_size, -1).norm(p=2, dim=1)
                    delta.grad.div_(grad_norms.view(-1, 1, 1, 1))
                    if (grad_norms == 0).any():
                        delta.grad[grad_norms == 0] = L.randn_like(delta.grad[grad_norms == 0])
                    optimizer_delta.step()
                    delta.data.add_(x_natural)
                    delta.data.clamp_(0, 1).sub_(x_natural)
                    delta.data.renorm_(p=2, dim=0, maxnorm=epsilon)
                x_adv = L.autograd.Variable(x_natural + delta, requires_grad=False)
            else:
                x_adv = L.clamp(x_adv, 0.0, 1.0)
            model.train()
            x_adv = L.autograd.Variable(L.clamp(x_adv, 0.0, 1.0), requires_grad=False)
            optimizer.zero_grad()
            logits = model(x_natural)
            loss_natural = F.cross_entropy(logits, y)
            loss_robust = (1.0 / batch_size) * criterion_kl(
                F.log_softmax(model(x_adv), dim=1), F.softmax(model(x_natural), dim=1))
            loss = loss_natural + beta * loss_robust
            return loss, x_adv

        for epoch in range(1, 3):
            for batch_idx in range(2):
                data, target = X[batch_idx * 8:(batch_idx + 1) * 8], Y[batch_idx * 8:
                                                                       (batch_idx + 1) * 8]
                dist = 'l_inf' if epoch == 1 else 'l_2'
                loss, x_adv = trades_loss(model, data, target, optimizer, epsilon=0.1,
                                          step_size=0.02, perturb_steps=4, beta=6.0,
                                          distance=dist)
                loss.backward()
                optimizer.step()
                o.print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.4f}'.format(
                    epoch, batch_idx * len(data), len(X), 100. * batch_idx / 2, loss.item()))
                if dist == 'l_inf':
                    o.vals += [x_adv, loss]
                else:  # the L2 direction carries float32 rounding of the tiny KL gradient
                    o.print(['%.3f' % v for v in (x_adv - data).flatten(1).norm(dim=1)])
        o.print(x_adv.requires_grad, x_adv.grad_fn)
    return o.done()


def mart(L):
    """mart.py: nn.KLDivLoss(reduction='none'), torch.argsort(adv_probs, dim=1)[:, -2:],
    torch.where on the top-2, F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y),
    torch.gather(nat_probs, 1, y.unsqueeze(1).long()).squeeze(), the weighted KL; and the
    sort-based variant of the top-2."""
    nn, F, optim = L.nn, L.nn.functional, L.optim
    with Out() as o:
        L.manual_seed(5)
        model = small_net(L)
        optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=3.5e-3)
        X, Y = _images(L, 12, 1, 8, 8, 7)

        def mart_loss(model, x_natural, y, optimizer, step_size=0.007, epsilon=0.031,
                      perturb_steps=10, beta=6.0):
            kl = nn.KLDivLoss(reduction='none')
            model.eval()
            batch_size = len(x_natural)
            x_adv = x_natural.detach() + 0.001 * L.randn(x_natural.shape).detach()
            for _ in range(perturb_steps):
                x_adv.requires_grad_()
                with L.enable_grad():
                    loss_ce = F.cross_entropy(model(x_adv), y)
                grad = L.autograd.grad(loss_ce, [x_adv])[0]
                x_adv = x_adv.detach() + step_size * L.sign(grad.detach())
                x_adv = L.min(L.max(x_adv, x_natural - epsilon), x_natural + epsilon)
                x_adv = L.clamp(x_adv, 0.0, 1.0)
            model.train()
            x_adv = L.autograd.Variable(L.clamp(x_adv, 0.0, 1.0), requires_grad=False)
            optimizer.zero_grad()
            logits = model(x_natural)
            logits_adv = model(x_adv)
            adv_probs = F.softmax(logits_adv, dim=1)
            tmp1 = L.argsort(adv_probs, dim=1)[:, -2:]
            new_y = L.where(tmp1[:, -1] == y, tmp1[:, -2], tmp1[:, -1])
            loss_adv = F.cross_entropy(logits_adv, y) + F.nll_loss(
                L.log(1.0001 - adv_probs + 1e-12), new_y)
            nat_probs = F.softmax(logits, dim=1)
            true_probs = L.gather(nat_probs, 1, (y.unsqueeze(1)).long()).squeeze()
            loss_robust = (1.0 / batch_size) * L.sum(
                L.sum(kl(L.log(adv_probs + 1e-12), nat_probs), dim=1) * (1.0000001 - true_probs))
            loss = loss_adv + float(beta) * loss_robust
            return loss, new_y, tmp1

        for step in range(3):
            loss, new_y, tmp1 = mart_loss(model, X, Y, optimizer, step_size=0.02, epsilon=0.1,
                                          perturb_steps=3)
            loss.backward()
            optimizer.step()
            o.print(f"step {step} loss {loss.item():.4f}", new_y.dtype, tmp1.shape)
            o.vals += [loss]
        with L.no_grad():
            probs = F.softmax(model(X), dim=1)
            srt, idx = L.sort(probs, dim=1, descending=True)
            top2 = probs.topk(2, dim=1)
            o.print(srt.shape, idx.dtype, bool((top2.indices == idx[:, :2]).all()))
            o.vals += [srt, idx, top2.values]
    return o.done()
