"""Adversarial-robustness code as users type it, part c: adversarial training loops
(locuslab/fast_adversarial train_fgsm.py with utils.py's clamp and attack_pgd with restarts,
"free" adversarial training's replayed minibatches, a loop mixing clean and adversarial
batches), TRADES' pgd_whitebox evaluation (pgd_attack_cifar10.py) and locuslab/smoothing's
core.py certify / predict (scipy and statsmodels replaced by hand-written Clopper-Pearson,
binomial test and the normal quantile of statistics.NormalDist). Tiny convnets on 1x8x8
inputs, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_adversarial.py."""

import math
from math import ceil
from statistics import NormalDist

import numpy as np
from s16_yunjey_progs import Out, _images
from s20_adversarial_progs import small_net


def fast_fgsm_training(L):
    """train_fgsm.py: mu/std tensors, upper_limit / lower_limit, clamp(X, lo, hi) as
    torch.max(torch.min(X, hi), lo), delta[:, i].uniform_(-eps[i][0][0].item(), ...),
    delta.data[:X.size(0)] = clamp(...), CyclicLR stepped each batch, scheduler.get_lr()
    (its warning); attack_pgd with restarts, torch.where(...) index, max_delta[all_loss >=
    max_loss] = delta[...], torch.max(max_loss, all_loss)."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(0); np.random.seed(0)
        mu = L.tensor([0.1307]).view(1, 1, 1)
        std = L.tensor([0.3081]).view(1, 1, 1)
        upper_limit = ((1 - mu) / std)
        lower_limit = ((0 - mu) / std)

        def clamp(X, lower_limit, upper_limit):
            return L.max(L.min(X, upper_limit), lower_limit)

        def attack_pgd(model, X, y, epsilon, alpha, attack_iters, restarts):
            max_loss = L.zeros(y.shape[0])
            max_delta = L.zeros_like(X)
            for zz in range(restarts):
                delta = L.zeros_like(X)
                for i in range(len(epsilon)):
                    delta[:, i, :, :].uniform_(-epsilon[i][0][0].item(),
                                               epsilon[i][0][0].item())
                delta.data = clamp(delta, lower_limit - X, upper_limit - X)
                delta.requires_grad = True
                for _ in range(attack_iters):
                    output = model(X + delta)
                    index = L.where(output.max(1)[1] == y)
                    if len(index[0]) == 0:
                        break
                    loss = F.cross_entropy(output, y)
                    loss.backward()
                    grad = delta.grad.detach()
                    d = delta[index[0], :, :, :]
                    g = grad[index[0], :, :, :]
                    d = clamp(d + alpha * L.sign(g), -epsilon, epsilon)
                    d = clamp(d, lower_limit - X[index[0], :, :, :],
                              upper_limit - X[index[0], :, :, :])
                    delta.data[index[0], :, :, :] = d
                    delta.grad.zero_()
                all_loss = F.cross_entropy(model(X + delta), y, reduction='none').detach()
                max_delta[all_loss >= max_loss] = delta.detach()[all_loss >= max_loss]
                max_loss = L.max(max_loss, all_loss)
            return max_delta

        X_all, y_all = _images(L, 24, 1, 8, 8, 21)
        X_all = (X_all - mu) / std
        train_loader = [(X_all[i:i + 8], y_all[i:i + 8]) for i in range(0, 24, 8)]
        epsilon = (8 / 255.) / std
        alpha = (10 / 255.) / std
        pgd_alpha = (2 / 255.) / std
        model = small_net(L)
        model.train()
        opt = L.optim.SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=5e-4)
        criterion = nn.CrossEntropyLoss()
        epochs = 2
        lr_steps = epochs * len(train_loader)
        scheduler = L.optim.lr_scheduler.CyclicLR(opt, base_lr=0., max_lr=0.2,
                                                  step_size_up=lr_steps / 2,
                                                  step_size_down=lr_steps / 2)
        for epoch in range(epochs):
            train_loss = train_acc = train_n = 0
            for i, (X, y) in enumerate(train_loader):
                if i == 0:
                    first_batch = (X, y)
                delta = L.zeros_like(X)
                for j in range(len(epsilon)):
                    delta[:, j, :, :].uniform_(-epsilon[j][0][0].item(),
                                               epsilon[0][0][0].item())
                delta.data = clamp(delta, lower_limit - X, upper_limit - X)
                delta.requires_grad = True
                output = model(X + delta[:X.size(0)])
                loss = F.cross_entropy(output, y)
                loss.backward()
                grad = delta.grad.detach()
                delta.data = clamp(delta + alpha * L.sign(grad), -epsilon, epsilon)
                delta.data[:X.size(0)] = clamp(delta[:X.size(0)], lower_limit - X,
                                               upper_limit - X)
                delta = delta.detach()
                output = model(X + delta[:X.size(0)])
                loss = criterion(output, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                train_loss += loss.item() * y.size(0)
                train_acc += (output.max(1)[1] == y).sum().item()
                train_n += y.size(0)
                scheduler.step()
            X, y = first_batch
            pgd_delta = attack_pgd(model, X, y, epsilon, pgd_alpha, 3, 2)
            with L.no_grad():
                output = model(clamp(X + pgd_delta[:X.size(0)], lower_limit, upper_limit))
            robust_acc = (output.max(1)[1] == y).sum().item() / y.size(0)
            lr = scheduler.get_lr()[0]
            o.print('%d \t %.4f \t %.4f \t %.4f \t %.4f' % (
                epoch, lr, train_loss / train_n, train_acc / train_n, robust_acc))
            o.vals += [pgd_delta]
        o.print(epsilon.shape, lower_limit - X_all[:2], sep="\n")
    return o.done()


def free_training(L):
    """Free adversarial training (Shafahi et al.): global_noise_data = torch.zeros([B, C, H,
    W]), each minibatch replayed n_repeats times, noise_batch = Variable(global_noise_data[0:
    input.size(0)], requires_grad=True), in1.clamp_(0, 1.0), pert = fgsm(noise_batch.grad,
    step), global_noise_data[0:n] += pert.data, global_noise_data.clamp_(-eps, eps)."""
    nn = L.nn
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(1)
        model = small_net(L)
        criterion = nn.CrossEntropyLoss()
        optimizer = L.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        X, Y = _images(L, 20, 1, 8, 8, 22)
        loader = [(X[i:i + 8], Y[i:i + 8]) for i in range(0, 20, 8)]  # the last one is short
        eps, step, n_repeats = 4.0 / 255, 4.0 / 255, 2
        global_noise_data = L.zeros([8, 1, 8, 8])

        def fgsm(gradz, step_size):
            return step_size * L.sign(gradz)

        for epoch in range(2):
            model.train()
            for i, (input, target) in enumerate(loader):
                for j in range(n_repeats):
                    noise_batch = Variable(global_noise_data[0:input.size(0)],
                                           requires_grad=True)
                    in1 = input + noise_batch
                    in1.clamp_(0, 1.0)
                    output = model(in1)
                    loss = criterion(output, target)
                    prec1 = (output.argmax(1) == target).float().mean() * 100
                    optimizer.zero_grad()
                    loss.backward()
                    pert = fgsm(noise_batch.grad, step)
                    global_noise_data[0:input.size(0)] += pert.data
                    global_noise_data.clamp_(-eps, eps)
                    optimizer.step()
                o.print('Epoch: [{0}][{1}/{2}]\tLoss {3:.4f}\tPrec@1 {4:.3f}'.format(
                    epoch, i, len(loader), loss.item(), prec1.item()))
        o.vals += [global_noise_data, noise_batch.grad]
        o.print(noise_batch.is_leaf, in1.grad_fn is not None, global_noise_data.abs().max())
    return o.done()


def mixed_adversarial_training(L):
    """A loop mixing clean and adversarial examples: FGSM examples from model.eval(), then
    model.train() on torch.cat([x, x_adv]) with torch.cat([y, y]), or the 0.5/0.5 weighted
    losses; per-epoch clean and adversarial accuracy under torch.no_grad()."""
    nn, F = L.nn, L.nn.functional
    with Out() as o:
        L.manual_seed(2)
        # bias=False before BatchNorm: a bias there has a gradient that is zero but for
        # rounding, which Adam's normalised step turns into +-lr on either library
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                              nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10))
        optimizer = L.optim.Adam(model.parameters(), lr=1e-2)
        X, Y = _images(L, 16, 1, 8, 8, 23)

        def fgsm(model, x, y, eps):
            x = x.clone().detach().requires_grad_(True)
            loss = F.cross_entropy(model(x), y)
            grad, = L.autograd.grad(loss, x)
            return (x + eps * grad.sign()).clamp(0, 1).detach()

        for epoch in range(3):
            for k in range(2):
                x, y = X[k * 8:(k + 1) * 8], Y[k * 8:(k + 1) * 8]
                model.eval()
                x_adv = fgsm(model, x, y, 0.1)
                model.train()
                if epoch % 2 == 0:
                    inputs = L.cat([x, x_adv], dim=0)
                    targets = L.cat([y, y], dim=0)
                    loss = F.cross_entropy(model(inputs), targets)
                else:
                    loss = 0.5 * F.cross_entropy(model(x), y) + \
                        0.5 * F.cross_entropy(model(x_adv), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()
            x_adv = fgsm(model, X, Y, 0.1)
            with L.no_grad():
                clean = (model(X).argmax(dim=1) == Y).float().mean().item()
                adv = (model(x_adv).argmax(dim=1) == Y).float().mean().item()
            o.print(f"epoch {epoch}: loss {loss.item():.4f} clean {clean:.3f} adv {adv:.3f}")
        o.vals += [x_adv, model[1].running_mean, model[1].running_var]
        o.print(model[1].num_batches_tracked)
    return o.done()


def trades_pgd_whitebox(L):
    """TRADES pgd_attack_cifar10.py _pgd_whitebox: out.data.max(1)[1] != y.data, random
    noise torch.FloatTensor(*X_pgd.shape).uniform_(-eps, eps), an SGD optimiser over X_pgd
    only used for zero_grad, eta = step * X_pgd.grad.data.sign(), torch.clamp of the
    perturbation, Variable re-wrapping; eval_adv_test_whitebox's sums."""
    nn = L.nn
    Variable = L.autograd.Variable
    with Out() as o:
        L.manual_seed(3)
        model = small_net(L)
        X_all, Y_all = _images(L, 12, 1, 8, 8, 24)
        model.eval()

        def _pgd_whitebox(model, X, y, epsilon=0.031, num_steps=5, step_size=0.01,
                          random=True):
            out = model(X)
            err = (out.data.max(1)[1] != y.data).float().sum()
            X_pgd = Variable(X.data, requires_grad=True)
            if random:
                random_noise = L.FloatTensor(*X_pgd.shape).uniform_(-epsilon, epsilon)
                X_pgd = Variable(X_pgd.data + random_noise, requires_grad=True)
            for _ in range(num_steps):
                opt = L.optim.SGD([X_pgd], lr=1e-3)
                opt.zero_grad()
                with L.enable_grad():
                    loss = nn.CrossEntropyLoss()(model(X_pgd), y)
                loss.backward()
                eta = step_size * X_pgd.grad.data.sign()
                X_pgd = Variable(X_pgd.data + eta, requires_grad=True)
                eta = L.clamp(X_pgd.data - X.data, -epsilon, epsilon)
                X_pgd = Variable(X.data + eta, requires_grad=True)
                X_pgd = Variable(L.clamp(X_pgd, 0, 1.0), requires_grad=True)
            err_pgd = (model(X_pgd).data.max(1)[1] != y.data).float().sum()
            o.print('err pgd (white-box): ', err_pgd)
            return err, err_pgd, X_pgd

        robust_err_total = 0
        natural_err_total = 0
        for k in range(3):
            data, target = X_all[k * 4:(k + 1) * 4], Y_all[k * 4:(k + 1) * 4]
            X, y = Variable(data, requires_grad=True), Variable(target)
            err_natural, err_robust, X_pgd = _pgd_whitebox(model, X, y)
            robust_err_total += err_robust
            natural_err_total += err_natural
            o.vals += [X_pgd]
        o.print('natural_err_total: ', natural_err_total)
        o.print('robust_err_total: ', robust_err_total)
        o.print(X_pgd.requires_grad, X_pgd.is_leaf, X_pgd.grad, type(natural_err_total).__name__)
    return o.done()


def _clopper_pearson_lower(k, n, alpha):
    """The one-sided Clopper-Pearson lower bound (statsmodels' proportion_confint(..,
    alpha=2 * alpha, method='beta')[0]): the p with P(Binomial(n, p) >= k) = alpha, found by
    bisection on the exact binomial tail."""
    if k == 0:
        return 0.0

    def tail(p):
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))

    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if tail(mid) < alpha:
            lo = mid
        else:
            hi = mid
    return lo


def _binom_test(k, n, p=0.5):
    """scipy.stats.binom_test's two-sided p-value for p = 0.5 (symmetric: twice the smaller
    tail, at most 1)."""
    t = sum(math.comb(n, i) for i in range(0, min(k, n - k) + 1)) / 2 ** n
    return min(1.0, 2 * t)


def randomized_smoothing(L):
    """locuslab/smoothing core.py Smooth: certify (n0 selection samples, argmax().item(), n
    estimation samples, Clopper-Pearson lower bound, sigma * norm.ppf(pABar)) and predict
    (counts.argsort()[::-1][:2], binom_test); _sample_noise with x.repeat((b, 1, 1, 1)),
    torch.randn_like(batch) * sigma, predictions.cpu().numpy() counted, and the bincount
    form of the count."""
    with Out() as o:
        L.manual_seed(4)
        base = small_net(L)
        X, Y = _images(L, 20, 1, 8, 8, 25)
        opt = L.optim.Adam(base.parameters(), lr=2e-2)
        for _ in range(20):
            opt.zero_grad()
            L.nn.functional.cross_entropy(base(X), Y).backward()
            opt.step()

        class Smooth(object):
            ABSTAIN = -1

            def __init__(self, base_classifier, num_classes, sigma):
                self.base_classifier = base_classifier
                self.num_classes = num_classes
                self.sigma = sigma

            def certify(self, x, n0, n, alpha, batch_size):
                self.base_classifier.eval()
                counts_selection = self._sample_noise(x, n0, batch_size)
                cAHat = counts_selection.argmax().item()
                counts_estimation = self._sample_noise(x, n, batch_size)
                nA = counts_estimation[cAHat].item()
                pABar = self._lower_confidence_bound(nA, n, alpha)
                if pABar < 0.5:
                    return Smooth.ABSTAIN, 0.0
                else:
                    radius = self.sigma * NormalDist().inv_cdf(pABar)
                    return cAHat, radius

            def predict(self, x, n, alpha, batch_size):
                self.base_classifier.eval()
                counts = self._sample_noise(x, n, batch_size)
                top2 = counts.argsort()[::-1][:2]
                count1 = counts[top2[0]]
                count2 = counts[top2[1]]
                if _binom_test(count1, count1 + count2, p=0.5) > alpha:
                    return Smooth.ABSTAIN
                else:
                    return top2[0]

            def _sample_noise(self, x, num, batch_size):
                with L.no_grad():
                    counts = np.zeros(self.num_classes, dtype=int)
                    for _ in range(ceil(num / batch_size)):
                        this_batch_size = min(batch_size, num)
                        num -= this_batch_size
                        batch = x.repeat((this_batch_size, 1, 1, 1))
                        noise = L.randn_like(batch, device='cpu') * self.sigma
                        predictions = self.base_classifier(batch + noise).argmax(1)
                        counts += self._count_arr(predictions.cpu().numpy(), self.num_classes)
                    return counts

            def _count_arr(self, arr, length):
                counts = np.zeros(length, dtype=int)
                for idx in arr:
                    counts[idx] += 1
                return counts

            def _lower_confidence_bound(self, NA, N, alpha):
                return _clopper_pearson_lower(NA, N, alpha)

        smoothed = Smooth(base, 10, 0.25)
        for i in range(4):
            x, label = X[i], Y[i].item()
            prediction, radius = smoothed.certify(x, 10, 60, 0.001, batch_size=25)
            correct = int(prediction == label)
            o.print("{}\t{}\t{}\t{:.3}\t{}".format(i, label, prediction, radius, correct))
            o.print("predict", smoothed.predict(x, 40, 0.01, batch_size=16))
        with L.no_grad():
            batch = X[0].repeat((30, 1, 1, 1))
            preds = base(batch + L.randn_like(batch) * 0.5).argmax(1)
            counts = L.bincount(preds, minlength=10)
        o.print(counts, counts.dtype, counts.argmax().item(), batch.shape)
        o.vals += [counts]
    return o.done()
