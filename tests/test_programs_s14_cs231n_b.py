"""Session 14, CS231n assignment 3 scaled down: Network_Visualization (saliency maps, fooling
images, class visualization with jitter, clamping and a hand blur) and GANs_PyTorch (noise,
the vanilla and least-squares losses, the MLP and DC GANs with two Adam optimizers), with the
mistakes learners make there; each run live on torch 2.13 and ember, printing the same."""

import random

import numpy as np
from test_programs_s14_cs231n import same_printout


def small_cnn(L):
    L.manual_seed(0)
    nn = L.nn
    m = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(4, 6, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(6, 5))
    for p in m.parameters():
        p.requires_grad = False
    return m.eval()


def compute_saliency_maps(L, X, y, model):
    model.eval()
    X.requires_grad_()
    scores = model(X).gather(1, y.view(-1, 1)).squeeze()
    scores.backward(L.ones(scores.shape))
    saliency, _ = X.grad.abs().max(dim=1)
    return saliency


def test_saliency_maps():
    def prog(L):
        model = small_cnn(L)
        X, y = L.randn(4, 3, 8, 8), L.tensor([0, 1, 2, 3])
        s = compute_saliency_maps(L, X, y, model)
        print(s.shape, s.dtype, s[0], s.numpy().dtype)
        print(X.grad.abs().max(dim=1)[0].sum(), X.grad.data.abs().max(dim=1).indices[0])
        X2 = L.randn(4, 3, 8, 8).requires_grad_()
        correct = model(X2).gather(1, L.LongTensor([0, 1, 2, 3]).view(-1, 1)).squeeze()
        correct.sum().backward()
        print(correct, X2.grad.abs().amax(1).mean())
    same_printout(prog)


def test_saliency_mistakes_raise_as_pytorch():
    def case(k):
        def prog(L):
            model = small_cnn(L)
            X = L.randn(4, 3, 8, 8, requires_grad=True)
            y = [L.tensor([0, 1, 2, 3]), L.tensor([0., 1, 2, 3]), L.tensor([0, 1, 2, 7])][k % 3]
            if k == 0:
                model(X).gather(1, y.view(-1, 1)).squeeze().backward()  # not a scalar
            elif k < 3:
                model(X).gather(1, y.view(-1, 1))  # float labels; a class out of range
            elif k == 3:
                model(X).gather(1, y)  # 1-d index
            elif k == 4:
                X.numpy()
            else:
                (L.randn(2, 3) * 2)[0, 1].backward()  # X never asked for grad
        return prog
    for k in range(6):
        assert same_printout(case(k))[-1].startswith("raised")


def make_fooling_image(L, X, target_y, model):
    X_fooling = X.clone().requires_grad_()
    learning_rate = 1
    for i in range(100):
        scores = model(X_fooling)
        _, index = scores.max(dim=1)
        if index[0] == target_y:
            print('stopped at', i)
            break
        target_score = scores[0, target_y]
        target_score.backward()
        g = X_fooling.grad
        dX = learning_rate * g / g.norm()
        X_fooling.data += dX.data
        X_fooling.grad.zero_()
        print('Iteration %d: target score %.3f, max score %.3f'
              % (i, target_score.item(), scores.max().item()))
    return X_fooling


def test_fooling_images_by_normalized_gradient_ascent():
    def prog(L):
        model = small_cnn(L)
        X = L.randn(1, 3, 8, 8)
        Xf = make_fooling_image(L, X, 4, model)
        print((Xf - X).abs().max(), Xf.requires_grad, Xf.is_leaf)
        X = L.randn(1, 3, 8, 8).requires_grad_()
        for _ in range(3):  # the .grad.zero_() forgotten: steps grow from summed gradients
            model(X)[0, 4].backward()
            print(X.grad.norm())
            X.data += X.grad / X.grad.norm()
        X += X.grad / X.grad.norm()  # without .data: an in-place update of a leaf
    assert same_printout(prog)[-1].startswith("raised RuntimeError")


def jitter(L, X, ox, oy):
    if ox != 0:
        X = L.cat([X[:, :, :, -ox:], X[:, :, :, :-ox]], dim=3)
    if oy != 0:
        X = L.cat([X[:, :, -oy:], X[:, :, :-oy]], dim=2)
    return X


def blur_image(L, X, sigma=0.5):
    k = np.exp(-np.arange(-2, 3) ** 2 / (2 * sigma ** 2))
    k = (k / k.sum()).astype(np.float32)
    kx = L.from_numpy(k).view(1, 1, 1, 5).repeat(3, 1, 1, 1)
    ky = L.from_numpy(k).view(1, 1, 5, 1).repeat(3, 1, 1, 1)
    F = L.nn.functional
    X = F.conv2d(F.pad(X, (2, 2, 0, 0), mode='reflect'), kx, groups=3)
    return F.conv2d(F.pad(X, (0, 0, 2, 2), mode='reflect'), ky, groups=3)


MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def test_class_visualization_with_jitter_clamp_and_blur():
    def prog(L):
        model = small_cnn(L).type(L.FloatTensor)
        img = L.randn(1, 3, 8, 8).mul_(1.0).type(L.FloatTensor).requires_grad_()
        rng = random.Random(0)
        for t in range(12):
            ox, oy = rng.randint(0, 2), rng.randint(0, 2)
            img.data.copy_(jitter(L, img.data, ox, oy))
            loss = model(img)[0, 2] - 1e-3 * (img.norm() ** 2)
            loss.backward()
            with L.no_grad():
                img += 25 * img.grad / img.grad.norm()
                img.grad.zero_()
            img.data.copy_(jitter(L, img.data, -ox, -oy))
            for c in range(3):
                lo, hi = float(-MEAN[c] / STD[c]), float((1.0 - MEAN[c]) / STD[c])
                img.data[:, c].clamp_(min=lo, max=hi)
            if t % 5 == 0:
                img.data.copy_(blur_image(L, img.data))
            print('iter', t, '%.4f' % loss.item())
        print(img.data.type(), img.data[0, 0, :2])
        X = L.arange(2 * 3 * 4 * 4.).view(2, 3, 4, 4)
        print(L.equal(jitter(L, X, 1, 2), L.roll(L.roll(X, 1, 3), 2, 2)),
              L.roll(X, shifts=(1, -1), dims=(2, 3))[1, 2], L.roll(X, 3)[0, 0, 0])
        model.type(L.DoubleTensor)
        model(L.randn(1, 3, 8, 8))  # float input, double model
    same_printout(prog)


# ---- GANs ----------------------------------------------------------------------------------

NOISE_DIM = 8


def sample_noise(L, batch_size, dim):
    return L.rand(batch_size, dim) * 2 - 1


def bce_loss(L, input, target):
    return L.nn.functional.binary_cross_entropy_with_logits(input, target)


def discriminator_loss(L, logits_real, logits_fake):
    return bce_loss(L, logits_real, L.ones_like(logits_real)) + \
        bce_loss(L, logits_fake, L.zeros_like(logits_fake))


def generator_loss(L, logits_fake):
    return bce_loss(L, logits_fake, L.ones_like(logits_fake))


def ls_discriminator_loss(L, scores_real, scores_fake):
    return 0.5 * ((scores_real - 1) ** 2).mean() + 0.5 * (scores_fake ** 2).mean()


def ls_generator_loss(L, scores_fake):
    return 0.5 * ((scores_fake - 1) ** 2).mean()


def mlp_gan(L):
    nn = L.nn
    D = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.LeakyReLU(0.01), nn.Linear(32, 32),
                      nn.LeakyReLU(0.01), nn.Linear(32, 1))
    G = nn.Sequential(nn.Linear(NOISE_DIM, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                      nn.Linear(32, 64), nn.Tanh())
    return D, G


def initialize_weights(L, m):
    if isinstance(m, (L.nn.Linear, L.nn.ConvTranspose2d)):
        L.nn.init.xavier_uniform_(m.weight.data)


def adam(L, model):
    return L.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))


def images_of(L, shape=(1, 8, 8)):
    x = L.rand(26, *shape, generator=L.Generator().manual_seed(3))
    return [x[i:i + 8] for i in range(0, 26, 8)]


def run_a_gan(L, D, G, d_loss, g_loss, epochs=2, detach=True):
    D_solver, G_solver = adam(L, D), adam(L, G)
    iter_count = 0
    for _ in range(epochs):
        for x in images_of(L):
            if len(x) != 8:
                continue
            D_solver.zero_grad()
            logits_real = D(2 * (x - 0.5))
            fake_images = G(sample_noise(L, 8, NOISE_DIM))
            fake_images = fake_images.detach() if detach else fake_images
            d_total_error = d_loss(L, logits_real, D(fake_images.view(8, 1, 8, 8)))
            d_total_error.backward()
            D_solver.step()
            G_solver.zero_grad()
            fake_images = G(sample_noise(L, 8, NOISE_DIM))
            g_error = g_loss(L, D(fake_images.view(8, 1, 8, 8)))
            g_error.backward()
            G_solver.step()
            if iter_count % 2 == 0:
                print('Iter: {}, D: {:.4}, G:{:.4}'.format(iter_count, d_total_error.item(),
                                                           g_error.item()))
                imgs = fake_images.data.cpu().numpy()
                print(imgs.shape, imgs.dtype, '%.5f' % imgs[0, :4].sum())
            iter_count += 1


def test_gan_losses_and_noise():
    def prog(L):
        L.manual_seed(1)
        z = sample_noise(L, 3, 4)
        print(z, bool((z >= -1).all() and (z <= 1).all()), L.std(z))
        g = np.random.default_rng(0)
        lr, lf = (L.from_numpy(g.standard_normal(10).astype(np.float32)) for _ in range(2))
        print(discriminator_loss(L, lr, lf), generator_loss(L, lf))
        print(ls_discriminator_loss(L, lr, lf), ls_generator_loss(L, lf))
        print(discriminator_loss(L, lr.double(), lf.double()).item())
        print(bce_loss(L, L.Tensor(g.standard_normal(5)), L.Tensor(np.ones(5))))
        x = L.tensor([0.2, 0.9, 0.0, 1.0], requires_grad=True)
        loss = L.nn.functional.binary_cross_entropy(x, L.tensor([1., 0., 0., 1.]))
        loss.backward()
        print(loss, x.grad, L.ones_like(x), L.zeros_like(x, dtype=L.long))
    same_printout(prog)


def test_gan_loss_mistakes_raise_as_pytorch():
    cases = [lambda L: bce_loss(L, L.zeros(10, 1), L.ones(10)),  # (N, 1) logits, (N,) labels
             lambda L: bce_loss(L, L.zeros(10), L.ones(10, dtype=L.long)),  # Long labels
             lambda L: L.nn.functional.binary_cross_entropy(L.tensor([0.5, 1.5]),
                                                            L.tensor([1., 0.])),
             lambda L: L.nn.functional.binary_cross_entropy(L.rand(10, 1), L.rand(10)),
             lambda L: L.nn.BatchNorm1d(4)(L.zeros(1, 4)),
             lambda L: L.nn.Unflatten(1, (3, 3))(L.zeros(2, 8))]
    for case in cases:
        assert same_printout(case)[-1].startswith("raised")


def test_vanilla_and_least_squares_gan_training():
    def prog(L):
        L.manual_seed(0)
        D, G = mlp_gan(L)
        D.apply(lambda m: initialize_weights(L, m))
        G.apply(lambda m: initialize_weights(L, m))
        run_a_gan(L, D, G, discriminator_loss, generator_loss)
        print(adam(L, D))
        D, G = mlp_gan(L)
        run_a_gan(L, D, G, ls_discriminator_loss, ls_generator_loss, epochs=1)
        D, G = mlp_gan(L)  # .detach() forgotten: same numbers (G's grads are zeroed first)
        run_a_gan(L, D, G, discriminator_loss, generator_loss, epochs=1, detach=False)
    same_printout(prog)


def test_gan_graph_mistakes_raise_as_pytorch():
    def reuse_fake(L):  # the D step's graph freed, then backward through it again
        L.manual_seed(0)
        D, G = mlp_gan(L)
        fake = G(sample_noise(L, 8, NOISE_DIM))
        d = discriminator_loss(L, D(images_of(L)[0]), D(fake))
        d.backward()
        adam(L, D).step()
        generator_loss(L, D(fake)).backward()
        d.backward()

    def stepped_then_backward(L):  # D's weights changed in place under a kept graph
        L.manual_seed(0)
        D, G = mlp_gan(L)
        opt = adam(L, D)
        logits = D(G(sample_noise(L, 8, NOISE_DIM)).view(8, 1, 8, 8))
        discriminator_loss(L, D(images_of(L)[0]), logits).backward(retain_graph=True)
        opt.step()
        generator_loss(L, logits).backward()
    for prog in (reuse_fake, stepped_then_backward):
        assert same_printout(prog)[-1].startswith("raised RuntimeError")


def test_older_notebook_idioms():
    """The notebooks' PyTorch 0.4-era versions, still copied from the web: Variable,
    loss.data[0], size_average, the init functions without a trailing underscore."""
    import warnings

    def prog(L):
        Variable = L.autograd.Variable
        L.manual_seed(0)
        X = Variable(L.randn(2, 3), requires_grad=True)
        scores = (X * 2).gather(1, Variable(L.LongTensor([0, 2])).view(-1, 1)).squeeze()
        scores.backward(L.FloatTensor([1.0, 1.0]))
        print(X.grad.data.abs().max(dim=1), Variable(X).requires_grad)
        _, preds = (X * 1).data.cpu().max(1)
        print(preds.numpy(), L.FloatTensor(2, 3).shape, L.LongTensor([1, 2]).type(L.FloatTensor))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(L.nn.functional.cross_entropy(L.randn(3, 4), L.tensor([0, 1, 2]),
                                                size_average=False))
            L.nn.init.kaiming_normal(L.empty(3, 4))
            print(L.nn.functional.upsample(L.ones(1, 1, 2, 2), scale_factor=2).shape)
        print([(w.category.__name__, str(w.message)) for w in caught])
        loss = L.tensor(1.5, requires_grad=True) * 2
        print('%.4f' % loss.data)
        print(loss.data[0])  # 0-d: PyTorch's IndexError naming .item()
    same_printout(prog)
