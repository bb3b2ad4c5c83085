"""dragen1860/MAML-Pytorch miniimagenet_train.py as users type it: the Learner config with
max_pool2d, episodes from a Dataset through DataLoader(task_num, shuffle=True, num_workers=1,
pin_memory=True) (PyTorch's no-accelerator warning printed), finetunning one episode at a time
(squeeze(0)), the float16 mean of the test accuracies. MiniImagenet is a seeded NumPy stand-in
(3-way 1-shot, 3x14x14 images, 8 channels). Learner and Meta are in tests/s21_meta_progs.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_meta_progs import Args, _meta_cls


def miniimagenet_train(L):
    """miniimagenet_train.py main() with the MiniImagenet dataset's __getitem__ shape."""
    torch = L
    Meta = _meta_cls(L)

    class MiniImagenet(torch.utils.data.Dataset):
        def __init__(self, root, mode, batchsz, n_way, k_shot, k_query, resize, seed):
            rng = np.random.RandomState(seed)
            self.x_spt = rng.rand(batchsz, n_way * k_shot, 3, resize, resize).astype(np.float32)
            self.x_qry = rng.rand(batchsz, n_way * k_query, 3, resize, resize).astype(np.float32)
            self.y_spt = np.stack([rng.permutation(np.repeat(np.arange(n_way), k_shot))
                                   for _ in range(batchsz)])
            self.y_qry = np.stack([rng.permutation(np.repeat(np.arange(n_way), k_query))
                                   for _ in range(batchsz)])
            self.batchsz = batchsz

        def __getitem__(self, index):
            return (torch.FloatTensor(self.x_spt[index]), torch.LongTensor(self.y_spt[index]),
                    torch.FloatTensor(self.x_qry[index]), torch.LongTensor(self.y_qry[index]))

        def __len__(self):
            return self.batchsz

    o = Out()
    with o:
        args = Args(n_way=3, k_spt=1, k_qry=2, imgsz=14, imgc=3, task_num=2, meta_lr=1e-3,
                    update_lr=0.01, update_step=2, update_step_test=3)
        torch.manual_seed(222)
        torch.cuda.manual_seed_all(222)
        np.random.seed(222)
        o.print(args)
        config = [
            ('conv2d', [8, 3, 3, 3, 1, 0]),
            ('relu', [True]),
            ('bn', [8]),
            ('max_pool2d', [2, 2, 0]),
            ('conv2d', [8, 8, 3, 3, 1, 0]),
            ('relu', [True]),
            ('bn', [8]),
            ('max_pool2d', [2, 1, 0]),
            ('flatten', []),
            ('linear', [args.n_way, 8 * 3 * 3])
        ]
        device = torch.device('cpu')
        maml = Meta(args, config).to(device)
        tmp = filter(lambda x: x.requires_grad, maml.parameters())
        num = sum(map(lambda x: np.prod(x.shape), tmp))
        o.print(maml.net)
        o.print('Total trainable tensors:', num)
        for epoch in range(1):
            mini = MiniImagenet('miniimagenet/', mode='train', n_way=args.n_way,
                                k_shot=args.k_spt, k_query=args.k_qry, batchsz=4,
                                resize=args.imgsz, seed=epoch)
            db = torch.utils.data.DataLoader(mini, args.task_num, shuffle=True, num_workers=1,
                                             pin_memory=True)
            for step, (x_spt, y_spt, x_qry, y_qry) in enumerate(db):
                x_spt, y_spt, x_qry, y_qry = x_spt.to(device), y_spt.to(device), \
                    x_qry.to(device), y_qry.to(device)
                accs, loss_q = maml(x_spt, y_spt, x_qry, y_qry)
                o.print('step:', step, '\ttraining acc:', accs, x_spt.shape, y_spt.dtype)
                o.vals.append(loss_q.detach())
                if step % 500 == 0:  # evaluation
                    mini_test = MiniImagenet('miniimagenet/', mode='test', n_way=args.n_way,
                                             k_shot=args.k_spt, k_query=args.k_qry,
                                             batchsz=2, resize=args.imgsz, seed=9)
                    db_test = torch.utils.data.DataLoader(mini_test, 1, shuffle=True,
                                                          num_workers=1, pin_memory=True)
                    accs_all_test = []
                    for x_spt, y_spt, x_qry, y_qry in db_test:
                        x_spt, y_spt, x_qry, y_qry = x_spt.squeeze(0).to(device), \
                            y_spt.squeeze(0).to(device), x_qry.squeeze(0).to(device), \
                            y_qry.squeeze(0).to(device)
                        accs = maml.finetunning(x_spt, y_spt, x_qry, y_qry)
                        accs_all_test.append(accs)
                    accs = np.array(accs_all_test).mean(axis=0).astype(np.float16)
                    o.print('Test acc:', accs)
        o.vals += [p.detach() for p in maml.net.vars]
    return o.done()
