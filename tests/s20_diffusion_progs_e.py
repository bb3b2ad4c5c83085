"""huggingface/notebooks examples/annotated_diffusion.ipynb, continued: the Unet built and
trained (ConvNeXt and ResNet blocks; huber / l1 / l2 losses), then sampled with
p_sample_loop, as ``prog(L) -> (printed, values)`` for tests/test_programs_s20_diffusion.py.
Losses are printed with 4 decimals (the notebook prints loss.item() in full)."""

from s16_yunjey_progs import Out
from s20_diffusion_progs_b import _Diffusion, _net
from s20_diffusion_progs_d import _fashion


def num_to_groups(num, divisor):
    groups = num // divisor
    remainder = num % divisor
    arr = [divisor] * groups
    if remainder > 0:
        arr.append(remainder)
    return arr


def train_convnext(L):
    """The notebook's training cell: Unet(dim=image_size, channels, dim_mults=(1, 2, 4,)) with
    ConvNeXt blocks, Adam(lr=1e-3), t = torch.randint(0, timesteps, (batch_size,)).long(),
    p_losses(..., loss_type="huber"), 'Loss:' every step; then sample()."""
    torch = L
    Adam = L.optim.Adam
    ns = _net(L)
    with Out() as o:
        torch.manual_seed(0)
        image_size, channels, batch_size = 8, 1, 2
        d = _Diffusion(L, 10, "linear")
        dataloader = _fashion(L, 4, 0)
        batch = next(iter(dataloader))
        o.print(batch.keys())
        device = "cuda" if torch.cuda.is_available() else "cpu"
        model = ns["Unet"](dim=image_size, channels=channels, dim_mults=(1, 2,))
        model.to(device)
        o.print(sum(p.numel() for p in model.parameters()))
        o.print(model.downs[0][0])
        optimizer = Adam(model.parameters(), lr=1e-3)
        for epoch in range(1):
            for step, batch in enumerate(dataloader):
                optimizer.zero_grad()
                batch_size = batch["pixel_values"].shape[0]
                batch = batch["pixel_values"].to(device)
                t = torch.randint(0, d.timesteps, (batch_size,), device=device).long()
                loss = d.p_losses(model, batch, t, loss_type="huber")
                if step % 1 == 0:
                    o.print("Loss:", f"{loss.item():.4f}")
                o.vals.append(loss.item())
                loss.backward()
                optimizer.step()
        o.vals += [model.init_conv.weight, model.final_conv[1].bias]
        batches = num_to_groups(3, batch_size)
        o.print(batches)
        all_images_list = list(map(lambda n: d.sample(model, image_size, batch_size=n,
                                                      channels=channels), batches))
        o.print(len(all_images_list), len(all_images_list[0]), all_images_list[0][-1].shape,
                all_images_list[0][-1].dtype)
        o.tryit(lambda: torch.cat(all_images_list, dim=0))
        all_images = torch.cat([torch.from_numpy(imgs[-1]) for imgs in all_images_list], dim=0)
        all_images = (all_images + 1) * 0.5
        o.print(all_images.shape)
        o.vals += [all_images_list[0][0], all_images_list[1][0]]
        o.print(f"{all_images.mean().item():.4f}")
        random_index = 1
        o.print(all_images_list[0][-1][random_index].reshape(image_size, image_size,
                                                               channels).shape)
    return o.done()


def train_resnet(L):
    """The same Unet with ResNet blocks (use_convnext=False, resnet_block_groups=4) and the
    cosine schedule, trained with the l1 then the l2 loss; a bad loss_type is the
    notebook's NotImplementedError."""
    torch = L
    ns = _net(L)
    with Out() as o:
        torch.manual_seed(1)
        d = _Diffusion(L, 10, "cosine")
        model = ns["Unet"](dim=8, channels=1, dim_mults=(1, 2), use_convnext=False,
                           resnet_block_groups=4)
        o.print(model.mid_block1)
        o.print(model.ups[0][3], model.downs[1][3])
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for step, batch in enumerate(_fashion(L, 4, 1)):
            optimizer.zero_grad()
            x = batch["pixel_values"]
            t = torch.randint(0, d.timesteps, (x.shape[0],)).long()
            loss = d.p_losses(model, x, t, loss_type=["l1", "l2"][step])
            o.print("Loss:", f"{loss.item():.4f}", loss.grad_fn.name())
            o.vals.append(loss.item())
            loss.backward()
            optimizer.step()
        o.vals += [model.mid_block1.mlp[1].weight, model.time_mlp[1].weight.grad]
        try:
            d.p_losses(model, x, t, loss_type="l3")
        except NotImplementedError as e:
            o.print(repr(e))
        # sampled with the notebook's linear schedule: the cosine one clips beta_T to 0.9999,
        # where p_sample's 1 / sqrt(alpha_t) = 100 scales float32 rounding up to 1e-4
        imgs = _Diffusion(L, 10, "linear").sample(model, image_size=8, batch_size=2, channels=1)
        o.print(len(imgs), imgs[-1].shape)
        o.vals += [imgs[0]]
        no_t = ns["Unet"](dim=8, channels=1, dim_mults=(1, 2), with_time_emb=False)
        o.print(no_t.time_mlp, no_t(x, t).shape)
    return o.done()
