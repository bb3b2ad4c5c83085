"""lucidrains/tab-transformer-pytorch programs as users type them: the README's TabTransformer
(with continuous_mean_std) and FTTransformer (return_attn=True) usage, then a few training
steps each, and the asserts its constructors and forward make on bad input; the classes are
s22_tabts_progs_d.py's."""

from s16_yunjey_progs import Out
from s22_tabts_progs_d import build


def tab_transformer_readme(torch):
    """README: TabTransformer with continuous_mean_std, then a few AdamW steps."""
    lib = build(torch)
    nn = torch.nn
    with Out() as o:
        torch.manual_seed(0)
        cont_mean_std = torch.randn(4, 2).abs() + 0.5
        model = lib.TabTransformer(
            categories = (5, 3, 4),
            num_continuous = 4,
            dim = 8,
            dim_out = 1,
            depth = 2,
            heads = 2,
            dim_head = 4,
            mlp_hidden_mults = (4, 2),
            mlp_act = nn.ReLU(),
            continuous_mean_std = cont_mean_std
        )
        o.print(model.categories_offset, model.mlp)
        x_categ = torch.randint(0, 3, (6, 3))
        x_cont = torch.randn(6, 4)
        pred = model(x_categ.clone(), x_cont)
        o.print(tuple(pred.shape), pred.dtype)
        o.vals.append(pred)
        y = torch.randn(6, 1)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        for step in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x_categ.clone(), x_cont), y)
            loss.backward()
            opt.step()
            o.print(f'step {step} loss {loss.item():.4f}')
        o.vals += [p.detach().clone() for p in model.parameters()]
        xc = x_categ.clone()
        model(xc, x_cont)
        o.print(bool((xc == x_categ + model.categories_offset).all()))
        o.tryit(lambda: model(torch.randint(0, 3, (2, 2)), x_cont[:2]))
        plain = lib.TabTransformer(categories=(2, 2), num_continuous=3, dim=4, depth=1,
                                   heads=1, dim_head=4)
        o.tryit(lambda: plain(torch.zeros(1, 2, dtype=torch.long), torch.randn(1, 3)))
        o.tryit(lambda: lib.TabTransformer(categories=(2, 0), num_continuous=3, dim=4,
                                           depth=1, heads=1))
    return o.done()


def ft_transformer_readme(torch):
    """README: FTTransformer, return_attn=True, then a few steps with dropout on."""
    lib = build(torch)
    with Out() as o:
        torch.manual_seed(0)
        model = lib.FTTransformer(
            categories = (4, 3, 2),
            num_continuous = 3,
            dim = 8,
            dim_out = 2,
            depth = 2,
            heads = 2,
            dim_head = 4,
            attn_dropout = 0.1,
            ff_dropout = 0.1
        )
        x_categ = torch.randint(0, 2, (5, 3))
        x_numer = torch.randn(5, 3)
        model.eval()
        pred, attns = model(x_categ, x_numer, return_attn = True)
        o.print(tuple(pred.shape), tuple(attns.shape))
        o.vals += [pred, attns]
        o.print(torch.allclose(attns.sum(-1), torch.ones(())))
        model.train()
        y = torch.tensor([0, 1, 1, 0, 1])
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(3):
            logits = model(x_categ, x_numer)
            loss = torch.nn.functional.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            o.print(f'step {step} loss {loss.item():.4f}')
        o.vals += [p.detach().clone() for p in model.parameters()]
        only_num = lib.FTTransformer(categories=(), num_continuous=2, dim=4, depth=1, heads=1)
        o.print(hasattr(only_num, 'categorical_embeds'), tuple(
            only_num(torch.empty(3, 0, dtype=torch.long), torch.randn(3, 2)).shape))
        o.tryit(lambda: lib.FTTransformer(categories=(), num_continuous=0, dim=4, depth=1,
                                          heads=1))
    return o.done()
