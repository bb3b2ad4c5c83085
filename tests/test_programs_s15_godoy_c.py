"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol I ch5-6: convolutions by hand and with modules, padding and pooling, LeNet,
CNN2 trained with StepByStep, filters and forward hooks; the LR range test (LambdaLR), EWMA,
Adam with capture_gradients/capture_parameters, SGD with momentum/nesterov/dampening.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""


import numpy as np
from s15_godoy_sbs import make_sbs, same_printout


def prog_conv(torch):
    nn = torch.nn; optim = torch.optim; F = torch.nn.functional
    single = np.array([[[[5, 0, 8, 7, 8, 1], [1, 9, 5, 0, 7, 7], [6, 0, 2, 4, 6, 6],
                         [9, 7, 6, 6, 8, 4], [8, 3, 8, 5, 1, 3], [7, 2, 7, 0, 1, 0]]]])
    print(single.shape)
    identity = np.array([[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]])
    region = single[:, :, 0:3, 0:3]
    filtered_region = region * identity
    print(filtered_region.sum())
    image = torch.as_tensor(single).float()
    kernel_identity = torch.as_tensor(identity).float()
    convolved = F.conv2d(image, kernel_identity, stride=1)
    print(convolved)
    conv = nn.Conv2d(in_channels=1, out_channels=1, kernel_size=3, stride=1)
    print(conv, conv.weight.shape, conv.bias.shape)
    conv_multiple = nn.Conv2d(in_channels=1, out_channels=2, kernel_size=3, stride=1)
    print(conv_multiple.weight.shape)
    with torch.no_grad():
        conv.weight[0] = kernel_identity
        conv.bias[0] = 0.
    print(conv(image))
    convolved_stride2 = F.conv2d(image, kernel_identity, stride=2)
    print(convolved_stride2)
    constant_padder = nn.ConstantPad2d(padding=1, value=0)
    print(constant_padder(image))
    padded = F.pad(image, pad=(1, 1, 1, 1), mode='constant', value=0)
    print(padded.shape)
    replication_padder = nn.ReplicationPad2d(padding=1)
    print(replication_padder(image))
    reflection_padder = nn.ReflectionPad2d(padding=1)
    print(reflection_padder(image))
    print(F.pad(image, pad=(1, 1, 1, 1), mode='circular'))
    edge = np.array([[[[0, 1, 0], [1, -4, 1], [0, 1, 0]]]])
    kernel_edge = torch.tensor(edge).float()
    padded = F.pad(image, pad=(1, 1, 1, 1), mode='constant', value=0)
    conv_padded = F.conv2d(padded, kernel_edge, stride=1)
    print(conv_padded)
    pooled = F.max_pool2d(conv_padded, kernel_size=2)
    print(pooled)
    maxpool4 = nn.MaxPool2d(kernel_size=4)
    print(maxpool4, maxpool4(conv_padded))
    print(F.max_pool2d(conv_padded, kernel_size=3, stride=1))
    print(F.avg_pool2d(conv_padded, kernel_size=2))
    print(nn.AvgPool2d(3, stride=1, padding=1)(image))
    flattened = nn.Flatten()(pooled)
    print(flattened, pooled.view(1, -1))
    # LeNet-5 style
    lenet = nn.Sequential()
    lenet.add_module('C1', nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5, padding=2))
    lenet.add_module('func1', nn.ReLU())
    lenet.add_module('S2', nn.MaxPool2d(kernel_size=2))
    lenet.add_module('C3', nn.Conv2d(in_channels=6, out_channels=16, kernel_size=5))
    lenet.add_module('func2', nn.ReLU())
    lenet.add_module('S4', nn.MaxPool2d(kernel_size=2))
    lenet.add_module('C5', nn.Conv2d(in_channels=16, out_channels=120, kernel_size=5))
    lenet.add_module('func2', nn.ReLU())
    lenet.add_module('flatten', nn.Flatten())
    lenet.add_module('F6', nn.Linear(in_features=120, out_features=84))
    lenet.add_module('func3', nn.ReLU())
    lenet.add_module('OUTPUT', nn.Linear(in_features=84, out_features=10))
    print(lenet)
    torch.manual_seed(13)
    x = torch.randn(2, 1, 28, 28)
    print(lenet(x).shape)
    # mistakes
    for f in [lambda: F.conv2d(image[0], kernel_identity),
              lambda: F.conv2d(image.long(), kernel_identity.long()),
              lambda: F.conv2d(image.double(), kernel_identity),
              lambda: conv(torch.randn(1, 3, 6, 6)),
              lambda: nn.Conv2d(1, 1, 3)(torch.randn(6, 6)),
              lambda: nn.Conv2d(1, 1, 3)(torch.randn(1, 6, 6)).shape,
              lambda: nn.Conv2d(1, 1, 7)(torch.randn(1, 1, 6, 6)),
              lambda: nn.MaxPool2d(8)(torch.randn(1, 1, 6, 6)),
              lambda: lenet(torch.randn(2, 1, 32, 32)),
              lambda: nn.Conv2d(1, 1, 3, padding='same', stride=2),
              lambda: nn.Conv2d(1, 1, 4, padding='same')(image).shape,
              lambda: F.pad(image, (1, 1), mode='reflect').shape,
              lambda: F.pad(image, (6, 6), mode='reflect'),
              lambda: nn.Linear(10, 5)(torch.randn(2, 1, 28, 28)),
              ]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # small CNN (ch5 rps / ch6 CNN2)
    class CNN2(nn.Module):
        def __init__(self, n_feature, p=0.0):
            super(CNN2, self).__init__()
            self.n_feature = n_feature
            self.p = p
            self.conv1 = nn.Conv2d(in_channels=3, out_channels=n_feature, kernel_size=3)
            self.conv2 = nn.Conv2d(in_channels=n_feature, out_channels=n_feature, kernel_size=3)
            self.fc1 = nn.Linear(n_feature * 5 * 5, 50)
            self.fc2 = nn.Linear(50, 3)
            self.drop = nn.Dropout(self.p)
        def featurizer(self, x):
            x = self.conv1(x); x = F.relu(x); x = F.max_pool2d(x, kernel_size=2)
            x = self.conv2(x); x = F.relu(x); x = F.max_pool2d(x, kernel_size=2)
            x = nn.Flatten()(x)
            return x
        def classifier(self, x):
            if self.p > 0:
                x = self.drop(x)
            x = self.fc1(x); x = F.relu(x)
            if self.p > 0:
                x = self.drop(x)
            x = self.fc2(x)
            return x
        def forward(self, x):
            x = self.featurizer(x)
            x = self.classifier(x)
            return x
    torch.manual_seed(13)
    model_cnn2 = CNN2(n_feature=5, p=0.3)
    print(model_cnn2)
    multi_loss_fn = nn.CrossEntropyLoss(reduction='mean')
    optimizer_cnn2 = optim.Adam(model_cnn2.parameters(), lr=3e-4)
    SBS = make_sbs(torch)
    g = torch.Generator()
    torch.manual_seed(1)
    X = torch.rand(24, 3, 28, 28); Y = torch.randint(0, 3, (24,))
    ds = torch.utils.data.TensorDataset(X, Y)
    tl = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True, generator=g)
    vl = torch.utils.data.DataLoader(ds, batch_size=8)
    sbs_cnn2 = SBS(model_cnn2, multi_loss_fn, optimizer_cnn2)
    sbs_cnn2.set_loaders(tl, vl)
    sbs_cnn2.train(3)
    print(np.round(sbs_cnn2.losses, 4), np.round(sbs_cnn2.val_losses, 4))
    print(StepByStep_loader_apply(SBS, vl, sbs_cnn2))
    filt = sbs_cnn2.visualize_filters('conv1')
    print(filt.shape, filt.dtype)
    print(sbs_cnn2.count_parameters())
    featurizer_layers = ['conv1', 'conv2', 'fc1', 'fc2']
    sbs_cnn2.attach_hooks(layers_to_hook=featurizer_layers)
    xb, yb = next(iter(vl))
    logits = sbs_cnn2.predict(xb)
    sbs_cnn2.remove_hooks()
    print({k: (v.shape if v is not None else None) for k, v in sbs_cnn2.visualization.items()})
    print(sbs_cnn2.visualization['fc2'].round(3))
    print(sbs_cnn2.handles)
    print(logits.argmax(1))
    print(StepByStep_correct(sbs_cnn2, xb, yb))
    ms = torch.stack([torch.tensor([1., 2.]), torch.tensor([3., 4.])], axis=0)
    print(ms.sum(axis=0), ms.float().mean(axis=0))
    imgs = torch.rand(4, 3, 5, 5)
    print(SBS.statistics_per_channel(imgs, None))


def StepByStep_loader_apply(SBS, vl, sbs):
    return SBS.loader_apply(vl, sbs.correct)


def StepByStep_correct(sbs, x, y):
    return sbs.correct(x, y)


def prog_optim(torch):
    nn = torch.nn; optim = torch.optim; F = torch.nn.functional
    from_ = torch.optim.lr_scheduler
    SBS = make_sbs(torch)
    np.random.seed(42)
    x = np.random.rand(64, 1).astype(np.float32)
    y = (1 + 2 * x + .1 * np.random.randn(64, 1)).astype(np.float32)
    ds = torch.utils.data.TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
    torch.manual_seed(0)
    tl = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True)
    vl = torch.utils.data.DataLoader(ds, batch_size=32)
    # LR range test
    make_lr_fn = SBS.make_lr_fn
    start_lr = 0.01; end_lr = 0.1; num_iter = 10
    lr_fn = make_lr_fn(start_lr, end_lr, num_iter, step_mode='exp')
    print(lr_fn(np.arange(num_iter + 1)))
    print(start_lr * lr_fn(np.arange(num_iter + 1)))
    dummy_model = nn.Linear(1, 1)
    dummy_optimizer = optim.SGD(dummy_model.parameters(), lr=start_lr)
    dummy_scheduler = from_.LambdaLR(dummy_optimizer, lr_lambda=lr_fn)
    print(dummy_scheduler.get_last_lr())
    dummy_optimizer.step(); dummy_scheduler.step()
    print(dummy_scheduler.get_last_lr(), dummy_scheduler.get_last_lr()[0])
    print(dummy_scheduler.state_dict())
    lr_lin = make_lr_fn(start_lr, end_lr, num_iter, step_mode='linear')
    s2 = from_.LambdaLR(optim.SGD(nn.Linear(1, 1).parameters(), lr=start_lr), lr_lin)
    for _ in range(3):
        s2.optimizer.step(); s2.step()
    print(s2.get_last_lr(), s2.last_epoch, s2.state_dict()['_last_lr'])
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    sbs = SBS(model, nn.MSELoss(), optimizer)
    tracking = sbs.lr_range_test(tl, end_lr=1e-1, num_iter=12)
    print(np.round(tracking['lr'], 8).tolist())
    print(np.round(tracking['loss'], 4).tolist())
    print(optimizer.state_dict()['param_groups'][0]['lr'], len(optimizer.state_dict()['state']))
    # EWMA
    temperatures = np.array([5, 11, 15, 6, 5, 3, 3, 0, 0, 3, 4, 2, 1, -1, -2, 2, 2, -2, -1, -1, 3,
                             4, -1, 2, 6, 4, 9, 11, 9, -2])
    def ewma(past_value, current_value, alpha):
        return (1 - alpha) * past_value + alpha * current_value
    def calc_ewma(values, period):
        alpha = 2 / (period + 1)
        result = []
        for v in values:
            try:
                prev_value = result[-1]
            except IndexError:
                prev_value = 0
            new_value = ewma(prev_value, v, alpha)
            result.append(new_value)
        return np.array(result)
    print(calc_ewma(temperatures, 19)[:5])
    # Adam state
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(1, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    sbs_adam = SBS(model, nn.MSELoss(), optimizer)
    sbs_adam.set_loaders(tl, vl)
    sbs_adam.capture_parameters('0')
    sbs_adam.capture_gradients('0')
    sbs_adam.train(2)
    sbs_adam.remove_hooks()
    print(len(sbs_adam._gradients['0']['weight']), np.round(sbs_adam._gradients['0']['weight'][:3],
                                                            5).tolist())
    print(np.round(sbs_adam._parameters['0']['bias'][:3], 5).tolist())
    print(optimizer.state_dict()['state'].keys(), optimizer.state_dict()['state'][0]['step'])
    st = optimizer.state_dict()['state'][0]
    print(sorted(st.keys()), st['exp_avg'].shape)
    print(optimizer)
    print(optimizer.state_dict()['param_groups'])
    print(model.state_dict())
    # SGD flavours
    for kw in [dict(momentum=0.9), dict(momentum=0.9, nesterov=True), dict(momentum=0.9,
            dampening=0.5), dict(weight_decay=1e-2)]:
        torch.manual_seed(42)
        model = nn.Sequential(nn.Linear(1, 1))
        optimizer = optim.SGD(model.parameters(), lr=0.1, **kw)
        s = SBS(model, nn.MSELoss(), optimizer)
        s.set_loaders(tl, vl)
        s.capture_gradients(['0'])
        s.train(3)
        print(kw, model.state_dict(), round(s.losses[-1], 6))
        print(sorted(optimizer.state_dict()['state'].get(0, {}).keys()))
        print(optimizer.state_dict()['state'][0]['momentum_buffer'] if kw.get('momentum') else None)
    for bad in [dict(lr=0.1, nesterov=True), dict(lr=0.1, momentum=0.9, dampening=0.1,
            nesterov=True), dict(lr=-1), dict(lr=0.1, momentum=-0.1), dict(lr=0.1,
                                                                           weight_decay=-1)]:
        try:
            optim.SGD(nn.Linear(1, 1).parameters(), **bad)
        except Exception as e:
            print(type(e).__name__, e)
    for bad in [dict(betas=(1.0, 0.999)), dict(eps=-1), dict(betas=(0.9, 1.5))]:
        try:
            optim.Adam(nn.Linear(1, 1).parameters(), **bad)
        except Exception as e:
            print(type(e).__name__, e)


def test_conv():
    same_printout(prog_conv)


def test_optim():
    same_printout(prog_optim)
