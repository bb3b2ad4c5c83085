"""real-stanford/diffusion_policy's Colab notebook (diffusion_policy_state_pusht_demo), state-
based Push-T, as users type it: create_sample_indices / sample_sequence / get_data_stats /
normalize_data, a Dataset returning dicts of numpy arrays through a shuffling DataLoader,
ConditionalUnet1D with global_cond, the float (1,) timestep smoke test, AdamW, diffusers'
cosine-with-warmup schedule (get_scheduler('cosine'), a LambdaLR) and EMA, then the
inference loop over set_timesteps / step. The zarr dataset is replaced by seeded fake
episodes; diffusers is not installed, so DDPMScheduler is the hand-written one of
s22_diffpolicy_progs and the EMA is the repository's EMAModel on a deep copy."""

import collections
import copy
import math

import numpy as np
from s16_yunjey_progs import Out
from s22_diffpolicy_progs import DDPMScheduler, components
from s22_diffpolicy_progs_d import ema_class


def create_sample_indices(episode_ends, sequence_length, pad_before=0, pad_after=0):
    indices = list()
    for i in range(len(episode_ends)):
        start_idx = 0
        if i > 0:
            start_idx = episode_ends[i - 1]
        end_idx = episode_ends[i]
        episode_length = end_idx - start_idx
        min_start = -pad_before
        max_start = episode_length - sequence_length + pad_after
        for idx in range(min_start, max_start + 1):
            buffer_start_idx = max(idx, 0) + start_idx
            buffer_end_idx = min(idx + sequence_length, episode_length) + start_idx
            start_offset = buffer_start_idx - (idx + start_idx)
            end_offset = (idx + sequence_length + start_idx) - buffer_end_idx
            sample_start_idx = 0 + start_offset
            sample_end_idx = sequence_length - end_offset
            indices.append([buffer_start_idx, buffer_end_idx, sample_start_idx, sample_end_idx])
    indices = np.array(indices)
    return indices


def sample_sequence(train_data, sequence_length, buffer_start_idx, buffer_end_idx,
                    sample_start_idx, sample_end_idx):
    result = dict()
    for key, input_arr in train_data.items():
        sample = input_arr[buffer_start_idx:buffer_end_idx]
        data = sample
        if (sample_start_idx > 0) or (sample_end_idx < sequence_length):
            data = np.zeros(shape=(sequence_length,) + input_arr.shape[1:], dtype=input_arr.dtype)
            if sample_start_idx > 0:
                data[:sample_start_idx] = sample[0]
            if sample_end_idx < sequence_length:
                data[sample_end_idx:] = sample[-1]
            data[sample_start_idx:sample_end_idx] = sample
        result[key] = data
    return result


def get_data_stats(data):
    data = data.reshape(-1, data.shape[-1])
    stats = {'min': np.min(data, axis=0), 'max': np.max(data, axis=0)}
    return stats


def normalize_data(data, stats):
    ndata = (data - stats['min']) / (stats['max'] - stats['min'])
    ndata = ndata * 2 - 1
    return ndata


def unnormalize_data(ndata, stats):
    ndata = (ndata + 1) / 2
    data = ndata * (stats['max'] - stats['min']) + stats['min']
    return data


def pusht_state(torch):
    nn = torch.nn
    m = components(torch)
    EMAModel = ema_class(torch)
    np.random.seed(0)
    torch.manual_seed(0)
    out = Out()
    pred_horizon, obs_horizon, action_horizon = 8, 2, 4
    obs_dim, action_dim = 5, 2

    class PushTStateDataset(torch.utils.data.Dataset):
        def __init__(self, pred_horizon, obs_horizon, action_horizon):
            rng = np.random.RandomState(1)
            episode_ends = np.array([12, 22, 30])
            train_data = {
                'action': (rng.rand(30, action_dim) * 512).astype(np.float32),
                'obs': (rng.rand(30, obs_dim) * 512).astype(np.float32),
            }
            indices = create_sample_indices(episode_ends=episode_ends,
                                            sequence_length=pred_horizon,
                                            pad_before=obs_horizon - 1,
                                            pad_after=action_horizon - 1)
            stats = dict()
            normalized_train_data = dict()
            for key, data in train_data.items():
                stats[key] = get_data_stats(data)
                normalized_train_data[key] = normalize_data(data, stats[key])
            self.indices = indices
            self.stats = stats
            self.normalized_train_data = normalized_train_data
            self.pred_horizon = pred_horizon
            self.action_horizon = action_horizon
            self.obs_horizon = obs_horizon

        def __len__(self):
            return len(self.indices)

        def __getitem__(self, idx):
            buffer_start_idx, buffer_end_idx, sample_start_idx, sample_end_idx = \
                self.indices[idx]
            nsample = sample_sequence(train_data=self.normalized_train_data,
                                      sequence_length=self.pred_horizon,
                                      buffer_start_idx=buffer_start_idx,
                                      buffer_end_idx=buffer_end_idx,
                                      sample_start_idx=sample_start_idx,
                                      sample_end_idx=sample_end_idx)
            nsample['obs'] = nsample['obs'][:self.obs_horizon, :]
            return nsample

    with out:
        dataset = PushTStateDataset(pred_horizon, obs_horizon, action_horizon)
        stats = dataset.stats
        dataloader = torch.utils.data.DataLoader(dataset, batch_size=8, num_workers=0,
                                                 shuffle=True, pin_memory=True)
        batch = next(iter(dataloader))
        out.print(len(dataset), "batch['obs'].shape:", batch['obs'].shape)
        out.print("batch['action'].shape", batch['action'].shape, batch['action'].dtype)
        noise_pred_net = m['ConditionalUnet1D'](input_dim=action_dim,
                                                global_cond_dim=obs_dim * obs_horizon,
                                                diffusion_step_embed_dim=16,
                                                down_dims=(16, 32))
        noised_action = torch.randn((1, pred_horizon, action_dim))
        obs = torch.zeros((1, obs_horizon, obs_dim))
        diffusion_iter = torch.zeros((1,))
        noise = noise_pred_net(sample=noised_action, timestep=diffusion_iter,
                               global_cond=obs.flatten(start_dim=1))
        denoised_action = noised_action - noise
        out.print(denoised_action.shape, denoised_action.requires_grad)
        num_diffusion_iters = 10
        noise_scheduler = DDPMScheduler(torch, num_train_timesteps=num_diffusion_iters,
                                        beta_schedule='squaredcos_cap_v2', clip_sample=True,
                                        prediction_type='epsilon')
        device = torch.device('cpu')
        _ = noise_pred_net.to(device)
        num_epochs = 2
        ema = EMAModel(copy.deepcopy(noise_pred_net), power=0.75)
        optimizer = torch.optim.AdamW(params=noise_pred_net.parameters(), lr=1e-4,
                                      weight_decay=1e-6)
        num_warmup_steps, num_training_steps = 2, len(dataloader) * num_epochs

        def lr_lambda(current_step):
            if current_step < num_warmup_steps:
                return float(current_step) / float(max(1, num_warmup_steps))
            progress = float(current_step - num_warmup_steps) / \
                float(max(1, num_training_steps - num_warmup_steps))
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * progress)))

        lr_scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda, -1)
        for epoch_idx in range(num_epochs):
            epoch_loss = list()
            for nbatch in dataloader:
                nobs = nbatch['obs'].to(device)
                naction = nbatch['action'].to(device)
                B = nobs.shape[0]
                obs_cond = nobs[:, :obs_horizon, :]
                obs_cond = obs_cond.flatten(start_dim=1)
                noise = torch.randn(naction.shape, device=device)
                timesteps = torch.randint(0, noise_scheduler.config.num_train_timesteps,
                                          (B,), device=device).long()
                noisy_actions = noise_scheduler.add_noise(naction, noise, timesteps)
                noise_pred = noise_pred_net(noisy_actions, timesteps, global_cond=obs_cond)
                loss = nn.functional.mse_loss(noise_pred, noise)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                lr_scheduler.step()
                ema.step(noise_pred_net)
                loss_cpu = loss.item()
                epoch_loss.append(loss_cpu)
            out.print(epoch_idx, f"{np.mean(epoch_loss):.4f}", lr_scheduler.get_last_lr())
        ema_noise_pred_net = ema.averaged_model
        out.vals += list(ema_noise_pred_net.parameters())[:6]
        # inference
        obs0 = (np.random.rand(obs_dim) * 512).astype(np.float32)
        obs_deque = collections.deque([obs0] * obs_horizon, maxlen=obs_horizon)
        obs_seq = np.stack(obs_deque)
        nobs = normalize_data(obs_seq, stats=stats['obs'])
        nobs = torch.from_numpy(nobs).to(device, dtype=torch.float32)
        with torch.no_grad():
            obs_cond = nobs.unsqueeze(0).flatten(start_dim=1)
            noisy_action = torch.randn((1, pred_horizon, action_dim), device=device)
            naction = noisy_action
            noise_scheduler.set_timesteps(num_diffusion_iters)
            for k in noise_scheduler.timesteps:
                noise_pred = ema_noise_pred_net(sample=naction, timestep=k,
                                                global_cond=obs_cond)
                naction = noise_scheduler.step(model_output=noise_pred, timestep=k,
                                               sample=naction).prev_sample
        naction = naction.detach().to('cpu').numpy()
        naction = naction[0]
        action_pred = unnormalize_data(naction, stats=stats['action'])
        start = obs_horizon - 1
        end = start + action_horizon
        action = action_pred[start:end, :]
        out.print(action.shape, action.dtype, np.round(action, 2)[0])
        out.vals += [naction, action]
    return out.lines, out.vals


def replace_bn_with_gn(torch):
    """The vision notebook's replace_submodules / replace_bn_with_gn on a small image encoder
    (torchvision's ResNet is not installed: a few conv blocks with BatchNorm2d, fc replaced
    by Identity), then features with the vision encoder as global_cond."""
    nn = torch.nn
    torch.manual_seed(0)
    out = Out()

    def replace_submodules(root_module, predicate, func):
        if predicate(root_module):
            return func(root_module)
        bn_list = [k.split('.') for k, m
                   in root_module.named_modules(remove_duplicate=True) if predicate(m)]
        for *parent, k in bn_list:
            parent_module = root_module
            if len(parent) > 0:
                parent_module = root_module.get_submodule('.'.join(parent))
            if isinstance(parent_module, nn.Sequential):
                src_module = parent_module[int(k)]
            else:
                src_module = getattr(parent_module, k)
            tgt_module = func(src_module)
            if isinstance(parent_module, nn.Sequential):
                parent_module[int(k)] = tgt_module
            else:
                setattr(parent_module, k, tgt_module)
        bn_list = [k for k, m in root_module.named_modules(remove_duplicate=True)
                   if predicate(m)]
        assert len(bn_list) == 0
        return root_module

    def replace_bn_with_gn(root_module, features_per_group=4):
        replace_submodules(
            root_module=root_module,
            predicate=lambda x: isinstance(x, nn.BatchNorm2d),
            func=lambda x: nn.GroupNorm(num_groups=x.num_features // features_per_group,
                                        num_channels=x.num_features))
        return root_module

    class TinyResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = nn.Sequential(nn.Conv2d(8, 16, 3, 1, 1, bias=False),
                                        nn.BatchNorm2d(16), nn.ReLU())
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer1(x)
            return self.fc(torch.flatten(self.avgpool(x), 1))

    with out:
        resnet = TinyResNet()
        resnet.fc = torch.nn.Identity()
        vision_encoder = replace_bn_with_gn(resnet)
        out.print(vision_encoder)
        nets = nn.ModuleDict({'vision_encoder': vision_encoder,
                              'noise_pred_net': components(torch)['ConditionalUnet1D'](
                                  input_dim=2, global_cond_dim=(16 + 2) * 2,
                                  diffusion_step_embed_dim=8, down_dims=(16, 32))})
        nimage = torch.rand(3, 2, 3, 16, 16)
        nagent_pos = torch.rand(3, 2, 2)
        image_features = nets['vision_encoder'](nimage.flatten(end_dim=1))
        image_features = image_features.reshape(*nimage.shape[:2], -1)
        obs_features = torch.cat([image_features, nagent_pos], dim=-1)
        obs_cond = obs_features.flatten(start_dim=1)
        noise_pred = nets['noise_pred_net'](torch.randn(3, 8, 2), torch.tensor([1, 2, 3]),
                                            global_cond=obs_cond)
        loss = nn.functional.mse_loss(noise_pred, torch.zeros_like(noise_pred))
        loss.backward()
        out.print(image_features.shape, obs_cond.shape, f"{loss.item():.4f}")
        out.vals += [obs_cond, noise_pred, nets['vision_encoder'].layer1[1].weight.grad]
    return out.lines, out.vals
