"""chenyuntc/pytorch-book as readers type it: Chapter10 (AnimeGAN: NetG / NetD of model.py,
main.py's relativistic hinge training with ``noises.data.copy_`` and ``generate``'s topk
pick under @t.no_grad()), Chapter12 (AdaIN style transfer: a VGG19-shaped features list cut
at relu4_1 returning a namedtuple, ReflectionPad ConvLayer, interpolate upsampling,
calc_mean_std / AdaIn of utils.py) and Chapter11 (PoetryModel: sinusoidal positional
encoding buffer, TransformerEncoder with causal and padding masks). Channel counts and
image sizes shrunk; pretrained weights replaced by seeded init."""

import math
from collections import namedtuple
import numpy as np
from s16_yunjey_progs import Out


class Config(object):
    image_size, batch_size, lr1, lr2, beta1 = 96, 2, 2e-3, 2e-4, 0.5
    nz, ngf, ndf, d_every, g_every, gen_num, gen_search_num = 8, 4, 4, 1, 2, 2, 4


def anime_gan(L):
    """Chapter10/model.py NetG / NetD and main.py train() / generate()."""
    t, nn = L, L.nn
    t.manual_seed(11)
    opt = Config()

    class NetG(nn.Module):
        def __init__(self, opt):
            super(NetG, self).__init__()
            ngf = opt.ngf
            self.main = nn.Sequential(
                nn.ConvTranspose2d(opt.nz, ngf * 8, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
                nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf), nn.ReLU(True),
                nn.ConvTranspose2d(ngf, 3, 5, 3, 1, bias=False),
                nn.Tanh())

        def forward(self, input):
            return self.main(input)

    class NetD(nn.Module):
        def __init__(self, opt):
            super(NetD, self).__init__()
            ndf = opt.ndf
            self.main = nn.Sequential(
                nn.Conv2d(3, ndf, 5, 3, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8),
                nn.LeakyReLU(0.2, inplace=True),
                nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))

        def forward(self, input):
            return self.main(input).view(-1)

    rng = np.random.default_rng(11)
    imgs = t.from_numpy(rng.uniform(-1, 1, (4, 3, 96, 96)).astype(np.float32))
    dataloader = t.utils.data.DataLoader(t.utils.data.TensorDataset(imgs, t.zeros(4)),
                                         batch_size=opt.batch_size, shuffle=True,
                                         drop_last=True)
    with Out() as o:
        device = t.device('cpu')
        netg, netd = NetG(opt), NetD(opt)
        netd.to(device)
        netg.to(device)
        optimizer_g = t.optim.Adam(netg.parameters(), opt.lr1, betas=(opt.beta1, 0.999))
        optimizer_d = t.optim.Adam(netd.parameters(), opt.lr2, betas=(opt.beta1, 0.999))
        noises = t.randn(opt.batch_size, opt.nz, 1, 1).to(device)
        for epoch in iter(range(2)):
            for ii, (img, _) in enumerate(dataloader):
                real_img = img.to(device)
                if ii % opt.d_every == 0:
                    optimizer_d.zero_grad()
                    r_preds = netd(real_img)
                    noises.data.copy_(t.randn(opt.batch_size, opt.nz, 1, 1))
                    fake_img = netg(noises).detach()
                    f_preds = netd(fake_img)
                    r_f_diff = (r_preds - f_preds.mean()).clamp(max=1)
                    f_r_diff = (f_preds - r_preds.mean()).clamp(min=-1)
                    loss_d_real = (1 - r_f_diff).mean()
                    loss_d_fake = (1 + f_r_diff).mean()
                    loss_d = loss_d_real + loss_d_fake
                    loss_d.backward()
                    optimizer_d.step()
                    o.print('d {:.4f}'.format(loss_d.item()))
                if ii % opt.g_every == 0:
                    optimizer_g.zero_grad()
                    noises.data.copy_(t.randn(opt.batch_size, opt.nz, 1, 1))
                    fake_img = netg(noises)
                    f_preds = netd(fake_img)
                    r_preds = netd(real_img)
                    r_f_diff = r_preds - t.mean(f_preds)
                    f_r_diff = f_preds - t.mean(r_preds)
                    error_g = t.mean(t.nn.ReLU()(1 + r_f_diff)) + \
                        t.mean(t.nn.ReLU()(1 - f_r_diff))
                    error_g.backward()
                    optimizer_g.step()
                    o.print('g {:.4f}'.format(error_g.item()))
        o.print(fake_img.shape, r_preds.shape, noises._version)

        @t.no_grad()
        def generate():
            netg.eval(), netd.eval()
            noises = t.randn(opt.gen_search_num, opt.nz, 1, 1).normal_(0, 1)
            fake_img = netg(noises)
            scores = netd(fake_img).detach()
            indexs = scores.topk(opt.gen_num)[1]
            result = []
            for ii in indexs:
                result.append(fake_img.data[ii])
            return t.stack(result), indexs, scores

        result, indexs, scores = generate()
        o.print(result.shape, result.requires_grad, indexs.dtype)
        o.vals += [result, scores, netd.main[3].running_var]
    return o.done()


def adain_style(L):
    """Chapter12 model.py / utils.py: AdaIN style transfer with a shrunk VGG19 encoder."""
    t, nn = L, L.nn
    t.manual_seed(12)
    c1, c2, c3, c4 = 4, 6, 8, 10

    def vgg19_features():  # vgg19().features[:21] with fewer channels
        C, R, P = nn.Conv2d, lambda: nn.ReLU(inplace=True), lambda: nn.MaxPool2d(2, 2)
        return [C(3, c1, 3, padding=1), R(), C(c1, c1, 3, padding=1), R(), P(),
                C(c1, c2, 3, padding=1), R(), C(c2, c2, 3, padding=1), R(), P(),
                C(c2, c3, 3, padding=1), R(), C(c3, c3, 3, padding=1), R(),
                C(c3, c3, 3, padding=1), R(), C(c3, c3, 3, padding=1), R(), P(),
                C(c3, c4, 3, padding=1), R()]

    def calc_mean_std(features):
        batch_size, c = features.size()[:2]
        features_mean = features.reshape(batch_size, c, -1).mean(dim=2) \
            .reshape(batch_size, c, 1, 1)
        features_std = features.reshape(batch_size, c, -1).std(dim=2) \
            .reshape(batch_size, c, 1, 1) + 1e-6
        return features_mean, features_std

    def AdaIn(x, y):
        x_mean, x_std = calc_mean_std(x)
        y_mean, y_std = calc_mean_std(y)
        return y_std * (x - x_mean) / x_std + y_mean

    class VGG19(nn.Module):
        def __init__(self):
            super(VGG19, self).__init__()
            features = list(nn.Sequential(*vgg19_features()))[:21]
            self.features = nn.ModuleList(features).eval()

        def forward(self, x):
            results = []
            for ii, model in enumerate(self.features):
                x = model(x)
                if ii in {1, 6, 11, 20}:
                    results.append(x)
            vgg_outputs = namedtuple("VggOutputs", ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1'])
            return vgg_outputs(*results)

    class ConvLayer(nn.Module):
        def __init__(self, in_channels, out_channels, kernel_size, stride):
            super(ConvLayer, self).__init__()
            reflection_padding = int(np.floor(kernel_size / 2))
            self.reflection_pad = nn.ReflectionPad2d(reflection_padding)
            self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

        def forward(self, x):
            return self.conv2d(self.reflection_pad(x))

    class UpSampleLayer(nn.Module):
        def __init__(self, in_channels):
            super(UpSampleLayer, self).__init__()
            self.input = nn.Parameter(t.randn(in_channels))

        def forward(self, x):
            return nn.functional.interpolate(x, scale_factor=2)

    class Decoder(nn.Module):
        def __init__(self):
            super(Decoder, self).__init__()
            self.decode = nn.Sequential(
                ConvLayer(c4, c3, kernel_size=3, stride=1), nn.ReLU(), UpSampleLayer(c3),
                ConvLayer(c3, c3, kernel_size=3, stride=1), nn.ReLU(),
                ConvLayer(c3, c2, kernel_size=3, stride=1), nn.ReLU(), UpSampleLayer(c2),
                ConvLayer(c2, c1, kernel_size=3, stride=1), nn.ReLU(), UpSampleLayer(c1),
                ConvLayer(c1, 3, kernel_size=3, stride=1))

        def forward(self, x):
            return self.decode(x)

    class Model(nn.Module):
        def __init__(self):
            super(Model, self).__init__()
            self.encoder = VGG19()
            self.decoder = Decoder()
            for param in self.encoder.parameters():
                param.requires_grad = False

        def get_content_loss(self, content, adain):
            return nn.functional.mse_loss(content, adain)

        def get_style_loss(self, content, style):
            loss = 0
            for i, j in zip(content, style):
                content_mean, content_std = calc_mean_std(i)
                style_mean, style_std = calc_mean_std(j)
                loss += nn.functional.mse_loss(content_mean, style_mean) + \
                    nn.functional.mse_loss(content_std, style_std)
            return loss

        def forward(self, content, style):
            content_feature = self.encoder(content).relu4_1
            style_feature = self.encoder(style).relu4_1
            adain = AdaIn(content_feature, style_feature)
            output = self.decoder(adain)
            output_features = self.encoder(output).relu4_1
            content_mid = self.encoder(output)
            style_mid = self.encoder(style)
            content_loss = self.get_content_loss(output_features, adain)
            style_loss = self.get_style_loss(content_mid, style_mid)
            return content_loss + 10 * style_loss

    rng = np.random.default_rng(12)
    content = t.from_numpy(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    style = t.from_numpy(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
    with Out() as o:
        model = Model()
        optimizer = t.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), 1e-3)
        for step in range(3):
            optimizer.zero_grad()
            loss = model(content, style)
            loss.backward()
            optimizer.step()
            o.print('loss {:.4f}'.format(loss.item()))
        feats = model.encoder(content)
        o.print(type(feats).__name__, [f.shape for f in feats], feats._fields)
        o.print(model.decoder.decode[2].input.grad, model.encoder.training)
        o.vals += [model.decoder.decode[0].conv2d.weight, feats.relu4_1]
    return o.done()


def poetry_transformer(L):
    """Chapter11/model.py PoetryModel with main.py's masks and a cross-entropy step."""
    torch, nn = L, L.nn
    torch.manual_seed(13)

    class PositionalEncoding(nn.Module):
        def __init__(self, emb_size, dropout, maxlen=200):
            super().__init__()
            den = torch.exp(- torch.arange(0, emb_size, 2).float() * math.log(100) / emb_size)
            pos = torch.arange(0, maxlen).float().reshape(maxlen, 1)
            pos_embedding = torch.zeros((maxlen, emb_size))
            pos_embedding[:, 0::2] = torch.sin(pos * den)
            pos_embedding[:, 1::2] = torch.cos(pos * den)
            pos_embedding = pos_embedding.unsqueeze(-2)
            self.dropout = nn.Dropout(dropout)
            self.register_buffer('pos_embedding', pos_embedding)

        def forward(self, token_embedding):
            return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])

    class TokenEmbedding(nn.Module):
        def __init__(self, vocab_size, emb_size):
            super().__init__()
            self.embedding = nn.Embedding(vocab_size, emb_size)
            self.emb_size = emb_size

        def forward(self, tokens):
            return self.embedding(tokens.long()) * math.sqrt(self.emb_size)

    class PoetryModel(nn.Module):
        def __init__(self, vocab_size, num_encoder_layers=4, emb_size=512,
                     dim_feedforward=1024, dropout=0.1):
            super().__init__()
            self.src_tok_emb = TokenEmbedding(vocab_size, emb_size)
            self.positional_encoding = PositionalEncoding(emb_size, dropout=dropout)
            encoder_layer = nn.TransformerEncoderLayer(d_model=emb_size, nhead=8,
                                                       dim_feedforward=dim_feedforward)
            self.transformer_encoder = nn.TransformerEncoder(encoder_layer,
                                                             num_layers=num_encoder_layers)
            self.generator = nn.Linear(emb_size, vocab_size)
            for p in self.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

        def forward(self, src, src_mask, src_padding_mask):
            src_emb = self.positional_encoding(self.src_tok_emb(src))
            memory = self.transformer_encoder(src_emb, src_mask, src_padding_mask)
            logit = self.generator(memory)
            return memory, logit

    vocab, T, B = 30, 7, 3
    data = torch.from_numpy(np.random.default_rng(13).integers(1, vocab, (B, T + 1)))
    data[0, -2:] = 0  # padding
    with Out() as o:
        model = PoetryModel(vocab, num_encoder_layers=2, emb_size=16, dim_feedforward=24)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        criterion = nn.CrossEntropyLoss(ignore_index=0)
        for step in range(3):
            src, tgt = data[:, :-1].transpose(0, 1), data[:, 1:].transpose(0, 1)
            src_mask = nn.Transformer.generate_square_subsequent_mask(T)
            src_padding_mask = src.transpose(0, 1) == 0
            memory, logit = model(src, src_mask, src_padding_mask)
            loss = criterion(logit.view(-1, logit.shape[-1]), tgt.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            o.print('step {} loss {:.4f}'.format(step, loss.item()))
        o.print(src_mask[:3, :3], memory.shape, model.positional_encoding.pos_embedding.shape)
        model.eval()
        with torch.no_grad():
            _, logit = model(src, src_mask, src_padding_mask)
        o.print(logit.argmax(-1)[-1])
        o.vals += [logit, model.generator.weight]
    return o.done()
