"""vgsatorras/egnn's QM9 pieces: qm9/data/collate.py (batch_stack with pad_sequence, drop_zeros,
atom and edge masks), qm9/utils.py (compute_mean_mad, get_adj_matrix, preprocess_input),
qm9/models.py (E_GCL_mask on models/gcl.py's E_GCL, the EGNN with node / graph decoders) and
main_qm9.py's train() with Adam, CosineAnnealingLR stepped first and L1Loss. Molecules are
seeded NumPy stand-ins of 3 to 5 atoms. See tests/test_programs_s21_egnn.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_egnn_progs_b import gcl_module


def molecules(torch, seed, n):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n):
        k = rng.randint(3, 6)
        charges = rng.choice([1, 6, 7, 8, 9], size=k)
        out.append({'num_atoms': torch.tensor(k),
                    'charges': torch.from_numpy(charges),
                    'positions': torch.from_numpy(rng.standard_normal((k, 3)).astype(np.float32)),
                    'one_hot': torch.from_numpy(charges[:, None] == np.array([1, 6, 7, 8, 9])),
                    'homo': torch.tensor(float(rng.standard_normal()))})
    return out


def qm9(torch):
    nn, optim = torch.nn, torch.optim
    E_GCL, unsorted_segment_sum = (lambda g: (g["E_GCL"], g["unsorted_segment_sum"]))(gcl_module(torch))

    def batch_stack(props):
        if not torch.is_tensor(props[0]):
            return torch.tensor(props)
        elif props[0].dim() == 0:
            return torch.stack(props)
        else:
            return torch.nn.utils.rnn.pad_sequence(props, batch_first=True, padding_value=0)

    def drop_zeros(props, to_keep):
        if not torch.is_tensor(props[0]):
            return props
        elif props[0].dim() == 0:
            return props
        else:
            return props[:, to_keep, ...]

    def collate_fn(batch):
        batch = {prop: batch_stack([mol[prop] for mol in batch]) for prop in batch[0].keys()}
        to_keep = (batch['charges'].sum(0) > 0)
        batch = {key: drop_zeros(prop, to_keep) for key, prop in batch.items()}
        atom_mask = batch['charges'] > 0
        batch['atom_mask'] = atom_mask
        # Obtain edges
        batch_size, n_nodes = atom_mask.size()
        edge_mask = atom_mask.unsqueeze(1) * atom_mask.unsqueeze(2)
        # mask diagonal
        diag_mask = ~torch.eye(edge_mask.size(1), dtype=torch.bool).unsqueeze(0)
        edge_mask *= diag_mask
        batch['edge_mask'] = edge_mask.view(batch_size * n_nodes * n_nodes, 1)
        return batch

    def compute_mean_mad(values):
        meann = torch.mean(values)
        ma = torch.abs(values - meann)
        mad = torch.mean(ma)
        return meann, mad

    edges_dic = {}

    def get_adj_matrix(n_nodes, batch_size, device):
        if n_nodes in edges_dic:
            edges_dic_b = edges_dic[n_nodes]
            if batch_size in edges_dic_b:
                return edges_dic_b[batch_size]
            else:
                # get edges for a single sample
                rows, cols = [], []
                for batch_idx in range(batch_size):
                    for i in range(n_nodes):
                        for j in range(n_nodes):
                            rows.append(i + batch_idx*n_nodes)
                            cols.append(j + batch_idx*n_nodes)
        else:
            edges_dic[n_nodes] = {}
            return get_adj_matrix(n_nodes, batch_size, device)
        edges = [torch.LongTensor(rows).to(device), torch.LongTensor(cols).to(device)]
        return edges

    def preprocess_input(one_hot, charges, charge_power, charge_scale, device):
        charge_tensor = (charges.unsqueeze(-1) / charge_scale).pow(
            torch.arange(charge_power + 1., device=device, dtype=torch.float32))
        charge_tensor = charge_tensor.view(charges.shape + (1, charge_power + 1))
        atom_scalars = (one_hot.unsqueeze(-1) * charge_tensor).view(charges.shape[:2] + (-1,))
        return atom_scalars

    class E_GCL_mask(E_GCL):
        def __init__(self, input_nf, output_nf, hidden_nf, edges_in_d=0, nodes_attr_dim=0, act_fn=nn.ReLU(),
                     recurrent=True, coords_weight=1.0, attention=False):
            E_GCL.__init__(self, input_nf, output_nf, hidden_nf, edges_in_d=edges_in_d, nodes_att_dim=nodes_attr_dim,
                           act_fn=act_fn, recurrent=recurrent, coords_weight=coords_weight, attention=attention)
            del self.coord_mlp
            self.act_fn = act_fn

        def coord_model(self, coord, edge_index, coord_diff, edge_feat, edge_mask):
            row, col = edge_index
            trans = coord_diff * self.coord_mlp(edge_feat) * edge_mask
            agg = unsorted_segment_sum(trans, row, num_segments=coord.size(0))
            coord += agg*self.coords_weight
            return coord

        def forward(self, h, edge_index, coord, node_mask, edge_mask, edge_attr=None, node_attr=None, n_nodes=None):
            row, col = edge_index
            radial, coord_diff = self.coord2radial(edge_index, coord)
            edge_feat = self.edge_model(h[row], h[col], radial, edge_attr)
            edge_feat = edge_feat * edge_mask
            h, agg = self.node_model(h, edge_index, edge_feat, node_attr)
            return h, coord, edge_attr

    class EGNN(nn.Module):
        def __init__(self, in_node_nf, in_edge_nf, hidden_nf, device='cpu', act_fn=nn.SiLU(), n_layers=4,
                     coords_weight=1.0, attention=False, node_attr=1):
            super(EGNN, self).__init__()
            self.hidden_nf = hidden_nf
            self.device = device
            self.n_layers = n_layers
            self.embedding = nn.Linear(in_node_nf, hidden_nf)
            self.node_attr = node_attr
            if node_attr:
                n_node_attr = in_node_nf
            else:
                n_node_attr = 0
            for i in range(0, n_layers):
                self.add_module("gcl_%d" % i, E_GCL_mask(self.hidden_nf, self.hidden_nf, self.hidden_nf,
                                                         edges_in_d=in_edge_nf, nodes_attr_dim=n_node_attr,
                                                         act_fn=act_fn, recurrent=True, coords_weight=coords_weight,
                                                         attention=attention))
            self.node_dec = nn.Sequential(nn.Linear(self.hidden_nf, self.hidden_nf),
                                          act_fn,
                                          nn.Linear(self.hidden_nf, self.hidden_nf))
            self.graph_dec = nn.Sequential(nn.Linear(self.hidden_nf, self.hidden_nf),
                                           act_fn,
                                           nn.Linear(self.hidden_nf, 1))
            self.to(self.device)

        def forward(self, h0, x, edges, edge_attr, node_mask, edge_mask, n_nodes):
            h = self.embedding(h0)
            for i in range(0, self.n_layers):
                if self.node_attr:
                    h, _, _ = self._modules["gcl_%d" % i](h, edges, x, node_mask, edge_mask, edge_attr=edge_attr,
                                                          node_attr=h0, n_nodes=n_nodes)
                else:
                    h, _, _ = self._modules["gcl_%d" % i](h, edges, x, node_mask, edge_mask, edge_attr=edge_attr,
                                                          node_attr=None, n_nodes=n_nodes)
            h = self.node_dec(h)
            h = h * node_mask
            h = h.view(-1, n_nodes, self.hidden_nf)
            h = torch.sum(h, dim=1)
            pred = self.graph_dec(h)
            return pred.squeeze(1)

    o = Out()
    with o:
        torch.manual_seed(0)
        device, dtype = torch.device("cpu"), torch.float32
        train_set, valid_set = molecules(torch, 0, 8), molecules(torch, 1, 4)
        dataloaders = {'train': torch.utils.data.DataLoader(train_set, batch_size=4, shuffle=True,
                                                            collate_fn=collate_fn),
                       'valid': torch.utils.data.DataLoader(valid_set, batch_size=4, collate_fn=collate_fn)}
        charge_scale = max(int(m['charges'].max()) for m in train_set)
        meann, mad = compute_mean_mad(torch.stack([m['homo'] for m in train_set]))
        o.print("mean %.4f mad %.4f" % (meann, mad), charge_scale)
        b = next(iter(dataloaders['valid']))
        o.print({k: (tuple(v.shape), str(v.dtype)) for k, v in b.items()})
        o.vals += [b['edge_mask'], b['positions']]
        for node_attr, attention in [(0, 1), (1, 0)]:
            model = EGNN(in_node_nf=15, in_edge_nf=0, hidden_nf=16, device=device, n_layers=2, coords_weight=1.0,
                         attention=attention, node_attr=node_attr)
            o.print(model)
            o.print(hasattr(model.gcl_0, 'coord_mlp'), len(list(model.parameters())))
            optimizer = optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-16)
            lr_scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 3)
            loss_l1 = nn.L1Loss()

            def train(epoch, loader, partition='train'):
                lr_scheduler.step()
                res = {'loss': 0, 'counter': 0, 'loss_arr': []}
                for i, data in enumerate(loader):
                    if partition == 'train':
                        model.train()
                        optimizer.zero_grad()
                    else:
                        model.eval()
                    batch_size, n_nodes, _ = data['positions'].size()
                    atom_positions = data['positions'].view(batch_size * n_nodes, -1).to(device, dtype)
                    atom_mask = data['atom_mask'].view(batch_size * n_nodes, -1).to(device, dtype)
                    edge_mask = data['edge_mask'].to(device, dtype)
                    one_hot = data['one_hot'].to(device, dtype)
                    charges = data['charges'].to(device, dtype)
                    nodes = preprocess_input(one_hot, charges, 2, charge_scale, device)
                    nodes = nodes.view(batch_size * n_nodes, -1)
                    edges = get_adj_matrix(n_nodes, batch_size, device)
                    label = data['homo'].to(device, dtype)
                    pred = model(h0=nodes, x=atom_positions, edges=edges, edge_attr=None, node_mask=atom_mask,
                                 edge_mask=edge_mask, n_nodes=n_nodes)
                    if partition == 'train':
                        loss = loss_l1(pred, (label - meann) / mad)
                        loss.backward()
                        optimizer.step()
                    else:
                        loss = loss_l1(mad * pred + meann, label)
                    res['loss'] += loss.item() * batch_size
                    res['counter'] += batch_size
                    res['loss_arr'].append(loss.item())
                    prefix = ""
                    if partition != 'train':
                        prefix = ">> %s \t" % partition
                    o.print(prefix + "Epoch %d \t Iteration %d \t loss %.4f \t lr %.6f" % (
                        epoch, i, sum(res['loss_arr'][-10:])/len(res['loss_arr'][-10:]),
                        optimizer.param_groups[0]['lr']))
                return res['loss'] / res['counter']

            for epoch in range(0, 2):
                train(epoch, dataloaders['train'], partition='train')
                val_loss = train(epoch, dataloaders['valid'], partition='valid')
                o.print("Val loss: %.4f \t epoch %d" % (val_loss, epoch))
            o.vals += [model.graph_dec[2].weight, model.embedding.weight.grad, val_loss]
    return o.lines, o.vals
