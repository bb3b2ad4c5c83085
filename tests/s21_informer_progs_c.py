"""thuml/Autoformer as users copy it: layers/AutoCorrelation.py (AutoCorrelation with
torch.fft.rfft / irfft, the training-phase roll aggregation and the inference-phase gather one,
AutoCorrelationLayer), layers/Autoformer_EncDec.py (my_Layernorm, moving_avg, series_decomp,
EncoderLayer, Encoder, DecoderLayer with the circular trend projection, Decoder),
layers/Embed.py (DataEmbedding_wo_pos) and models/Autoformer.py, built per library by
``autoformer(L)`` for tests/s21_informer_progs_f.py."""

import math

from s21_informer_progs import informer


def autoformer(L):
    torch, nn, F = L, L.nn, L.nn.functional
    m = informer(L)

    class AutoCorrelation(nn.Module):
        def __init__(self, mask_flag=True, factor=1, scale=None, attention_dropout=0.1, output_attention=False):
            super(AutoCorrelation, self).__init__()
            self.factor = factor
            self.scale = scale
            self.mask_flag = mask_flag
            self.output_attention = output_attention
            self.dropout = nn.Dropout(attention_dropout)

        def time_delay_agg_training(self, values, corr):
            head = values.shape[1]
            channel = values.shape[2]
            length = values.shape[3]
            # find top k
            top_k = int(self.factor * math.log(length))
            mean_value = torch.mean(torch.mean(corr, dim=1), dim=1)
            index = torch.topk(torch.mean(mean_value, dim=0), top_k, dim=-1)[1]
            weights = torch.stack([mean_value[:, index[i]] for i in range(top_k)], dim=-1)
            # update corr
            tmp_corr = torch.softmax(weights, dim=-1)
            # aggregation
            tmp_values = values
            delays_agg = torch.zeros_like(values).float()
            for i in range(top_k):
                pattern = torch.roll(tmp_values, -int(index[i]), -1)
                delays_agg = delays_agg + pattern * \
                    (tmp_corr[:, i].unsqueeze(1).unsqueeze(1).unsqueeze(1).repeat(1, head, channel, length))
            return delays_agg

        def time_delay_agg_inference(self, values, corr):
            batch = values.shape[0]
            head = values.shape[1]
            channel = values.shape[2]
            length = values.shape[3]
            # index init
            init_index = torch.arange(length).unsqueeze(0).unsqueeze(0).unsqueeze(0)\
                .repeat(batch, head, channel, 1).to(values.device)
            # find top k
            top_k = int(self.factor * math.log(length))
            mean_value = torch.mean(torch.mean(corr, dim=1), dim=1)
            weights, delay = torch.topk(mean_value, top_k, dim=-1)
            # update corr
            tmp_corr = torch.softmax(weights, dim=-1)
            # aggregation
            tmp_values = values.repeat(1, 1, 1, 2)
            delays_agg = torch.zeros_like(values).float()
            for i in range(top_k):
                tmp_delay = init_index + delay[:, i].unsqueeze(1).unsqueeze(1).unsqueeze(1).repeat(1, head, channel, length)
                pattern = torch.gather(tmp_values, dim=-1, index=tmp_delay)
                delays_agg = delays_agg + pattern * \
                    (tmp_corr[:, i].unsqueeze(1).unsqueeze(1).unsqueeze(1).repeat(1, head, channel, length))
            return delays_agg

        def time_delay_agg_full(self, values, corr):
            batch = values.shape[0]
            head = values.shape[1]
            channel = values.shape[2]
            length = values.shape[3]
            # index init
            init_index = torch.arange(length).unsqueeze(0).unsqueeze(0).unsqueeze(0)\
                .repeat(batch, head, channel, 1).to(values.device)
            # find top k
            top_k = int(self.factor * math.log(length))
            weights, delay = torch.topk(corr, top_k, dim=-1)
            # update corr
            tmp_corr = torch.softmax(weights, dim=-1)
            # aggregation
            tmp_values = values.repeat(1, 1, 1, 2)
            delays_agg = torch.zeros_like(values).float()
            for i in range(top_k):
                tmp_delay = init_index + delay[..., i].unsqueeze(-1)
                pattern = torch.gather(tmp_values, dim=-1, index=tmp_delay)
                delays_agg = delays_agg + pattern * (tmp_corr[..., i].unsqueeze(-1))
            return delays_agg

        def forward(self, queries, keys, values, attn_mask):
            B, L, H, E = queries.shape
            _, S, _, D = values.shape
            if L > S:
                zeros = torch.zeros_like(queries[:, :(L - S), :]).float()
                values = torch.cat([values, zeros], dim=1)
                keys = torch.cat([keys, zeros], dim=1)
            else:
                values = values[:, :L, :, :]
                keys = keys[:, :L, :, :]

            # period-based dependencies
            q_fft = torch.fft.rfft(queries.permute(0, 2, 3, 1).contiguous(), dim=-1)
            k_fft = torch.fft.rfft(keys.permute(0, 2, 3, 1).contiguous(), dim=-1)
            res = q_fft * torch.conj(k_fft)
            corr = torch.fft.irfft(res, dim=-1)

            # time delay agg
            if self.training:
                V = self.time_delay_agg_training(values.permute(0, 2, 3, 1).contiguous(), corr).permute(0, 3, 1, 2)
            else:
                V = self.time_delay_agg_inference(values.permute(0, 2, 3, 1).contiguous(), corr).permute(0, 3, 1, 2)

            if self.output_attention:
                return (V.contiguous(), corr.permute(0, 3, 1, 2))
            else:
                return (V.contiguous(), None)

    class AutoCorrelationLayer(nn.Module):
        def __init__(self, correlation, d_model, n_heads, d_keys=None, d_values=None):
            super(AutoCorrelationLayer, self).__init__()

            d_keys = d_keys or (d_model // n_heads)
            d_values = d_values or (d_model // n_heads)

            self.inner_correlation = correlation
            self.query_projection = nn.Linear(d_model, d_keys * n_heads)
            self.key_projection = nn.Linear(d_model, d_keys * n_heads)
            self.value_projection = nn.Linear(d_model, d_values * n_heads)
            self.out_projection = nn.Linear(d_values * n_heads, d_model)
            self.n_heads = n_heads

        def forward(self, queries, keys, values, attn_mask):
            B, L, _ = queries.shape
            _, S, _ = keys.shape
            H = self.n_heads

            queries = self.query_projection(queries).view(B, L, H, -1)
            keys = self.key_projection(keys).view(B, S, H, -1)
            values = self.value_projection(values).view(B, S, H, -1)

            out, attn = self.inner_correlation(queries, keys, values, attn_mask)
            out = out.view(B, L, -1)

            return self.out_projection(out), attn

    class my_Layernorm(nn.Module):
        """Special designed layernorm for the seasonal part"""
        def __init__(self, channels):
            super(my_Layernorm, self).__init__()
            self.layernorm = nn.LayerNorm(channels)

        def forward(self, x):
            x_hat = self.layernorm(x)
            bias = torch.mean(x_hat, dim=1).unsqueeze(1).repeat(1, x.shape[1], 1)
            return x_hat - bias

    class moving_avg(nn.Module):
        """Moving average block to highlight the trend of time series"""
        def __init__(self, kernel_size, stride):
            super(moving_avg, self).__init__()
            self.kernel_size = kernel_size
            self.avg = nn.AvgPool1d(kernel_size=kernel_size, stride=stride, padding=0)

        def forward(self, x):
            # padding on the both ends of time series
            front = x[:, 0:1, :].repeat(1, (self.kernel_size - 1) // 2, 1)
            end = x[:, -1:, :].repeat(1, (self.kernel_size - 1) // 2, 1)
            x = torch.cat([front, x, end], dim=1)
            x = self.avg(x.permute(0, 2, 1))
            x = x.permute(0, 2, 1)
            return x

    class series_decomp(nn.Module):
        """Series decomposition block"""
        def __init__(self, kernel_size):
            super(series_decomp, self).__init__()
            self.moving_avg = moving_avg(kernel_size, stride=1)

        def forward(self, x):
            moving_mean = self.moving_avg(x)
            res = x - moving_mean
            return res, moving_mean

    class EncoderLayer(nn.Module):
        def __init__(self, attention, d_model, d_ff=None, moving_avg=25, dropout=0.1, activation="relu"):
            super(EncoderLayer, self).__init__()
            d_ff = d_ff or 4 * d_model
            self.attention = attention
            self.conv1 = nn.Conv1d(in_channels=d_model, out_channels=d_ff, kernel_size=1, bias=False)
            self.conv2 = nn.Conv1d(in_channels=d_ff, out_channels=d_model, kernel_size=1, bias=False)
            self.decomp1 = series_decomp(moving_avg)
            self.decomp2 = series_decomp(moving_avg)
            self.dropout = nn.Dropout(dropout)
            self.activation = F.relu if activation == "relu" else F.gelu

        def forward(self, x, attn_mask=None):
            new_x, attn = self.attention(x, x, x, attn_mask=attn_mask)
            x = x + self.dropout(new_x)
            x, _ = self.decomp1(x)
            y = x
            y = self.dropout(self.activation(self.conv1(y.transpose(-1, 1))))
            y = self.dropout(self.conv2(y).transpose(-1, 1))
            res, _ = self.decomp2(x + y)
            return res, attn

    class DecoderLayer(nn.Module):
        def __init__(self, self_attention, cross_attention, d_model, c_out, d_ff=None,
                     moving_avg=25, dropout=0.1, activation="relu"):
            super(DecoderLayer, self).__init__()
            d_ff = d_ff or 4 * d_model
            self.self_attention = self_attention
            self.cross_attention = cross_attention
            self.conv1 = nn.Conv1d(in_channels=d_model, out_channels=d_ff, kernel_size=1, bias=False)
            self.conv2 = nn.Conv1d(in_channels=d_ff, out_channels=d_model, kernel_size=1, bias=False)
            self.decomp1 = series_decomp(moving_avg)
            self.decomp2 = series_decomp(moving_avg)
            self.decomp3 = series_decomp(moving_avg)
            self.dropout = nn.Dropout(dropout)
            self.projection = nn.Conv1d(in_channels=d_model, out_channels=c_out, kernel_size=3, stride=1, padding=1,
                                        padding_mode='circular', bias=False)
            self.activation = F.relu if activation == "relu" else F.gelu

        def forward(self, x, cross, x_mask=None, cross_mask=None):
            x = x + self.dropout(self.self_attention(x, x, x, attn_mask=x_mask)[0])
            x, trend1 = self.decomp1(x)
            x = x + self.dropout(self.cross_attention(x, cross, cross, attn_mask=cross_mask)[0])
            x, trend2 = self.decomp2(x)
            y = x
            y = self.dropout(self.activation(self.conv1(y.transpose(-1, 1))))
            y = self.dropout(self.conv2(y).transpose(-1, 1))
            x, trend3 = self.decomp3(x + y)

            residual_trend = trend1 + trend2 + trend3
            residual_trend = self.projection(residual_trend.permute(0, 2, 1)).transpose(1, 2)
            return x, residual_trend

    class Decoder(nn.Module):
        def __init__(self, layers, norm_layer=None, projection=None):
            super(Decoder, self).__init__()
            self.layers = nn.ModuleList(layers)
            self.norm = norm_layer
            self.projection = projection

        def forward(self, x, cross, x_mask=None, cross_mask=None, trend=None):
            for layer in self.layers:
                x, residual_trend = layer(x, cross, x_mask=x_mask, cross_mask=cross_mask)
                trend = trend + residual_trend

            if self.norm is not None:
                x = self.norm(x)

            if self.projection is not None:
                x = self.projection(x)
            return x, trend

    class DataEmbedding_wo_pos(nn.Module):
        def __init__(self, c_in, d_model, embed_type='fixed', freq='h', dropout=0.1):
            super(DataEmbedding_wo_pos, self).__init__()

            self.value_embedding = m.TokenEmbedding(c_in=c_in, d_model=d_model)
            self.position_embedding = m.PositionalEmbedding(d_model=d_model)
            self.temporal_embedding = m.TemporalEmbedding(d_model=d_model, embed_type=embed_type, freq=freq) \
                if embed_type != 'timeF' else m.TimeFeatureEmbedding(d_model=d_model, embed_type=embed_type, freq=freq)
            self.dropout = nn.Dropout(p=dropout)

        def forward(self, x, x_mark):
            x = self.value_embedding(x) + self.temporal_embedding(x_mark)
            return self.dropout(x)

    class Model(nn.Module):
        """models/Autoformer.py"""
        def __init__(self, configs):
            super(Model, self).__init__()
            self.seq_len = configs.seq_len
            self.label_len = configs.label_len
            self.pred_len = configs.pred_len
            self.output_attention = configs.output_attention

            # Decomp
            kernel_size = configs.moving_avg
            self.decomp = series_decomp(kernel_size)

            self.enc_embedding = DataEmbedding_wo_pos(configs.enc_in, configs.d_model, configs.embed, configs.freq,
                                                      configs.dropout)
            self.dec_embedding = DataEmbedding_wo_pos(configs.dec_in, configs.d_model, configs.embed, configs.freq,
                                                      configs.dropout)

            def Correlation(mask_flag, output_attention):
                # the paper's ablation: Auto-Correlation or the canonical self-attention
                if configs.attn == 'auto':
                    return AutoCorrelationLayer(
                        AutoCorrelation(mask_flag, configs.factor, attention_dropout=configs.dropout,
                                        output_attention=output_attention),
                        configs.d_model, configs.n_heads)
                return m.AttentionLayer(
                    m.FullAttention(mask_flag, configs.factor, attention_dropout=configs.dropout,
                                    output_attention=output_attention),
                    configs.d_model, configs.n_heads)

            # Encoder
            self.encoder = m.Encoder(
                [
                    EncoderLayer(
                        Correlation(False, configs.output_attention),
                        configs.d_model,
                        configs.d_ff,
                        moving_avg=configs.moving_avg,
                        dropout=configs.dropout,
                        activation=configs.activation
                    ) for l in range(configs.e_layers)
                ],
                norm_layer=my_Layernorm(configs.d_model)
            )
            # Decoder
            self.decoder = Decoder(
                [
                    DecoderLayer(
                        Correlation(True, False),
                        Correlation(False, False),
                        configs.d_model,
                        configs.c_out,
                        configs.d_ff,
                        moving_avg=configs.moving_avg,
                        dropout=configs.dropout,
                        activation=configs.activation,
                    )
                    for l in range(configs.d_layers)
                ],
                norm_layer=my_Layernorm(configs.d_model),
                projection=nn.Linear(configs.d_model, configs.c_out, bias=True)
            )

        def forward(self, x_enc, x_mark_enc, x_dec, x_mark_dec,
                    enc_self_mask=None, dec_self_mask=None, dec_enc_mask=None):
            # decomp init
            mean = torch.mean(x_enc, dim=1).unsqueeze(1).repeat(1, self.pred_len, 1)
            zeros = torch.zeros([x_dec.shape[0], self.pred_len, x_dec.shape[2]], device=x_enc.device)
            seasonal_init, trend_init = self.decomp(x_enc)
            # decoder input
            trend_init = torch.cat([trend_init[:, -self.label_len:, :], mean], dim=1)
            seasonal_init = torch.cat([seasonal_init[:, -self.label_len:, :], zeros], dim=1)
            # enc
            enc_out = self.enc_embedding(x_enc, x_mark_enc)
            enc_out, attns = self.encoder(enc_out, attn_mask=enc_self_mask)
            # dec
            dec_out = self.dec_embedding(seasonal_init, x_mark_dec)
            seasonal_part, trend_part = self.decoder(dec_out, enc_out, x_mask=dec_self_mask, cross_mask=dec_enc_mask,
                                                     trend=trend_init)
            # final
            dec_out = trend_part + seasonal_part

            if self.output_attention:
                return dec_out[:, -self.pred_len:, :], attns
            else:
                return dec_out[:, -self.pred_len:, :]  # [B, L, D]

    return AutoCorrelation, series_decomp, my_Layernorm, Model
