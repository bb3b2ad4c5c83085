"""thuml/Autoformer's parts and model (built by ``autoformer(L)`` of
tests/s21_informer_progs_c.py) exercised and trained as exp/exp_main.py does. See
tests/test_programs_s21_informer.py."""

import numpy as np
from s16_yunjey_progs import Out
from s21_informer_progs_c import autoformer


class Configs:
    seq_len, label_len, pred_len = 16, 8, 4
    enc_in = dec_in = c_out = 3
    d_model, n_heads, e_layers, d_layers, d_ff = 16, 2, 2, 1, 32
    moving_avg, factor, dropout = 5, 1, 0.05
    embed, freq, activation, output_attention = 'timeF', 'h', 'gelu', True
    attn = 'full'  # 'auto' needs torch.fft.rfft: ember has no complex dtype


def autocorrelation_parts(L):
    """AutoCorrelation's three time-delay aggregations on a given correlation (the FFT that
    computes it needs complex tensors), series_decomp and my_Layernorm on their own."""
    torch = L
    AutoCorrelation, series_decomp, my_Layernorm, _ = autoformer(L)
    torch.manual_seed(0)
    with Out() as o:
        ac = AutoCorrelation(False, factor=1, attention_dropout=0.0, output_attention=True)
        values = torch.randn(2, 2, 8, 16, requires_grad=True)
        corr = torch.randn(2, 2, 8, 16, requires_grad=True)
        for agg in (ac.time_delay_agg_training, ac.time_delay_agg_inference, ac.time_delay_agg_full):
            out = agg(values, corr)
            values.grad = corr.grad = None
            out.pow(2).sum().backward()
            o.print(agg.__name__, out.shape, out.dtype, f"{values.grad.abs().sum().item():.4f}")
            o.vals += [out, values.grad, corr.grad]
        x = torch.randn(2, 16, 3, requires_grad=True)
        for ks in (5, 25):
            res, mean = series_decomp(ks)(x)
            o.print(ks, res.shape, mean.shape)
            o.vals += [res, mean]
        ln = my_Layernorm(3)
        y = ln(x)
        (y * torch.arange(3.0)).sum().backward()
        o.print(y.shape, f"{y.mean(1).abs().max().item():.4f}", ln.layernorm.bias.grad)
        o.vals += [y, x.grad, ln.layernorm.weight.grad]
    return o.lines, o.vals


def autoformer_train(L):
    """exp/exp_main.py's train / vali / test on Autoformer."""
    torch, nn, optim = L, L.nn, L.nn.functional and L.optim
    _, _, _, Model = autoformer(L)
    torch.manual_seed(2021)
    rng = np.random.RandomState(0)
    args = Configs()
    series = np.sin(np.arange(60)[:, None] / np.array([2.0, 3.0, 5.0])) + 0.1 * rng.standard_normal((60, 3))
    stamp = (np.stack([np.arange(60) % 24, np.arange(60) // 24 % 7, np.arange(60) // 24 % 28,
                       np.arange(60) // 720 % 12], 1) / np.array([23.0, 6.0, 30.0, 11.0])) - 0.5

    def batches(start, n):
        for s in range(start, start + n, 2):
            idx = [s, s + 1]
            bx = np.stack([series[i:i + 16] for i in idx]); by = np.stack([series[i + 8:i + 20] for i in idx])
            mx = np.stack([stamp[i:i + 16] for i in idx]); my = np.stack([stamp[i + 8:i + 20] for i in idx])
            yield tuple(torch.from_numpy(a) for a in (bx, by, mx, my))

    with Out() as o:
        model = Model(args).float()
        model_optim = optim.Adam(model.parameters(), lr=1e-4)
        criterion = nn.MSELoss()

        def step(batch_x, batch_y, batch_x_mark, batch_y_mark):
            batch_x = batch_x.float()
            batch_y = batch_y.float()
            batch_x_mark = batch_x_mark.float()
            batch_y_mark = batch_y_mark.float()
            # decoder input
            dec_inp = torch.zeros_like(batch_y[:, -args.pred_len:, :]).float()
            dec_inp = torch.cat([batch_y[:, :args.label_len, :], dec_inp], dim=1).float()
            outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark)[0]
            f_dim = 0
            outputs = outputs[:, -args.pred_len:, f_dim:]
            batch_y = batch_y[:, -args.pred_len:, f_dim:]
            return outputs, batch_y

        for epoch in range(2):
            train_loss = []
            model.train()
            for i, b in enumerate(batches(0, 8)):
                model_optim.zero_grad()
                outputs, batch_y = step(*b)
                loss = criterion(outputs, batch_y)
                train_loss.append(loss.item())
                loss.backward()
                model_optim.step()
            model.eval()
            total_loss = []
            with torch.no_grad():
                for i, b in enumerate(batches(20, 6)):
                    outputs, batch_y = step(*b)
                    pred = outputs.detach().cpu()
                    true = batch_y.detach().cpu()
                    total_loss.append(criterion(pred, true))
            o.print("Epoch: {0} | Train Loss: {1:.4f} Vali Loss: {2:.4f}".format(
                epoch + 1, np.average(train_loss), np.average(total_loss)))
        out, attns = model(*[a.float() for a in next(batches(30, 2))[:1]], next(batches(30, 2))[2].float(),
                           torch.zeros(2, 12, 3), next(batches(30, 2))[3].float())
        o.print(out.shape, len(attns), attns[0].shape)
        o.vals += [out, attns[0]] + [p.detach() for p in model.parameters()][:5]
    return o.lines, o.vals
