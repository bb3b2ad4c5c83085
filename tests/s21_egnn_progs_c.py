"""vgsatorras/egnn n_body_system/model.py (GNN, EGNN, EGNN_vel, RF_vel, Linear_dynamics) on
models/gcl.py (tests/s21_egnn_progs_b.py), n_body_system/dataset_nbody.py's NBodyDataset with
its .npy files replaced by seeded NumPy arrays of the same layout, and main_nbody.py's main()
/ train() for each --model, shrunk to a few epochs. See tests/test_programs_s21_egnn.py."""

import types

import numpy as np
from s16_yunjey_progs import Out
from s21_egnn_progs_b import gcl_module


def nbody_arrays(seed, n_samples=8, n_frames=10, n_nodes=5):
    """What generate_dataset.py saves: loc / vel (samples, frames, 3, nodes), edges (the
    products of charges, samples x nodes x nodes) and charges (samples, nodes, 1)."""
    rng = np.random.RandomState(seed)
    loc = rng.standard_normal((n_samples, n_frames, 3, n_nodes))
    vel = 0.5 * rng.standard_normal((n_samples, n_frames, 3, n_nodes))
    charges = rng.choice([-1, 1], size=(n_samples, n_nodes, 1))
    edges = charges * charges.transpose(0, 2, 1)
    return loc, vel, edges, charges


def nbody_module(torch, print_):
    nn = torch.nn
    g = gcl_module(torch)
    GCL, E_GCL, E_GCL_vel, GCL_rf_vel = g["GCL"], g["E_GCL"], g["E_GCL_vel"], g["GCL_rf_vel"]

    class GNN(nn.Module):
        def __init__(self, input_dim, hidden_nf, device='cpu', act_fn=nn.SiLU(), n_layers=4, attention=0,
                     recurrent=False):
            super(GNN, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, GCL(self.hidden_nf, self.hidden_nf, self.hidden_nf, edges_in_nf=1,
                                                  act_fn=act_fn, attention=attention, recurrent=recurrent))

            self.decoder = nn.Sequential(nn.Linear(hidden_nf, hidden_nf),
                                         act_fn,
                                         nn.Linear(hidden_nf, 3))
            self.embedding = nn.Sequential(nn.Linear(input_dim, hidden_nf))
            self.to(self.device)

        def forward(self, nodes, edges, edge_attr=None):
            h = self.embedding(nodes)
            for i in range(0, self.n_layers):
                h, _ = self._modules["gcl_%d" % i](h, edges, edge_attr=edge_attr)
            return self.decoder(h)

    class EGNN(nn.Module):
        def __init__(self, in_node_nf, in_edge_nf, hidden_nf, device='cpu', act_fn=nn.LeakyReLU(0.2), n_layers=4,
                     coords_weight=1.0):
            super(EGNN, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            self.embedding = nn.Linear(in_node_nf, self.hidden_nf)
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, E_GCL(self.hidden_nf, self.hidden_nf, self.hidden_nf,
                                                    edges_in_d=in_edge_nf, act_fn=act_fn, recurrent=True,
                                                    coords_weight=coords_weight))
            self.to(self.device)

        def forward(self, h, x, edges, edge_attr, vel=None):
            h = self.embedding(h)
            for i in range(0, self.n_layers):
                h, x, _ = self._modules["gcl_%d" % i](h, edges, x, edge_attr=edge_attr)
            return x

    class EGNN_vel(nn.Module):
        def __init__(self, in_node_nf, in_edge_nf, hidden_nf, device='cpu', act_fn=nn.SiLU(), n_layers=4,
                     coords_weight=1.0, recurrent=False, norm_diff=False, tanh=False):
            super(EGNN_vel, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            self.embedding = nn.Linear(in_node_nf, self.hidden_nf)
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, E_GCL_vel(self.hidden_nf, self.hidden_nf, self.hidden_nf,
                                                        edges_in_d=in_edge_nf, act_fn=act_fn,
                                                        coords_weight=coords_weight, recurrent=recurrent,
                                                        norm_diff=norm_diff, tanh=tanh))
            self.to(self.device)

        def forward(self, h, x, edges, vel, edge_attr):
            h = self.embedding(h)
            for i in range(0, self.n_layers):
                h, x, _ = self._modules["gcl_%d" % i](h, edges, x, vel, edge_attr=edge_attr)
            return x

    class RF_vel(nn.Module):
        def __init__(self, hidden_nf, edge_attr_nf=0, device='cpu', act_fn=nn.SiLU(), n_layers=4):
            super(RF_vel, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, GCL_rf_vel(nf=hidden_nf, edge_attr_nf=edge_attr_nf, act_fn=act_fn))
            self.to(self.device)

        def forward(self, vel_norm, x, edges, vel, edge_attr):
            for i in range(0, self.n_layers):
                x, _ = self._modules["gcl_%d" % i](x, vel_norm, vel, edges, edge_attr)
            return x

    class Linear_dynamics(nn.Module):
        def __init__(self, device='cpu'):
            super(Linear_dynamics, self).__init__()
            self.time = nn.Parameter(torch.ones(1)*0.7)
            self.device = device
            self.to(self.device)

        def forward(self, x, v):
            return x + v*self.time

    class NBodyDataset():
        def __init__(self, partition='train', max_samples=1e8, dataset_name="se3_transformer", seed=0):
            self.partition = partition
            self.dataset_name = dataset_name
            self.max_samples = int(max_samples)
            self.seed = seed
            self.data, self.edges = self.load()

        def load(self):
            loc, vel, edges, charges = nbody_arrays(self.seed)
            loc, vel, edge_attr, edges, charges = self.preprocess(loc, vel, edges, charges)
            return (loc, vel, edge_attr, charges), edges

        def preprocess(self, loc, vel, edges, charges):
            # cast to torch and swap n_nodes <--> n_features dimensions
            loc, vel = torch.Tensor(loc).transpose(2, 3), torch.Tensor(vel).transpose(2, 3)
            n_nodes = loc.size(2)
            loc = loc[0:self.max_samples, :, :, :]  # limit number of samples
            vel = vel[0:self.max_samples, :, :, :]  # speed when starting the trajectory
            charges = charges[0:self.max_samples]
            edge_attr = []

            # Initialize edges and edge_attributes
            rows, cols = [], []
            for i in range(n_nodes):
                for j in range(n_nodes):
                    if i != j:
                        edge_attr.append(edges[:, i, j])
                        rows.append(i)
                        cols.append(j)
            edges = [rows, cols]
            edge_attr = torch.Tensor(edge_attr).transpose(0, 1).unsqueeze(2)

            return torch.Tensor(loc), torch.Tensor(vel), torch.Tensor(edge_attr), edges, torch.Tensor(charges)

        def __getitem__(self, i):
            loc, vel, edge_attr, charges = self.data
            loc, vel, edge_attr, charges = loc[i], vel[i], edge_attr[i], charges[i]
            frame_0, frame_T = 6, 8
            return loc[frame_0], vel[frame_0], edge_attr, charges, loc[frame_T]

        def __len__(self):
            return len(self.data[0])

        def get_edges(self, batch_size, n_nodes):
            edges = [torch.LongTensor(self.edges[0]), torch.LongTensor(self.edges[1])]
            if batch_size == 1:
                return edges
            elif batch_size > 1:
                rows, cols = [], []
                for i in range(batch_size):
                    rows.append(edges[0] + n_nodes * i)
                    cols.append(edges[1] + n_nodes * i)
                edges = [torch.cat(rows), torch.cat(cols)]
            return edges

    def get_velocity_attr(loc, vel, rows, cols):
        diff = loc[cols] - loc[rows]
        norm = torch.norm(diff, p=2, dim=1).unsqueeze(1)
        u = diff/norm
        va, vb = vel[rows] * u, vel[cols] * u
        va, vb = torch.sum(va, dim=1).unsqueeze(1), torch.sum(vb, dim=1).unsqueeze(1)
        return va

    return types.SimpleNamespace(GNN=GNN, EGNN=EGNN, EGNN_vel=EGNN_vel, RF_vel=RF_vel,
                                 Linear_dynamics=Linear_dynamics, NBodyDataset=NBodyDataset,
                                 get_velocity_attr=get_velocity_attr)


def main_nbody(torch, model_name):
    """main_nbody.py's main() and train() for one --model, 3 epochs of 2 batches of 4."""
    nn, optim = torch.nn, torch.optim
    o = Out()
    M = nbody_module(torch, o.print)
    args = types.SimpleNamespace(batch_size=4, epochs=3, test_interval=2, lr=5e-4, nf=16, model=model_name,
                                 attention=0, n_layers=2, max_training_samples=8, dataset="nbody",
                                 weight_decay=1e-12, norm_diff=False, tanh=False, time_exp=0, use_wandb=False)
    device = torch.device("cpu")
    loss_mse = nn.MSELoss()
    torch.manual_seed(1)

    def train(model, optimizer, epoch, loader, backprop=True):
        if backprop:
            model.train()
        else:
            model.eval()
        res = {'epoch': epoch, 'loss': 0, 'coord_reg': 0, 'counter': 0}
        for batch_idx, data in enumerate(loader):
            batch_size, n_nodes, _ = data[0].size()
            data = [d.to(device) for d in data]
            data = [d.view(-1, d.size(2)) for d in data]
            loc, vel, edge_attr, charges, loc_end = data

            edges = loader.dataset.get_edges(batch_size, n_nodes)
            edges = [edges[0].to(device), edges[1].to(device)]

            optimizer.zero_grad()

            if args.model == 'gnn':
                nodes = torch.cat([loc, vel], dim=1)
                loc_pred = model(nodes, edges, edge_attr)
            elif args.model == 'egnn':
                nodes = torch.ones(loc.size(0), 1).to(device)  # all input nodes are set to 1
                rows, cols = edges
                loc_dist = torch.sum((loc[rows] - loc[cols])**2, 1).unsqueeze(1)
                vel_attr = M.get_velocity_attr(loc, vel, rows, cols).detach()
                edge_attr = torch.cat([edge_attr, loc_dist, vel_attr], 1).detach()
                loc_pred = model(nodes, loc.detach(), edges, edge_attr)
            elif args.model == 'egnn_vel':
                nodes = torch.sqrt(torch.sum(vel ** 2, dim=1)).unsqueeze(1).detach()
                rows, cols = edges
                loc_dist = torch.sum((loc[rows] - loc[cols])**2, 1).unsqueeze(1)
                edge_attr = torch.cat([edge_attr, loc_dist], 1).detach()
                loc_pred = model(nodes, loc.detach(), edges, vel, edge_attr)
            elif args.model == 'linear_vel':
                loc_pred = model(loc, vel)
            elif args.model == 'rf_vel':
                rows, cols = edges
                vel_norm = torch.sqrt(torch.sum(vel ** 2, dim=1).unsqueeze(1)).detach()
                loc_dist = torch.sum((loc[rows] - loc[cols]) ** 2, 1).unsqueeze(1)
                edge_attr = torch.cat([edge_attr, loc_dist], 1).detach()
                loc_pred = model(vel_norm, loc.detach(), edges, vel, edge_attr)
            else:
                raise Exception("Wrong model")

            loss = loss_mse(loc_pred, loc_end)
            if backprop:
                loss.backward()
                optimizer.step()
            res['loss'] += loss.item()*batch_size
            res['counter'] += batch_size
        prefix = "==> " if not backprop else ""
        o.print('%s epoch %d avg loss: %.4f' % (prefix + loader.dataset.partition, epoch,
                                                 res['loss'] / res['counter']))
        return res['loss'] / res['counter']

    with o:
        dataset_train = M.NBodyDataset(partition='train', dataset_name=args.dataset,
                                       max_samples=args.max_training_samples, seed=0)
        loader_train = torch.utils.data.DataLoader(dataset_train, batch_size=args.batch_size, shuffle=True,
                                                   drop_last=True)
        dataset_val = M.NBodyDataset(partition='val', dataset_name="nbody", seed=1)
        loader_val = torch.utils.data.DataLoader(dataset_val, batch_size=args.batch_size, shuffle=False,
                                                 drop_last=False)
        o.print([tuple(t.shape) for t in dataset_train.data], dataset_train.data[2].dtype)
        if args.model == 'gnn':
            model = M.GNN(input_dim=6, hidden_nf=args.nf, n_layers=args.n_layers, device=device, recurrent=True)
        elif args.model == 'egnn':
            model = M.EGNN(in_node_nf=1, in_edge_nf=3, hidden_nf=args.nf, device=device, n_layers=args.n_layers)
        elif args.model == 'egnn_vel':
            model = M.EGNN_vel(in_node_nf=1, in_edge_nf=2, hidden_nf=args.nf, device=device,
                               n_layers=args.n_layers, recurrent=True, norm_diff=args.norm_diff, tanh=args.tanh)
        elif args.model == 'linear_vel':
            model = M.Linear_dynamics(device=device)
        elif args.model == 'rf_vel':
            model = M.RF_vel(hidden_nf=args.nf, edge_attr_nf=2, device=device, act_fn=nn.SiLU(),
                             n_layers=args.n_layers)
        o.print(model)
        optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
        best_val_loss, best_epoch = 1e8, 0
        for epoch in range(0, args.epochs):
            train(model, optimizer, epoch, loader_train)
            if epoch % args.test_interval == 0:
                val_loss = train(model, optimizer, epoch, loader_val, backprop=False)
                if val_loss < best_val_loss:
                    best_val_loss, best_epoch = val_loss, epoch
                o.print("*** Best Val Loss: %.4f \t Best epoch %d" % (best_val_loss, best_epoch))
        o.vals += [p.detach().clone() for p in model.parameters()][:6]
        o.vals += [best_val_loss]
    return o.lines, o.vals


def nbody_gnn(torch):
    return main_nbody(torch, 'gnn')


def nbody_egnn(torch):
    return main_nbody(torch, 'egnn')


def nbody_egnn_vel(torch):
    return main_nbody(torch, 'egnn_vel')


def nbody_rf_vel(torch):
    return main_nbody(torch, 'rf_vel')


def nbody_linear_vel(torch):
    return main_nbody(torch, 'linear_vel')
