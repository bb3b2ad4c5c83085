"""davidtvs/pytorch-lr-finder's `torch.amp` backend (LRFinder's _train_batch with
grad_scaler.scale(loss).backward(), grad_scaler.step / update), on the LRFinder of
tests/s21_trainutils_progs.py."""

from s16_yunjey_progs import Out
from s21_trainutils_progs import _lr_finder_module, _task


def lr_finder_amp(L):
    """The `torch.amp` backend (tests/test_lr_finder.py's mixed-precision case on the CPU):
    a GradScaler('cpu') at init_scale 2**127 scales the loss (autocast passed enabled=False:
    float32) and its growth stops short of inf; then the backend's argument errors and a
    step without scale()."""
    torch, nn, optim = L, L.nn, L.optim
    LRFinder = _lr_finder_module(L)["LRFinder"]
    torch.manual_seed(3)
    with Out() as o:
        model = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3))
        optimizer = optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        trainloader = torch.utils.data.DataLoader(_task(L, 32, 2), batch_size=8, shuffle=True)
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 127, growth_interval=3)
        amp_config = {"device_type": "cpu", "enabled": False}
        lr_finder = LRFinder(model, optimizer, nn.CrossEntropyLoss(), amp_backend="torch",
                             amp_config=amp_config, grad_scaler=scaler, printer=o.print)
        lr_finder.range_test(trainloader, end_lr=1, num_iter=10, accumulation_steps=2,
                             diverge_th=5)
        o.print(["%.4f" % v for v in lr_finder.history["loss"]])
        o.print(scaler.get_scale(), scaler.state_dict()["_growth_tracker"])
        o.vals += [p.detach().clone() for p in model.parameters()]
        lr_finder.reset()
        o.vals += [p.detach() for p in model.parameters()]
        o.tryit(lambda: LRFinder(model, optimizer, nn.CrossEntropyLoss(), amp_backend="apex2"))
        o.tryit(lambda: LRFinder(model, optimizer, nn.CrossEntropyLoss(), amp_backend="torch"))
        o.tryit(lambda: scaler.step(optimizer))
    return o.done()
