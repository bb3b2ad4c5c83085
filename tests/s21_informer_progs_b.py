"""zhouhaoyi/Informer2020 models/model.py (Informer, InformerStack) trained the way
exp/exp_informer.py does it: a Dataset_ETT_hour-like window dataset (seeded NumPy series in
float64 with calendar marks instead of ETTh1.csv), DataLoader, _process_one_batch (decoder
input = label part + zeros), Adam + MSELoss, vali() with np.average over the loss tensors,
utils/tools.py's EarlyStopping (state_dict saved and loaded back) and adjust_learning_rate,
test() with utils/metrics.py. Tiny sizes: batch 2, seq_len 16, label_len 8, pred_len 4,
d_model 16. See tests/test_programs_s21_informer.py."""

import os
import tempfile

import numpy as np
from s16_yunjey_progs import Out
from s21_informer_progs import informer


def models(L):
    """models/model.py, built on the classes of ``informer(L)``."""
    torch, nn = L, L.nn
    m = informer(L)
    DataEmbedding, Encoder, EncoderLayer, AttentionLayer, ConvLayer = (
        m.DataEmbedding, m.Encoder, m.EncoderLayer, m.AttentionLayer, m.ConvLayer)
    Decoder, DecoderLayer, FullAttention, ProbAttention, EncoderStack = (
        m.Decoder, m.DecoderLayer, m.FullAttention, m.ProbAttention, m.EncoderStack)

    class Informer(nn.Module):
        def __init__(self, enc_in, dec_in, c_out, seq_len, label_len, out_len,
                     factor=5, d_model=512, n_heads=8, e_layers=3, d_layers=2, d_ff=512,
                     dropout=0.0, attn='prob', embed='fixed', freq='h', activation='gelu',
                     output_attention=False, distil=True, mix=True,
                     device=torch.device('cuda:0')):
            super(Informer, self).__init__()
            self.pred_len = out_len
            self.attn = attn
            self.output_attention = output_attention

            # Encoding
            self.enc_embedding = DataEmbedding(enc_in, d_model, embed, freq, dropout)
            self.dec_embedding = DataEmbedding(dec_in, d_model, embed, freq, dropout)
            # Attention
            Attn = ProbAttention if attn == 'prob' else FullAttention
            # Encoder
            self.encoder = Encoder(
                [
                    EncoderLayer(
                        AttentionLayer(Attn(False, factor, attention_dropout=dropout, output_attention=output_attention),
                                       d_model, n_heads, mix=False),
                        d_model,
                        d_ff,
                        dropout=dropout,
                        activation=activation
                    ) for l in range(e_layers)
                ],
                [
                    ConvLayer(
                        d_model
                    ) for l in range(e_layers - 1)
                ] if distil else None,
                norm_layer=torch.nn.LayerNorm(d_model)
            )
            # Decoder
            self.decoder = Decoder(
                [
                    DecoderLayer(
                        AttentionLayer(Attn(True, factor, attention_dropout=dropout, output_attention=False),
                                       d_model, n_heads, mix=mix),
                        AttentionLayer(FullAttention(False, factor, attention_dropout=dropout, output_attention=False),
                                       d_model, n_heads, mix=False),
                        d_model,
                        d_ff,
                        dropout=dropout,
                        activation=activation,
                    )
                    for l in range(d_layers)
                ],
                norm_layer=torch.nn.LayerNorm(d_model)
            )
            self.projection = nn.Linear(d_model, c_out, bias=True)

        def forward(self, x_enc, x_mark_enc, x_dec, x_mark_dec,
                    enc_self_mask=None, dec_self_mask=None, dec_enc_mask=None):
            enc_out = self.enc_embedding(x_enc, x_mark_enc)
            enc_out, attns = self.encoder(enc_out, attn_mask=enc_self_mask)

            dec_out = self.dec_embedding(x_dec, x_mark_dec)
            dec_out = self.decoder(dec_out, enc_out, x_mask=dec_self_mask, cross_mask=dec_enc_mask)
            dec_out = self.projection(dec_out)

            if self.output_attention:
                return dec_out[:, -self.pred_len:, :], attns
            else:
                return dec_out[:, -self.pred_len:, :]  # [B, L, D]

    class InformerStack(Informer):
        """InformerStack's __init__ differs from Informer's only in its encoder."""

        def __init__(self, enc_in, dec_in, c_out, seq_len, label_len, out_len,
                     factor=5, d_model=512, n_heads=8, e_layers=[3, 2, 1], d_layers=2, d_ff=512,
                     dropout=0.0, attn='prob', embed='fixed', freq='h', activation='gelu',
                     output_attention=False, distil=True, mix=True,
                     device=torch.device('cuda:0')):
            super(InformerStack, self).__init__(
                enc_in, dec_in, c_out, seq_len, label_len, out_len, factor, d_model, n_heads,
                1, d_layers, d_ff, dropout, attn, embed, freq, activation, output_attention,
                distil, mix, device)
            Attn = ProbAttention if attn == 'prob' else FullAttention
            inp_lens = list(range(len(e_layers)))  # [0,1,2,...] you can customize here
            encoders = [
                Encoder(
                    [
                        EncoderLayer(
                            AttentionLayer(Attn(False, factor, attention_dropout=dropout, output_attention=output_attention),
                                           d_model, n_heads, mix=False),
                            d_model,
                            d_ff,
                            dropout=dropout,
                            activation=activation
                        ) for l in range(el)
                    ],
                    [
                        ConvLayer(
                            d_model
                        ) for l in range(el - 1)
                    ] if distil else None,
                    norm_layer=torch.nn.LayerNorm(d_model)
                ) for el in e_layers]
            self.encoder = EncoderStack(encoders, inp_lens)

    return Informer, InformerStack


def ett_hour(L, n=40, seed=0):
    """Dataset_ETT_hour stand-in: a float64 series of 7 columns (OT last), StandardScaler'd
    with the train part's statistics, calendar marks (month, day, weekday, hour) as
    time_features(timeenc=0) gives them."""
    Dataset = L.utils.data.Dataset
    rng = np.random.RandomState(seed)
    t = np.arange(n + 30)
    raw = np.stack([np.sin(t / (3.0 + c)) + 0.1 * rng.standard_normal(t.shape) for c in range(7)], 1)
    hours = np.arange(len(t))
    stamp = np.stack([1 + (hours // 720) % 12, 1 + (hours // 24) % 28, (hours // 24) % 7, hours % 24], 1)

    class Dataset_ETT_hour(Dataset):
        def __init__(self, flag='train', size=None, features='M', inverse=False):
            self.seq_len, self.label_len, self.pred_len = size
            border1s = [0, n - 12 - self.seq_len, n + 2 - self.seq_len]
            border2s = [n - 12, n + 2, n + 30]
            type_map = {'train': 0, 'val': 1, 'test': 2}
            b1, b2 = border1s[type_map[flag]], border2s[type_map[flag]]
            self.mean, self.std = raw[:n - 12].mean(0), raw[:n - 12].std(0)
            data = (raw - self.mean) / self.std
            if features == 'S':
                data = data[:, -1:]
            self.data_x = data[b1:b2]
            self.data_y = data[b1:b2]
            self.data_stamp = stamp[b1:b2]

        def __getitem__(self, index):
            s_begin = index
            s_end = s_begin + self.seq_len
            r_begin = s_end - self.label_len
            r_end = r_begin + self.label_len + self.pred_len

            seq_x = self.data_x[s_begin:s_end]
            seq_y = self.data_y[r_begin:r_end]
            seq_x_mark = self.data_stamp[s_begin:s_end]
            seq_y_mark = self.data_stamp[r_begin:r_end]

            return seq_x, seq_y, seq_x_mark, seq_y_mark

        def __len__(self):
            return len(self.data_x) - self.seq_len - self.pred_len + 1

        def inverse_transform(self, data):
            return (data * self.std[-1:]) + self.mean[-1:]

    return Dataset_ETT_hour


class EarlyStopping:
    """utils/tools.py."""

    def __init__(self, torch, out, patience=7, verbose=False, delta=0):
        self.torch, self.out = torch, out
        self.patience = patience
        self.verbose = verbose
        self.counter = 0
        self.best_score = None
        self.early_stop = False
        self.val_loss_min = np.inf
        self.delta = delta

    def __call__(self, val_loss, model, path):
        score = -val_loss
        if self.best_score is None:
            self.best_score = score
            self.save_checkpoint(val_loss, model, path)
        elif score < self.best_score + self.delta:
            self.counter += 1
            self.out.print(f'EarlyStopping counter: {self.counter} out of {self.patience}')
            if self.counter >= self.patience:
                self.early_stop = True
        else:
            self.best_score = score
            self.save_checkpoint(val_loss, model, path)
            self.counter = 0

    def save_checkpoint(self, val_loss, model, path):
        if self.verbose:
            self.out.print(f'Validation loss decreased ({self.val_loss_min:.4f} --> {val_loss:.4f}).  Saving model ...')
        self.torch.save(model.state_dict(), path + '/' + 'checkpoint.pth')
        self.val_loss_min = val_loss


def run_exp(L, model_name, attn, embed='fixed', features='M', mix=True, distil=True, epochs=2,
            padding=0, output_attention=False, kind_of_optim='Adam', lr=1e-4, use_amp=False,
            num_workers=0):
    """Exp_Informer.train() then test() with the args of main_informer.py, shrunk."""
    torch, nn, optim = L, L.nn, L.optim
    DataLoader = L.utils.data.DataLoader
    Informer, InformerStack = models(L)
    torch.manual_seed(2021)
    np.random.seed(2021)
    seq_len, label_len, pred_len = 16, 8, 4
    enc_in = dec_in = 1 if features == 'S' else 7
    c_out = 7 if features == 'M' else 1
    Data = ett_hour(L)
    with Out() as o, tempfile.TemporaryDirectory() as path:
        model_dict = {'informer': Informer, 'informerstack': InformerStack}
        e_layers = 2 if model_name == 'informer' else [2, 1]
        model = model_dict[model_name](enc_in, dec_in, c_out, seq_len, label_len, pred_len, 2,
                                       16, 2, e_layers, 1, 32, 0.05, attn, embed, 'h', 'gelu',
                                       output_attention, distil, mix, torch.device('cpu')).float()
        o.print(sum(p.numel() for p in model.parameters() if p.requires_grad))

        def _get_data(flag):
            shuffle_flag = flag == 'train'
            data_set = Data(flag=flag, size=[seq_len, label_len, pred_len], features=features)
            o.print(flag, len(data_set))
            return data_set, DataLoader(data_set, batch_size=2, shuffle=shuffle_flag,
                                        num_workers=num_workers, drop_last=True)

        def _process_one_batch(dataset_object, batch_x, batch_y, batch_x_mark, batch_y_mark):
            batch_x = batch_x.float().to('cpu')
            batch_y = batch_y.float()

            batch_x_mark = batch_x_mark.float().to('cpu')
            batch_y_mark = batch_y_mark.float().to('cpu')

            # decoder input
            if padding == 0:
                dec_inp = torch.zeros([batch_y.shape[0], pred_len, batch_y.shape[-1]]).float()
            elif padding == 1:
                dec_inp = torch.ones([batch_y.shape[0], pred_len, batch_y.shape[-1]]).float()
            dec_inp = torch.cat([batch_y[:, :label_len, :], dec_inp], dim=1).float().to('cpu')
            # encoder - decoder
            if use_amp:
                with torch.cuda.amp.autocast():
                    if output_attention:
                        outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark)[0]
                    else:
                        outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark)
            elif output_attention:
                outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark)[0]
            else:
                outputs = model(batch_x, batch_x_mark, dec_inp, batch_y_mark)
            f_dim = -1 if features == 'MS' else 0
            batch_y = batch_y[:, -pred_len:, f_dim:].to('cpu')

            return outputs, batch_y

        def vali(vali_data, vali_loader, criterion):
            model.eval()
            total_loss = []
            for i, (batch_x, batch_y, batch_x_mark, batch_y_mark) in enumerate(vali_loader):
                pred, true = _process_one_batch(vali_data, batch_x, batch_y, batch_x_mark, batch_y_mark)
                loss = criterion(pred.detach().cpu(), true.detach().cpu())
                total_loss.append(loss)
            total_loss = np.average(total_loss)
            model.train()
            return total_loss

        train_data, train_loader = _get_data(flag='train')
        vali_data, vali_loader = _get_data(flag='val')
        test_data, test_loader = _get_data(flag='test')
        train_steps = len(train_loader)
        early_stopping = EarlyStopping(torch, o, patience=3, verbose=True)
        # _select_optimizer
        if kind_of_optim == 'SGD':
            model_optim = optim.SGD(model.parameters(), lr=lr)
        elif kind_of_optim == 'ASGD':
            model_optim = optim.ASGD(model.parameters(), lr=lr)
        else:
            model_optim = optim.Adam(model.parameters(), lr=lr)
        criterion = nn.MSELoss()
        if use_amp:
            scaler = torch.cuda.amp.GradScaler()
        for epoch in range(epochs):
            train_loss = []
            model.train()
            for i, (batch_x, batch_y, batch_x_mark, batch_y_mark) in enumerate(train_loader):
                model_optim.zero_grad()
                pred, true = _process_one_batch(train_data, batch_x, batch_y, batch_x_mark, batch_y_mark)
                loss = criterion(pred, true)
                train_loss.append(loss.item())
                if (i + 1) % 4 == 0:
                    o.print("\titers: {0}, epoch: {1} | loss: {2:.4f}".format(i + 1, epoch + 1, loss.item()))
                if use_amp:
                    scaler.scale(loss).backward()
                    scaler.step(model_optim)
                    scaler.update()
                else:
                    loss.backward()
                    model_optim.step()
            train_loss = np.average(train_loss)
            vali_loss = vali(vali_data, vali_loader, criterion)
            test_loss = vali(test_data, test_loader, criterion)
            o.print(type(vali_loss).__name__, type(train_loss).__name__)
            o.print("Epoch: {0}, Steps: {1} | Train Loss: {2:.4f} Vali Loss: {3:.4f} Test Loss: {4:.4f}".format(
                epoch + 1, train_steps, train_loss, vali_loss, test_loss))
            early_stopping(vali_loss, model, path)
            # adjust_learning_rate, lradj='type1'
            lr_adjust = {epoch + 1: lr * (0.5 ** ((epoch + 1 - 1) // 1))}
            if epoch + 1 in lr_adjust.keys():
                new_lr = lr_adjust[epoch + 1]
                for param_group in model_optim.param_groups:
                    param_group['lr'] = new_lr
                o.print('Updating learning rate to {}'.format(new_lr))
        best_model_path = path + '/' + 'checkpoint.pth'
        o.print(os.path.exists(best_model_path))
        o.print(model.load_state_dict(torch.load(best_model_path)))

        model.eval()
        preds, trues = [], []
        for i, (batch_x, batch_y, batch_x_mark, batch_y_mark) in enumerate(test_loader):
            pred, true = _process_one_batch(test_data, batch_x, batch_y, batch_x_mark, batch_y_mark)
            preds.append(pred.detach().cpu().numpy())
            trues.append(true.detach().cpu().numpy())
        preds = np.array(preds)
        trues = np.array(trues)
        o.print('test shape:', preds.shape, trues.shape, preds.dtype)
        preds = preds.reshape(-1, preds.shape[-2], preds.shape[-1])
        trues = trues.reshape(-1, trues.shape[-2], trues.shape[-1])
        mae = np.mean(np.abs(preds - trues))
        mse = np.mean((preds - trues) ** 2)
        rmse = np.sqrt(mse)
        o.print('mse:{:.4f}, mae:{:.4f}, rmse:{:.4f}'.format(mse, mae, rmse))
        o.vals += [preds, trues, np.float32(mse)] + [p.detach() for p in model.parameters()][:6]
    return o.lines, o.vals


# Adam with distilling: the conv bias before ConvLayer's BatchNorm, the LayerNorm bias feeding
# it and the key projections' biases get gradients that are zero up to rounding (BatchNorm and
# softmax cancel them); Adam scales that rounding noise up to steps of about lr, which in eval
# mode (running statistics) shows in the 5th digit on both libraries alike. The distilling
# models therefore train with the enhanced exp_informer's --kind_of_optim SGD / ASGD choices,
# the Adam ones without distilling.
def informer_prob(L):
    return run_exp(L, 'informer', 'prob', kind_of_optim='SGD', lr=0.01)


def informer_full_timef(L):
    return run_exp(L, 'informer', 'full', embed='timeF', mix=False, padding=1,
                   kind_of_optim='ASGD', lr=0.01)


def informer_prob_ms_nodistil(L):
    return run_exp(L, 'informer', 'prob', features='MS', distil=False, output_attention=True)


def informer_stack(L):
    return run_exp(L, 'informerstack', 'prob', distil=False)


def informer_amp_workers(L):
    """main_informer.py's args.num_workers = 2 and --use_amp on a machine without CUDA."""
    return run_exp(L, 'informer', 'full', distil=False, epochs=1, use_amp=True, num_workers=2)


def informer_stack_distil(L):
    return run_exp(L, 'informerstack', 'prob', epochs=1, kind_of_optim='SGD', lr=0.01)
