"""tonyzhaozh/act as users copy it: detr/models/detr_vae.py (DETRVAE: the CVAE encoder over
[CLS, qpos, action sequence] with a sinusoid pos_table and is_pad key padding mask,
reparametrize with Variable / .data.new().normal_(), the decoder over camera features plus
latent and proprio tokens), ACT's Transformer.forward variant and mask-free
PositionEmbeddingSine, policy.py's ACTPolicy (Normalize, L1 masked by ~is_pad, kl_divergence),
main.py's param groups with AdamW, imitate_episodes.py's train loop (compute_dict_mean,
detach_dict) and eval with temporal ensembling. Tiny: hidden 32, 4 queries, 2 layers, one
camera of 3x16x16, a tiny conv body instead of the ResNet18."""

import math

import numpy as np

from s22_detr_progs_f import transformer_modules


def get_sinusoid_encoding_table_np(n_position, d_hid):
    def get_position_angle_vec(position):
        return [position / np.power(10000, 2 * (hid_j // 2) / d_hid) for hid_j in range(d_hid)]

    sinusoid_table = np.array([get_position_angle_vec(pos_i) for pos_i in range(n_position)])
    sinusoid_table[:, 0::2] = np.sin(sinusoid_table[:, 0::2])  # dim 2i
    sinusoid_table[:, 1::2] = np.cos(sinusoid_table[:, 1::2])  # dim 2i+1
    return sinusoid_table


def act_modules(L):
    torch, nn, F = L, L.nn, L.nn.functional
    Variable = L.autograd.Variable
    T = transformer_modules(L)

    class Transformer(T["Transformer"]):
        def forward(self, src, mask, query_embed, pos_embed, latent_input=None,
                    proprio_input=None, additional_pos_embed=None):
            if len(src.shape) == 4:  # has H and W
                bs, c, h, w = src.shape
                src = src.flatten(2).permute(2, 0, 1)
                pos_embed = pos_embed.flatten(2).permute(2, 0, 1).repeat(1, bs, 1)
                query_embed = query_embed.unsqueeze(1).repeat(1, bs, 1)
                additional_pos_embed = additional_pos_embed.unsqueeze(1).repeat(1, bs, 1)
                pos_embed = torch.cat([additional_pos_embed, pos_embed], axis=0)
                addition_input = torch.stack([latent_input, proprio_input], axis=0)
                src = torch.cat([addition_input, src], axis=0)
            else:
                assert len(src.shape) == 3
                bs, hw, c = src.shape
                src = src.permute(1, 0, 2)
                pos_embed = pos_embed.unsqueeze(1).repeat(1, bs, 1)
                query_embed = query_embed.unsqueeze(1).repeat(1, bs, 1)
            tgt = torch.zeros_like(query_embed)
            memory = self.encoder(src, src_key_padding_mask=mask, pos=pos_embed)
            hs = self.decoder(tgt, memory, memory_key_padding_mask=mask,
                              pos=pos_embed, query_pos=query_embed)
            hs = hs.transpose(1, 2)
            return hs

    class PositionEmbeddingSine(nn.Module):
        def __init__(self, num_pos_feats=64, temperature=10000, normalize=False, scale=None):
            super().__init__()
            self.num_pos_feats = num_pos_feats
            self.temperature = temperature
            self.normalize = normalize
            self.scale = 2 * math.pi if scale is None else scale

        def forward(self, tensor):
            x = tensor
            not_mask = torch.ones_like(x[0, [0]])
            y_embed = not_mask.cumsum(1, dtype=torch.float32)
            x_embed = not_mask.cumsum(2, dtype=torch.float32)
            if self.normalize:
                eps = 1e-6
                y_embed = y_embed / (y_embed[:, -1:, :] + eps) * self.scale
                x_embed = x_embed / (x_embed[:, :, -1:] + eps) * self.scale
            dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
            dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)
            pos_x = x_embed[:, :, :, None] / dim_t
            pos_y = y_embed[:, :, :, None] / dim_t
            pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
            pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
            return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)

    class Backbone(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 16, 3, 2, 1))
            self.num_channels = 16

        def forward(self, tensor):
            return {"0": self.body(tensor)}

    class Joiner(nn.Sequential):
        def __init__(self, backbone, position_embedding):
            super().__init__(backbone, position_embedding)

        def forward(self, tensor_list):
            xs = self[0](tensor_list)
            out, pos = [], []
            for name, x in xs.items():
                out.append(x)
                pos.append(self[1](x).to(x.dtype))
            return out, pos

    def reparametrize(mu, logvar):
        std = logvar.div(2).exp()
        eps = Variable(std.data.new(std.size()).normal_())
        return mu + std * eps

    def get_sinusoid_encoding_table(n_position, d_hid):
        return torch.FloatTensor(get_sinusoid_encoding_table_np(n_position, d_hid)).unsqueeze(0)

    class DETRVAE(nn.Module):
        def __init__(self, backbones, transformer, encoder, state_dim, num_queries, camera_names):
            super().__init__()
            self.num_queries = num_queries
            self.camera_names = camera_names
            self.transformer = transformer
            self.encoder = encoder
            hidden_dim = transformer.d_model
            self.action_head = nn.Linear(hidden_dim, state_dim)
            self.is_pad_head = nn.Linear(hidden_dim, 1)
            self.query_embed = nn.Embedding(num_queries, hidden_dim)
            self.input_proj = nn.Conv2d(backbones[0].num_channels, hidden_dim, kernel_size=1)
            self.backbones = nn.ModuleList(backbones)
            self.input_proj_robot_state = nn.Linear(state_dim, hidden_dim)
            self.latent_dim = 8
            self.cls_embed = nn.Embedding(1, hidden_dim)
            self.encoder_action_proj = nn.Linear(state_dim, hidden_dim)
            self.encoder_joint_proj = nn.Linear(state_dim, hidden_dim)
            self.latent_proj = nn.Linear(hidden_dim, self.latent_dim * 2)
            self.register_buffer('pos_table', get_sinusoid_encoding_table(1 + 1 + num_queries, hidden_dim))
            self.latent_out_proj = nn.Linear(self.latent_dim, hidden_dim)
            self.additional_pos_embed = nn.Embedding(2, hidden_dim)

        def forward(self, qpos, image, env_state, actions=None, is_pad=None):
            is_training = actions is not None
            bs, _ = qpos.shape
            if is_training:
                action_embed = self.encoder_action_proj(actions)  # (bs, seq, hidden_dim)
                qpos_embed = self.encoder_joint_proj(qpos)  # (bs, hidden_dim)
                qpos_embed = torch.unsqueeze(qpos_embed, axis=1)  # (bs, 1, hidden_dim)
                cls_embed = self.cls_embed.weight  # (1, hidden_dim)
                cls_embed = torch.unsqueeze(cls_embed, axis=0).repeat(bs, 1, 1)
                encoder_input = torch.cat([cls_embed, qpos_embed, action_embed], axis=1)
                encoder_input = encoder_input.permute(1, 0, 2)
                cls_joint_is_pad = torch.full((bs, 2), False).to(qpos.device)
                is_pad = torch.cat([cls_joint_is_pad, is_pad], axis=1)
                pos_embed = self.pos_table.clone().detach()
                pos_embed = pos_embed.permute(1, 0, 2)
                encoder_output = self.encoder(encoder_input, pos=pos_embed, src_key_padding_mask=is_pad)
                encoder_output = encoder_output[0]
                latent_info = self.latent_proj(encoder_output)
                mu = latent_info[:, :self.latent_dim]
                logvar = latent_info[:, self.latent_dim:]
                latent_sample = reparametrize(mu, logvar)
                latent_input = self.latent_out_proj(latent_sample)
            else:
                mu = logvar = None
                latent_sample = torch.zeros([bs, self.latent_dim], dtype=torch.float32).to(qpos.device)
                latent_input = self.latent_out_proj(latent_sample)
            all_cam_features = []
            all_cam_pos = []
            for cam_id, cam_name in enumerate(self.camera_names):
                features, pos = self.backbones[0](image[:, cam_id])
                features = features[0]
                pos = pos[0]
                all_cam_features.append(self.input_proj(features))
                all_cam_pos.append(pos)
            proprio_input = self.input_proj_robot_state(qpos)
            src = torch.cat(all_cam_features, axis=3)
            pos = torch.cat(all_cam_pos, axis=3)
            hs = self.transformer(src, None, self.query_embed.weight, pos, latent_input,
                                  proprio_input, self.additional_pos_embed.weight)[0]
            a_hat = self.action_head(hs)
            is_pad_hat = self.is_pad_head(hs)
            return a_hat, is_pad_hat, [mu, logvar]

    def kl_divergence(mu, logvar):
        batch_size = mu.size(0)
        assert batch_size != 0
        if mu.data.ndimension() == 4:
            mu = mu.view(mu.size(0), mu.size(1))
        if logvar.data.ndimension() == 4:
            logvar = logvar.view(logvar.size(0), logvar.size(1))
        klds = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
        total_kld = klds.sum(1).mean(0, True)
        dimension_wise_kld = klds.mean(0)
        mean_kld = klds.mean(1).mean(0, True)
        return total_kld, dimension_wise_kld, mean_kld

    def normalize(image):  # transforms.Normalize(mean, std) on a batch of images
        mean = torch.tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
        return (image - mean) / std

    class ACTPolicy(nn.Module):
        def __init__(self, args_override):
            super().__init__()
            torch.manual_seed(0)
            backbone = Joiner(Backbone(), PositionEmbeddingSine(16, normalize=True))
            backbone.num_channels = 16
            transformer = Transformer(d_model=32, dropout=0.1, nhead=4, dim_feedforward=64,
                                      num_encoder_layers=2, num_decoder_layers=2,
                                      normalize_before=False, return_intermediate_dec=True)
            encoder = T["TransformerEncoder"](
                T["TransformerEncoderLayer"](32, 4, 64, 0.1, "relu", False), 2, None)
            model = DETRVAE([backbone], transformer, encoder, state_dim=5, num_queries=4,
                            camera_names=['top'])
            n_parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
            self.lines = ["number of parameters: %.2fM" % (n_parameters / 1e6,)]
            param_dicts = [
                {"params": [p for n, p in model.named_parameters() if "backbone" not in n and p.requires_grad]},
                {"params": [p for n, p in model.named_parameters() if "backbone" in n and p.requires_grad],
                 "lr": 1e-5},
            ]
            self.optimizer = torch.optim.AdamW(param_dicts, lr=1e-4, weight_decay=1e-4)
            self.model = model
            self.kl_weight = args_override['kl_weight']
            self.lines.append(f'KL Weight {self.kl_weight}')

        def __call__(self, qpos, image, actions=None, is_pad=None):
            env_state = None
            image = normalize(image)
            if actions is not None:
                actions = actions[:, :self.model.num_queries]
                is_pad = is_pad[:, :self.model.num_queries]
                a_hat, is_pad_hat, (mu, logvar) = self.model(qpos, image, env_state, actions, is_pad)
                total_kld, dim_wise_kld, mean_kld = kl_divergence(mu, logvar)
                loss_dict = dict()
                all_l1 = F.l1_loss(actions, a_hat, reduction='none')
                l1 = (all_l1 * ~is_pad.unsqueeze(-1)).mean()
                loss_dict['l1'] = l1
                loss_dict['kl'] = total_kld[0]
                loss_dict['loss'] = loss_dict['l1'] + loss_dict['kl'] * self.kl_weight
                return loss_dict
            else:
                a_hat, _, (_, _) = self.model(qpos, image, env_state)
                return a_hat

        def configure_optimizers(self):
            return self.optimizer

    return dict(ACTPolicy=ACTPolicy, kl_divergence=kl_divergence, reparametrize=reparametrize)


def compute_dict_mean(epoch_dicts):
    result = {k: None for k in epoch_dicts[0]}
    num_items = len(epoch_dicts)
    for k in result:
        value_sum = 0
        for epoch_dict in epoch_dicts:
            value_sum += epoch_dict[k]
        result[k] = value_sum / num_items
    return result


def detach_dict(d):
    new_d = dict()
    for k, v in d.items():
        new_d[k] = v.detach()
    return new_d


def act_train(torch):
    A = act_modules(torch)
    policy = A["ACTPolicy"]({'kl_weight': 10})
    out, vals = list(policy.lines), []
    optimizer = policy.configure_optimizers()
    rng = np.random.default_rng(3)
    torch.manual_seed(1)
    for epoch in range(2):
        policy.train()
        optimizer.zero_grad()
        train_history = []
        for batch_idx in range(2):
            image_data = torch.from_numpy(rng.uniform(0, 1, (2, 1, 3, 16, 16)).astype(np.float32))
            qpos_data = torch.from_numpy(rng.standard_normal((2, 5)).astype(np.float32))
            action_data = torch.from_numpy(rng.standard_normal((2, 6, 5)).astype(np.float32))
            is_pad = torch.from_numpy(np.arange(6)[None, :] >= np.array([[6], [3]]))
            forward_dict = policy(qpos_data, image_data, action_data, is_pad)
            loss = forward_dict['loss']
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            train_history.append(detach_dict(forward_dict))
        epoch_summary = compute_dict_mean(train_history)
        epoch_train_loss = epoch_summary['loss']
        out.append(f'Train loss: {epoch_train_loss:.4f}')  # ACT prints .5f: 4 here (MKL vs OpenBLAS last bits)
        summary_string = ''
        for k, v in epoch_summary.items():
            summary_string += f'{k}: {v.item():.3f} '
        out.append(summary_string)
        vals += [epoch_summary['l1'], epoch_summary['kl']]
    mu = torch.from_numpy(rng.standard_normal((3, 8, 1, 1)).astype(np.float32))
    logvar = torch.from_numpy(rng.standard_normal((3, 8, 1, 1)).astype(np.float32))
    total_kld, dim_wise, mean_kld = A["kl_divergence"](mu, logvar)
    out.append(f"{total_kld.shape} {dim_wise.shape} {mean_kld.shape}")
    vals += [total_kld, dim_wise, mean_kld]
    torch.manual_seed(5)
    z = A["reparametrize"](mu.view(3, 8), logvar.view(3, 8))
    vals.append(z)
    return out, vals


def act_eval(torch):
    A = act_modules(torch)
    policy = A["ACTPolicy"]({'kl_weight': 10})
    out, vals = [], []
    policy.eval()
    rng = np.random.default_rng(4)
    num_queries, max_timesteps, state_dim = 4, 5, 5
    query_frequency = 1
    all_time_actions = torch.zeros([max_timesteps, max_timesteps + num_queries, state_dim])
    with torch.inference_mode():
        for t in range(max_timesteps):
            qpos = torch.from_numpy(rng.standard_normal((1, 5)).astype(np.float32))
            curr_image = torch.from_numpy(rng.uniform(0, 1, (1, 1, 3, 16, 16)).astype(np.float32))
            if t % query_frequency == 0:
                all_actions = policy(qpos, curr_image)
            all_time_actions[[t], t:t + num_queries] = all_actions
            actions_for_curr_step = all_time_actions[:, t]
            actions_populated = torch.all(actions_for_curr_step != 0, axis=1)
            actions_for_curr_step = actions_for_curr_step[actions_populated]
            k = 0.01
            exp_weights = np.exp(-k * np.arange(len(actions_for_curr_step)))
            exp_weights = exp_weights / exp_weights.sum()
            exp_weights = torch.from_numpy(exp_weights).unsqueeze(dim=1)
            raw_action = (actions_for_curr_step * exp_weights).sum(dim=0, keepdim=True)
            raw_action = raw_action.squeeze(0).cpu().numpy()
            out.append(f"t={t} {all_actions.shape} {actions_populated.tolist()} {raw_action.dtype}")
            vals.append(raw_action)
    out.append(str(all_time_actions.is_inference()))
    return out, vals
