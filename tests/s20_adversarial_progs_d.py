"""Adversarial-robustness code as users type it, part d: DeepFool's Jacobian by rows with
torch.autograd.grad(retain_graph=True) and by torch.autograd.functional.jacobian, and a
robustness evaluation script (clean / FGSM / PGD accuracy per epsilon, targeted PGD with
torch.randint targets, the mistakes users make with torch.max over several dims and mixed
clamp bounds, caught). Tiny convnet on 1x8x8 inputs, as ``prog(L) -> (printed, values)`` for
tests/test_programs_s20_adversarial.py."""

from s16_yunjey_progs import Out
from s20_adversarial_progs_b import _trained


def deepfool_autograd_rows(L):
    """A batched DeepFool step: the logits' Jacobian row by row with torch.autograd.grad(
    logits[:, k].sum(), x, retain_graph=True), torch.stack(dim=1), gathered at the labels,
    per-sample |f_k - f_y| / ||w_k - w_y||, masked with scatter_ of inf, argmin; and the
    same Jacobian from torch.autograd.functional.jacobian on one image."""
    F = L.nn.functional
    with Out() as o:
        model, X, y = _trained(L, 31, n=6)
        num_classes, overshoot = 10, 0.02
        r_tot = L.zeros_like(X)
        active = L.ones(len(X), dtype=L.bool)
        for it in range(4):
            x_in = (X + (1 + overshoot) * r_tot).clamp(0, 1).requires_grad_(True)
            logits = model(x_in)
            active = logits.argmax(1) == y
            if not active.any():
                break
            grads = []
            for k in range(num_classes):
                g, = L.autograd.grad(logits[:, k].sum(), x_in, retain_graph=True)
                grads.append(g)
            jac = L.stack(grads, dim=1)  # (N, K, 1, 8, 8)
            f_y = logits.gather(1, y[:, None])
            w_y = jac[L.arange(len(X)), y][:, None]
            f_diff = (logits - f_y).detach()
            w_diff = (jac - w_y).flatten(2)
            pert = f_diff.abs() / (w_diff.norm(dim=2) + 1e-8)
            pert.scatter_(1, y[:, None], float('inf'))
            k_hat = pert.argmin(1)
            best = pert.gather(1, k_hat[:, None]).squeeze(1)
            w_best = w_diff[L.arange(len(X)), k_hat]
            r_i = (best + 1e-4)[:, None] * w_best / w_best.norm(dim=1, keepdim=True)
            r_tot = r_tot + r_i.view_as(X) * active[:, None, None, None].float()
            o.print(it, active.tolist(), k_hat.tolist(),
                    [f"{v:.4f}" for v in r_tot.flatten(1).norm(dim=1).tolist()])
        o.vals += [r_tot, jac]
        jac1 = L.autograd.functional.jacobian(lambda z: model(z)[0], X[:1])
        o.print(jac1.shape, F.softmax(model(X[:1]), 1).argmax().item())
        o.vals += [jac1]
    return o.done()


def robustness_eval(L):
    """An evaluation script: model.eval(), clean accuracy with torch.max(outputs.data, 1)
    and correct += (predicted == labels).sum().item(), FGSM and PGD accuracy for a list of
    epsilons, a targeted PGD towards torch.randint targets (descending the target's CE),
    the top-2 margin; and two mistakes caught: torch.max over (1, 2, 3) and clamp with one
    tensor bound and one number."""
    nn = L.nn
    with Out() as o:
        model, X, y = _trained(L, 32, n=12, steps=15)
        model.eval()
        criterion = nn.CrossEntropyLoss()
        loader = [(X[i:i + 4], y[i:i + 4]) for i in range(0, 12, 4)]

        def fgsm(model, images, labels, eps):
            images = images.clone().detach().requires_grad_(True)
            loss = criterion(model(images), labels)
            model.zero_grad()
            loss.backward()
            return (images + eps * images.grad.sign()).clamp(0, 1).detach()

        def pgd(model, images, labels, eps, alpha, iters, targeted=False):
            ori = images.data
            images = images + L.empty_like(images).uniform_(-eps, eps)
            images = L.clamp(images, min=0, max=1).detach()
            for _ in range(iters):
                images.requires_grad = True
                cost = criterion(model(images), labels)
                grad = L.autograd.grad(cost, images)[0]
                step = -alpha if targeted else alpha
                adv = images + step * grad.sign()
                eta = L.clamp(adv - ori, min=-eps, max=eps)
                images = L.clamp(ori + eta, min=0, max=1).detach_()
            return images

        correct = total = 0
        with L.no_grad():
            for images, labels in loader:
                outputs = model(images)
                _, predicted = L.max(outputs.data, 1)
                total += labels.size(0)
                correct += (predicted == labels).sum().item()
        o.print('Clean accuracy: %.2f %%' % (100 * float(correct) / total))
        for eps in [0.05, 0.1, 0.2]:
            c_fgsm = c_pgd = 0
            for images, labels in loader:
                adv = fgsm(model, images, labels, eps)
                c_fgsm += (model(adv).argmax(1) == labels).sum().item()
                adv = pgd(model, images, labels, eps, eps / 4, 5)
                c_pgd += (model(adv).argmax(1) == labels).sum().item()
            o.print(f"eps={eps}: FGSM {c_fgsm}/{total}  PGD {c_pgd}/{total}")
            o.vals += [adv]
        target = L.randint(0, 10, y.shape)
        adv = pgd(model, X, target, 0.2, 0.05, 6, targeted=True)
        with L.no_grad():
            logits = model(adv)
            hit = (logits.argmax(1) == target).float().mean()
            top2 = logits.topk(2, dim=1).values
            margin = top2[:, 0] - top2[:, 1]
        o.print(target.tolist(), hit, margin.shape, target.dtype)
        o.vals += [adv, margin]
        d = adv - X
        o.tryit(lambda: L.max(d.abs(), dim=(1, 2, 3)))
        o.tryit(lambda: d.abs().max(dim=(1, 2, 3), keepdim=True))
        o.print(d.abs().amax(dim=(1, 2, 3)).le(0.2 + 1e-6).all())
        o.tryit(lambda: L.clamp(adv, min=0.0, max=X + 0.2))
        o.vals += [L.clamp(adv, min=X - 0.1, max=X + 0.1)]
    return o.done()
