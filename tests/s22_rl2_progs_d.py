"""openai/phasic-policy-gradient as users type it, scaled down: tree_util.py (pytrees over
dict / list / tuple / None and registered Categorical distributions), torch_util.py
(NormedLinear, sum_nonbatch, tree_stack / tree_cat / tree_slice, minibatched_call under
no_grad, batch_len, explained_variance, flatten_tensors / unflatten_to), ppo.py's compute_gae
and compute_losses, ppg.py's PhasicValueModel (dual arch: separate pi / vf encoders, the
auxiliary value head), make_minibatches, compute_presleep_outputs and aux_train with the KL
distillation to the pre-sleep policy. An MLP encoder over seeded fake observations replaces
the IMPALA CNN on Procgen; MPI / the logger are left out (one process)."""

import functools
import itertools
import math
import operator

import numpy as np
from s16_yunjey_progs import Out


def _ppg(th):
    nn, dis, td = th.nn, th.distributions, th.distributions

    # tree_util.py
    node_types = {}

    class NodeType(object):
        def __init__(self, name, to_iterable, from_iterable):
            self.name = name
            self.to_iterable = to_iterable
            self.from_iterable = from_iterable

    def register_pytree_node(py_type, to_iterable, from_iterable):
        assert py_type not in node_types
        node_types[py_type] = NodeType(str(py_type), to_iterable, from_iterable)

    def tree_map(f, tree):
        node_type = node_types.get(type(tree))
        if node_type:
            children, node_spec = node_type.to_iterable(tree)
            new_children = [tree_map(f, child) for child in children]
            return node_type.from_iterable(node_spec, new_children)
        else:
            return f(tree)

    def tree_multimap(f, tree, *rest):
        node_type = node_types.get(type(tree))
        if node_type:
            children, node_spec = node_type.to_iterable(tree)
            all_children = [children]
            for other_tree in rest:
                other_children, other_node_data = node_type.to_iterable(other_tree)
                if other_node_data != node_spec:
                    raise TypeError("Mismatch: {} != {}".format(other_node_data, node_spec))
                all_children.append(other_children)
            new_children = [tree_multimap(f, *xs) for xs in zip(*all_children)]
            return node_type.from_iterable(node_spec, new_children)
        else:
            return f(tree, *rest)

    def tree_flatten(tree):
        node_type = node_types.get(type(tree))
        if node_type:
            children, _ = node_type.to_iterable(tree)
            return list(itertools.chain.from_iterable(tree_flatten(c)[0] for c in children)), None
        return [tree], None

    def tree_reduce(f, tree):
        flat, _ = tree_flatten(tree)
        return functools.reduce(f, flat)

    register_pytree_node(tuple, lambda xs: (xs, None), lambda _k, xs: tuple(xs))
    register_pytree_node(list, lambda xs: (tuple(xs), None), lambda _k, xs: list(xs))
    register_pytree_node(dict, lambda xs: (tuple(map(xs.get, tuple(sorted(xs.keys())))), tuple(sorted(xs.keys()))),
                         lambda keys, xs: dict(zip(keys, xs)))
    register_pytree_node(type(None), lambda _xs: ((), None), lambda _k, _xs: None)

    # torch_util.py
    def contextmanager_to_decorator(cm):
        def decorator(fn):
            @functools.wraps(fn)
            def newfn(*args, **kwargs):
                with cm():
                    return fn(*args, **kwargs)
            return newfn
        return decorator

    no_grad = contextmanager_to_decorator(th.no_grad)

    def dev():
        return th.device(type="cpu")

    def batch_len(batch):
        flatlist, _ = tree_flatten(batch)
        if len(flatlist) < 1:
            return 0
        b = flatlist[0].shape[0]
        assert all(arr.shape[0] == b for arr in flatlist if th.is_tensor(arr)), "Not all arrays have same batchsize!"
        return b

    def NormedLinear(*args, scale=1.0, dtype=th.float32, **kwargs):
        out = nn.Linear(*args, **kwargs)
        out.weight.data *= scale / out.weight.norm(dim=1, p=2, keepdim=True)
        if kwargs.get("bias", True):
            out.bias.data *= 0
        return out

    def flatten_tensors(xs, dtype=None, buf=None):
        if buf is None:
            buf = xs[0].new_empty(sum(x.numel() for x in xs), dtype=dtype)
        i = 0
        for x in xs:
            buf[i: i + x.numel()].copy_(x.view(-1))
            i += x.numel()
        return buf

    def unflatten_to(newflat, xs):
        start = 0
        for x in xs:
            size = x.numel()
            end = start + size
            x.copy_(newflat[start:end].view(x.shape))
            start = end
        assert start == newflat.numel()

    def explained_variance(ypred, y):
        assert ypred.shape == y.shape
        err = y - ypred
        var_y = float(y.var())
        var_err = float(err.var())
        if var_y == 0:
            return float("nan")
        else:
            return 1.0 - var_err / var_y

    def moments(x):
        mean_x_x2 = np.array([x.mean().item(), (x ** 2).mean().item()])
        mean_x, mean_x2 = mean_x_x2
        var_x = mean_x2 - mean_x ** 2
        return float(mean_x), max(float(var_x), 0)

    def tree_stack(trees):
        return tree_multimap(lambda *xs: th.stack(xs, dim=0), *trees)

    def tree_cat(trees, dim=0):
        return tree_multimap(lambda *xs: th.cat(xs, dim=dim), *trees)

    def tree_slice(tree, sli):
        return tree_map(lambda x: x[sli], tree)

    @no_grad
    def minibatched_call(fn, mbsize, *args, **kwargs):
        tensor_list, _ = tree_flatten((args, kwargs))
        batchsize = tensor_list[0].shape[0]
        mbs = [fn(*tree_slice(args, inds), **tree_slice(kwargs, inds))
               for inds in th.arange(batchsize).split(mbsize)]
        return tree_cat(mbs, dim=0)

    def sum_nonbatch(x, nbatchdim=2):
        return x.sum(dim=tuple(range(nbatchdim, x.dim()))) if x.dim() > nbatchdim else x

    register_pytree_node(dis.Categorical, lambda d: ((d.logits,), None),
                         lambda _keys, xs: dis.Categorical(logits=xs[0]))

    # distr_builder.py (Discrete(n) scalar action)
    def distr_builder(ncat):
        def _make_categorical(x):
            x = x.reshape((*x.shape[:-1], ncat))
            return dis.Categorical(logits=x)
        return ncat, _make_categorical

    class MlpEncoder(nn.Module):
        """Stands in for impala_cnn's encoder: (b, t, obdim) -> (b, t, size), no state."""

        def __init__(self, obdim, size=16):
            super().__init__()
            self.codetype = type("CodeType", (), {"size": size})
            self.net = nn.Sequential(nn.Linear(obdim, size), nn.ReLU(), nn.Linear(size, size), nn.ReLU())

        def forward(self, ob, first, state_in):
            return self.net(ob), state_in

        def initial_state(self, batchsize):
            return th.zeros(batchsize, 0)

    # ppg.py
    class PhasicValueModel(nn.Module):
        def __init__(self, obdim, nact, arch="dual"):
            super().__init__()
            detach_value_head = False
            pi_key = "pi"
            if arch == "shared":
                true_vf_key = "pi"
            elif arch == "detach":
                true_vf_key = "pi"
                detach_value_head = True
            elif arch == "dual":
                true_vf_key = "vf"
            vf_keys = [true_vf_key]
            self.pi_key = pi_key
            self.true_vf_key = true_vf_key
            self.vf_keys = vf_keys
            self.enc_keys = sorted(set([pi_key] + vf_keys))
            self.detach_value_head = detach_value_head
            pi_outsize, self.make_distr = distr_builder(nact)
            for k in self.enc_keys:
                setattr(self, k + "_enc", MlpEncoder(obdim))
            for k in self.vf_keys:
                lastsize = getattr(self, k + "_enc").codetype.size
                setattr(self, k + "_vhead", NormedLinear(lastsize, 1, scale=0.1))
            lastsize = getattr(self, self.pi_key + "_enc").codetype.size
            self.pi_head = NormedLinear(lastsize, pi_outsize, scale=0.1)
            self.aux_vf_head = NormedLinear(lastsize, 1, scale=0.1)

        def compute_aux_loss(self, aux, seg):
            vtarg = seg["vtarg"]
            return {
                "vf_aux": 0.5 * ((aux["vpredaux"] - vtarg) ** 2).mean(),
                "vf_true": 0.5 * ((aux["vpredtrue"] - vtarg) ** 2).mean(),
            }

        def reshape_x(self, x):
            b, t = x.shape[:2]
            x = x.reshape(b, t, -1)
            return x

        def forward(self, ob, first, state_in):
            state_out = {}
            x_out = {}
            for k in self.enc_keys:
                x_out[k], state_out[k] = getattr(self, k + "_enc")(ob, first, state_in[k])
                x_out[k] = self.reshape_x(x_out[k])
            pi_x = x_out[self.pi_key]
            pivec = self.pi_head(pi_x)
            pd = self.make_distr(pivec)
            aux = {}
            for k in self.vf_keys:
                if self.detach_value_head:
                    x_out[k] = x_out[k].detach()
                aux[k] = getattr(self, k + "_vhead")(x_out[k])[..., 0]
            vfvec = aux[self.true_vf_key]
            aux.update({"vpredaux": self.aux_vf_head(pi_x)[..., 0], "vpredtrue": vfvec})
            return pd, vfvec, aux, state_out

        @no_grad
        def act(self, ob, first, state_in):
            pd, vpred, _, state_out = self(ob=tree_map(lambda x: x[:, None], ob),
                                           first=first[:, None], state_in=state_in)
            ac = pd.sample()
            logp = tree_reduce(operator.add, tree_map(sum_nonbatch, pd.log_prob(ac)))
            return tree_map(lambda x: x[:, 0], ac), state_out, dict(vpred=vpred[:, 0], logp=logp[:, 0])

        @no_grad
        def v(self, ob, first, state_in):
            _pd, vpred, _, _state_out = self(ob=tree_map(lambda x: x[:, None], ob),
                                             first=first[:, None], state_in=state_in)
            return vpred[:, 0]

        def initial_state(self, batchsize):
            return {k: getattr(self, k + "_enc").initial_state(batchsize) for k in self.enc_keys}

        def aux_keys(self):
            return ["vtarg"]

    return {k: v for k, v in locals().items() if callable(v)}
