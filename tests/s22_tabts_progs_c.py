"""yandex-research/rtdl programs as users type them: examples/rtdl.ipynb's training loop (the
apply_model / evaluate helpers, FTTransformer.make_baseline with make_default_optimizer's
AdamW parameter groups without weight decay, MLP.make_baseline and ResNet.make_baseline with
AdamW), the tokenizers and the CLS token on their own, and rtdl/tests/test_modules.py's
checks. zero's IndexLoader is a torch.randperm split into batches, the data set seeded random
features; scipy's expit and sklearn's accuracy_score are their NumPy formulas."""

import numpy as np
from s16_yunjey_progs import Out
import s22_tabts_progs_b as rtdl_b


def _data(torch, n=24, n_num=3, cards=(2, 3), task='binclass', seed=0):
    rng = np.random.default_rng(seed)
    x_num = torch.from_numpy(rng.standard_normal((n, n_num)).astype(np.float32))
    x_cat = torch.from_numpy(np.stack([rng.integers(0, c, n) for c in cards], 1))
    if task == 'binclass':
        y = torch.from_numpy((rng.random(n) > 0.5).astype(np.float32))
    elif task == 'multiclass':
        y = torch.from_numpy(rng.integers(0, 3, n))
    else:
        y = torch.from_numpy(rng.standard_normal(n).astype(np.float32))
    return x_num, x_cat, y


def _notebook(torch, o, rtdl, model, task, x_num, x_cat, y, epochs=2, batch_size=8):
    """The notebook's apply_model / evaluate / training loop, as typed there."""
    F = torch.nn.functional

    def apply_model(x_num, x_cat=None):
        if isinstance(model, rtdl.FTTransformer):
            return model(x_num, x_cat)
        elif isinstance(model, (rtdl.MLP, rtdl.ResNet)):
            assert x_cat is None
            return model(x_num)
        else:
            raise NotImplementedError(
                f'Looks like you are using a custom model: {type(model)}.'
                ' Then you have to implement this branch first.'
            )

    @torch.no_grad()
    def evaluate():
        model.eval()
        prediction = []
        for idx in torch.arange(len(x_num)).split(batch_size):
            prediction.append(apply_model(x_num[idx], None if cat is None else cat[idx]))
        prediction = torch.cat(prediction).squeeze(1).cpu().numpy()
        target = y.cpu().numpy()
        if task == 'binclass':
            prediction = np.round(1 / (1 + np.exp(-prediction)))   # scipy.special.expit
            score = float((prediction == target).mean())          # sklearn accuracy_score
        elif task == 'multiclass':
            prediction = prediction.argmax(1)
            score = float((prediction == target).mean())
        else:
            score = float(np.sqrt(((prediction - target) ** 2).mean()))
        return score, prediction

    cat = x_cat if isinstance(model, rtdl.FTTransformer) else None
    optimizer = (
        model.make_default_optimizer()
        if isinstance(model, rtdl.FTTransformer)
        else torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5)
    )
    loss_fn = (
        F.binary_cross_entropy_with_logits
        if task == 'binclass'
        else F.cross_entropy
        if task == 'multiclass'
        else F.mse_loss
    )
    o.print(f'Test score before training: {evaluate()[0]:.4f}')
    report_frequency = 2
    for epoch in range(1, epochs + 1):
        for iteration, batch_idx in enumerate(torch.randperm(len(x_num)).split(batch_size)):
            model.train()
            optimizer.zero_grad()
            x_batch = x_num[batch_idx]
            out = apply_model(x_batch, None if cat is None else cat[batch_idx])
            loss = loss_fn(out.squeeze(1) if task != 'multiclass' else out, y[batch_idx])
            loss.backward()
            optimizer.step()
            if iteration % report_frequency == 0:
                o.print(f'(epoch) {epoch} (batch) {iteration} (loss) {loss.item():.4f}')
        score, pred = evaluate()
        o.print(f'Epoch {epoch:03d} | Test score: {score:.4f}')
        o.vals.append(pred)
    # W_k's bias gets no gradient but rounding noise (softmax ignores a shift shared by all
    # keys): Adam scales that noise up, so it is left out of the compared values
    # So do the biases whose every path leads into a training-mode BatchNorm (ResNet's
    # first_layer.bias and linear_second.bias: the batch mean takes them out again)
    o.vals += [p.detach().clone() for n, p in model.named_parameters()
               if 'W_k.bias' not in n and 'first_layer.bias' not in n
               and 'linear_second.bias' not in n]


def ft_transformer_notebook(torch):
    rtdl = rtdl_b.build(torch)
    with Out() as o:
        torch.manual_seed(0)
        x_num, x_cat, y = _data(torch)
        model = rtdl.FTTransformer.make_baseline(
            n_num_features=x_num.shape[1],
            cat_cardinalities=[2, 3],
            d_token=8,
            n_blocks=2,
            attention_dropout=0.1,
            ffn_d_intermidiate=6,
            ffn_dropout=0.1,
            residual_dropout=0.0,
            d_out=1,
        )
        groups = model.optimization_param_groups()
        o.print([len(g['params']) for g in groups], [g.get('weight_decay') for g in groups])
        o.print(sum(p.numel() for p in model.parameters()))
        o.print(model.feature_tokenizer.n_tokens, model.feature_tokenizer.d_token)
        opt = model.make_default_optimizer()
        o.print([(g['lr'], g['weight_decay'], g['amsgrad']) for g in opt.param_groups])
        _notebook(torch, o, rtdl, model, 'binclass', x_num, x_cat, y)
    return o.done()


def ft_transformer_query_idx(torch):
    """README's FTTransformer with last_layer_query_idx=[-1], multiclass, kv compression."""
    rtdl = rtdl_b.build(torch)
    with Out() as o:
        torch.manual_seed(1)
        x_num, x_cat, y = _data(torch, task='multiclass', seed=1)
        model = rtdl.FTTransformer.make_baseline(
            n_num_features=3, cat_cardinalities=[2, 3], d_token=8, n_blocks=2,
            attention_dropout=0.0, ffn_d_intermidiate=4, ffn_dropout=0.0,
            residual_dropout=0.1, last_layer_query_idx=[-1], kv_compression_ratio=0.5,
            kv_compression_sharing='headwise', d_out=3)
        o.print([n for n, _ in model.transformer.blocks[1].named_children()])
        with torch.no_grad():
            tokens = model.feature_tokenizer(x_num[:4], x_cat[:4])
            o.print(tuple(tokens.shape), tuple(model.append_cls_token(tokens).shape))
            o.vals.append(model.append_cls_token(tokens))
        _notebook(torch, o, rtdl, model, 'multiclass', x_num, x_cat, y, epochs=1)
        torch.manual_seed(2)
        layerwise = rtdl.FTTransformer.make_baseline(
            n_num_features=3, cat_cardinalities=None, d_token=8, n_blocks=1,
            attention_dropout=0.0, ffn_d_intermidiate=4, ffn_dropout=0.0,
            residual_dropout=0.0, kv_compression_ratio=0.5,
            kv_compression_sharing='layerwise', d_out=1)
        o.print(layerwise.transformer.shared_kv_compression)
        out = layerwise(x_num[:5], None)
        o.print(tuple(out.shape), out.dtype)
        o.vals.append(out)
    return o.done()


def mlp_resnet_notebook(torch):
    rtdl = rtdl_b.build(torch)
    with Out() as o:
        torch.manual_seed(0)
        x_num, _, y = _data(torch, n_num=4, task='regression', seed=3)
        mlp = rtdl.MLP.make_baseline(d_in=4, d_first=8, d_intermidiate=6, d_last=5,
                                     n_blocks=3, dropout=0.1, d_out=1)
        o.print(mlp)
        _notebook(torch, o, rtdl, mlp, 'regression', x_num, None, y)
        torch.manual_seed(1)
        x_num, _, y = _data(torch, n_num=4, task='multiclass', seed=4)
        resnet = rtdl.ResNet.make_baseline(d_in=4, d_main=6, d_intermidiate=8,
                                           dropout_first=0.2, dropout_second=0.0,
                                           n_blocks=2, d_out=3)
        o.print(resnet)
        _notebook(torch, o, rtdl, resnet, 'multiclass', x_num, None, y)
        o.vals.append(resnet.blocks[0].normalization.running_var)
        o.vals.append(resnet.blocks[1].normalization.running_var)
        o.print(resnet.blocks[0].normalization.num_batches_tracked)
    return o.done()


def tokenizers_and_checks(torch):
    """rtdl/tests/test_modules.py's shape checks, the bad inputs they assert on."""
    rtdl = rtdl_b.build(torch)
    with Out() as o:
        torch.manual_seed(0)
        num = rtdl.NumericalFeatureTokenizer(3, 4, True, 'uniform')
        cat = rtdl.CategoricalFeatureTokenizer([3, 5], 4, False, 'normal')
        o.print(num.n_tokens, num.d_token, cat.n_tokens, cat.d_token)
        o.print(cat.category_offsets, list(cat.state_dict()))
        x = torch.randn(2, 3)
        xc = torch.tensor([[0, 4], [2, 1]])
        o.print(tuple(num(x).shape), tuple(cat(xc).shape))
        o.vals += [num(x), cat(xc), num.weight, num.bias, cat.embeddings.weight]
        flat = rtdl.FlatEmbedding(num, None, cat)
        e = flat(x, torch.ones(2, 2), xc)
        o.print(tuple(e.shape))
        o.vals.append(e)
        cls = rtdl.AppendCLSToken(4, 'uniform')
        t = cls(num(x))
        o.print(tuple(t.shape), bool((t[:, -1] == cls.weight).all()))
        o.tryit(lambda: rtdl._TokenInitialization.from_str('xavier'))
        try:
            rtdl.reglu(torch.ones(2, 3))
        except AssertionError as e:  # assert without a message
            o.print('AssertionError', repr(str(e)))
        o.tryit(lambda: tuple(rtdl.geglu(torch.randn(2, 6)).shape))
        o.vals += [rtdl.reglu(x.repeat(1, 2)), rtdl.geglu(x.repeat(1, 2))]
        o.tryit(lambda: cat(torch.tensor([[0, 9]])))
        o.tryit(lambda: cat(xc.float()))
        o.tryit(lambda: num(torch.randn(2, 4)))
        o.print(repr(torch.Tensor(2, 3).shape), torch.Tensor(3).dtype)
        o.print(rtdl._is_glu_activation('ReGLU'), rtdl._is_glu_activation(rtdl.GEGLU),
                rtdl._is_glu_activation('ReLU'))
        o.print(rtdl._make_nn_module('GELU'), rtdl._make_nn_module('BatchNorm1d', 3))
        torch.manual_seed(3)
        tr = rtdl.Transformer(
            d_token=4, n_blocks=1, attention_n_heads=2, attention_dropout=0.0,
            attention_initialization='xavier', ffn_d_intermidiate=3, ffn_dropout=0.0,
            ffn_activation='GEGLU', residual_dropout=0.0, normalization='LayerNorm',
            prenormalization=False, first_prenormalization=False, last_layer_query_idx=None,
            n_tokens=None, kv_compression_ratio=None, kv_compression_sharing=None,
            head_activation='ReLU', d_out=2)
        y = tr(torch.randn(3, 5, 4))
        o.print(tuple(y.shape))
        o.vals += [y, tr.blocks[0]['attention'].W_q.weight]
        try:
            tr(torch.randn(3, 4))
        except AssertionError as e:  # assert x.ndim == 3
            o.print('AssertionError', repr(str(e)))
    return o.done()
