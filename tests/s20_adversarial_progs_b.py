"""Adversarial-robustness code as users type it, part b: Carlini-Wagner L2 (torchattacks'
cw.py: the attack in tanh space with an Adam optimiser over w, the f6 loss with torch.eye
one-hot and the max over the other logits; and the binary search over c of the original
attack), DeepFool (torchattacks' deepfool.py: the Jacobian row by row with retain_graph, and
LTS4's version with autograd.grad and NumPy), MI-FGSM. Tiny convnet on 1x8x8 inputs, as
``prog(L) -> (printed, values)`` for tests/test_programs_s20_adversarial.py."""

import numpy as np
from s16_yunjey_progs import Out, _images
from s20_adversarial_progs import small_net


def _trained(L, seed, n=10, steps=12):
    """A small net fitted a few Adam steps on n random images (so attacks have work)."""
    F = L.nn.functional
    L.manual_seed(seed)
    model = small_net(L)
    X, y = _images(L, n, 1, 8, 8, seed + 10)
    opt = L.optim.Adam(model.parameters(), lr=2e-2)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
    model.eval()
    return model, X, y


def cw_l2(L):
    """torchattacks CW: w = atanh(clamp(2x - 1)) via 0.5 * log((1 + x) / (1 - x)),
    MSELoss(reduction='none') on nn.Flatten()ed images, f with torch.eye(...)[labels],
    best_Lx = torch.full(...), masked assignment of the best images, early abort."""
    nn, optim = L.nn, L.optim
    with Out() as o:
        model, images, labels = _trained(L, 11)
        c, kappa, steps, lr = 1.0, 0.0, 20, 0.05

        def tanh_space(x):
            return 1 / 2 * (L.tanh(x) + 1)

        def atanh(x):
            return 0.5 * L.log((1 + x) / (1 - x))

        def inverse_tanh_space(x):
            return atanh(L.clamp(x * 2 - 1, min=-1, max=1))

        def f(outputs, labels):
            one_hot_labels = L.eye(outputs.shape[1])[labels]
            real = L.sum(one_hot_labels * outputs, dim=1)
            other = L.max((1 - one_hot_labels) * outputs, dim=1)[0]
            return L.clamp((real - other), min=-kappa)

        images = images.clone().detach() * 0.98 + 0.01  # keep atanh finite at 0 and 1
        with L.no_grad():
            keep = model(images).argmax(1) == labels
        o.print(keep.sum().item(), images[keep].shape)
        labels = labels.clone().detach()
        # a random start around atanh(2x - 1): from w = atanh(2x - 1) itself the pixels that
        # f's gradient misses (relu, max-pool) get only MSE's gradient of tanh(atanh(x)) - x,
        # the last bit of tanh (NumPy's float32 tanh against Sleef's), which Adam's first
        # step turns into +-lr on either library
        w = (inverse_tanh_space(images) + 0.1 * L.randn_like(images)).detach()
        w.requires_grad = True
        best_adv_images = images.clone().detach()
        batch_size = len(images)
        best_Lx = L.full((batch_size, ), 1e10)
        prev_cost = 1e10
        MSELoss = nn.MSELoss(reduction="none")
        Flatten = nn.Flatten()
        optimizer = optim.Adam([w], lr=lr)
        for step in range(steps):
            adv_images = tanh_space(w)
            current_Lx = MSELoss(Flatten(adv_images), Flatten(images)).sum(dim=1)
            Lx_loss = current_Lx.sum()
            outputs = model(adv_images)
            f_loss = f(outputs, labels)
            cost = Lx_loss + L.sum(c * f_loss)
            optimizer.zero_grad()
            cost.backward()
            optimizer.step()
            pre = L.argmax(outputs.detach(), 1)
            condition_1 = (pre != labels)
            condition_2 = (current_Lx < best_Lx)
            mask = L.logical_and(condition_1, condition_2)
            best_Lx[mask] = current_Lx[mask]
            best_adv_images[mask] = adv_images[mask]
            if step % (steps // 10) == 0:
                if cost > prev_cost * 0.9999:
                    o.print("abort at", step)
                    break
                else:
                    prev_cost = cost
            o.print(step, f"{cost.item():.4f}", int(mask.sum()))
        o.print(type(prev_cost).__name__, best_Lx.dtype, (best_Lx < 1e10).sum())
        o.vals += [best_adv_images, best_Lx, w.grad]
        o.print(L.atanh(L.tensor([0.5, -1.0, 1.0, 2.0])))
    return o.done()


def cw_binary_search(L):
    """The original CW L2 with a per-sample binary search over c (the Carlini / advertorch
    recipe): modifier = zeros_like(...).requires_grad_(), Adam, per-sample lower/upper
    bounds in NumPy, the f6 loss with F.one_hot and (1 - one_hot) * logits - one_hot * 1e4
    max, torch.where on a success mask."""
    F, optim = L.nn.functional, L.optim
    with Out() as o:
        model, x, y = _trained(L, 12, n=6)
        n, num_classes, confidence = len(x), 10, 0.0
        lower = np.zeros(n)
        upper = np.full(n, 1e10)
        const = np.full(n, 0.1)
        o_best_l2 = np.full(n, 1e10)
        o_best_attack = x.clone()
        x_atanh = L.atanh((x * 2 - 1) * 0.999999)
        y_onehot = F.one_hot(y, num_classes).float()
        for outer in range(4):
            modifier = L.zeros_like(x).requires_grad_()
            optimizer = optim.Adam([modifier], lr=0.1)
            c = L.from_numpy(const).float()
            best_l2 = L.full((n,), 1e10)
            best_score = L.full((n,), -1, dtype=L.long)
            for it in range(8):
                adv = (L.tanh(x_atanh + modifier) + 1) / 2
                l2 = ((adv - x) ** 2).sum(dim=[1, 2, 3])
                logits = model(adv)
                real = (y_onehot * logits).sum(1)
                other = ((1.0 - y_onehot) * logits - y_onehot * 10000.).max(1)[0]
                f6 = L.clamp(real - other + confidence, min=0.)
                loss = (l2 + c * f6).sum()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                pred = logits.argmax(1)
                succ = (pred != y) & (l2 < best_l2)
                best_l2 = L.where(succ, l2.detach(), best_l2)
                best_score = L.where(succ, pred, best_score)
                o_succ = succ.numpy() & (l2.detach().numpy() < o_best_l2)
                o_best_l2[o_succ] = l2.detach().numpy()[o_succ]
                o_best_attack[L.from_numpy(o_succ)] = adv.detach()[L.from_numpy(o_succ)]
            for i in range(n):
                if best_score[i] != -1:
                    upper[i] = min(upper[i], const[i])
                    if upper[i] < 1e9:
                        const[i] = (lower[i] + upper[i]) / 2
                else:
                    lower[i] = max(lower[i], const[i])
                    if upper[i] < 1e9:
                        const[i] = (lower[i] + upper[i]) / 2
                    else:
                        const[i] *= 10
            o.print(outer, f"{loss.item():.4f}", np.round(const, 4).tolist(),
                    best_score.tolist())
        o.vals += [o_best_attack, o_best_l2.astype(np.float32), c]
    return o.done()


def deepfool(L):
    """torchattacks DeepFool: per-image loop, _construct_jacobian with y_element.backward(
    retain_graph=idx + 1 < len(y)) and x.grad.zero_(), fs[wrong_classes] with a list,
    value[label] = float('inf') with a 0-d tensor label, torch.min(value, 0), torch.stack(
    ...).reshape(*y.shape, *x.shape), target_labels[idx] = pre."""
    nn = L.nn
    with Out() as o:
        model, images, labels = _trained(L, 13, n=4)
        steps, overshoot = 6, 0.02

        def _construct_jacobian(y, x):
            x_grads = []
            for idx, y_element in enumerate(y):
                if x.grad is not None:
                    x.grad.zero_()
                y_element.backward(retain_graph=(False or idx + 1 < len(y)))
                x_grads.append(x.grad.clone().detach())
            return L.stack(x_grads).reshape(*y.shape, *x.shape)

        def _forward_indiv(image, label):
            image.requires_grad = True
            fs = model(image)[0]
            _, pre = L.max(fs, dim=0)
            if pre != label:
                return (True, pre, image)
            ws = _construct_jacobian(fs, image)
            image = image.detach()
            f_0 = fs[label]
            w_0 = ws[label]
            wrong_classes = [i for i in range(len(fs)) if i != label]
            f_k = fs[wrong_classes]
            w_k = ws[wrong_classes]
            f_prime = f_k - f_0
            w_prime = w_k - w_0
            value = L.abs(f_prime) / L.norm(nn.Flatten()(w_prime), p=2, dim=1)
            value[label] = float('inf')
            _, hat_L = L.min(value, 0)
            delta = (L.abs(f_prime[hat_L]) * w_prime[hat_L]
                     / (L.norm(w_prime[hat_L], p=2) ** 2))
            target_label = hat_L
            adv_image = image + (1 + overshoot) * delta
            adv_image = L.clamp(adv_image, min=0, max=1).detach()
            return (False, target_label, adv_image)

        batch_size = len(images)
        correct = L.tensor([True] * batch_size)
        target_labels = labels.clone().detach()
        curr_steps = 0
        adv_images = []
        for idx in range(batch_size):
            image = images[idx:idx + 1].clone().detach()
            adv_images.append(image)
        while (True in correct) and (curr_steps < steps):
            for idx in range(batch_size):
                if not correct[idx]:
                    continue
                early_stop, pre, adv_image = _forward_indiv(adv_images[idx], labels[idx])
                adv_images[idx] = adv_image
                target_labels[idx] = pre
                if early_stop:
                    correct[idx] = False
            curr_steps += 1
            o.print(curr_steps, correct.tolist(), target_labels.tolist())
        adv_images = L.cat(adv_images).detach()
        o.vals += [adv_images, target_labels]
        o.print(adv_images.shape, (adv_images - images).flatten(1).norm(dim=1).shape)
    return o.done()


def deepfool_lts4(L):
    """LTS4/DeepFool deepfool.py: f_image = net.forward(Variable(image[None, :, :, :],
    requires_grad=True)).data.numpy().flatten(), argsort()[::-1], pert_image via
    torch.from_numpy, x = Variable(pert_image[None, :], requires_grad=True), fs[0, I[k]]
    .backward(retain_graph=True), x.grad.data.numpy().copy(), zero_grad on the leaf."""
    with Out() as o:
        model, images, labels = _trained(L, 14, n=3)
        Variable = L.autograd.Variable
        num_classes, overshoot, max_iter = 4, 0.02, 5
        for image in images:
            f_image = model.forward(Variable(image[None, :, :, :], requires_grad=True)) \
                .data.numpy().flatten()
            I = (np.array(f_image)).flatten().argsort()[::-1]
            I = I[0:num_classes]
            label = I[0]
            input_shape = image.numpy().shape
            pert_image = image.clone()
            w = np.zeros(input_shape)
            r_tot = np.zeros(input_shape)
            loop_i = 0
            x = Variable(pert_image[None, :], requires_grad=True)
            fs = model.forward(x)
            k_i = label
            while k_i == label and loop_i < max_iter:
                pert = np.inf
                fs[0, I[0]].backward(retain_graph=True)
                grad_orig = x.grad.data.numpy().copy()
                for k in range(1, num_classes):
                    x.grad.zero_()
                    fs[0, I[k]].backward(retain_graph=True)
                    cur_grad = x.grad.data.numpy().copy()
                    w_k = cur_grad - grad_orig
                    f_k = (fs[0, I[k]] - fs[0, I[0]]).data.numpy()
                    pert_k = abs(f_k) / np.linalg.norm(w_k.flatten())
                    if pert_k < pert:
                        pert = pert_k
                        w = w_k
                r_i = (pert + 1e-4) * w / np.linalg.norm(w)
                r_tot = np.float32(r_tot + r_i)
                pert_image = image + (1 + overshoot) * L.from_numpy(r_tot)
                x = Variable(pert_image, requires_grad=True)
                fs = model.forward(x)
                k_i = np.argmax(fs.data.numpy().flatten())
                loop_i += 1
            r_tot = (1 + overshoot) * r_tot
            o.print(int(label), int(k_i), loop_i, r_tot.dtype, pert_image.shape,
                    type(f_k).__name__, f_k.dtype)
            o.vals += [r_tot, pert_image]
    return o.done()


def mi_fgsm(L):
    """MI-FGSM (torchattacks mifgsm.py): momentum of grad / torch.mean(torch.abs(grad),
    dim=(1, 2, 3), keepdim=True), torch.clamp(adv - images, min=-eps, max=eps)."""
    nn = L.nn
    with Out() as o:
        model, images, labels = _trained(L, 15)
        eps, alpha, steps, decay = 8 / 255, 2 / 255, 5, 1.0
        momentum = L.zeros_like(images).detach()
        loss = nn.CrossEntropyLoss()
        adv_images = images.clone().detach()
        for _ in range(steps):
            adv_images.requires_grad = True
            outputs = model(adv_images)
            cost = loss(outputs, labels)
            grad = L.autograd.grad(cost, adv_images, retain_graph=False, create_graph=False)[0]
            grad = grad / L.mean(L.abs(grad), dim=(1, 2, 3), keepdim=True)
            grad = grad + momentum * decay
            momentum = grad
            adv_images = adv_images.detach() + alpha * grad.sign()
            delta = L.clamp(adv_images - images, min=-eps, max=eps)
            adv_images = L.clamp(images + delta, min=0, max=1).detach()
            o.print(f"{cost.item():.4f}")
        # momentum itself: a few near-cancelling gradient entries (1e-6 of the largest)
        # carry conv backward's summation order through the division by the mean
        o.vals += [adv_images]
        o.print(f"{momentum.norm().item():.4f}", momentum.shape)
        acc = (model(adv_images).argmax(1) == labels).float().mean()
        o.print(acc, acc.dtype)
    return o.done()
