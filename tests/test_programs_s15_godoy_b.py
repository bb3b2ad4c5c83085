"""Session 15, Godoy's "Deep Learning with PyTorch Step-by-Step" as learners type it.
Vol I ch0-3: linear regression by hand with autograd, then with optim/nn (mistakes
included); the StepByStep class with random_split, loaders, checkpoints and predict;
logistic regression, BCE and BCEWithLogitsLoss with pos_weight.
Each program prints; the test runs it on torch and on ember and compares the printouts
(object addresses left out). Where ember's known last-bit gaps show (LSTM/GRU steps: NumPy's
float32 tanh; BatchNorm's statistics), the program prints what the book checks, rounded."""

import os
import tempfile

import numpy as np
from s15_godoy_sbs import make_sbs, same_printout


def prog_linreg(torch):
    nn = torch.nn; optim = torch.optim
    true_b, true_w, N = 1, 2, 100
    np.random.seed(42)
    x = np.random.rand(N, 1)
    epsilon = (.1 * np.random.randn(N, 1))
    y = true_b + true_w * x + epsilon
    idx = np.arange(N); np.random.shuffle(idx)
    train_idx = idx[:int(N*.8)]; val_idx = idx[int(N*.8):]
    x_train, y_train = x[train_idx], y[train_idx]
    x_val, y_val = x[val_idx], y[val_idx]
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    print(device)
    # numpy -> tensor
    scalar = torch.tensor(3.14159)
    vector = torch.tensor([1, 2, 3])
    matrix = torch.ones((2, 3), dtype=torch.float)
    tensor = torch.randn((2, 3, 4), dtype=torch.float)
    print(scalar); print(vector); print(matrix)
    print(tensor.size(), tensor.shape)
    print(scalar.size(), scalar.shape)
    same_matrix = matrix.view(1, 6)
    same_matrix[0, 1] = 2.
    print(matrix); print(same_matrix)
    different_matrix = matrix.new_tensor(matrix.view(1, 6))
    different_matrix[0, 1] = 3.
    print(matrix); print(different_matrix)
    another_matrix = matrix.view(1, 6).clone().detach()
    another_matrix[0, 1] = 4.
    print(matrix, another_matrix)
    x_train_tensor = torch.as_tensor(x_train)
    print(x_train.dtype, x_train_tensor.dtype)
    float_tensor = x_train_tensor.float()
    print(float_tensor.dtype)
    dummy_array = np.array([1, 2, 3])
    dummy_tensor = torch.as_tensor(dummy_array)
    dummy_array[1] = 0
    print(dummy_tensor)
    print(dummy_tensor.numpy())
    gpu_tensor = torch.as_tensor(x_train).to(device)
    print(gpu_tensor[0])
    print(type(x_train_tensor).__name__, x_train_tensor.type())
    print(x_train_tensor.type() == 'torch.DoubleTensor')
    x_train_tensor = torch.as_tensor(x_train).float().to(device)
    y_train_tensor = torch.as_tensor(y_train).float().to(device)
    back_to_numpy = x_train_tensor.cpu().numpy()
    print(back_to_numpy.dtype)
    torch.manual_seed(42)
    b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    print(b, w)
    lr = 0.1
    n_epochs = 300
    for epoch in range(n_epochs):
        yhat = b + w * x_train_tensor
        error = (yhat - y_train_tensor)
        loss = (error ** 2).mean()
        loss.backward()
        if epoch == 0:
            print(error.requires_grad, yhat.requires_grad, b.requires_grad, w.requires_grad)
            print(y_train_tensor.requires_grad, x_train_tensor.requires_grad)
            print(b.grad, w.grad)
            print(loss)
        with torch.no_grad():
            b -= lr * b.grad
            w -= lr * w.grad
        b.grad.zero_()
        w.grad.zero_()
    print(b, w)
    # mistakes
    for f in [lambda: b.numpy(), lambda: setattr(b, 'grad', None) or b.grad.zero_(),
              lambda: b.sub_(1.0), lambda: b.grad + 1,
              lambda: torch.as_tensor(x_train).float() @ torch.ones(2, 1)]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    torch.manual_seed(42)
    b = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    w = torch.randn(1, requires_grad=True, dtype=torch.float, device=device)
    print(b, w)
    b2 = b - lr
    print(b2, b2.grad_fn, b2.is_leaf)
    try:
        print(b2.grad)
    except Exception as e:
        print(type(e).__name__, e)
    optimizer = optim.SGD([b, w], lr=lr)
    loss_fn = nn.MSELoss(reduction='mean')
    print(loss_fn, optimizer)
    for epoch in range(n_epochs):
        yhat = b + w * x_train_tensor
        loss = loss_fn(yhat, y_train_tensor)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    print(b, w, loss)
    print(loss.cpu().detach().numpy(), loss.item(), loss.tolist())
    try:
        loss.cpu().numpy()
    except Exception as e:
        print(type(e).__name__, e)

    class ManualLinearRegression(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))
            self.w = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))
        def forward(self, x):
            return self.b + self.w * x
    torch.manual_seed(42)
    dummy = ManualLinearRegression()
    print(list(dummy.parameters()))
    print(dummy.state_dict())
    print(optimizer.state_dict())
    model = ManualLinearRegression().to(device)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    for epoch in range(n_epochs):
        model.train()
        yhat = model(x_train_tensor)
        loss = loss_fn(yhat, y_train_tensor)
        loss.backward(); optimizer.step(); optimizer.zero_grad()
    print(model.state_dict())
    torch.manual_seed(42)
    linear = nn.Linear(1, 1)
    print(linear, linear.state_dict())
    class MyLinearRegression(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(1, 1)
        def forward(self, x):
            self.linear(x)
            return self.linear(x)
    torch.manual_seed(42)
    dummy = MyLinearRegression().to(device)
    print(list(dummy.parameters()))
    print(dummy.state_dict())
    print(dummy)
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(1, 1)).to(device)
    print(model.state_dict())
    torch.manual_seed(42)
    model = nn.Sequential()
    model.add_module('layer1', nn.Linear(3, 5))
    model.add_module('layer2', nn.Linear(5, 1))
    model.to(device)
    print(model)
    print(model.layer1, model[0])
    print(model.state_dict())
    try:
        model.add_module('layer 3', nn.ReLU())
    except Exception as e:
        print(type(e).__name__, e)
    try:
        model.add_module('layer.3', nn.ReLU())
    except Exception as e:
        print(type(e).__name__, e)
    try:
        model(torch.ones(2, 1))
    except Exception as e:
        print(type(e).__name__, str(e).splitlines()[0])


def prog_sbs(torch):
    nn = torch.nn; optim = torch.optim
    data = torch.utils.data
    DataLoader, TensorDataset, random_split = data.DataLoader, data.TensorDataset, data.random_split
    SBS = make_sbs(torch)
    np.random.seed(42)
    x = np.random.rand(100, 1)
    y = 1 + 2 * x + .1 * np.random.randn(100, 1)
    x_tensor = torch.as_tensor(x).float(); y_tensor = torch.as_tensor(y).float()
    dataset = TensorDataset(x_tensor, y_tensor)
    print(dataset[0], len(dataset))
    torch.manual_seed(13)
    train_data, val_data = random_split(dataset, [80, 20])
    print(type(train_data).__name__, len(train_data), train_data.indices[:5])
    train_loader = DataLoader(dataset=train_data, batch_size=16, shuffle=True)
    val_loader = DataLoader(dataset=val_data, batch_size=16)
    print(len(train_loader), next(iter(train_loader))[0].shape)
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(1, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.MSELoss(reduction='mean')
    sbs = SBS(model, loss_fn, optimizer)
    sbs.set_loaders(train_loader, val_loader)
    sbs.train(n_epochs=20)
    print(model.state_dict())
    print(sbs.total_epochs, [round(l, 6) for l in sbs.losses[-3:]], [round(l,
            6) for l in sbs.val_losses[-3:]])
    print(sbs.count_parameters())
    d = tempfile.mkdtemp()
    fn = os.path.join(d, 'model_checkpoint.pth')
    sbs.save_checkpoint(fn)
    new_model = nn.Sequential(nn.Linear(1, 1))
    new_opt = optim.SGD(new_model.parameters(), lr=0.1)
    new_sbs = SBS(new_model, loss_fn, new_opt)
    print(new_model.state_dict())
    new_sbs.load_checkpoint(fn)
    print(new_model.state_dict(), new_sbs.total_epochs)
    new_sbs.set_loaders(train_loader, val_loader)
    new_sbs.train(n_epochs=5)
    print(new_model.state_dict())
    new_data = np.array([.5, .3, .7]).reshape(-1, 1)
    predictions = new_sbs.predict(new_data)
    print(predictions, predictions.dtype)
    print(new_opt.state_dict())
    try:
        cp = torch.load(fn)
    except Exception as e:
        print(type(e).__name__, str(e)[:60]); cp = torch.load(fn, weights_only=False)
    print(sorted(cp.keys()), cp['epoch'], type(cp['loss']))
    # loss surface stuff
    print(torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    # mistakes: wrong shape target
    try:
        print(loss_fn(model(x_tensor), y_tensor.squeeze()))
    except Exception as e:
        print(type(e).__name__, e)
    # random_split fractions
    torch.manual_seed(13)
    a, b = random_split(dataset, [0.8, 0.2])
    print(len(a), len(b), a.indices[:5])
    g = torch.Generator().manual_seed(42)
    a, b = random_split(dataset, [0.7, 0.3], generator=g)
    print(a.indices[:5])
    try:
        random_split(dataset, [70, 20])
    except Exception as e:
        print(type(e).__name__, e)
    # sampler generator seeding
    gen = torch.Generator()
    tl = DataLoader(dataset=train_data, batch_size=16, shuffle=True, generator=gen)
    sbs2 = SBS(nn.Sequential(nn.Linear(1, 1)), loss_fn, optimizer)
    sbs2.set_loaders(tl)
    sbs2.set_seed(42)
    print(next(iter(tl))[0][:3].flatten())
    print(type(tl.sampler).__name__, tl.sampler.generator is gen)
    SubsetRandomSampler = torch.utils.data.SubsetRandomSampler
    WeightedRandomSampler = torch.utils.data.WeightedRandomSampler
    torch.manual_seed(0)
    idx = list(range(10))
    s = SubsetRandomSampler(idx, generator=torch.Generator().manual_seed(1))
    print(list(s))
    w = torch.tensor([0.1, 0.9, 0.5, 0.5])
    ws = WeightedRandomSampler(weights=w, num_samples=8,
                               generator=torch.Generator().manual_seed(42), replacement=True)
    print(list(ws))


def prog_logreg(torch):
    nn = torch.nn; optim = torch.optim; F = torch.nn.functional
    def odds_ratio(prob): return prob / (1 - prob)
    def log_odds_ratio(prob): return np.log(odds_ratio(prob))
    p = .75
    print(odds_ratio(p), log_odds_ratio(p))
    print(torch.sigmoid(torch.tensor(1.0986)), torch.tensor(1.0986).sigmoid())
    torch.manual_seed(42)
    model1 = nn.Sequential()
    model1.add_module('linear', nn.Linear(2, 1))
    model1.add_module('sigmoid', nn.Sigmoid())
    print(model1.state_dict())
    dummy_labels = torch.tensor([1.0, 0.0])
    dummy_predictions = torch.tensor([.9, .2])
    positive_pred = dummy_predictions[dummy_labels == 1]
    first_summation = torch.log(positive_pred).sum()
    negative_pred = dummy_predictions[dummy_labels == 0]
    second_summation = torch.log(1 - negative_pred).sum()
    n_total = dummy_labels.size(0)
    loss = -(first_summation + second_summation) / n_total
    print(loss)
    summation = torch.sum(dummy_labels * torch.log(dummy_predictions) +
                          (1 - dummy_labels) * torch.log(1 - dummy_predictions))
    print(-summation / n_total)
    loss_fn = nn.BCELoss(reduction='mean')
    print(loss_fn)
    print(loss_fn(dummy_predictions, dummy_labels))
    print(loss_fn(dummy_labels, dummy_predictions))
    logit1 = np.log(.9/(1-.9)); logit2 = np.log(.2/(1-.2))
    dummy_logits = torch.tensor([logit1, logit2]).float()
    print(dummy_logits)
    loss_fn_logits = nn.BCEWithLogitsLoss(reduction='mean')
    print(loss_fn_logits, loss_fn_logits(dummy_logits, dummy_labels))
    dummy_imb_labels = torch.tensor([1.0, 0.0, 0.0, 0.0])
    dummy_imb_logits = torch.tensor([logit1, logit2, logit2, logit2]).float()
    n_neg = (dummy_imb_labels == 0).sum().float()
    n_pos = (dummy_imb_labels == 1).sum().float()
    pos_weight = (n_neg / n_pos).view(1,)
    print(n_neg, n_pos, pos_weight)
    loss_fn_imb = nn.BCEWithLogitsLoss(reduction='mean', pos_weight=pos_weight)
    print(loss_fn_imb, loss_fn_imb.pos_weight)
    loss = loss_fn_imb(dummy_imb_logits, dummy_imb_labels)
    print(loss)
    loss_fn_imb_sum = nn.BCEWithLogitsLoss(reduction='sum', pos_weight=pos_weight)
    loss = loss_fn_imb_sum(dummy_imb_logits, dummy_imb_labels)
    loss = loss / (pos_weight * n_pos + n_neg)
    print(loss)
    print(nn.BCEWithLogitsLoss(reduction='none', pos_weight=pos_weight)(dummy_imb_logits,
                                                                        dummy_imb_labels))
    print(nn.BCEWithLogitsLoss(weight=torch.tensor([1., 2., 3., 4.]))(dummy_imb_logits,
                                                                      dummy_imb_labels))
    print(F.binary_cross_entropy_with_logits(dummy_imb_logits, dummy_imb_labels,
                                             pos_weight=torch.tensor(3.)))
    # grads with pos_weight
    lg = dummy_imb_logits.clone().requires_grad_()
    l = loss_fn_imb(lg, dummy_imb_labels); l.backward()
    print(l, lg.grad)
    lg2 = dummy_imb_logits.clone().requires_grad_()
    pw = pos_weight.clone().requires_grad_()
    try:
        l = F.binary_cross_entropy_with_logits(lg2, dummy_imb_labels, pos_weight=pw); l.backward()
    except Exception as e: print(type(e).__name__, e)
    # mistakes
    for f in [lambda: loss_fn(dummy_logits, dummy_labels),
              lambda: loss_fn(torch.tensor([.9, .2]), torch.tensor([1, 0])),
              lambda: loss_fn_logits(dummy_logits, torch.tensor([1, 0])),
              lambda: loss_fn_logits(dummy_logits.view(-1, 1), dummy_labels),
              lambda: loss_fn(dummy_predictions.view(-1, 1), dummy_labels),
              lambda: nn.BCEWithLogitsLoss(pos_weight=3.0)(dummy_logits, dummy_labels),
              lambda: nn.BCEWithLogitsLoss(pos_weight=torch.tensor([1., 2., 3.]))(dummy_logits,
                                                                                  dummy_labels),
              lambda: loss_fn(torch.tensor([1.5, .2]), dummy_labels),
              lambda: loss_fn(torch.tensor([0.0, 1.0]), dummy_labels),
              lambda: loss_fn(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 0.5])),
             ]:
        try:
            print(f())
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])
    # model training
    np.random.seed(13)
    X = np.random.randn(100, 2).astype(np.float32)
    yv = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * np.random.randn(100) > 0).astype(np.float32).reshape(-1,
                                                                                               1)
    xt = torch.as_tensor(X); yt = torch.as_tensor(yv)
    torch.manual_seed(42)
    model = nn.Sequential(); model.add_module('linear', nn.Linear(2, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(100):
        model.train()
        logits = model(xt)
        loss = loss_fn(logits, yt)
        loss.backward(); optimizer.step(); optimizer.zero_grad()
    print(model.state_dict(), loss)
    model.eval()
    logits_val = model(xt[:4])
    probabilities = torch.sigmoid(logits_val)
    print(logits_val, probabilities)
    print((probabilities >= 0.5).long().squeeze(), (probabilities >= 0.5).float())
    print(F.sigmoid(logits_val).detach().numpy().round(4))
    w = model.linear.weight.detach().numpy()
    print(w.dtype, w.shape)
    # confusion matrix style
    pred = (model(xt) > 0).float()
    tp = ((pred == 1) & (yt == 1)).sum()
    print(tp, tp.dtype, ((pred == yt).float().mean() * 100).item())
    print(torch.nn.functional.logsigmoid(torch.tensor([-100., 0., 50.])))
    print(F.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([0.0, 0.0])))


def test_linreg():
    same_printout(prog_linreg)


def test_sbs():
    same_printout(prog_sbs)


def test_logreg():
    same_printout(prog_logreg)
