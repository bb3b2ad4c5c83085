"""dreamquark-ai/tabnet as users type it: pytorch_tabnet/tab_network.py (initialize_glu /
initialize_non_glu, GBN ghost batch norm, GLU_Layer / GLU_Block, FeatTransformer with shared
layers, AttentiveTransformer with a group matrix, TabNetEncoder / TabNetDecoder,
TabNetNoEmbeddings, TabNet, TabNetPretraining, EmbeddingGenerator, RandomObfuscator).
Each program is ``prog(torch) -> (printed lines, values)``; see
tests/test_programs_s21_tabmdn.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_tabmdn_progs import sparsemax_module


def tabnet_network(torch):
    """pytorch_tabnet/tab_network.py, transcribed; the classes built per library."""
    Linear, BatchNorm1d, ReLU = torch.nn.Linear, torch.nn.BatchNorm1d, torch.nn.ReLU
    S = sparsemax_module(torch)

    def initialize_non_glu(module, input_dim, output_dim):
        gain_value = np.sqrt((input_dim + output_dim) / np.sqrt(4 * input_dim))
        torch.nn.init.xavier_normal_(module.weight, gain=gain_value)
        return

    def initialize_glu(module, input_dim, output_dim):
        gain_value = np.sqrt((input_dim + output_dim) / np.sqrt(input_dim))
        torch.nn.init.xavier_normal_(module.weight, gain=gain_value)
        return

    class GBN(torch.nn.Module):
        def __init__(self, input_dim, virtual_batch_size=128, momentum=0.01):
            super(GBN, self).__init__()
            self.input_dim = input_dim
            self.virtual_batch_size = virtual_batch_size
            self.bn = BatchNorm1d(self.input_dim, momentum=momentum)

        def forward(self, x):
            chunks = x.chunk(int(np.ceil(x.shape[0] / self.virtual_batch_size)), 0)
            res = [self.bn(x_) for x_ in chunks]
            return torch.cat(res, dim=0)

    class GLU_Layer(torch.nn.Module):
        def __init__(self, input_dim, output_dim, fc=None, virtual_batch_size=128,
                     momentum=0.02):
            super(GLU_Layer, self).__init__()
            self.output_dim = output_dim
            if fc:
                self.fc = fc
            else:
                self.fc = Linear(input_dim, 2 * output_dim, bias=False)
            initialize_glu(self.fc, input_dim, 2 * output_dim)
            self.bn = GBN(2 * output_dim, virtual_batch_size=virtual_batch_size,
                          momentum=momentum)

        def forward(self, x):
            x = self.fc(x)
            x = self.bn(x)
            out = torch.mul(x[:, : self.output_dim], torch.sigmoid(x[:, self.output_dim:]))
            return out

    class GLU_Block(torch.nn.Module):
        def __init__(self, input_dim, output_dim, n_glu=2, first=False, shared_layers=None,
                     virtual_batch_size=128, momentum=0.02):
            super(GLU_Block, self).__init__()
            self.first = first
            self.shared_layers = shared_layers
            self.n_glu = n_glu
            self.glu_layers = torch.nn.ModuleList()
            params = {"virtual_batch_size": virtual_batch_size, "momentum": momentum}
            fc = shared_layers[0] if shared_layers else None
            self.glu_layers.append(GLU_Layer(input_dim, output_dim, fc=fc, **params))
            for glu_id in range(1, self.n_glu):
                fc = shared_layers[glu_id] if shared_layers else None
                self.glu_layers.append(GLU_Layer(output_dim, output_dim, fc=fc, **params))

        def forward(self, x):
            scale = torch.sqrt(torch.FloatTensor([0.5]).to(x.device))
            if self.first:  # the first layer of the block has no scale multiplication
                x = self.glu_layers[0](x)
                layers_left = range(1, self.n_glu)
            else:
                layers_left = range(self.n_glu)
            for glu_id in layers_left:
                x = torch.add(x, self.glu_layers[glu_id](x))
                x = x * scale
            return x

    class FeatTransformer(torch.nn.Module):
        def __init__(self, input_dim, output_dim, shared_layers, n_glu_independent,
                     virtual_batch_size=128, momentum=0.02):
            super(FeatTransformer, self).__init__()
            params = {"n_glu": n_glu_independent, "virtual_batch_size": virtual_batch_size,
                      "momentum": momentum}
            if shared_layers is None:
                self.shared = torch.nn.Identity()
                is_first = True
            else:
                self.shared = GLU_Block(input_dim, output_dim, first=True,
                                        shared_layers=shared_layers, n_glu=len(shared_layers),
                                        virtual_batch_size=virtual_batch_size,
                                        momentum=momentum)
                is_first = False
            if n_glu_independent == 0:
                self.specifics = torch.nn.Identity()
            else:
                spec_input_dim = input_dim if is_first else output_dim
                self.specifics = GLU_Block(spec_input_dim, output_dim, first=is_first,
                                           **params)

        def forward(self, x):
            x = self.shared(x)
            x = self.specifics(x)
            return x

    class AttentiveTransformer(torch.nn.Module):
        def __init__(self, input_dim, group_dim, group_matrix, virtual_batch_size=128,
                     momentum=0.02, mask_type="sparsemax"):
            super(AttentiveTransformer, self).__init__()
            self.fc = Linear(input_dim, group_dim, bias=False)
            initialize_non_glu(self.fc, input_dim, group_dim)
            self.bn = GBN(group_dim, virtual_batch_size=virtual_batch_size,
                          momentum=momentum)
            if mask_type == "sparsemax":
                self.selector = S["Sparsemax"](dim=-1)
            elif mask_type == "entmax":
                self.selector = S["Entmax15"](dim=-1)
            else:
                raise NotImplementedError("Please choose either sparsemax" +
                                          "or entmax as masktype")

        def forward(self, priors, processed_feat):
            x = self.fc(processed_feat)
            x = self.bn(x)
            x = torch.mul(x, priors)
            x = self.selector(x)
            return x

    class TabNetEncoder(torch.nn.Module):
        def __init__(self, input_dim, output_dim, n_d=8, n_a=8, n_steps=3, gamma=1.3,
                     n_independent=2, n_shared=2, epsilon=1e-15, virtual_batch_size=128,
                     momentum=0.02, mask_type="sparsemax", group_attention_matrix=None):
            super(TabNetEncoder, self).__init__()
            self.input_dim = input_dim
            self.output_dim = output_dim
            self.is_multi_task = isinstance(output_dim, list)
            self.n_d = n_d
            self.n_a = n_a
            self.n_steps = n_steps
            self.gamma = gamma
            self.epsilon = epsilon
            self.n_independent = n_independent
            self.n_shared = n_shared
            self.virtual_batch_size = virtual_batch_size
            self.mask_type = mask_type
            self.initial_bn = BatchNorm1d(self.input_dim, momentum=0.01)
            self.group_attention_matrix = group_attention_matrix
            if self.group_attention_matrix is None:
                self.group_attention_matrix = torch.eye(self.input_dim)
                self.attention_dim = self.input_dim
            else:
                self.attention_dim = self.group_attention_matrix.shape[0]
            if self.n_shared > 0:
                shared_feat_transform = torch.nn.ModuleList()
                for i in range(self.n_shared):
                    if i == 0:
                        shared_feat_transform.append(
                            Linear(self.input_dim, 2 * (n_d + n_a), bias=False))
                    else:
                        shared_feat_transform.append(
                            Linear(n_d + n_a, 2 * (n_d + n_a), bias=False))
            else:
                shared_feat_transform = None
            self.initial_splitter = FeatTransformer(
                self.input_dim, n_d + n_a, shared_feat_transform,
                n_glu_independent=self.n_independent,
                virtual_batch_size=self.virtual_batch_size, momentum=momentum)
            self.feat_transformers = torch.nn.ModuleList()
            self.att_transformers = torch.nn.ModuleList()
            for step in range(n_steps):
                transformer = FeatTransformer(
                    self.input_dim, n_d + n_a, shared_feat_transform,
                    n_glu_independent=self.n_independent,
                    virtual_batch_size=self.virtual_batch_size, momentum=momentum)
                attention = AttentiveTransformer(
                    n_a, self.attention_dim, group_matrix=group_attention_matrix,
                    virtual_batch_size=self.virtual_batch_size, momentum=momentum,
                    mask_type=self.mask_type)
                self.feat_transformers.append(transformer)
                self.att_transformers.append(attention)

        def forward(self, x, prior=None):
            x = self.initial_bn(x)
            bs = x.shape[0]  # batch size
            if prior is None:
                prior = torch.ones((bs, self.attention_dim)).to(x.device)
            M_loss = 0
            att = self.initial_splitter(x)[:, self.n_d:]
            steps_output = []
            for step in range(self.n_steps):
                M = self.att_transformers[step](prior, att)
                M_loss += torch.mean(
                    torch.sum(torch.mul(M, torch.log(M + self.epsilon)), dim=1))
                # update prior
                prior = torch.mul(self.gamma - M, prior)
                # output
                M_feature_level = torch.matmul(M, self.group_attention_matrix)
                masked_x = torch.mul(M_feature_level, x)
                out = self.feat_transformers[step](masked_x)
                d = ReLU()(out[:, : self.n_d])
                steps_output.append(d)
                # update attention
                att = out[:, self.n_d:]
            M_loss /= self.n_steps
            return steps_output, M_loss

        def forward_masks(self, x):
            x = self.initial_bn(x)
            bs = x.shape[0]  # batch size
            prior = torch.ones((bs, self.attention_dim)).to(x.device)
            M_explain = torch.zeros(x.shape).to(x.device)
            att = self.initial_splitter(x)[:, self.n_d:]
            masks = {}
            for step in range(self.n_steps):
                M = self.att_transformers[step](prior, att)
                M_feature_level = torch.matmul(M, self.group_attention_matrix)
                masks[step] = M_feature_level
                # update prior
                prior = torch.mul(self.gamma - M, prior)
                # output
                masked_x = torch.mul(M_feature_level, x)
                out = self.feat_transformers[step](masked_x)
                d = ReLU()(out[:, : self.n_d])
                # explain
                step_importance = torch.sum(d, dim=1)
                M_explain += torch.mul(M_feature_level, step_importance.unsqueeze(dim=1))
                # update attention
                att = out[:, self.n_d:]
            return M_explain, masks

    class TabNetDecoder(torch.nn.Module):
        def __init__(self, input_dim, n_d=8, n_steps=3, n_independent=1, n_shared=1,
                     virtual_batch_size=128, momentum=0.02):
            super(TabNetDecoder, self).__init__()
            self.input_dim = input_dim
            self.n_d = n_d
            self.n_steps = n_steps
            self.n_independent = n_independent
            self.n_shared = n_shared
            self.virtual_batch_size = virtual_batch_size
            self.feat_transformers = torch.nn.ModuleList()
            if self.n_shared > 0:
                shared_feat_transform = torch.nn.ModuleList()
                for i in range(self.n_shared):
                    shared_feat_transform.append(Linear(n_d, 2 * n_d, bias=False))
            else:
                shared_feat_transform = None
            for step in range(n_steps):
                transformer = FeatTransformer(
                    n_d, n_d, shared_feat_transform, n_glu_independent=self.n_independent,
                    virtual_batch_size=self.virtual_batch_size, momentum=momentum)
                self.feat_transformers.append(transformer)
            self.reconstruction_layer = Linear(n_d, self.input_dim, bias=False)
            initialize_non_glu(self.reconstruction_layer, n_d, self.input_dim)

        def forward(self, steps_output):
            res = 0
            for step_nb, step_output in enumerate(steps_output):
                x = self.feat_transformers[step_nb](step_output)
                res = torch.add(res, x)
            res = self.reconstruction_layer(res)
            return res

    return dict(TabNetEncoder=TabNetEncoder, TabNetDecoder=TabNetDecoder,
                initialize_non_glu=initialize_non_glu, GBN=GBN, GLU_Layer=GLU_Layer,
                GLU_Block=GLU_Block, FeatTransformer=FeatTransformer,
                AttentiveTransformer=AttentiveTransformer)


def tabnet_blocks(torch):
    """GBN, GLU_Layer/GLU_Block, FeatTransformer with shared layers, AttentiveTransformer with
    sparsemax and entmax, a few training steps."""
    N = tabnet_network(torch)
    GBN, FeatTransformer, AttentiveTransformer = N["GBN"], N["FeatTransformer"], \
        N["AttentiveTransformer"]
    Linear, ReLU = torch.nn.Linear, torch.nn.ReLU
    torch.manual_seed(0)
    rng = np.random.RandomState(1)
    with Out() as o:
        gbn = GBN(6, virtual_batch_size=5, momentum=0.01)
        x = torch.from_numpy(rng.randn(16, 6).astype(np.float32))
        y = gbn(x)
        o.print("GBN", tuple(y.shape), [round(v, 4) for v in y[:5].mean(0).tolist()])
        o.print("running", [round(v, 5) for v in gbn.bn.running_mean.tolist()],
                int(gbn.bn.num_batches_tracked))
        o.vals += [y, gbn.bn.running_var]
        shared = torch.nn.ModuleList([Linear(6, 2 * 8, bias=False), Linear(8, 2 * 8, bias=False)])
        ft = FeatTransformer(6, 8, shared, n_glu_independent=2, virtual_batch_size=8)
        ft_noshare = FeatTransformer(6, 8, None, n_glu_independent=1, virtual_batch_size=8)
        att = AttentiveTransformer(4, 6, None, virtual_batch_size=8, mask_type="sparsemax")
        att_e = AttentiveTransformer(4, 6, None, virtual_batch_size=8, mask_type="entmax")
        o.print(ft)
        o.print(sum(p.numel() for p in ft.parameters()), len(list(att.parameters())))
        o.tryit(lambda: AttentiveTransformer(4, 6, None, mask_type="softmax"))
        params = list(ft.parameters()) + list(ft_noshare.parameters()) + \
            list(att.parameters()) + list(att_e.parameters())
        opt = torch.optim.Adam(params, lr=2e-2)
        prior = torch.ones(16, 6)
        for step in range(3):
            out = ft(x)
            out2 = ft_noshare(x)
            a = out[:, 4:]
            M = att(prior, a)
            Me = att_e(prior, out2[:, :4])
            o.print(step, tuple(out.shape), [round(v, 4) for v in M.sum(1).tolist()[:4]],
                    int((M == 0).sum()), round(float(Me.sum()), 3))
            loss = (ReLU()(out[:, :4]) * M[:, :4]).mean() + (Me * x).pow(2).mean() \
                + torch.mean(torch.sum(torch.mul(M, torch.log(M + 1e-15)), dim=1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print("loss %.4f" % loss.item())
            prior = torch.mul(1.3 - M.detach(), prior)
            if step == 0:  # later steps: Adam carries float32 rounding (BLAS order) along
                o.vals += [out, M, Me]
        ft.eval()
        o.print([round(v, 2) for v in ft(x)[0].tolist()])
    return o.done()
